// step_loop: what every long-running time-stepping program does around its physics, in
// one object — checkpoints every K steps, a stop request (SIGTERM, SIGUSR1) agreed at a
// step boundary that writes a checkpoint and ends the program with exit code 75, and a
// progress bar (or batch-log lines) with rate and ETA.
//
//   weft::io::checkpoint ckpt(world, {.prefix = "runs/plate", .fingerprint = params});
//   ckpt.add("u", u);
//   weft::io::step_loop loop(world, {.steps = 5000, .checkpoints = &ckpt,
//                                    .checkpoint_every = 500, .label = "plate"});
//   const long long first = restart ? ckpt.restore().value_or(0) : 0;
//   loop.run(first, [&](long long step) { advance(u); });   // step = first .. steps-1
//
// After body(step) the loop calls completed(step + 1): every rank agrees whether any was
// asked to stop; a checkpoint is written when one is due (every checkpoint_every steps, and
// after the last step, so that a finished run can be continued with more steps) or a
// stop was agreed; a stop then throws the collective error that ends the program with
// exit code 75, naming the checkpoint and how to resume. A program with its own loop
// shape (rounds of tasks, say) calls completed(done) itself.
//
// The stop_request is created with the loop: construct the loop before the work starts
// so that a signal during set-up is not lost. Every call is collective over the
// communicator. Cost per step: one MPI_Allreduce of one int, one clock read.
#pragma once

#include <string>

#include "weft/core/comm.hpp"
#include "weft/core/progress.hpp"
#include "weft/core/stop.hpp"
#include "weft/core/timer.hpp"
#include "weft/io/checkpoint.hpp"

namespace weft::io {

struct step_loop_options {
  long long steps = 0;                // steps in all (the loop ends at this one)
  checkpoint* checkpoints = nullptr;  // null: none (a stop then just stops)
  long long checkpoint_every = 0;     // a checkpoint every K steps (0: only on a stop)
  std::string label = "run";          // names the program in progress and stop lines
  std::string unit = "steps";         // progress unit
  std::string resume_hint = "rerun with --restart to resume";
  phase_timer* timer = nullptr;  // when given, checkpoints are timed as phase "io"
  double pause_ms = 0;           // sleep after each step (demonstrations, tests)
  progress_style progress = progress_style::automatic;
};

class step_loop {
 public:
  step_loop(const comm_ref& c, step_loop_options options);

  // Runs body(step) for step = first .. steps-1, each followed by completed(step + 1).
  template <class F>
  void run(long long first, F&& body) {
    start(first);
    for (long long step = first; step < options_.steps; ++step) {
      body(step);
      completed(step + 1);
    }
  }

  // Starts the progress count at `first` steps done (run() calls it).
  void start(long long first);
  // Collective: `done` steps are complete; checkpoints, stops and reports as described
  // above. Throws the exit-75 error on an agreed stop request.
  void completed(long long done);

  [[nodiscard]] const step_loop_options& options() const noexcept { return options_; }

 private:
  MPI_Comm comm_;
  step_loop_options options_;
  stop_request stop_;
  progress bar_;
};

}  // namespace weft::io
