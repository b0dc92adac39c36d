// Plans: sweeps expanded into runs, and the mpirun command each run gets.
#include "launch/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace weft::launch {
namespace {

job_plan plan_of(const std::string& text, int cores = 2, bool local = true) {
  plan_options o;
  o.weft = "/opt/weft";
  o.cores_per_node = cores;
  o.local = local;
  o.output = "/r";
  return make_plan(parse_spec(text, "t.toml"), o);
}

bool has_sequence(const std::vector<std::string>& argv, const std::vector<std::string>& seq) {
  return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
}

TEST(job_plan, a_sweep_makes_one_run_per_point_and_repeat_in_axis_order) {
  const auto plan = plan_of(R"(name = "s"
repeats = 2
[[step]]
kernel = "nstream"
params = { iterations = 5 }
[step.sweep]
ranks = [1, 2]
[step.sweep.params]
length = [10, 20]
)");

  ASSERT_EQ(plan.runs.size(), 8U);
  EXPECT_EQ(plan.runs[0].id, "nstream-p0-r0");
  EXPECT_EQ(plan.runs[1].id, "nstream-p0-r1");
  EXPECT_EQ(plan.runs[2].params["length"], 20);
  EXPECT_EQ(plan.runs[6].ranks, 2);
  EXPECT_EQ(plan.runs[6].sweep.dump(), R"({"ranks":2,"length":20})");
  EXPECT_EQ(plan.runs[6].record, "/r/runs/nstream-p3-r0.json");
}

TEST(job_plan, weak_scaling_grows_the_named_sizes_with_the_workers) {
  const auto plan = plan_of(R"(name = "w"
[[step]]
kernel = "nstream"
params = { length = 1000 }
[step.sweep]
layouts = ["1x1", "2x1", "1x2"]
scaling = "weak"
weak = ["length"]
)");

  ASSERT_EQ(plan.runs.size(), 3U);
  EXPECT_EQ(plan.runs[0].params["length"], 1000);
  EXPECT_EQ(plan.runs[1].params["length"], 2000);
  EXPECT_EQ(plan.runs[2].params["length"], 2000);
  EXPECT_EQ(plan.runs[2].threads, 2);
}

TEST(job_plan, a_kernel_run_passes_its_parameters_and_a_record_path_to_weft_run) {
  const auto plan = plan_of(R"(name = "k"
[[step]]
kernel = "nstream"
params = { length = 64, scalar = 2.5, verbose = true, quiet = false, tag = "{output}/x" }
)");

  const auto& args = plan.runs[0].args;
  EXPECT_EQ(args[0], "/opt/weft");
  EXPECT_TRUE(has_sequence(args, {"run", "nstream"}));
  EXPECT_TRUE(has_sequence(args, {"--length", "64"}));
  EXPECT_TRUE(has_sequence(args, {"--scalar", "2.5"}));
  EXPECT_TRUE(has_sequence(args, {"--tag", "/r/x"}));
  EXPECT_TRUE(has_sequence(args, {"--verbose"}));
  EXPECT_EQ(std::count(args.begin(), args.end(), "--quiet"), 0);
  EXPECT_TRUE(has_sequence(args, {"--json", "/r/runs/nstream.json"}));
}

TEST(job_plan, hybrid_runs_map_each_rank_to_as_many_cores_as_it_has_threads) {
  const auto plan = plan_of(
      "name = \"h\"\n[resources]\nranks = 1\nthreads = 2\n[[step]]\nkernel = \"nstream\"\n");

  const auto cmd = mpirun_command(plan, plan.runs[0]);
  EXPECT_TRUE(has_sequence(cmd, {"mpirun", "-q", "-n", "1"}));
  EXPECT_TRUE(has_sequence(cmd, {"--map-by", "slot:PE=2", "--bind-to", "core"}));
  EXPECT_TRUE(has_sequence(cmd, {"-x", "OMP_NUM_THREADS"}));
  EXPECT_EQ(std::count(cmd.begin(), cmd.end(), "--oversubscribe"), 0);
  const auto env = openmp_environment(plan.runs[0]);
  EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"OMP_NUM_THREADS", "2"}));
  EXPECT_EQ(env[1], (std::pair<std::string, std::string>{"OMP_PLACES", "cores"}));
  EXPECT_EQ(env[2], (std::pair<std::string, std::string>{"OMP_PROC_BIND", "close"}));
}

TEST(job_plan, the_socket_policy_spreads_ranks_over_sockets) {
  plan_options o;
  o.cores_per_node = 8;
  o.sockets_per_node = 2;
  const auto plan =
      make_plan(parse_spec("name = \"s\"\n[resources]\nranks = 4\nthreads = 2\n[binding]\npolicy = "
                           "\"socket\"\n[[step]]\nkernel = \"nstream\"\n",
                           "t.toml"),
                o);

  EXPECT_TRUE(has_sequence(mpirun_command(plan, plan.runs[0]), {"--map-by", "ppr:2:socket:PE=2"}));
}

TEST(job_plan, more_ranks_than_cores_is_an_error_unless_allowed_and_then_oversubscribes) {
  const std::string spec = "name = \"o\"\n[resources]\nranks = 4\n[[step]]\nkernel = \"nstream\"\n";

  EXPECT_THROW((void)plan_of(spec, 2), spec_error);
  const auto plan = plan_of(spec + "[binding]\noversubscribe = true\n", 2);
  EXPECT_TRUE(plan.runs[0].oversubscribed);
  EXPECT_TRUE(
      has_sequence(mpirun_command(plan, plan.runs[0]), {"--oversubscribe", "--bind-to", "none"}));
  const auto fits = plan_of(spec + "[binding]\noversubscribe = true\n", 4);
  EXPECT_FALSE(fits.runs[0].oversubscribed);
}

