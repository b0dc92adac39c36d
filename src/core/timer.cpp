#include "weft/core/timer.hpp"

#include "weft/core/blocking.hpp"

#include <mpi.h>

#include <set>

namespace weft {

double now() noexcept {
  return MPI_Wtime();
}

phase_timer::scope::scope(phase_timer& t, std::string phase)
    : timer_(t), phase_(std::move(phase)), start_(now()) {
  detail::set_phase(phase_);  // for the hang watchdog's report
}

phase_timer::scope::~scope() {
  timer_.add(phase_, now() - start_);
  detail::set_phase("");
}

double phase_timer::seconds(const std::string& phase) const {
  const auto it = seconds_.find(phase);
  return it == seconds_.end() ? 0.0 : it->second;
}

phase_stats summarize(const comm_ref& c, const std::string& name, double value) {
  phase_stats s;
  s.phase = name;
  s.min = c.allreduce(value, op::min);
  s.max = c.allreduce(value, op::max);
  s.mean = c.allreduce(value, op::sum) / c.size();
  return s;
}

std::vector<phase_stats> summarize(const comm_ref& c, const phase_timer& t) {
  // Agree on the set of phase names: gather every rank's names onto all ranks.
  std::string names;
  for (const auto& [name, seconds] : t.phases()) names += name + '\n';
  const auto all = c.allgatherv(std::span<const char>(names.data(), names.size()));
  std::set<std::string> phases;
  std::string current;
  for (char ch : all) {
    if (ch == '\n') {
      phases.insert(current);
      current.clear();
    } else {
      current.push_back(ch);
    }
  }
  std::vector<phase_stats> out;
  for (const auto& name : phases) out.push_back(summarize(c, name, t.seconds(name)));
  return out;
}

}  // namespace weft
