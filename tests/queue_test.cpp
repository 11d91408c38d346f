// The queue's state machine (engine/api/queue.hpp) called directly, with a scripted runner in
// place of the child filmwriter: done, failed, retry after a device error, giving up, resuming
// a job a crashed queue left in running/, a stop; and the child-process runner on /bin/sh.
// tests/ops_test.cpp runs the real queue end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/queue.hpp"
#include "api/shared_queue.hpp"
#include "base/files.hpp"
#include "core/error.hpp"
#include "ops/lock.hpp"
#include "ops/log.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace fw::queue_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Ends each job as its script says (by job name, one exit code per run; the last repeats).
struct ScriptedRunner final : api::JobRunner {
  ops::ChildResult run(const api::QueueJob& job) override {
    runs.push_back(job);
    auto& codes = script[job.name];
    const int code = codes.empty() ? 0 : codes.front();
    if (codes.size() > 1) codes.erase(codes.begin());
    if (on_run) on_run(job);
    return {code, code == 0 ? "" : fmt::format("failure {}", code), 0.01};
  }
  std::map<std::string, std::vector<int>> script;
  std::vector<api::QueueJob> runs;
  std::function<void(const api::QueueJob&)> on_run;
};

struct QueueApi : ::testing::Test {
  void SetUp() override {
    fs::create_directories(dir / "q" / "incoming");
    options.dir = dir / "q";
  }
  void drop(const std::string& name) const {
    test::write_text(dir / "q" / "incoming" / name, "id = 1\n");
  }
  fs::path at(const std::string& folder, const std::string& name) const {
    return dir / "q" / folder / name;
  }
  std::vector<std::string> names(const std::vector<api::QueueJob>& runs) const {
    std::vector<std::string> out;
    out.reserve(runs.size());
    for (const auto& r : runs) out.push_back(fmt::format("{}#{}", r.name, r.attempt));
    return out;
  }
  test::TempDir dir;
  api::QueueOptions options;
  ScriptedRunner runner;
};

TEST_F(QueueApi, JobsRunInNaturalOrderDoneAndFailedAsTheyEnd) {
  drop("job10.toml");
  drop("job2.toml");
  drop("job3.toml");
  drop(".hidden.toml");
  runner.script["job3.toml"] = {exit_input};
  const auto r = api::run_queue(options, runner);
  EXPECT_EQ(names(runner.runs),
            (std::vector<std::string>{"job2.toml#1", "job3.toml#1", "job10.toml#1"}));
  ASSERT_EQ(r.outcomes.size(), 3u);
  EXPECT_EQ(r.outcomes[1].state, api::QueueJobState::failed);
  EXPECT_EQ(r.done, 2u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.waiting, 0u);
  EXPECT_EQ(r.exit_code, exit_input);
  EXPECT_TRUE(fs::exists(at("done", "job2.toml")));
  EXPECT_TRUE(fs::exists(at("done", "job10.toml")));
  EXPECT_FALSE(fs::exists(at("done", "job2.attempts")));
  EXPECT_EQ(read_file(at("failed", "job3.reason")), "exit 3 (input error): failure 3\n");
  EXPECT_FALSE(fs::exists(at("failed", "job3.attempts")));
  EXPECT_TRUE(fs::exists(at("incoming", ".hidden.toml")));
  // What the child is told: resume the job from running/, relative paths from incoming/.
  const auto& args = runner.runs[0].arguments;
  EXPECT_EQ(runner.runs[0].file, at("running", "job2.toml"));
  EXPECT_EQ(runner.runs[0].log, at("running", "job2.log"));
  EXPECT_THAT(args, ::testing::ElementsAre(
                        "--log-format", "text", "convert", at("running", "job2.toml").string(),
                        "--resume", "--base-dir", (dir / "q" / "incoming").string(), "--out",
                        (dir / "q" / "out").string(), "--reel-policy", "continue"));
}

// Every setting `queue run` passes on to its jobs, set.
void set_every_job_setting(api::QueueJobSettings& settings, const fs::path& dir) {
  settings.catalog = dir / "catalog.sqlite";
  settings.driver = "tiff";
  settings.driver_options = {"pitch_um=50", "compression=none"};
  settings.reel_policy = ReelPolicy::respool;
  settings.profiles = dir / "profiles";
  settings.threads = 3;
}

