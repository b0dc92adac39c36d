// Job specs: defaults, and every way a spec is refused before anything runs.
#include "launch/spec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft::launch {
namespace {

const kernel_catalogue catalogue = {
    {"nstream",
     {{.name = "length", .type = param_type::integer, .min = 1},
      {.name = "scalar", .type = param_type::real}}},
    {"heat",
     {{.name = "steps", .type = param_type::integer, .min = 1},
      {.name = "boundary", .type = param_type::choice, .choices = {"dirichlet", "periodic"}},
      {.name = "restart", .type = param_type::flag}}},
};

// The error a spec raises, or "" when it is accepted.
std::string error_of(const std::string& text) {
  try {
    (void)parse_spec(text, "jobs/t.toml", catalogue);
  } catch (const spec_error& e) {
    return e.what();
  }
  return "";
}

TEST(job_spec, a_minimal_spec_gets_one_rank_one_thread_and_a_results_folder_named_after_it) {
  const auto spec = parse_spec("name = \"mini\"\n[[step]]\nkernel = \"nstream\"\n", "t.toml");

  EXPECT_EQ(spec.name, "mini");
  EXPECT_EQ(spec.resources.ranks, 1);
  EXPECT_EQ(spec.resources.threads, 1);
  EXPECT_EQ(spec.output, "results/mini");
  ASSERT_EQ(spec.steps.size(), 1U);
  EXPECT_EQ(spec.steps[0].name, "nstream");
  EXPECT_EQ(spec.steps[0].kind, step_kind::kernel);
}

TEST(job_spec, reads_resources_binding_paths_and_steps_of_every_kind) {
  const auto spec = parse_spec(R"(name = "full"
repeats = 3
time_limit = "10m"
[resources]
nodes = 2
ranks_per_node = 4
threads = 2
time = "01:30:00"
partition = "short"
memory = "4G"
exclusive = true
[binding]
policy = "socket"
[paths]
input = "data"
output = "out/full"
[[step]]
name = "make"
data = ["generate", "--out", "{input}/a.h5"]
[[step]]
kernel = "nstream"
params = { length = 1000, scalar = 2 }
[[step]]
name = "report"
command = ["weft", "report", "{output}", "-o", "{output}/report.html"]
)",
                               "t.toml", catalogue);

  EXPECT_EQ(spec.resources.ranks, 8);
  EXPECT_EQ(spec.resources.time, "01:30:00");
  EXPECT_EQ(spec.run_time_limit_s, 600);
  EXPECT_EQ(spec.binding.policy, "socket");
  EXPECT_EQ(spec.output, "out/full");
  ASSERT_EQ(spec.steps.size(), 3U);
  EXPECT_EQ(spec.steps[0].kind, step_kind::data);
  EXPECT_EQ(spec.steps[1].params["length"], 1000);
  EXPECT_EQ(spec.steps[2].kind, step_kind::command);
}

TEST(job_spec, an_unknown_key_is_reported_with_file_line_and_key) {
  const auto e = error_of(
      "name = \"x\"\n[resources]\nranks = 2\nthreds = 2\n[[step]]\nkernel = \"nstream\"\n");

  EXPECT_NE(e.find("jobs/t.toml:4: resources.threds: unknown key"), std::string::npos) << e;
}

TEST(job_spec, a_wrong_type_is_reported_with_its_line) {
  const auto e =
      error_of("name = \"x\"\n[resources]\nranks = \"two\"\n[[step]]\nkernel = \"nstream\"\n");

  EXPECT_NE(e.find("jobs/t.toml:3: resources.ranks: expected an integer"), std::string::npos) << e;
}

TEST(job_spec, a_toml_syntax_error_names_its_line) {
  const auto e = error_of("name = \"x\"\n\n[resources\n");

  EXPECT_EQ(e.rfind("jobs/t.toml:3:", 0), 0U) << e;
}

TEST(job_spec, job_names_outside_the_allow_list_are_refused) {
  for (const std::string name :
       {"a b", "x$(touch pwned)", "x`id`", "a;b", "a'b", "-rf", "caf\\u00e9", "a\\nb", ""}) {
    const auto e = error_of("name = \"" + name + "\"\n[[step]]\nkernel = \"nstream\"\n");

    EXPECT_NE(e.find("jobs/t.toml:1: name:"), std::string::npos) << name << " -> " << e;
  }
}

TEST(job_spec, unknown_kernels_and_parameters_are_refused_when_the_kernels_are_known) {
  EXPECT_NE(error_of("name = \"x\"\n[[step]]\nkernel = \"nosuch\"\n")
                .find("3: step[1].kernel: unknown kernel 'nosuch'"),
            std::string::npos);
  const auto e =
      error_of("name = \"x\"\n[[step]]\nkernel = \"nstream\"\n[step.params]\nlenght = 5\n");
  EXPECT_NE(e.find("5: step[1].params.lenght: kernel 'nstream' has no parameter"),
            std::string::npos)
      << e;
}

