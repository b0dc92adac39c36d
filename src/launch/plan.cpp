#include "launch/plan.hpp"

#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace weft::launch {

namespace fs = std::filesystem;

int local_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

int local_sockets() {
  std::set<std::string> packages;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
    std::ifstream in(e.path() / "topology" / "physical_package_id");
    std::string id;
    if (in >> id) packages.insert(id);
  }
  return packages.empty() ? 1 : static_cast<int>(packages.size());
}

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string option_value(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    std::string s = fmt::format("{}", v.get<double>());
    return s;
  }
  return v.dump();
}

struct placeholders {
  std::string input, output, weft, spec_dir;
  [[nodiscard]] std::string expand(std::string s, const std::string& run) const {
    s = replace_all(std::move(s), "{input}", input);
    s = replace_all(std::move(s), "{output}", output);
    s = replace_all(std::move(s), "{weft}", weft);
    s = replace_all(std::move(s), "{spec_dir}", spec_dir);
    return replace_all(std::move(s), "{run}", run);
  }
  // A program step's words: the above, the run's layout and record, and its parameters.
  [[nodiscard]] std::string expand(std::string s, const run_spec& run) const {
    s = expand(std::move(s), run.id);
    s = replace_all(std::move(s), "{ranks}", std::to_string(run.ranks));
    s = replace_all(std::move(s), "{threads}", std::to_string(run.threads));
    s = replace_all(std::move(s), "{nodes}", std::to_string(run.nodes));
    s = replace_all(std::move(s), "{record}", run.record);
    for (const auto& [name, value] : run.params.items()) {
      s = replace_all(std::move(s), "{" + name + "}", option_value(value));
    }
    return s;
  }
};

// Where a program is found: a path with '/' as given (relative to the current folder, as
// a shell takes it), a bare name on PATH. "" when it is not there.
std::string find_program(const std::string& name) {
  std::error_code ec;
  if (name.find('/') != std::string::npos) {
    return fs::exists(name, ec) && ::access(name.c_str(), X_OK) == 0 ? name : "";
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return "";
}

struct point {
  int nodes = 1;
  int ranks = 1;
  int threads = 1;
  json params = json::object();
  json sweep = json::object();
};

std::vector<point> points_of(const job_spec& spec, const step_spec& step) {
  point base;
  base.nodes = spec.resources.nodes;
  base.ranks = step.ranks.value_or(spec.resources.ranks);
  base.threads = step.threads.value_or(spec.resources.threads);
  base.params = step.params;
  if (!step.sweep) return {base};
  const auto& sw = *step.sweep;
  std::vector<std::pair<int, int>> layouts = sw.layouts;
  if (layouts.empty()) {
    const auto ranks = sw.ranks.empty() ? std::vector<int>{base.ranks} : sw.ranks;
    const auto threads = sw.threads.empty() ? std::vector<int>{base.threads} : sw.threads;
    for (int r : ranks) {
      for (int t : threads) layouts.emplace_back(r, t);
    }
  }
  std::vector<point> out;
  for (const auto& [r, t] : layouts) {
    point p = base;
    p.ranks = r;
    p.threads = t;
    if (!sw.layouts.empty() || !sw.ranks.empty()) p.sweep["ranks"] = r;
    if (!sw.layouts.empty() || !sw.threads.empty()) p.sweep["threads"] = t;
    out.push_back(p);
  }
  if (!sw.nodes.empty()) {
    // Without a ranks axis, ranks_per_node keeps each node equally full as nodes grow;
    // without either, the ranks stay and spread over more nodes.
    const bool ranks_follow = sw.ranks.empty() && sw.layouts.empty() && !step.ranks &&
                              spec.resources.ranks_per_node.has_value();
    std::vector<point> next;
    for (const auto& p : out) {
      for (int n : sw.nodes) {
        point q = p;
        q.nodes = n;
        if (ranks_follow) q.ranks = n * *spec.resources.ranks_per_node;
        q.sweep["nodes"] = n;
        if (ranks_follow) q.sweep["ranks"] = q.ranks;
        next.push_back(q);
      }
    }
    out = std::move(next);
  }
  for (const auto& [name, values] : sw.params) {
    std::vector<point> next;
    for (const auto& p : out) {
      for (const auto& v : values) {
        point q = p;
        q.params[name] = v;
        q.sweep[name] = v;
        next.push_back(q);
      }
    }
    out = std::move(next);
  }
  if (sw.scaling == "weak" && !out.empty()) {
    const double base_workers = out.front().ranks * out.front().threads;
    for (auto& p : out) {
      const double factor = p.ranks * p.threads / base_workers;
      for (const auto& name : sw.weak) {
        json& v = p.params[name];
        if (v.is_number_integer()) {
          v = static_cast<long long>(std::llround(v.get<double>() * factor));
        } else {
          v = v.get<double>() * factor;
        }
        p.sweep[name] = v;
      }
    }
  }
  return out;
}

}  // namespace