// What the child of a run with every setting is told (api::queued_convert_arguments, the one
// list both queues build): each setting as its flag, in this order; --base-dir only when given.
std::vector<std::string> every_setting_arguments(const fs::path& job, const fs::path& base_dir,
                                                 const fs::path& out, const fs::path& dir) {
  std::vector<std::string> args{"--log-format", "text", "convert", job.string(), "--resume"};
  if (!base_dir.empty()) args.insert(args.end(), {"--base-dir", base_dir.string()});
  args.insert(args.end(),
              {"--out", out.string(), "--reel-policy", "respool", "--catalog",
               (dir / "catalog.sqlite").string(), "--driver", "tiff", "-O", "pitch_um=50", "-O",
               "compression=none", "--profiles", (dir / "profiles").string(), "--threads", "3"});
  return args;
}

TEST_F(QueueApi, AQueuedJobsRunGetsEverySettingOfTheQueueAsItsFlag) {
  set_every_job_setting(options, dir.path());
  options.out = dir / "films";
  drop("a.toml");
  (void)api::run_queue(options, runner);
  ASSERT_EQ(runner.runs.size(), 1u);
  EXPECT_EQ(runner.runs[0].arguments,
            every_setting_arguments(at("running", "a.toml"), dir / "q" / "incoming", dir / "films",
                                    dir.path()));
  EXPECT_EQ(api::queued_convert_arguments(dir / "j.toml", {}, dir / "films", options),
            every_setting_arguments(dir / "j.toml", {}, dir / "films", dir.path()));
}

// The shared queue's worker builds the folder queue's list, less --base-dir: its job files stay
// where they were submitted, so their relative paths start from their own folder.
TEST(SharedQueue, AQueuedJobsRunGetsTheFolderQueuesArgumentsWithoutABaseDir) {
  FW_REQUIRE_PG(server);
  test::TempDir dir;
  test::write_text(dir / "jobs" / "a.toml", "id = 1\n");
  api::SharedQueueOptions options;
  set_every_job_setting(options, dir.path());
  options.url = server->fresh_database();
  options.out = dir / "films";
  EXPECT_EQ(api::submit_shared_jobs(options.url, {dir / "jobs" / "a.toml"}),
            std::vector<std::string>{"a.toml"});
  ScriptedRunner runner;
  const auto result = api::run_shared_queue(options, runner);
  EXPECT_EQ(result.done, 1u);
  ASSERT_EQ(runner.runs.size(), 1u);
  EXPECT_EQ(runner.runs[0].arguments,
            every_setting_arguments(dir / "jobs" / "a.toml", {}, dir / "films", dir.path()));
}

TEST_F(QueueApi, ADeviceErrorKeepsTheJobForARetryAndStopsTheQueue) {
  drop("a.toml");
  drop("b.toml");
  runner.script["a.toml"] = {exit_device, exit_ok};
  const auto first = api::run_queue(options, runner);
  ASSERT_EQ(first.outcomes.size(), 1u);
  EXPECT_EQ(first.outcomes[0].state, api::QueueJobState::retry);
  EXPECT_EQ(first.exit_code, exit_device);
  EXPECT_EQ(first.waiting, 2u);
  EXPECT_TRUE(fs::exists(at("running", "a.toml")));
  EXPECT_EQ(read_file(at("running", "a.attempts")), "1\n");
  EXPECT_EQ(read_file(at("running", "a.reason")), "exit 4 (device error): failure 4\n");
  EXPECT_TRUE(fs::exists(at("incoming", "b.toml")));

  // The next run resumes the kept job first, as its second attempt.
  const auto second = api::run_queue(options, runner);
  EXPECT_EQ(names(runner.runs), (std::vector<std::string>{"a.toml#1", "a.toml#2", "b.toml#1"}));
  EXPECT_EQ(second.exit_code, exit_ok);
  EXPECT_EQ(second.done, 2u);
  EXPECT_TRUE(fs::exists(at("done", "a.toml")));
  EXPECT_FALSE(fs::exists(at("done", "a.attempts")));
}

