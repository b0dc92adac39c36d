// run_process: starts a program with an argument vector (never through a shell), in its
// own process group, and waits for it with a wall-clock limit. At the limit, or when this
// process gets SIGINT/SIGTERM, the whole group gets SIGTERM and, after a grace period,
// SIGKILL — so an mpirun and its ranks never outlive the limit. Output (stdout and stderr
// together) can be copied to a log file, echoed, and captured.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace weft::launch {

struct process_options {
  std::vector<std::pair<std::string, std::string>> environment;  // set for the child
  int time_limit_s = 0;                                          // 0: none
  int grace_s = 5;  // between the stop signal and SIGTERM to the group, and SIGTERM and SIGKILL
  // What the time limit sends first, to the program only (mpirun forwards SIGUSR1 to its
  // ranks): SIGUSR1 lets a checkpointing program write its checkpoint and exit 75. 0: SIGTERM
  // to the whole group at once.
  int limit_signal = 0;
  std::string log;       // file that receives the output; "" for none
  bool echo = false;     // copy the output to our stdout
  bool capture = false;  // keep the output in process_result::output
};

struct process_result {
  int exit_code = 0;  // the program's, or 128 + signal; 127 when it could not start
  bool timed_out = false;
  bool interrupted = false;  // we were asked to stop (SIGINT/SIGTERM)
  double seconds = 0;
  std::string output;
};

[[nodiscard]] process_result run_process(const std::vector<std::string>& argv,
                                         const process_options& options);

}  // namespace weft::launch
