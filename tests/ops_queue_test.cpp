// The cron queue end to end through the real CLI: jobs in order, a failed job and the next,
// the queue named once, and the JSON logs.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/sha256.hpp"
#include "net/protocol.hpp"
#include "samples/samples.hpp"
#include "support/ops_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::ops_queue_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::json_lines;
using test::OpsTest;
using test::reels;
using test::slurp;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(OpsTest, JsonLogsAreOneObjectPerLineWithJobReelFrameAndASummary) {
  auto args = convert_args("logs", dir / "out");
  args.insert(args.end(), {"--log-format", "json"});
  const auto result = test::run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = json_lines(result.err);
  std::map<std::string, std::vector<nlohmann::json>> by_event;
  for (const auto& line : lines) {
    ASSERT_TRUE(line.contains("ts") && line.contains("level") && line.contains("event")) << line;
    EXPECT_TRUE(std::regex_match(line["ts"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << line;
    by_event[line["event"]].push_back(line);
  }
  const std::size_t reel_count = reels(dir / "out" / "logs").size();
  ASSERT_GE(reel_count, 3u);
  ASSERT_EQ(by_event["job_start"].size(), 1u);
  EXPECT_EQ(by_event["job_start"][0]["job"], "logs");
  EXPECT_EQ(by_event["job_start"][0]["frames_total"], 16);
  EXPECT_EQ(by_event["reel_loaded"].size(), reel_count);
  ASSERT_EQ(by_event["reel_closed"].size(), reel_count);
  EXPECT_EQ(by_event["reel_closed"][0]["reel"], "R0001");
  EXPECT_TRUE(by_event["reel_closed"][0]["complete"].get<bool>());
  ASSERT_FALSE(by_event["progress"].empty());
  const auto& last = by_event["progress"].back();
  EXPECT_EQ(last["frames_done"], 16);
  EXPECT_EQ(last["frames_total"], 16);
  EXPECT_EQ(last["reel"], reels(dir / "out" / "logs").back());
  EXPECT_GT(last["frame"].get<int>(), 0);
  EXPECT_TRUE(last["address"].get<std::string>().starts_with("R000"));
  ASSERT_EQ(by_event["summary"].size(), 1u);
  const auto& summary = by_event["summary"][0];
  EXPECT_EQ(summary["status"], "done");
  EXPECT_EQ(summary["frames"], 16);
  EXPECT_EQ(summary["pages"], 16);
  EXPECT_EQ(summary["reels"], reel_count);
  EXPECT_GT(summary["seconds"].get<double>(), 0);
  EXPECT_GT(summary["frames_per_s"].get<double>(), 0);
  EXPECT_GT(summary["film_m"].get<double>(), 0);
  EXPECT_EQ(summary["warnings"], 0);
  // The human summary for cron mail stays on stdout.
  EXPECT_NE(result.out.find(
                fmt::format("summary: job logs done: 16 pages, 16 frames, {} reel(s)", reel_count)),
            std::string::npos)
      << result.out;

  // An error is a JSON object too, with its exit code.
  test::write_text(dir / "bad.toml", "version = 1\nid = \"bad\"\ntitle = \"x\"\nreducton = 3\n");
  const auto bad = test::run_cli({"--log-format", "json", "convert", (dir / "bad.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  const auto error = json_lines(bad.err);
  ASSERT_EQ(error.size(), 1u) << bad.err;
  EXPECT_EQ(error[0]["event"], "error");
  EXPECT_EQ(error[0]["level"], "error");
  EXPECT_EQ(error[0]["exit_code"], 2);
  EXPECT_NE(error[0]["message"].get<std::string>().find("reducton: unknown key"),
            std::string::npos);
}

// --- queue ------------------------------------------------------------------------------

TEST_F(OpsTest, QueueRunsJobsInOrderABadJobFailsWithItsReasonAndTheNextStillRuns) {
  const auto queue = dir / "queue";
  fs::create_directories(queue / "incoming");
  // Relative paths in a queued job are written from incoming/, where it is dropped.
  fs::copy(dir / "scans", queue / "scans", fs::copy_options::recursive);
  test::write_text(queue / "incoming" / "job10.toml", job_toml("q10", "../scans", {3}));
  test::write_text(queue / "incoming" / "job2.toml", job_toml("q2", "../scans", {1}));
  test::write_text(queue / "incoming" / "job3-bad.toml", job_toml("q3", "../missing", {1}));
  test::write_text(queue / "incoming" / ".job4.toml", job_toml("q4", "../scans", {1}));  // hidden
  const auto result = test::run_cli({"queue", "run", queue.string(), "--profiles",
                                     (dir / "profiles").string(), "--log-format", "json"});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;  // the failed job's exit code
  // Natural order: job2, job3-bad, job10.
  std::vector<std::string> started;
  for (const auto& line : json_lines(result.err)) {
    if (line["event"] == "queue_job_start") started.push_back(line["queue_job"]);
  }
  EXPECT_EQ(started, (std::vector<std::string>{"job2.toml", "job3-bad.toml", "job10.toml"}));
  EXPECT_TRUE(fs::exists(queue / "done" / "job2.toml"));
  EXPECT_TRUE(fs::exists(queue / "done" / "job10.toml"));
  EXPECT_TRUE(fs::exists(queue / "failed" / "job3-bad.toml"));
  EXPECT_TRUE(fs::exists(queue / "incoming" / ".job4.toml"));
  EXPECT_TRUE(fs::is_empty(queue / "running"));
  const std::string reason = slurp(queue / "failed" / "job3-bad.reason");
  EXPECT_NE(reason.find("exit 3 (input error)"), std::string::npos) << reason;
  EXPECT_NE(reason.find("missing/D001"), std::string::npos) << reason;
  EXPECT_NE(slurp(queue / "done" / "job2.log").find("summary: job q2 done: 3 pages"),
            std::string::npos);
  // Output and catalog of the whole queue under QUEUE_DIR/out.
  EXPECT_EQ(slurp(queue / "out" / "q2" / "R0001" / "index.csv").substr(0, 5), "frame");
  const auto found = test::run_cli({"catalog", "find", "--catalog",
                                    (queue / "out" / "catalog.sqlite").string(), "--title", "卷3"});
  EXPECT_NE(found.out.find("q10 R0001 frames 1-2: document D003"), std::string::npos) << found.out;
  EXPECT_NE(result.out.find("3 job(s)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2 done, 1 failed, 0 waiting"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("failed      job3-bad.toml (exit 3)"), std::string::npos) << result.out;

  const auto status = test::run_cli({"queue", "status", queue.string()});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("idle"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("failed: 1\n  job3-bad.toml  exit 3 (input error)"), std::string::npos)
      << status.out;
  // An empty queue is a quick no-op for cron.
  const auto empty = test::run_cli({"queue", "run", queue.string()});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_NE(empty.out.find("0 job(s)"), std::string::npos);
}

// Every queued job runs with --resume. A second job file that reuses a finished job's id must
// not pass for that job, done with nothing filmed: it fails, naming what differs, and the
// same job file dropped in again is done, with nothing filmed twice.
TEST_F(OpsTest, AQueuedJobWithAFinishedJobsIdFailsInsteadOfPassingAsDone) {
  const auto queue = dir / "queue";
  fs::create_directories(queue / "incoming");
  fs::copy(dir / "scans", queue / "scans", fs::copy_options::recursive);
  const std::string first = job_toml("same", "../scans", {1});
  test::write_text(queue / "incoming" / "a.toml", first);
  test::write_text(queue / "incoming" / "b.toml", job_toml("same", "../scans", {2}));
  const std::vector<std::string> run{"queue", "run", queue.string(), "--profiles",
                                     (dir / "profiles").string()};
  const auto result = test::run_cli(run);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_TRUE(fs::exists(queue / "done" / "a.toml"));
  ASSERT_TRUE(fs::exists(queue / "failed" / "b.toml")) << result.out << result.err;
  const std::string reason = slurp(queue / "failed" / "b.reason");
  EXPECT_THAT(reason, HasSubstr("exit 2 (job error): "));
  EXPECT_THAT(reason, HasSubstr("job same finished filming another plan, so nothing of this job "
                                "file was filmed: if it is another job, give it its own id"));
  EXPECT_THAT(result.err, HasSubstr("What differs:\n  "));
  const std::string journal = slurp(queue / "out" / "same" / "journal.jsonl");

  // The finished job's own file again: done, and nothing more on film or in the journal.
  test::write_text(queue / "incoming" / "a-again.toml", first);
  const auto again = test::run_cli(run);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(fs::exists(queue / "done" / "a-again.toml"));
  EXPECT_THAT(slurp(queue / "done" / "a-again.log"),
              HasSubstr("already finished; nothing to resume"));
  EXPECT_EQ(slurp(queue / "out" / "same" / "journal.jsonl"), journal);
}

// A job file queued under the id of a job that stopped unfinished (here a damaged page stopped
// it before its second reel was loaded) is another plan: the queue cannot resume onto that film,
// and its failed/NAME.reason, which keeps one line, says so and what to do, on that line.
TEST_F(OpsTest, AQueuedJobWithAnUnfinishedJobsIdFailsSayingWhatToDoOnOneLine) {
  const auto queue = dir / "queue";
  fs::create_directories(queue / "incoming");
  fs::copy(dir / "scans", queue / "scans", fs::copy_options::recursive);
  const std::string page = slurp(queue / "scans" / "D002" / "p2.png");
  test::write_text(queue / "scans" / "D002" / "p2.png", page.substr(0, page.size() / 2));
  test::write_text(queue / "incoming" / "a.toml", job_toml("same", "../scans", {1, 2}));
  const std::vector<std::string> run{"queue", "run", queue.string(), "--profiles",
                                     (dir / "profiles").string()};
  const auto stopped = test::run_cli(run);
  ASSERT_TRUE(fs::exists(queue / "failed" / "a.toml")) << stopped.out << stopped.err;
  ASSERT_TRUE(fs::exists(queue / "out" / "same" / "journal.jsonl"));

  test::write_text(queue / "incoming" / "b.toml", job_toml("same", "../scans", {1}));
  const auto result = test::run_cli(run);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  ASSERT_TRUE(fs::exists(queue / "failed" / "b.toml")) << result.out << result.err;
  const std::string reason = slurp(queue / "failed" / "b.reason");
  EXPECT_THAT(reason, HasSubstr("exit 2 (job error): "));
  EXPECT_THAT(reason, ::testing::ContainsRegex("the plan changed since the job started \\([0-9]+ "
                                               "of [0-9]+ frames on film\\)"));
  EXPECT_THAT(reason, HasSubstr("frames on film), so job same cannot resume onto the same film: "));
  EXPECT_THAT(reason, HasSubstr("if this job file is another job, give it an id of its own (its "
                                "id key, or --id). What differs:\n"));
  EXPECT_EQ(std::count(reason.begin(), reason.end(), '\n'), 1) << reason;
  EXPECT_THAT(result.err, HasSubstr("What differs:\n  "));
}

// A job file's error names the file; once the job failed, the file is in failed/, and so is
// the path in its reason, the queue's lines and the log event.
TEST_F(OpsTest, AFailedJobsReasonNamesTheJobFileWhereItLiesNow) {
  const auto queue = dir / "queue";
  fs::create_directories(queue / "incoming");
  test::write_text(queue / "incoming" / "typo.toml", "version = 1\nid = \"typo\"\ntitle = 3\n");
  const auto result = test::run_cli({"queue", "run", queue.string()});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  const std::string failed = (queue / "failed" / "typo.toml").string() + ":3: title";
  EXPECT_THAT(slurp(queue / "failed" / "typo.reason"), HasSubstr(failed));
  EXPECT_THAT(result.out, HasSubstr(failed));
  EXPECT_THAT(result.out + slurp(queue / "failed" / "typo.reason"),
              Not(HasSubstr((queue / "running").string())));
}

// `queue run` and `queue status` name their queue once, as QUEUE or as --queue: help shows
// neither as REQUIRED twice, each form works, and neither (or both) is a usage error (exit 2)
// that says what to give.
TEST_F(OpsTest, QueueRunNamesItsQueueOnceAsAnArgumentOrAsAnOption) {
  const auto queue = dir / "queue1";
  std::filesystem::create_directories(queue / "incoming");
  const auto help = test::run_cli({"queue", "run", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.find("REQUIRED"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("[OPTIONS] [QUEUE]"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("required, here or as --queue"), std::string::npos) << help.out;
  for (const std::string command : {"run", "status"}) {
    SCOPED_TRACE(command);
    const auto neither = test::run_cli({"queue", command});
    EXPECT_EQ(neither.exit_code, 2);
    EXPECT_NE(neither.err.find("usage error: queue " + command +
                               ": which queue? name a queue folder or a shared queue's "
                               "postgresql:// URL (usage: filmwriter queue " +
                               command + " QUEUE_DIR | filmwriter queue " + command +
                               " --queue postgresql://...)"),
              std::string::npos)
        << neither.err;
    const auto both = test::run_cli({"queue", command, queue.string(), "--queue", queue.string()});
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_NE(both.err.find("the queue is given twice"), std::string::npos) << both.err;
    const auto positional = test::run_cli({"queue", command, queue.string()});
    EXPECT_EQ(positional.exit_code, 0) << positional.err;
    const auto option = test::run_cli({"queue", command, "--queue", queue.string()});
    EXPECT_EQ(option.exit_code, 0) << option.err;
    EXPECT_EQ(option.out, positional.out);
  }
  EXPECT_NE(test::run_cli({"queue", "run", "--queue", queue.string()}).out.find("0 job(s)"),
            std::string::npos);
}

}  // namespace
}  // namespace fw::ops_queue_test