int hostfile_hosts(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read the hostfile {}", path));
  std::set<std::string> hosts;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::string host;
    if (words >> host) hosts.insert(host);
  }
  return static_cast<int>(hosts.size());
}

job_plan make_plan(const job_spec& spec, const plan_options& options) {
  job_plan plan;
  plan.spec = spec;
  plan.weft = options.weft;
  plan.cores_per_node = spec.resources.cores_per_node.value_or(options.cores_per_node);
  plan.sockets_per_node = std::max(1, options.sockets_per_node);
  plan.output = fs::absolute(options.output.empty() ? spec.output : options.output)
                    .lexically_normal()
                    .string();
  if (plan.output.size() > 1 && plan.output.back() == '/') plan.output.pop_back();
  plan.hostfile = options.hostfile.empty()
                      ? spec.resources.hostfile
                      : fs::absolute(options.hostfile).lexically_normal().string();
  // A local run on several nodes needs mpirun's hostfile, with enough hosts.
  int hosts = -1;
  const auto check_nodes = [&](int nodes, int line, const std::string& key) {
    if (!options.local || nodes <= 1) return;
    if (plan.hostfile.empty()) {
      throw spec_error(spec.file, line, key,
                       fmt::format("{} nodes need a cluster: give mpirun's hostfile "
                                   "(resources.hostfile or --hostfile), submit with 'weft job "
                                   "submit', or set nodes = 1 to run here",
                                   nodes));
    }
    if (hosts < 0) hosts = hostfile_hosts(plan.hostfile);
    if (hosts < nodes) {
      throw spec_error(spec.file, line, key,
                       fmt::format("{} nodes, but the hostfile {} lists {} host{}", nodes,
                                   plan.hostfile, hosts, hosts == 1 ? "" : "s"));
    }
  };
  check_nodes(spec.resources.nodes, spec.resources_line, "resources.nodes");
  const std::string spec_dir =
      fs::absolute(fs::path(spec.file)).parent_path().lexically_normal().string();
  const placeholders ph{spec.input, plan.output, plan.weft, spec_dir};

  for (std::size_t si = 0; si < spec.steps.size(); ++si) {
    const auto& step = spec.steps[si];
    const auto points = points_of(spec, step);
    const int repeats = step.kind == step_kind::command ? 1 : step.repeats.value_or(spec.repeats);
    // A program must be there to start, unless an earlier step may build it.
    if (step.kind == step_kind::program && options.local) {
      const bool built_before =
          std::any_of(spec.steps.begin(), spec.steps.begin() + static_cast<long>(si),
                      [](const step_spec& s) { return s.kind == step_kind::command; });
      const std::string& prog = step.args[0];
      if (!built_before && prog.find('{') == std::string::npos && find_program(prog).empty()) {
        throw spec_error(
            spec.file, step.line, fmt::format("step[{}].program", si + 1),
            prog.find('/') != std::string::npos
                ? fmt::format("'{}' is not an executable file (paths are relative to the "
                              "folder weft job runs in, {})",
                              prog, fs::current_path().string())
                : fmt::format("'{}' is not on PATH; give its path, e.g. \"./{}\"", prog, prog));
      }
    }
    for (std::size_t pi = 0; pi < points.size(); ++pi) {
      const auto& p = points[pi];
      if (step.sweep) {
        const std::string key = fmt::format("step[{}].sweep.nodes", si + 1);
        check_nodes(p.nodes, step.sweep->line, key);
        if (p.ranks < p.nodes) {
          throw spec_error(spec.file, step.sweep->line, key,
                           fmt::format("{} rank{} cannot fill {} nodes", p.ranks,
                                       p.ranks == 1 ? "" : "s", p.nodes));
        }
      }
      const int per_node = (p.ranks + p.nodes - 1) / p.nodes;
      const bool over = plan.cores_per_node > 0 && step.kind != step_kind::command &&
                        per_node * p.threads > plan.cores_per_node;
      if (over && !spec.binding.oversubscribe) {
        const int line = step.sweep ? step.sweep->line : step.line;
        throw spec_error(
            spec.file, line, fmt::format("step[{}]{}", si + 1, step.sweep ? ".sweep" : ""),
            fmt::format("{} rank{} x {} thread{} need {} cores per node, but {} {}; set "
                        "binding.oversubscribe = true to allow it",
                        per_node, per_node == 1 ? "" : "s", p.threads, p.threads == 1 ? "" : "s",
                        per_node * p.threads, options.local ? "this machine has" : "a node has",
                        plan.cores_per_node));
      }
      for (int rep = 0; rep < repeats; ++rep) {
        run_spec run;
        run.step = si;
        run.point = static_cast<int>(pi);
        run.points = static_cast<int>(points.size());
        run.repeat = rep;
        run.kind = step.kind;
        run.nodes = p.nodes;
        run.ranks = p.ranks;
        run.threads = p.threads;
        run.sweep = p.sweep;
        run.oversubscribed = over;
        run.id = step.name;
        if (points.size() > 1) run.id += fmt::format("-p{}", pi);
        if (repeats > 1) run.id += fmt::format("-r{}", rep);
        switch (step.kind) {
          case step_kind::kernel: {
            run.record = plan.output + "/runs/" + run.id + ".json";
            run.args = {plan.weft, "run", step.kernel};
            for (auto& [name, value] : p.params.items()) {
              json v = value;
              if (v.is_string()) v = ph.expand(v.get<std::string>(), run.id);
              run.params[name] = v;
              if (v.is_boolean()) {
                if (v.get<bool>()) run.args.push_back("--" + name);
                continue;
              }
              run.args.push_back("--" + name);
              run.args.push_back(option_value(v));
            }
            if (spec.hang_timeout_s > 0) {
              run.args.push_back("--hang-timeout");
              run.args.push_back(std::to_string(spec.hang_timeout_s));
            }
            run.args.push_back("--json");
            run.args.push_back(run.record);
            break;
          }
          case step_kind::data:
            run.args = {plan.weft, "data"};
            for (const auto& a : step.args) run.args.push_back(ph.expand(a, run.id));
            break;
          case step_kind::program:
            run.record = plan.output + "/runs/" + run.id + ".json";
            for (auto& [name, value] : p.params.items()) {
              run.params[name] =
                  value.is_string() ? json(ph.expand(value.get<std::string>(), run.id)) : value;
            }
            for (const auto& a : step.args) run.args.push_back(ph.expand(a, run));
            break;
          case step_kind::command:
            run.nodes = 1;  // once, on one node: a batch job of one task on one node
            run.ranks = 1;
            run.threads = 1;
            for (const auto& a : step.args) run.args.push_back(ph.expand(a, run.id));
            if (run.args[0] == "weft") run.args[0] = plan.weft;
            break;
        }
        for (const auto& [name, value] : step.env) {
          run.env.emplace_back(name, step.kind == step_kind::program ? ph.expand(value, run)
                                                                     : ph.expand(value, run.id));
        }
        if (step.kind == step_kind::program) run.env.emplace_back("WEFT_RECORD", run.record);
        plan.runs.push_back(std::move(run));
      }
    }
  }
  return plan;
}