TEST_F(QueueApi, AJobThatKeepsFailingOnTheDeviceIsGivenUp) {
  options.max_attempts = 2;
  drop("a.toml");
  drop("b.toml");
  runner.script["a.toml"] = {exit_device};
  EXPECT_EQ(api::run_queue(options, runner).exit_code, exit_device);
  EXPECT_EQ(api::run_queue(options, runner).exit_code, exit_device);
  const auto third = api::run_queue(options, runner);
  // The third run gives `a` up without running it, and goes on with `b`.
  EXPECT_EQ(names(runner.runs), (std::vector<std::string>{"a.toml#1", "a.toml#2", "b.toml#1"}));
  ASSERT_EQ(third.outcomes.size(), 2u);
  EXPECT_EQ(third.outcomes[0].state, api::QueueJobState::failed);
  EXPECT_EQ(third.outcomes[0].exit_code, exit_device);
  EXPECT_EQ(third.outcomes[1].state, api::QueueJobState::done);
  EXPECT_TRUE(fs::exists(at("failed", "a.toml")));
  EXPECT_EQ(read_file(at("failed", "a.reason")),
            "gave up after 2 attempts; last: exit 4 (device error): failure 4\n");
}

TEST_F(QueueApi, AJobACrashedQueueLeftRunningResumesFirst) {
  drop("a.toml");
  // A queue killed while it ran `z` (attempt 1): the job and its count are still in running/.
  fs::create_directories(dir / "q" / "running");
  test::write_text(at("running", "z.toml"), "id = 1\n");
  test::write_text(at("running", "z.attempts"), "1\n");
  const auto r = api::run_queue(options, runner);
  EXPECT_EQ(names(runner.runs), (std::vector<std::string>{"z.toml#2", "a.toml#1"}));
  EXPECT_EQ(r.done, 2u);
  EXPECT_TRUE(fs::exists(at("done", "z.toml")));
}

TEST_F(QueueApi, AStopEndsTheQueueAfterTheRunningJobWhichStaysToResume) {
  drop("a.toml");
  drop("b.toml");
  std::atomic<bool> stop{false};
  options.stop = &stop;
  runner.on_run = [&](const api::QueueJob&) { stop.store(true); };  // SIGTERM while `a` runs
  runner.script["a.toml"] = {exit_interrupted};
  const auto r = api::run_queue(options, runner);
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0].state, api::QueueJobState::interrupted);
  EXPECT_EQ(r.exit_code, exit_interrupted);
  EXPECT_TRUE(fs::exists(at("running", "a.toml")));
  EXPECT_TRUE(fs::exists(at("incoming", "b.toml")));
}

TEST_F(QueueApi, OneInstanceAtATimeAndAStatusOfEveryFolder) {
  drop("a.toml");
  runner.script["a.toml"] = {exit_usage};
  api::run_queue(options, runner);
  drop("b.toml");
  {
    ops::InstanceLock held(dir / "q" / "queue.lock");
    try {
      api::run_queue(options, runner);
      FAIL() << "two instances ran";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::busy);
    }
    const auto status = api::queue_status(dir / "q");
    ASSERT_TRUE(status.running.has_value());
    EXPECT_EQ(status.running->pid, ::getpid());
  }
  const auto status = api::queue_status(dir / "q");
  EXPECT_FALSE(status.running.has_value());
  ASSERT_EQ(status.folders.size(), 4u);
  EXPECT_EQ(status.folders[0].first, api::QueueFolder::incoming);
  ASSERT_EQ(status.folders[0].second.size(), 1u);
  EXPECT_EQ(status.folders[0].second[0].name, "b.toml");
  EXPECT_EQ(status.folders[3].first, api::QueueFolder::failed);
  ASSERT_EQ(status.folders[3].second.size(), 1u);
  EXPECT_EQ(status.folders[3].second[0].reason, "exit 2 (job error): failure 2");
}

