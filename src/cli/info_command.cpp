// `weft info` and `weft kernels`.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "kernel.hpp"
#include "weft/build_info.hpp"
#include "weft/core/environment.hpp"
#include "weft/core/layout.hpp"
#include "weft/io/hdf5.hpp"

namespace weft::cli {

namespace {

void print(const std::string& text) {
  [[maybe_unused]] const auto n = ::write(STDOUT_FILENO, text.data(), text.size());
}

int run_info(const comm_ref& world, bool as_json) {
  int provided = 0;
  MPI_Query_thread(&provided);
  const layout lay = gather_layout(world);
  if (world.rank() != 0) return 0;
  const std::string hdf5_version = io::library_version();
  const bool parallel = io::library_is_parallel();
  const std::string level = to_string(static_cast<thread_level>(provided));
  // Per node, in the order nodes first appear: its ranks and the cores they are bound to.
  struct node_summary {
    std::string host;
    std::vector<int> ranks;
    std::set<int> cores;
  };
  std::vector<node_summary> per_node;
  for (const auto& p : lay.placement) {
    auto it = std::find_if(per_node.begin(), per_node.end(),
                           [&](const node_summary& n) { return n.host == p.host; });
    if (it == per_node.end()) it = per_node.insert(per_node.end(), node_summary{p.host, {}, {}});
    it->ranks.push_back(p.rank);
    for (const auto& cores : p.thread_cores) it->cores.insert(cores.begin(), cores.end());
  }
  if (as_json) {
    json j;
    j["weft"] = {{"version", build_info::version}, {"git_revision", build_info::git_revision}};
    j["mpi"] = {{"library", environment::library_version()}, {"thread_level", level}};
    j["hdf5"] = {{"version", hdf5_version}, {"parallel", parallel}};
    j["ranks"] = lay.ranks;
    j["nodes"] = lay.nodes;
    j["threads_per_rank"] = lay.threads;
    j["ranks_per_node"] = lay.ranks_per_node();
    json nodes = json::array();
    for (const auto& n : per_node) {
      nodes.push_back({{"host", n.host},
                       {"ranks", n.ranks},
                       {"cores", std::vector<int>(n.cores.begin(), n.cores.end())}});
    }
    j["per_node"] = nodes;
    json b = json::array();
    for (const auto& p : lay.placement) {
      b.push_back({{"rank", p.rank}, {"host", p.host}, {"thread_cores", p.thread_cores}});
    }
    j["bindings"] = b;
    print(j.dump(2) + "\n");
    return 0;
  }
  std::string out;
  out += fmt::format("weft {} ({}), {} {}\n", build_info::version, build_info::git_revision,
                     build_info::compiler, build_info::build_type);
  out += fmt::format("MPI:      {} ({})\n", environment::library_version(), level);
  out += fmt::format("HDF5:     {} ({})\n", hdf5_version, parallel ? "parallel" : "serial");
  out += fmt::format("layout:   {} rank{} on {} node{}, {} OpenMP thread{} per rank\n", lay.ranks,
                     lay.ranks == 1 ? "" : "s", lay.nodes, lay.nodes == 1 ? "" : "s", lay.threads,
                     lay.threads == 1 ? "" : "s");
  out += fmt::format("cores online on rank 0's node: {}\n", sysconf(_SC_NPROCESSORS_ONLN));
  for (const auto& n : per_node) {
    out += fmt::format("node {}: {} rank{} ({}), bound to cores {}\n", n.host, n.ranks.size(),
                       n.ranks.size() == 1 ? "" : "s", format_cores(n.ranks),
                       format_cores(std::vector<int>(n.cores.begin(), n.cores.end())));
  }
  for (const auto& p : lay.placement) {
    std::string threads;
    for (std::size_t t = 0; t < p.thread_cores.size(); ++t) {
      threads += fmt::format(" t{}:[{}]", t, format_cores(p.thread_cores[t]));
    }
    out += fmt::format("  rank {} on {}:{}\n", p.rank, p.host, threads);
  }
  print(out);
  return 0;
}

// The parameter kind as a metavariable: INTEGER, NUMBER, TEXT, FLAG, CHOICE.
std::string type_name(param_type t) {
  std::string name = to_string(t);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

int run_kernels(const comm_ref& world) {
  if (world.rank() != 0) return 0;
  std::string out;
  for (const auto& k : kernels::registry()) {
    out += fmt::format("{:<12} {}\n", k.name, k.summary);
    for (const auto& p : k.params) {
      std::string extra;
      if (!p.choices.empty()) {
        extra = " {";
        for (std::size_t i = 0; i < p.choices.size(); ++i) extra += (i ? "," : "") + p.choices[i];
        extra += "}";
      }
      out += fmt::format("    --{:<20} {:<7} default {:<12} {}{}\n", p.name, type_name(p.type),
                         p.default_value.empty() ? "(required)" : p.default_value, p.help, extra);
    }
  }
  print(out);
  return 0;
}

}  // namespace

void add_info(CLI::App& app, action& chosen) {
  auto* sub = app.add_subcommand("info", "MPI, HDF5, ranks, nodes, threads and core bindings");
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("--json", *as_json, "print as JSON");
  sub->callback([&chosen, as_json] {
    chosen = [as_json](const comm_ref& world) { return run_info(world, *as_json); };
  });
}

void add_kernels(CLI::App& app, action& chosen) {
  auto* sub = app.add_subcommand("kernels", "list every kernel with its summary and parameters");
  sub->callback([&chosen] { chosen = [](const comm_ref& world) { return run_kernels(world); }; });
}

}  // namespace weft::cli