TEST(job_plan, a_local_run_refuses_several_nodes_but_a_cluster_plan_accepts_them) {
  const std::string spec = "name = \"n\"\n[resources]\nnodes = 2\n[[step]]\nkernel = \"nstream\"\n";

  EXPECT_THROW((void)plan_of(spec, 2, true), spec_error);
  EXPECT_EQ(plan_of(spec, 0, false).runs[0].ranks, 2);
}

TEST(job_plan, several_nodes_run_here_with_a_hostfile_and_r_ranks_on_each_node) {
  const auto dir = std::filesystem::temp_directory_path() / "weft-plan-hostfile";
  std::filesystem::create_directories(dir);
  const auto hostfile = (dir / "hosts").string();
  std::ofstream(hostfile) << "# two nodes\nnode1 slots=4\nnode2 slots=4  # the second\n\n";
  const std::string spec =
      "name = \"n\"\n[resources]\nnodes = 2\nranks_per_node = 2\nthreads = 2\n"
      "[[step]]\nkernel = \"nstream\"\n";
  plan_options o;
  o.cores_per_node = 4;
  o.hostfile = hostfile;
  const auto plan = make_plan(parse_spec(spec, "t.toml"), o);
  const auto cmd = mpirun_command(plan, plan.runs[0]);
  EXPECT_TRUE(has_sequence(cmd, {"mpirun", "-q", "-n", "4", "--hostfile", hostfile}));
  EXPECT_TRUE(has_sequence(cmd, {"--map-by", "ppr:2:node:PE=2", "--bind-to", "core"}));

  // A spec's own hostfile is relative to the spec's folder; too few hosts is an error.
  std::ofstream(dir / "one") << "node1 slots=4\n";
  o.hostfile.clear();
  EXPECT_THROW((void)make_plan(parse_spec(spec + "", (dir / "t.toml").string()), o), spec_error);
  const std::string with_one =
      "name = \"n\"\n[resources]\nnodes = 2\nhostfile = \"one\"\n"
      "[[step]]\nkernel = \"nstream\"\n";
  try {
    (void)make_plan(parse_spec(with_one, (dir / "t.toml").string()), o);
    ADD_FAILURE() << "a hostfile of one host accepted for 2 nodes";
  } catch (const spec_error& e) {
    EXPECT_NE(std::string(e.what()).find("lists 1 host"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(job_plan, a_sweep_over_nodes_keeps_ranks_per_node_and_needs_a_cluster) {
  const std::string spec = R"(name = "n"
[resources]
nodes = 1
ranks_per_node = 2
[[step]]
kernel = "nstream"
[step.sweep]
nodes = [1, 2, 4]
)";
  const auto plan = plan_of(spec, 2, false);
  ASSERT_EQ(plan.runs.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const int nodes = 1 << i;
    EXPECT_EQ(plan.runs[i].nodes, nodes);
    EXPECT_EQ(plan.runs[i].ranks, 2 * nodes);
    EXPECT_EQ(plan.runs[i].sweep["nodes"], nodes);
  }
  EXPECT_TRUE(has_sequence(mpirun_command(plan, plan.runs[2]), {"--map-by", "ppr:2:node:PE=1"}));
  try {
    (void)plan_of(spec, 2, true);
    ADD_FAILURE() << "a local sweep over nodes without a hostfile was accepted";
  } catch (const spec_error& e) {
    EXPECT_NE(std::string(e.what()).find("step[1].sweep.nodes"), std::string::npos) << e.what();
  }
  // With a ranks axis the ranks stay as given; too few to fill the nodes is an error.
  EXPECT_THROW((void)plan_of(R"(name = "n"
[[step]]
kernel = "nstream"
[step.sweep]
nodes = [2]
ranks = [1]
)",
                             2, false),
               spec_error);
}

TEST(job_plan, a_command_step_runs_once_with_weft_replaced_by_this_weft) {
  const auto plan = plan_of(
      "name = \"c\"\nrepeats = 3\n[[step]]\ncommand = [\"weft\", \"report\", \"{output}\"]\n");

  ASSERT_EQ(plan.runs.size(), 1U);
  EXPECT_EQ(plan.runs[0].args, (std::vector<std::string>{"/opt/weft", "report", "/r"}));
  EXPECT_TRUE(plan.runs[0].record.empty());
}

TEST(job_plan, a_hang_timeout_reaches_every_kernel_run_as_an_option) {
  const auto plan = plan_of(R"(name = "h"
hang_timeout = "2m"
[[step]]
kernel = "nstream"
[[step]]
name = "listing"
command = ["ls"]
)");

  ASSERT_EQ(plan.runs.size(), 2U);
  EXPECT_TRUE(has_sequence(plan.runs[0].args, {"--hang-timeout", "120"}));
  EXPECT_FALSE(has_sequence(plan.runs[1].args, {"--hang-timeout"}));
}

TEST(job_plan, a_hang_timeout_that_is_not_a_duration_is_refused) {
  EXPECT_THROW(
      (void)plan_of("name = \"h\"\nhang_timeout = \"soon\"\n[[step]]\nkernel = \"nstream\"\n"),
      spec_error);
}

}  // namespace
}  // namespace weft::launch