TEST(job_spec, parameter_values_are_checked_against_their_declared_types) {
  EXPECT_NE(error_of("name = \"x\"\n[[step]]\nkernel = \"nstream\"\nparams = { length = 1.5 }\n")
                .find("expected an integer"),
            std::string::npos);
  EXPECT_NE(
      error_of("name = \"x\"\n[[step]]\nkernel = \"heat\"\nparams = { boundary = \"open\" }\n")
          .find("'open' is not one of: dirichlet, periodic"),
      std::string::npos);
  EXPECT_NE(error_of("name = \"x\"\n[[step]]\nkernel = \"nstream\"\n[step.sweep.params]\nlength = "
                     "[1, \"two\"]\n")
                .find("step[1].sweep.params.length: expected an integer"),
            std::string::npos);
}

TEST(job_spec, parameter_values_outside_their_declared_range_are_refused_before_launch) {
  const auto e =
      error_of("name = \"x\"\n[[step]]\nkernel = \"nstream\"\nparams = { length = -3 }\n");

  EXPECT_NE(e.find("4: step[1].params.length: must be at least 1"), std::string::npos) << e;
}

TEST(job_spec, a_layout_larger_than_the_node_is_refused_unless_oversubscription_is_allowed) {
  const std::string spec =
      "name = \"x\"\n[resources]\nranks = 4\nthreads = 2\ncores_per_node = 4\n[[step]]\nkernel = "
      "\"nstream\"\n";

  EXPECT_NE(
      error_of(spec).find("jobs/t.toml:2: resources: 4 ranks x 2 threads per node needs 8 cores"),
      std::string::npos)
      << error_of(spec);
  EXPECT_EQ(error_of(spec + "[binding]\noversubscribe = true\n"), "");
}

TEST(job_spec, a_sweep_point_larger_than_the_node_is_refused_at_the_sweep) {
  const auto e = error_of(
      "name = \"x\"\n[resources]\ncores_per_node = 2\n[[step]]\nkernel = \"nstream\"\n"
      "[step.sweep]\nranks = [1, 2, 4]\n");

  EXPECT_NE(e.find("jobs/t.toml:6: step[1].sweep: 4 ranks x 1 thread per node needs 4 cores"),
            std::string::npos)
      << e;
}

TEST(job_spec, a_step_runs_exactly_one_kernel_data_command_or_command) {
  EXPECT_NE(error_of("name = \"x\"\n[[step]]\nkernel = \"nstream\"\ncommand = [\"true\"]\n")
                .find("exactly one of"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"x\"\n[[step]]\nname = \"a\"\n").find("exactly one of"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"x\"\n").find("add at least one [[step]]"), std::string::npos);
}

TEST(job_spec, two_steps_with_one_name_are_refused) {
  const auto e =
      error_of("name = \"x\"\n[[step]]\nkernel = \"nstream\"\n[[step]]\nkernel = \"nstream\"\n");

  EXPECT_NE(e.find("jobs/t.toml:4: step[2].name: two steps are named 'nstream'"), std::string::npos)
      << e;
}

TEST(job_spec, slurm_values_with_control_characters_or_spaces_are_refused) {
  EXPECT_NE(
      error_of("name = \"x\"\n[resources]\npartition = \"a\\nb\"\n[[step]]\nkernel = \"nstream\"\n")
          .find("resources.partition"),
      std::string::npos);
  EXPECT_NE(
      error_of("name = \"x\"\n[resources]\naccount = \"a b\"\n[[step]]\nkernel = \"nstream\"\n")
          .find("resources.account"),
      std::string::npos);
  EXPECT_NE(
      error_of("name = \"x\"\n[resources]\nmemory = \"4G;id\"\n[[step]]\nkernel = \"nstream\"\n")
          .find("resources.memory"),
      std::string::npos);
}

TEST(job_spec, a_kernel_with_a_restart_flag_checkpoints_and_resumes_with_it) {
  const auto spec = parse_spec("name = \"x\"\n[[step]]\nkernel = \"heat\"\n", "t.toml", catalogue);

  EXPECT_TRUE(spec.steps[0].checkpoints);
  EXPECT_EQ(spec.steps[0].restart_flag, "restart");
}

TEST(job_spec, durations_are_read_in_seconds_minutes_hours_and_slurm_form) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("15m"), 900);
  EXPECT_EQ(parse_duration("2h"), 7200);
  EXPECT_EQ(parse_duration("01:02:03"), 3723);
  EXPECT_EQ(parse_duration("1-00:00:00"), 86400);
  EXPECT_EQ(parse_duration("5:00"), 300);
  EXPECT_EQ(parse_duration("soon"), std::nullopt);
  EXPECT_EQ(parse_duration("1:2:3:4"), std::nullopt);
  EXPECT_EQ(slurm_time(3723), "01:02:03");
  EXPECT_EQ(slurm_time(90061), "1-01:01:01");
}

}  // namespace
}  // namespace weft::launch
