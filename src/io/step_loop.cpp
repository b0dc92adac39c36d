#include "weft/io/step_loop.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <thread>

namespace weft::io {

step_loop::step_loop(const comm_ref& c, step_loop_options options)
    : comm_(c.native_handle()),
      options_(std::move(options)),
      stop_(c),
      bar_(c, 0, options_.steps,
           {.label = options_.label, .unit = options_.unit, .how = options_.progress}) {}

void step_loop::start(long long first) {
  bar_ = progress(comm_ref(comm_), first, options_.steps,
                  {.label = options_.label, .unit = options_.unit, .how = options_.progress});
}

void step_loop::completed(long long done) {
  const bool stopping = stop_.agreed() != 0 && done < options_.steps;
  checkpoint* const ckpt = options_.checkpoints;
  const bool due = ckpt != nullptr && options_.checkpoint_every > 0 &&
                   (done % options_.checkpoint_every == 0 || done == options_.steps);
  if (ckpt != nullptr && (due || stopping)) {
    std::optional<phase_timer::scope> timed;
    if (options_.timer != nullptr) timed.emplace(*options_.timer, "io");
    (void)ckpt->write(done);
  }
  if (stopping) {
    bar_.interrupted();
    const std::string written =
        ckpt != nullptr ? fmt::format("checkpoint {} written; ", ckpt->path_of(done).string()) : "";
    stop_.stopped(done, options_.steps, options_.label,
                  ckpt != nullptr ? written + options_.resume_hint : std::string());
  }
  bar_.update(done);
  if (options_.pause_ms > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(options_.pause_ms));
  }
}

}  // namespace weft::io