// api::run_named_queue, what `queue run QUEUE` calls: a folder is the folder queue, a
// postgresql:// URL the shared queue (which refuses to run without --out before it connects).
TEST_F(QueueApi, TheQueueItsNameSaysRunsAsAFolderOrASharedQueue) {
  drop("a.toml");
  const auto r = api::run_named_queue(options, 60, runner);
  EXPECT_EQ(names(runner.runs), std::vector<std::string>{"a.toml#1"});
  EXPECT_EQ(r.done, 1u);
  EXPECT_TRUE(fs::exists(at("done", "a.toml")));
  api::QueueOptions shared = options;
  shared.dir = "postgresql://nobody@127.0.0.1:1/none";
  try {
    api::run_named_queue(shared, 60, runner);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_THAT(e.what(), HasSubstr("a shared queue needs --out"));
  }
  EXPECT_EQ(runner.runs.size(), 1u);
}

TEST(ChildRunner, KeepsTheOutputAndTheLastErrorLine) {
  test::TempDir dir;
  const auto log = dir / "job.log";
  const auto r = ops::run_child(
      "/bin/sh",
      {"-c", "echo frames; echo 'filmwriter: input error: page 3 unreadable' >&2; exit 3"}, log,
      nullptr);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.error, "page 3 unreadable");
  EXPECT_THAT(read_file(log), HasSubstr("frames\n"));
  EXPECT_THAT(read_file(log), HasSubstr("filmwriter: input error: page 3 unreadable\n"));
  EXPECT_EQ(ops::error_of(R"({"event":"error","message":"no film"})"), "no film");
  EXPECT_EQ(ops::error_of("summary: done"), "");

  std::atomic<bool> stop{true};  // a stop before the child ends: SIGTERM
  const auto killed = ops::run_child("/bin/sh", {"-c", "exec sleep 30"}, log, &stop);
  EXPECT_EQ(killed.exit_code, 128 + SIGTERM);
  EXPECT_EQ(killed.error, fmt::format("killed by signal {}", SIGTERM));
}

// Each run's end is one queue_job_end event, in both formats, as operators' log collectors and
// eyes read it (the folder queue and the shared one log it through the same function).
TEST_F(QueueApi, EachJobsEndIsLoggedWithItsStateExitCodeAndError) {
  auto& log = ops::Log::global();
  drop("a.toml");
  drop("b.toml");
  runner.script["b.toml"] = {exit_input};
  log.set_format(ops::LogFormat::json);
  ::testing::internal::CaptureStderr();
  (void)api::run_queue(options, runner);
  const std::string json_lines = ::testing::internal::GetCapturedStderr();
  std::vector<nlohmann::json> ends;
  std::istringstream lines(json_lines);
  for (std::string line; std::getline(lines, line);) {
    const auto event = nlohmann::json::parse(line);
    if (event["event"] == "queue_job_end") ends.push_back(event);
  }
  ASSERT_EQ(ends.size(), 2u) << json_lines;
  EXPECT_EQ(ends[0]["level"], "info");
  EXPECT_EQ(ends[0]["queue_job"], "a.toml");
  EXPECT_EQ(ends[0]["state"], "done");
  EXPECT_EQ(ends[0]["exit_code"], 0);
  EXPECT_EQ(ends[0]["error"], "");
  EXPECT_EQ(ends[0]["seconds"], 0.01);
  EXPECT_EQ(ends[1]["level"], "error");
  EXPECT_EQ(ends[1]["queue_job"], "b.toml");
  EXPECT_EQ(ends[1]["state"], "failed");
  EXPECT_EQ(ends[1]["exit_code"], exit_input);
  EXPECT_EQ(ends[1]["error"], "failure 3");

  drop("c.toml");
  drop("d.toml");
  runner.script["d.toml"] = {exit_device};
  log.set_format(ops::LogFormat::text);
  ::testing::internal::CaptureStderr();
  (void)api::run_queue(options, runner);
  const std::string text = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(text, HasSubstr("queue: c.toml done (exit 0)\n"));
  EXPECT_THAT(text, HasSubstr("queue: d.toml retry (exit 4): failure 4\n"));
}

}  // namespace
}  // namespace fw::queue_test
