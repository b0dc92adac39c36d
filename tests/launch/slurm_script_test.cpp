// Batch scripts: what they ask Slurm for, how they launch, and that hostile strings in a
// spec reach the program literally without executing anything.
#include "launch/slurm.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "launch/process.hpp"

namespace weft::launch {
namespace {

namespace fs = std::filesystem;

job_plan cluster_plan(const std::string& text, const std::string& output = "/shared/r") {
  plan_options o;
  o.weft = "/opt/weft/bin/weft";
  o.local = false;
  o.output = output;
  return make_plan(parse_spec(text, "t.toml"), o);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A TOML basic string holding s exactly.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split_nul(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == '\0') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

TEST(batch_script, asks_for_the_resources_and_launches_with_srun_pmix_and_explicit_cpus) {
  const auto plan = cluster_plan(R"(name = "demo"
[resources]
nodes = 2
ranks_per_node = 2
threads = 4
time = "00:20:00"
partition = "short"
account = "proj1"
memory = "8G"
exclusive = true
[[step]]
name = "bw"
kernel = "nstream"
params = { length = 100 }
)");

  const auto scripts = batch_scripts(plan);

  ASSERT_EQ(scripts.size(), 2U);  // the step and the collect job
  const std::string& s = scripts[0].text;
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0U);
  for (const char* line :
       {"#SBATCH --job-name=demo-bw\n", "#SBATCH --nodes=2\n", "#SBATCH --ntasks=4\n",
        "#SBATCH --ntasks-per-node=2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --time=00:20:00\n",
        "#SBATCH --partition=short\n", "#SBATCH --account=proj1\n", "#SBATCH --mem=8G\n",
        "#SBATCH --exclusive\n", "#SBATCH --output=/shared/r/slurm/%x-%j.out\n",
        "export OMP_NUM_THREADS=4\n", "export OMP_PLACES=cores OMP_PROC_BIND=close\n"}) {
    EXPECT_TRUE(contains(s, line)) << line << "\n" << s;
  }
  EXPECT_TRUE(
      contains(s,
               "weft_launch srun --mpi=pmix --cpu-bind=cores -N 2 -c \"$SLURM_CPUS_PER_TASK\" "
               "-n 4 '/opt/weft/bin/weft' 'run' 'nstream' '--length' '100' '--json' "
               "'/shared/r/runs/bw.json'"))
      << s;
  EXPECT_FALSE(contains(s, "--signal"));
  EXPECT_EQ(scripts[0].path, "/shared/r/slurm/demo-bw.sbatch");
  EXPECT_TRUE(contains(scripts[1].text, "'/opt/weft/bin/weft' 'job' 'collect'"));
}

TEST(batch_script, a_sweep_becomes_a_job_array_with_one_case_per_point) {
  const auto plan = cluster_plan(R"(name = "sw"
[[step]]
kernel = "nstream"
[step.sweep]
layouts = ["1x1", "2x1", "1x2"]
)");

  const auto scripts = batch_scripts(plan);

  const std::string& s = scripts[0].text;
  EXPECT_EQ(scripts[0].tasks, 3);
  EXPECT_TRUE(contains(s, "#SBATCH --array=0-2\n"));
  EXPECT_TRUE(contains(s, "#SBATCH --ntasks=2\n"));
  EXPECT_TRUE(contains(s, "#SBATCH --cpus-per-task=2\n"));
  EXPECT_TRUE(contains(s, "%x-%A_%a.out"));
  EXPECT_TRUE(contains(s, "case \"${SLURM_ARRAY_TASK_ID:-0}\" in\n"));
  EXPECT_TRUE(contains(s, "  2)\n    export OMP_NUM_THREADS=2\n"));
  EXPECT_TRUE(contains(s, "-c 1 -n 2 '/opt/weft/bin/weft'")) << s;
  EXPECT_TRUE(contains(s, "-c \"$SLURM_CPUS_PER_TASK\" -n 1 '/opt/weft/bin/weft'")) << s;
}

TEST(batch_script, steps_are_chained_after_the_previous_job_and_submitted_as_argv) {
  const batch_script script{"bw", "/r/slurm/x-bw.sbatch", "", 1};

  EXPECT_EQ(sbatch_command(script, ""),
            (std::vector<std::string>{"sbatch", "--parsable", "/r/slurm/x-bw.sbatch"}));
  EXPECT_EQ(sbatch_command(script, "42"),
            (std::vector<std::string>{"sbatch", "--parsable", "--dependency=afterok:42",
                                      "--kill-on-invalid-dep=yes", "/r/slurm/x-bw.sbatch"}));
}

TEST(batch_script, a_checkpointing_step_gets_the_warning_signal_resumes_and_requeues) {
  const auto plan = cluster_plan(R"(name = "long"
[slurm]
signal_lead = 300
requeue = true
[[step]]
kernel = "heat"
checkpoint = true
restart_flag = "restart"
)");

  const std::string s = batch_scripts(plan)[0].text;

  EXPECT_TRUE(contains(s, "#SBATCH --signal=B:USR1@300\n"));
  EXPECT_TRUE(contains(s, "#SBATCH --requeue\n"));
  EXPECT_TRUE(contains(s, "trap 'kill -USR1 \"$child\" 2>/dev/null' USR1"));
  EXPECT_TRUE(contains(s, "weft_restart=('--restart')"));
  EXPECT_TRUE(contains(s, "\"${weft_restart[@]}\" || weft_rc=$?"));
  EXPECT_TRUE(contains(s, "scontrol requeue"));
}

TEST(batch_script, mpirun_inside_the_allocation_binds_and_sets_the_root_variables_only_for_root) {
  const auto plan = cluster_plan(R"(name = "m"
[resources]
ranks = 2
threads = 2
[slurm]
launcher = "mpirun"
[[step]]
kernel = "nstream"
)");

  const std::string s = batch_scripts(plan)[0].text;

  EXPECT_TRUE(contains(s, "weft_launch mpirun -q -n 2 --map-by slot:PE=2 --bind-to core")) << s;
  EXPECT_TRUE(contains(s, "if [ \"$(id -u)\" -eq 0 ]; then\n  export OMPI_ALLOW_RUN_AS_ROOT=1"));
  EXPECT_FALSE(contains(s, "srun"));
}

TEST(batch_script, a_results_folder_that_cannot_go_on_an_sbatch_line_is_refused) {
  const std::string spec =
      "name = \"p\"\n[paths]\noutput = \"x\"\n[[step]]\nkernel = \"nstream\"\n";

  EXPECT_THROW((void)batch_scripts(cluster_plan(spec, "/shared/my results")), spec_error);
  EXPECT_THROW((void)batch_scripts(cluster_plan(spec, "/shared/a\nb")), spec_error);
  EXPECT_NO_THROW((void)batch_scripts(cluster_plan(spec, "/shared/ok")));
}

TEST(batch_script, hostile_arguments_arrive_literally_and_nothing_they_contain_runs) {
  const fs::path dir = fs::temp_directory_path() / ("weft-hostile-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "bin");
  // Stand-ins for srun and for a plain program: each writes its argv, NUL-separated.
  for (const char* name : {"srun", "record-args"}) {
    std::ofstream f(dir / "bin" / name);
    f << "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$WEFT_ARGS_DIR/" << name << ".$$\"\n";
    f.close();
    fs::permissions(dir / "bin" / name, fs::perms::owner_all);
  }
  const std::vector<std::string> hostile = {"a b",
                                            "it's",
                                            "\"double\"",
                                            "$(touch pwned1)",
                                            "`touch pwned2`",
                                            "x; touch pwned3",
                                            "line1\ntouch pwned4",
                                            "ünïcødé ✓ 日本",
                                            "$HOME",
                                            "*",
                                            "\\",
                                            "--flag=$(touch pwned5)",
                                            "' ; touch pwned6 ; '"};
  std::string args;
  for (const auto& h : hostile) args += (args.empty() ? "" : ", ") + toml_string(h);
  const std::string spec =
      "name = \"hostile\"\ndescription = \"x\\n$(touch pwned0)\"\n"
      "[[step]]\nname = \"k\"\nkernel = \"any\"\n[step.params]\ntext = " +
      toml_string(hostile[3] + hostile[6]) + "\n[[step]]\nname = \"c\"\ncommand = [" +
      toml_string((dir / "bin" / "record-args").string()) + ", " + args + "]\n";
  const auto plan = cluster_plan(spec, (dir / "results").string());
  const auto scripts = batch_scripts(plan);
  fs::create_directories(dir / "args");

  for (const auto& s : {scripts[0], scripts[1]}) {
    std::ofstream(dir / "script.sh") << s.text;
    process_options o;
    o.capture = true;
    o.environment = {{"PATH", (dir / "bin").string() + ":/usr/bin:/bin"},
                     {"WEFT_ARGS_DIR", (dir / "args").string()},
                     {"SLURM_CPUS_PER_TASK", "1"},
                     {"HOME", dir.string()}};
    const auto r = run_process({"bash", "-c", "cd \"$1\" && bash script.sh", "-", dir.string()}, o);
    EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << s.text;
  }

  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().rfind("pwned", 0), std::string::npos) << e.path();
  }
  std::vector<std::string> srun_args, command_args;
  for (const auto& e : fs::directory_iterator(dir / "args")) {
    const auto name = e.path().filename().string();
    if (name.rfind("srun.", 0) == 0) srun_args = split_nul(read_file(e.path()));
    if (name.rfind("record-args.", 0) == 0) command_args = split_nul(read_file(e.path()));
  }
  EXPECT_EQ(command_args, hostile);
  ASSERT_GE(srun_args.size(), 4U);
  const std::vector<std::string> kernel_tail(srun_args.end() - 4, srun_args.end());
  EXPECT_EQ(kernel_tail, (std::vector<std::string>{"--text", hostile[3] + hostile[6], "--json",
                                                   (dir / "results/runs/k.json").string()}));
  fs::remove_all(dir);
}

TEST(batch_script,
     the_warning_signal_reaches_the_kernel_and_a_checkpointed_stop_requeues_and_resumes) {
  const fs::path dir = fs::temp_directory_path() / ("weft-requeue-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "bin");
  // srun stand-in: records its argv; on SIGUSR1 it "writes a checkpoint" and exits 75.
  {
    std::ofstream f(dir / "bin" / "srun");
    f << "#!/bin/sh\necho \"$@\" > \"$WEFT_DIR/srun.args\"\n"
         "[ \"${FAKE_RUN_SECONDS:-0}\" = 0 ] && exit 0\n"
         "trap 'echo checkpoint > \"$WEFT_DIR/usr1\"; exit 75' USR1\n"
         "touch \"$WEFT_DIR/started\"\n"
         "i=0; while [ $i -lt $((FAKE_RUN_SECONDS * 10)) ]; do sleep 0.1; i=$((i + 1)); done\n";
    std::ofstream g(dir / "bin" / "scontrol");
    g << "#!/bin/sh\necho \"$@\" > \"$WEFT_DIR/scontrol.args\"\n";
  }
  fs::permissions(dir / "bin" / "srun", fs::perms::owner_all);
  fs::permissions(dir / "bin" / "scontrol", fs::perms::owner_all);
  const auto plan = cluster_plan(R"(name = "long"
[slurm]
requeue = true
[[step]]
kernel = "heat"
checkpoint = true
restart_flag = "restart"
)",
                                 (dir / "results").string());
  std::ofstream(dir / "script.sh") << batch_scripts(plan)[0].text;
  process_options o;
  o.capture = true;
  o.time_limit_s = 60;
  o.environment = {{"PATH", (dir / "bin").string() + ":/usr/bin:/bin"},
                   {"WEFT_DIR", dir.string()},
                   {"SLURM_CPUS_PER_TASK", "1"},
                   {"SLURM_JOB_ID", "4242"},
                   {"FAKE_RUN_SECONDS", "30"}};
  // The batch shell alone gets SIGUSR1, as with --signal=B:USR1@lead.
  std::thread signaller([&] {
    for (int i = 0; i < 200 && !fs::exists(dir / "started"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream pid_file(dir / "batch.pid");
    pid_t pid = 0;
    if (pid_file >> pid && pid > 0) ::kill(pid, SIGUSR1);
  });

  const auto first =
      run_process({"bash", "-c", "cd \"$1\" && { bash script.sh & echo $! > batch.pid; wait $!; }",
                   "-", dir.string()},
                  o);
  signaller.join();
  o.environment.emplace_back("SLURM_RESTART_COUNT", "1");
  o.environment.emplace_back("FAKE_RUN_SECONDS", "0");
  const auto resumed =
      run_process({"bash", "-c", "cd \"$1\" && bash script.sh", "-", dir.string()}, o);

  EXPECT_EQ(first.exit_code, 75) << first.output;
  EXPECT_LT(first.seconds, 20.0);
  EXPECT_TRUE(fs::exists(dir / "usr1"));
  EXPECT_EQ(read_file(dir / "scontrol.args"), "requeue 4242\n");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  const std::string args = read_file(dir / "srun.args");
  EXPECT_NE(args.find(" run heat "), std::string::npos) << args;
  EXPECT_NE(args.find("--restart"), std::string::npos) << args;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace weft::launch
