// Phase timing and its statistics over ranks.
//
// A phase_timer accumulates wall time (MPI_Wtime) per named phase — by convention
// "compute", "communication" and "io", but any name works. summarize() is collective
// over comm and gives, per phase, the min / mean / max over ranks and the imbalance
// max/mean (1.0 is perfect balance). Phases are matched by name; a phase that a rank
// never entered counts as 0 s there.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "weft/base/record.hpp"
#include "weft/core/comm.hpp"

namespace weft {

class phase_timer {
 public:
  class scope {
   public:
    scope(phase_timer& t, std::string phase);
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    scope(scope&&) = delete;
    scope& operator=(scope&&) = delete;
    ~scope();

   private:
    phase_timer& timer_;
    std::string phase_;
    double start_;
  };

  // Times the enclosing block: `auto s = timer.time("compute");`
  [[nodiscard]] scope time(std::string phase) { return scope(*this, std::move(phase)); }
  void add(const std::string& phase, double seconds) { seconds_[phase] += seconds; }
  [[nodiscard]] double seconds(const std::string& phase) const;
  [[nodiscard]] const std::map<std::string, double>& phases() const noexcept { return seconds_; }
  void clear() noexcept { seconds_.clear(); }

 private:
  std::map<std::string, double> seconds_;
};

// Collective over comm: the statistics of every phase any rank timed, sorted by name.
std::vector<phase_stats> summarize(const comm_ref& c, const phase_timer& t);
// Collective over comm: statistics of one value per rank.
phase_stats summarize(const comm_ref& c, const std::string& name, double value);

// Wall-clock seconds (MPI_Wtime).
[[nodiscard]] double now() noexcept;

}  // namespace weft
