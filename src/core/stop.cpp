#include "weft/core/stop.hpp"

#include <fmt/format.h>

namespace weft {

stop_request::stop_request(const comm_ref& c, std::initializer_list<int> signals)
    : comm_(c.native_handle()), signals_(signals) {}

int stop_request::agreed() {
  agreed_ = comm_ref(comm_).allreduce(stop_signals::received(), op::max);
  return agreed_;
}

void stop_request::stopped(long long done, long long total, const std::string& what,
                           const std::string& resume_hint) const {
  const int signo = agreed_ != 0 ? agreed_ : stop_signals::received();
  throw error(fmt::format("{}: stopped by {} after step {} of {}{}", what,
                          signo != 0 ? signal_name(signo) : "a stop request", done, total,
                          resume_hint.empty() ? "" : "; " + resume_hint),
              exit_code::interrupted, true);
}

}  // namespace weft