std::vector<std::string> mpirun_command(const job_plan& plan, const run_spec& run) {
  std::vector<std::string> cmd = {"mpirun", "-q", "-n", std::to_string(run.ranks)};
  if (!plan.hostfile.empty()) cmd.insert(cmd.end(), {"--hostfile", plan.hostfile});
  const int per_node = run.ranks_per_node();
  // On several nodes the ranks are spread evenly, R per node, rather than filling the
  // first node's slots.
  const std::string spread = fmt::format("ppr:{}:node", per_node);
  if (run.oversubscribed) {
    cmd.insert(cmd.end(), {"--oversubscribe", "--bind-to", "none"});
    if (run.nodes > 1) cmd.insert(cmd.end(), {"--map-by", spread});
  } else if (plan.spec.binding.policy == "cores") {
    cmd.insert(cmd.end(),
               {"--map-by", fmt::format("{}:PE={}", run.nodes > 1 ? spread : "slot", run.threads),
                "--bind-to", "core"});
  } else if (plan.spec.binding.policy == "socket") {
    const int per_socket = (per_node + plan.sockets_per_node - 1) / plan.sockets_per_node;
    cmd.insert(cmd.end(), {"--map-by", fmt::format("ppr:{}:socket:PE={}", per_socket, run.threads),
                           "--bind-to", "core"});
  } else {
    cmd.insert(cmd.end(), {"--bind-to", "none"});
    if (run.nodes > 1) cmd.insert(cmd.end(), {"--map-by", spread});
  }
  const auto& step = plan.spec.steps[run.step];
  cmd.insert(cmd.end(), step.launcher_args.begin(), step.launcher_args.end());
  for (const auto& [name, value] : openmp_environment(run)) cmd.insert(cmd.end(), {"-x", name});
  for (const auto& [name, value] : run.env) cmd.insert(cmd.end(), {"-x", name});
  cmd.insert(cmd.end(), run.args.begin(), run.args.end());
  return cmd;
}

std::vector<std::pair<std::string, std::string>> openmp_environment(const run_spec& run) {
  return {{"OMP_NUM_THREADS", std::to_string(run.threads)},
          {"OMP_PLACES", "cores"},
          {"OMP_PROC_BIND", "close"}};
}

}  // namespace weft::launch
