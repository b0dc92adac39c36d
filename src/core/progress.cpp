#include "weft/core/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "weft/core/timer.hpp"

namespace weft {

progress::style progress::detect() noexcept {
  const char* choice = std::getenv("WEFT_PROGRESS");
  const std::string chosen = choice != nullptr ? choice : "";
  if (chosen == "bar") return style::bar;
  if (chosen == "lines") return style::lines;
  if (chosen == "off") return style::off;
  const char* term = std::getenv("TERM");
  const bool batch =
      std::getenv("SLURM_JOB_ID") != nullptr && std::getenv("SLURM_PTY_PORT") == nullptr;
  const bool tty = ::isatty(STDOUT_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1 &&
                   term != nullptr && std::string(term) != "dumb" && !batch;
  return tty ? style::bar : style::lines;
}

progress::progress(const comm_ref& c, long long first, long long total, options o)
    : o_(std::move(o)), speak_(c.rank() == 0), first_(first), total_(total), start_(now()) {
  if (o_.how == style::automatic || std::getenv("WEFT_PROGRESS") != nullptr) o_.how = detect();
  reported_ = total_ > 0 ? first_ * 10 / total_ : 0;
}

void progress::update(long long done) {
  if (!speak_ || total_ <= 0 || o_.how == style::off) return;
  const double t = now();
  const double rate = static_cast<double>(done - first_) / std::max(t - start_, 1e-9);
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  if (o_.how == style::bar) {
    if (t - last_ < 0.2 && done != total_) return;
    last_ = t;
    const auto filled = static_cast<std::size_t>(30 * std::clamp(done, 0LL, total_) / total_);
    say(fmt::format("\r{} [{:<30}] {}/{} {}  {:.0f} {}/s  ETA {:.1f} s{}", o_.label,
                    std::string(filled, '#'), done, total_, o_.unit, rate, o_.unit, eta,
                    done == total_ ? "\n" : ""));
    return;
  }
  const long long tenth = done * 10 / total_;
  if (tenth <= reported_) return;
  reported_ = tenth;
  say(fmt::format("{}: {}/{} {} ({} %), {:.0f} {}/s, ETA {:.1f} s\n", o_.label, done, total_,
                  o_.unit, tenth * 10, rate, o_.unit, eta));
}

void progress::interrupted() {
  if (speak_ && o_.how == style::bar) say("\n");
}

void progress::say(const std::string& text) const {
  [[maybe_unused]] const auto n = ::write(o_.fd, text.data(), text.size());
}

}  // namespace weft
