// `weft run KERNEL [kernel options] [--json FILE] [--repeat N] [--threads T]`
#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "kernel.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/base/unique_fd.hpp"
#include "weft/core/environment.hpp"
#include "weft/core/error.hpp"
#include "weft/core/layout.hpp"
#include "weft/core/log.hpp"
#include "weft/core/provenance.hpp"
#include "weft/core/watchdog.hpp"
#include "weft/io/dataset.hpp"

namespace weft::cli {

namespace {

// Storage for one kernel subcommand's parsed values; addresses stay stable in a list.
struct holder {
  const param* spec = nullptr;
  long long integer = 0;
  double real = 0;
  std::string text;
  bool flag = false;
};

struct common_options {
  std::string json_path;
  int repeat = 1;
  int threads = 0;
  std::string fault;
  int fault_rank = 0;
  double hang_timeout = 0;   // seconds; 0: no hang watchdog
  bool trust_input = false;  // no metadata probe (io::set_probe)
};

json to_values(const std::list<holder>& holders) {
  json values = json::object();
  for (const auto& h : holders) {
    switch (h.spec->type) {
      case param_type::integer:
        values[h.spec->name] = h.integer;
        break;
      case param_type::real:
        values[h.spec->name] = h.real;
        break;
      case param_type::text:
      case param_type::choice:
        values[h.spec->name] = h.text;
        break;
      case param_type::flag:
        values[h.spec->name] = h.flag;
        break;
    }
  }
  return values;
}

void add_param(CLI::App& sub, holder& h) {
  const auto& p = *h.spec;
  CLI::Option* opt = nullptr;
  const std::string flag = "--" + p.name;
  switch (p.type) {
    case param_type::integer:
      if (!p.default_value.empty()) h.integer = std::stoll(p.default_value);
      opt = sub.add_option(flag, h.integer, p.help);
      break;
    case param_type::real:
      if (!p.default_value.empty()) h.real = std::stod(p.default_value);
      opt = sub.add_option(flag, h.real, p.help);
      break;
    case param_type::text:
      h.text = p.default_value;
      opt = sub.add_option(flag, h.text, p.help);
      break;
    case param_type::choice:
      h.text = p.default_value;
      opt = sub.add_option(flag, h.text, p.help)->check(CLI::IsMember(p.choices));
      break;
    case param_type::flag:
      h.flag = p.default_value == "true";
      opt = sub.add_flag(flag, h.flag, p.help);
      break;
  }
  if (p.type != param_type::flag) {
    opt->capture_default_str();
    if (p.default_value.empty()) opt->required();
  }
  // The same check as a job spec's (weft/base/param.hpp), on the text as typed: one
  // message in words ("must be at least 1", "expected an integer"), never CLI11's range.
  if (p.type == param_type::integer || p.type == param_type::real) {
    opt->check(CLI::Validator(
        [&p](std::string& text) -> std::string {
          const json value = json::parse(text, nullptr, false);
          const bool integer = p.type == param_type::integer;
          std::string why = value.is_number() ? check_value(p, value) : "expected a number";
          if (why.empty()) return {};
          // check_value says "expected ..." for a number of the wrong kind (2.5 for an integer).
          if (why.rfind("expected", 0) == 0) {
            return "'" + text + "' is not " + (integer ? "an integer" : "a finite number");
          }
          return "'" + text + "' " + why;
        },
        "", ""));
  }
}

// While alive (when `on`), file descriptor 1 points at stderr; fd() is the real stdout.
class json_stdout {
 public:
  explicit json_stdout(bool on) {
    if (!on) return;
    std::fflush(stdout);
    saved_.reset(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
    if (saved_) ::dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  json_stdout(const json_stdout&) = delete;
  json_stdout& operator=(const json_stdout&) = delete;
  json_stdout(json_stdout&&) = delete;
  json_stdout& operator=(json_stdout&&) = delete;
  ~json_stdout() {
    if (!saved_) return;
    std::fflush(stdout);
    ::dup2(saved_.get(), STDOUT_FILENO);
  }
  [[nodiscard]] int fd() const noexcept { return saved_ ? saved_.get() : STDOUT_FILENO; }

 private:
  unique_fd saved_;
};

// Deliberate faults, for tests of the error path: every rank must end promptly.
void inject_fault(const comm_ref& world, const std::string& kind, int rank) {
  world.barrier();
  if (world.rank() == rank) {
    if (kind == "throw") throw std::runtime_error("injected fault: exception on this rank");
    if (kind == "segv") std::raise(SIGSEGV);
    if (kind == "exit") std::_Exit(1);
    if (kind == "hang") {
      // Stuck in its own work, outside MPI, for good: only a hang watchdog ends the job.
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  // The other ranks now wait in a collective that the faulty rank never joins.
  world.barrier();
}

void check_json_path(const comm_ref& world, const std::string& path) {
  bool ok = true;
  std::string message;
  if (world.rank() == 0 && !path.empty() && path != "-") {
    const std::filesystem::path p(path);
    const auto dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      ok = false;
      message =
          "--json " + path + ": folder '" + dir.string() + "' does not exist; create it first";
    } else if (::access(dir.c_str(), W_OK) != 0) {
      ok = false;
      message = "--json " + path + ": folder '" + dir.string() + "' is not writable";
    }
  }
  agree_or_throw<usage_error>(world, ok, message);
}

int run_kernel(const comm_ref& world, const kernels::kernel& k, const std::list<holder>& holders,
               const common_options& opts) {
  if (opts.threads > 0) omp_set_num_threads(opts.threads);
  const json values = to_values(holders);

  // Every rank must run with the same parameters (a launcher could pass different argv).
  std::string mine = values.dump();
  std::string root = mine;
  world.bcast(root, 0);
  agree_or_throw<usage_error>(world, mine == root,
                              "parameters differ from rank 0's: " + mine + " vs " + root);
  check_json_path(world, opts.json_path);
  std::optional<hang_watchdog> watchdog;
  if (opts.hang_timeout > 0) watchdog.emplace(world, opts.hang_timeout);
  if (!opts.fault.empty()) inject_fault(world, opts.fault, opts.fault_rank);

  const kernels::arguments args(values);
  const kernels::context ctx{world, args};
  // With --json -, stdout carries the record alone: what the kernel and the summary
  // print goes to stderr meanwhile.
  const json_stdout json_only(opts.json_path == "-");
  std::vector<record> runs;
  for (int i = 0; i < opts.repeat; ++i) runs.push_back(k.run(ctx));

  // Report the best repeat (by the first metric), and keep every repeat's metrics.
  std::size_t best = 0;
  for (std::size_t i = 1; i < runs.size(); ++i) {
    if (runs[i].metrics.empty()) continue;
    const auto& m = runs[i].metrics.front();
    const double b = runs[best].metrics.front().value;
    if (m.higher_is_better ? m.value > b : m.value < b) best = i;
  }
  record rec = std::move(runs[best]);
  rec.kernel = k.name;
  rec.parameters = values;
  rec.placement = gather_layout(world);
  rec.provenance = provenance();
  rec.provenance["ranks"] = rec.placement.ranks;
  rec.provenance["threads_per_rank"] = rec.placement.threads;
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  rec.provenance["mpi_thread_level"] = to_string(static_cast<thread_level>(level));
  bool passed = true;
  for (const auto& r : runs) passed = passed && r.check.passed;
  passed = passed && rec.check.passed;
  if (opts.repeat > 1) {
    json reps = json::array();
    for (const auto& r : runs) {
      json m = json::object();
      for (const auto& x : r.metrics) m[x.name] = x.value;
      reps.push_back(m);
    }
    // runs[best] was moved from; its metrics are in rec.
    json m = json::object();
    for (const auto& x : rec.metrics) m[x.name] = x.value;
    reps[best] = m;
    rec.extra["repeats"] = reps;
    rec.extra["reported_repeat"] = best;
  }
  rec.check.passed = world.allreduce(passed ? 1 : 0, op::min) == 1;

  if (world.rank() == 0) {
    const std::string text = rec.to_text();
    [[maybe_unused]] auto n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (opts.json_path == "-") {
      const std::string j = rec.to_json().dump(2) + "\n";
      n = ::write(json_only.fd(), j.data(), j.size());
    } else if (!opts.json_path.empty()) {
      write_file_atomically(opts.json_path, rec.to_json().dump(2) + "\n");
    }
  }
  if (!rec.check.passed) {
    if (world.rank() == 0) {
      log::error("weft: {}: validation FAILED: {}", k.name, rec.check.detail);
    }
    return static_cast<int>(exit_code::run_failed);
  }
  return 0;
}

}  // namespace

// Before MPI starts, on the process that will be rank 0 (the launcher's environment
// says which; none: a lone process): the metadata probe of every FILE:/path input
// starts now and runs while MPI initialises (io::probe_ahead). Outputs are not probed:
// the run replaces them, or refuses to.
void probe_inputs_ahead(const std::list<holder>& holders) {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && std::string(value) != "0") return;
  }
  for (const auto& h : holders) {
    if (!h.spec->input) continue;
    try {
      io::probe_ahead(io::parse_dataset_ref(h.text, "--" + h.spec->name));
    } catch (const usage_error&) {
      // not FILE:/path: nothing to probe (the kernel reports a malformed one)
    }
  }
}

void add_run(CLI::App& app, action& chosen, int& threads, double& hang_timeout) {
  auto* run = app.add_subcommand("run", "run a kernel (inside mpirun/srun, or as one process)");
  run->require_subcommand(1);
  // Kernel subcommands outlive parsing: keep their storage alive with the app.
  auto opts = std::make_shared<common_options>();
  for (const auto& k : kernels::registry()) {
    auto* sub = run->add_subcommand(k.name, k.summary);
    auto holders = std::make_shared<std::list<holder>>();
    for (const auto& p : k.params) {
      holders->push_back(holder{&p, 0, 0.0, {}, false});
      add_param(*sub, holders->back());
    }
    sub->add_option("--json", opts->json_path,
                    "write the result record as JSON to FILE ('-': stdout)");
    sub->add_option("--repeat", opts->repeat, "run N times, report the best")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_option("--threads", opts->threads,
                    "OpenMP threads per rank (default: OMP_NUM_THREADS)")
        ->check(CLI::Range(1, 1024));
    sub->add_option("--inject-fault", opts->fault,
                    "test the error path: throw, segv, exit or hang on one rank")
        ->check(CLI::IsMember({"throw", "segv", "exit", "hang"}))
        ->group("");
    sub->add_option("--fault-rank", opts->fault_rank, "rank that fails with --inject-fault")
        ->group("");
    sub->add_option("--hang-timeout", opts->hang_timeout,
                    "seconds a rank may wait in one MPI call before every rank says where it is "
                    "and the job ends (default: no limit)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--trust-input", opts->trust_input,
                  "skip the metadata probe of input files (WEFT_PROBE=off does the same)");
    const kernels::kernel* kp = &k;
    sub->callback([&chosen, &threads, &hang_timeout, kp, holders, opts] {
      if (opts->threads > 0) threads = opts->threads;
      hang_timeout = opts->hang_timeout;
      if (opts->trust_input) io::set_probe(false);
      probe_inputs_ahead(*holders);
      chosen = [kp, holders, opts](const comm_ref& world) {
        return run_kernel(world, *kp, *holders, *opts);
      };
    });
  }
}

}  // namespace weft::cli
