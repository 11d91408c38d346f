// Operations that break on purpose, through the real CLI: a second instance and a stale lock
// after kill -9, SIGTERM, dropped connections, recorderd killed mid-reel and mid-job, and kills
// at random points after device and network faults (the fault suite's ops_faults_test group).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <csignal>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "base/sha256.hpp"
#include "net/protocol.hpp"
#include "samples/samples.hpp"
#include "support/full_disk.hpp"
#include "support/ops_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::ops_faults_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::Daemon;
using test::journaled_frames;
using test::OpsTest;
using test::reels;
using test::slurp;
using test::spawn;
using test::wait_exit;
using test::wait_exit_for;
using test::wait_until;

// sequence -> how many times the journal recorded it.
std::map<std::uint64_t, int> journal_sequences(const fs::path& journal) {
  std::map<std::uint64_t, int> seen;
  std::ifstream in(journal);
  for (std::string line; std::getline(in, line);) {
    const auto record = nlohmann::json::parse(line);
    if (record["event"] == "frame") ++seen[record["seq"].get<std::uint64_t>()];
  }
  return seen;
}

// Cron starts the queue while the previous run still films through a (slow) network
// recorder: the second instance exits 6 naming the holder. Then the first is killed with
// kill -9 (queue and job): the next run takes the stale lock over and resumes the job in
// running/ with every frame on film exactly once and the same result as a local run.
TEST_F(OpsTest, SecondInstanceIsBusyAndAfterKillNineTheStaleLockIsTakenOverAndTheJobResumes) {
  const auto ref = reference("cron");
  const auto planned = journal_sequences(ref / "journal.jsonl").size();
  Daemon daemon(dir / "d", {"--driver", "tiff", "-O", "pitch_um=50", "-O", "compression=none",
                            "--inject-delay-ms", "150"});
  const auto queue = dir / "queue";
  fs::create_directories(queue / "incoming");
  test::write_text(queue / "incoming" / "cron.toml",
                   job_toml("cron", dir.path().string() + "/scans", {1, 2, 3, 4}, false));
  std::vector<std::string> run{"queue", "run", queue.string(), "--profiles",
                               (dir / "profiles").string()};
  for (const auto& o : daemon.client_options()) run.push_back(o);
  const pid_t first = spawn(FW_CLI, run, dir / "first.out", dir / "first.err", true);
  const auto journal = queue / "out" / "cron" / "journal.jsonl";
  ASSERT_TRUE(wait_until([&] { return journaled_frames(journal) >= 4; }))
      << slurp(dir / "first.err") << daemon.log();

  const auto second = test::run_cli(run);
  EXPECT_EQ(second.exit_code, 6) << second.out << second.err;
  EXPECT_NE(second.err.find(fmt::format("queue.lock is held by pid {} since 20", first)),
            std::string::npos)
      << second.err;
  EXPECT_TRUE(fs::exists(queue / "running" / "cron.toml"));

  ::kill(-first, SIGKILL);  // the queue and the convert it runs
  wait_exit(first);
  std::this_thread::sleep_for(100ms);  // the child is reaped by init
  EXPECT_NE(slurp(queue / "queue.lock").find(fmt::format("pid {} ", first)), std::string::npos);
  const auto status = test::run_cli({"queue", "status", queue.string()});
  EXPECT_NE(status.out.find("idle"), std::string::npos) << status.out;

  const auto third = test::run_cli(run);
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err << daemon.log();
  EXPECT_NE(third.err.find(fmt::format("took over the stale lock of pid {}", first)),
            std::string::npos)
      << third.err;
  EXPECT_NE(third.out.find("1 done, 0 failed, 0 waiting"), std::string::npos) << third.out;
  EXPECT_TRUE(fs::exists(queue / "done" / "cron.toml"));
  expect_exactly_once(journal, planned, "after kill -9");
  expect_identical_through_daemon(queue / "out" / "cron", daemon.root() / "cron", ref,
                                  "after kill -9");
}

TEST_F(OpsTest, SigtermStopsTheQueueCleanlyAndTheNextRunResumesTheJob) {
  Daemon daemon(dir / "d", {"--driver", "tiff", "-O", "pitch_um=50", "-O", "compression=none",
                            "--inject-delay-ms", "150"});
  const auto queue = dir / "queue";
  fs::create_directories(queue / "incoming");
  test::write_text(queue / "incoming" / "a.toml",
                   job_toml("term", dir.path().string() + "/scans", {1, 2, 3, 4}, false));
  test::write_text(queue / "incoming" / "b.toml",
                   job_toml("term2", dir.path().string() + "/scans", {3}, false));
  std::vector<std::string> run{"queue", "run", queue.string(), "--profiles",
                               (dir / "profiles").string()};
  for (const auto& o : daemon.client_options()) run.push_back(o);
  const pid_t first = spawn(FW_CLI, run, dir / "first.out", dir / "first.err");
  const auto journal = queue / "out" / "term" / "journal.jsonl";
  ASSERT_TRUE(wait_until([&] { return journaled_frames(journal) >= 2; }))
      << slurp(dir / "first.err");
  ::kill(first, SIGTERM);
  EXPECT_EQ(wait_exit(first), 130) << slurp(dir / "first.err");
  EXPECT_TRUE(fs::exists(queue / "running" / "a.toml"));
  EXPECT_TRUE(fs::exists(queue / "incoming" / "b.toml"));  // not started after the stop
  EXPECT_NE(slurp(queue / "running" / "a.reason").find("exit 130 (interrupted)"),
            std::string::npos);
  EXPECT_LT(journaled_frames(journal), 16u);

  const auto again = test::run_cli(run);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("2 done, 0 failed"), std::string::npos) << again.out;
  expect_exactly_once(journal, 16, "after SIGTERM");
  EXPECT_TRUE(fs::exists(queue / "done" / "a.toml"));
  EXPECT_TRUE(fs::exists(queue / "done" / "b.toml"));
}

// --- network recorder -------------------------------------------------------------------

TEST_F(OpsTest, DroppedConnectionsReconnectAndContinueWithoutLossOrDuplicates) {
  const auto ref = reference("drop");
  // Each reel: the connection drops when frame 2 has arrived (not exposed), and after frame 4
  // was exposed but before its acknowledgement (sent again, recognised, not exposed twice).
  Daemon daemon(dir / "d", {"--driver", "tiff", "-O", "pitch_um=50", "-O", "compression=none",
                            "--inject-drop-mid-frame", "2", "--inject-drop-before-ack", "4"});
  auto args = convert_args("drop", dir / "out", true);
  for (const auto& o : daemon.client_options()) args.push_back(o);
  args.insert(args.end(), {"-O", "backoff_ms=20"});
  const auto result = test::run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err << daemon.log();
  const std::string log = daemon.log();
  const auto count = [&](const std::string& text) {
    std::size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  };
  std::size_t with_2 = 0, with_4 = 0;  // reels that reach frame 2, frame 4
  for (const auto& reel : reels(ref)) {
    const std::string index = slurp(ref / reel / "index.csv");
    const auto rows = std::count(index.begin(), index.end(), '\n') - 1;
    with_2 += rows >= 2;
    with_4 += rows >= 4;
  }
  ASSERT_GT(with_4, 1u);
  EXPECT_EQ(count("arrived, connection dropped before exposing it"), with_2) << log;
  EXPECT_EQ(count("dropped before its acknowledgement"), with_4) << log;
  EXPECT_EQ(count("frame 4 is already on the reel: acknowledged again"), with_4) << log;
  expect_exactly_once(dir / "out" / "drop" / "journal.jsonl", 16, "drops");
  expect_identical_through_daemon(dir / "out" / "drop", daemon.root() / "drop", ref, "drops");
}

TEST_F(OpsTest, DaemonKilledMidReelIsADeviceErrorAndResumeWorksAfterItRestarts) {
  const auto ref = reference("crash");
  auto daemon = std::make_unique<Daemon>(
      dir / "d", std::vector<std::string>{"--driver", "tiff", "-O", "pitch_um=50", "-O",
                                          "compression=none", "--inject-delay-ms", "100"});
  const std::uint16_t port = daemon->port();
  auto args = convert_args("crash", dir / "out", true);
  for (const auto& o : daemon->client_options()) args.push_back(o);
  args.insert(args.end(), {"-O", "retries=2", "-O", "backoff_ms=50"});
  const pid_t client = spawn(FW_CLI, args, dir / "client.out", dir / "client.err");
  const auto journal = dir / "out" / "crash" / "journal.jsonl";
  ASSERT_TRUE(wait_until([&] { return journaled_frames(journal) >= 8; }));
  daemon->kill9();
  EXPECT_EQ(wait_exit(client), 4);
  const std::string err = slurp(dir / "client.err");
  EXPECT_TRUE(std::regex_search(
      err, std::regex(fmt::format(
               R"(device error: (reel R000\d frame \d+ .*|(un)?loading reel R000\d .*)?)"
               R"(disconnected: )"
               R"(net driver: recorderd 127.0.0.1:{}: (reel R000\d frame \d+|)"
               R"(load reel R000\d|unload reel R000\d): .*)"
               R"(gave up after 2 reconnect attempt)",
               port))))
      << err;
  EXPECT_LT(journaled_frames(journal), 16u);

  daemon->start(port);  // the same root: the reel's frames so far are on its disk
  args.emplace_back("--resume");
  const auto resumed = test::run_cli(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err << daemon->log();
  expect_exactly_once(journal, 16, "daemon restart");
  expect_identical_through_daemon(dir / "out" / "crash", daemon->root() / "crash", ref,
                                  "daemon restart");
}

// recorderd dies by SIGKILL mid-job, again and again: by itself right after exposing a frame
// whose acknowledgement never leaves (--inject-kill-after), and killed by the test at random
// moments. Frames its sim had in the buffer die with it. It is started again on the same port
// and root; the client reconnects, the restarted device reports from its developed film
// (reel.json) which frame it last accepted, the client sends again the acknowledged frames
// that did not reach the film, and the job ends as an uninterrupted one: every frame once on
// the developed film, in the journal and in the catalog, identical index and manifest.
TEST_F(OpsTest, RecorderdKilledMidJobRestartsAndEveryFrameIsOnTheFilmOnce) {
  const auto [ref, ref_film] = sim_reference("restart");
  const std::size_t planned = journal_sequences(ref / "journal.jsonl").size();
  auto daemon_args = coarse_sim_options();
  daemon_args.insert(daemon_args.end(), {"--inject-kill-after", "6"});
  Daemon daemon(dir / "d", daemon_args);
  const std::uint16_t port = daemon.port();
  auto args = convert_args("restart", dir / "out", true);
  for (const auto& o : daemon.client_options()) args.push_back(o);
  args.insert(args.end(), {"-O", "retries=200", "-O", "backoff_ms=10", "-O", "max_backoff_ms=100"});
  const pid_t client = spawn(FW_CLI, args, dir / "client.out", dir / "client.err");
  const auto journal = dir / "out" / "restart" / "journal.jsonl";
  std::mt19937 random(31);
  std::uniform_int_distribution<int> delay_ms(0, 15);
  std::vector<std::size_t> kill_when_journaled{2, 7, 12};
  int restarts = 0, killed_by_test = 0, exit_code = -1;
  while ((exit_code = wait_exit_for(client, 5ms)) < 0) {
    if (daemon.exited()) {
      // Enough faults: the last incarnations run clean, so that the job surely ends.
      if (++restarts == 8) daemon.args().resize(daemon.args().size() - 2);
      daemon.start(port);
      continue;
    }
    if (!kill_when_journaled.empty() && journaled_frames(journal) >= kill_when_journaled.front()) {
      kill_when_journaled.erase(kill_when_journaled.begin());
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
      daemon.kill9();
      ++killed_by_test;
    }
  }
  ASSERT_EQ(exit_code, 0) << slurp(dir / "client.err") << daemon.log();
  EXPECT_GE(restarts, 3) << daemon.log();
  EXPECT_GE(killed_by_test, 1);
  // The restarted daemons answered from the film the device had developed.
  EXPECT_NE(daemon.log().find("frame(s) on it, the client continues at frame"), std::string::npos);
  expect_exactly_once(journal, planned, "daemon restarts");
  expect_same_film(dir / "out" / "restart", daemon.root() / "restart", ref, ref_film,
                   "daemon restarts");
  expect_catalog_once(dir / "out" / "catalog.sqlite", "restart", planned, "daemon restarts");
}

// recorderd's own disk fills up (its sim's developed film, tests/fault/enospc_shim.c preloaded
// into the daemon) at random points of the job: the client stops with a device error that
// names the daemon's file and "No space left on device", and the daemon keeps serving. With
// the space back (the daemon started again on its root), `--resume` finishes the job as an
// uninterrupted one: the frames the device took into its buffer but could not develop are
// filmed again, every frame once on the film, in the journal and in the catalog.
TEST_F(OpsTest, RecorderdsDiskFullIsADeviceErrorNamingItAndResumeFinishesTheSameFilm) {
  FW_SKIP_WITHOUT_ENOSPC_SHIM();
  const auto [ref, ref_film] = sim_reference("full");
  const std::size_t planned = journal_sequences(ref / "journal.jsonl").size();
  std::uintmax_t film_bytes = 0;
  for (const auto& f : fs::recursive_directory_iterator(ref_film)) {
    if (f.is_regular_file()) film_bytes += f.file_size();
  }
  std::mt19937 random(25);
  std::uniform_real_distribution<double> spent_at(0.02, 0.9);
  for (int round = 0; round < 3; ++round) {
    const auto budget = static_cast<long long>(spent_at(random) * static_cast<double>(film_bytes));
    const std::string context =
        fmt::format("round {} (budget {} of {} bytes)", round, budget, film_bytes);
    const auto here = dir / fmt::format("round{}", round);
    std::optional<Daemon> daemon;
    {
      const test::FullDisk disk(here / "d" / "root", budget);
      daemon.emplace(here / "d", coarse_sim_options());
    }
    auto args = convert_args("full", here / "out", true);
    for (const auto& o : daemon->client_options()) args.push_back(o);
    const auto stopped = test::run_cli(args);
    ASSERT_EQ(stopped.exit_code, 4) << context << stopped.err << daemon->log();
    EXPECT_TRUE(std::regex_search(
        stopped.err,
        std::regex(fmt::format(R"(device error: (reel R000\d frame \d+ \(|unloading reel R000\d )"
                               R"(|loading reel R000\d ).*recorderd 127.0.0.1:{}: .*)"
                               R"(sim driver: .*{}.*: No space left on device)",
                               daemon->port(), (here / "d" / "root" / "full").string()))))
        << context << stopped.err;
    EXPECT_NE(daemon->log().find("No space left on device"), std::string::npos) << daemon->log();
    EXPECT_FALSE(daemon->exited()) << context << ": the daemon died of its full disk";
    EXPECT_TRUE(test::budget_spent_at(daemon->log())) << context << daemon->log();

    daemon->stop();
    daemon->start(0);  // the space back: the same root, without the shim
    args = convert_args("full", here / "out", true);
    for (const auto& o : daemon->client_options()) args.push_back(o);
    args.emplace_back("--resume");
    const auto resumed = test::run_cli(args);
    ASSERT_EQ(resumed.exit_code, 0) << context << resumed.out << resumed.err << daemon->log();
    expect_exactly_once(here / "out" / "full" / "journal.jsonl", planned, context);
    expect_same_film(here / "out" / "full", daemon->root() / "full", ref, ref_film, context);
    expect_catalog_once(here / "out" / "catalog.sqlite", "full", planned, context);
  }
}

// A recorder fault stops the job (the sim's injected device fault or disconnect, options of the
// local driver), the resume is killed with SIGKILL at a random moment, and the next resume
// finishes: every frame once, index and manifest (which covers the developed film) identical
// to an uninterrupted run. A kill can take frames the local sim had accepted but not yet
// developed with it (its buffer dies with the process): continue then refuses, naming
// respool, and respool films the reel again.
TEST_F(OpsTest, SimFaultThenSigkillAtRandomPointsResumesExactlyOnceAndIdentical) {
  auto sim_args = [&](const std::string& id, const fs::path& out) {
    auto args = convert_args(id, out, true);
    args.insert(args.end(), {"--driver", "sim"});
    for (const auto& o : coarse_sim_options()) args.push_back(o);
    return args;
  };
  const auto reference = test::run_cli(sim_args("local", dir / "ref-local"));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const auto ref = dir / "ref-local" / "local";
  const std::size_t planned = journal_sequences(ref / "journal.jsonl").size();
  std::mt19937 random(1125);
  std::uniform_int_distribution<std::size_t> after_frame(0, planned - 1);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int killed = 0, respooled = 0;
  for (int attempt = 0; killed < 10 && attempt < 25; ++attempt) {
    const auto out = dir / fmt::format("local{}", attempt);
    const auto journal = out / "local" / "journal.jsonl";
    const std::string fault =
        fmt::format("{}={}", attempt % 2 ? "disconnect_at" : "fault_at", 2 + attempt % 4);
    const std::string context = fmt::format("attempt {} ({})", attempt, fault);
    auto faulty = sim_args("local", out);
    faulty.insert(faulty.end(), {"-O", fault});
    const auto failed = test::run_cli(faulty);
    ASSERT_EQ(failed.exit_code, 4) << context << "\n" << failed.err;
    // Resume, killed when a random number of frames is journaled (plus up to 20 ms).
    auto resume = sim_args("local", out);
    resume.emplace_back("--resume");
    const std::size_t frames = after_frame(random);
    const pid_t pid = spawn(FW_CLI, resume, out / "resume.out", out / "resume.err");
    while (journaled_frames(journal) < frames && wait_exit_for(pid, 1ms) < 0) {
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ::kill(pid, SIGKILL);
    const int status = wait_exit(pid);
    if (status == 128 + SIGKILL) ++killed;
    auto last = test::run_cli(resume);
    if (last.exit_code == 4 &&
        last.err.find("resume with --reel-policy respool") != std::string::npos) {
      ++respooled;
      resume.insert(resume.end(), {"--reel-policy", "respool"});
      last = test::run_cli(resume);
    }
    ASSERT_EQ(last.exit_code, 0) << context << "\n" << last.out << last.err;
    expect_exactly_once(journal, planned, context);
    ASSERT_EQ(reels(out / "local"), reels(ref)) << context;
    for (const auto& reel : reels(ref)) {
      EXPECT_EQ(slurp(out / "local" / reel / "index.csv"), slurp(ref / reel / "index.csv"))
          << context << " " << reel;
      const std::string manifest = slurp(out / "local" / reel / "manifest.sha256");
      EXPECT_EQ(manifest, slurp(ref / reel / "manifest.sha256")) << context << " " << reel;
      // The manifest holds: the developed film on disk is what it lists, nothing more.
      std::istringstream lines(manifest);
      std::size_t listed = 0;
      for (std::string digest, name; lines >> digest >> name;) {
        EXPECT_EQ(sha256_file(out / "local" / reel / name), digest) << context << " " << name;
        listed += name.starts_with("film/F");
      }
      std::size_t on_film = 0;
      for (const auto& f : fs::directory_iterator(out / "local" / reel / "film")) {
        on_film += f.path().extension() == ".tif";
      }
      EXPECT_EQ(on_film, listed) << context << " " << reel;
    }
    expect_catalog_once(out / "catalog.sqlite", "local", planned, context);
    if (!HasFailure()) fs::remove_all(out);
  }
  EXPECT_EQ(killed, 10) << "too many resumes ended before their kill";
  RecordProperty("respooled", respooled);
}

// The same through the network: recorderd serves the sim and drops the connection while frame 2
// of each reel arrives and after exposing frame 4 unacknowledged; the client is killed with
// SIGKILL at random points and resumed (the daemon still holds the reel: policy continue).
// Every third kill takes the daemon down with it (power loss), which is started again before
// the resume: its device then answers from the film it developed.
TEST_F(OpsTest, NetFaultsAndSigkillAtRandomPointsResumeExactlyOnceAndIdentical) {
  const auto [ref, ref_film] = sim_reference("netkill");
  const std::size_t planned = journal_sequences(ref / "journal.jsonl").size();
  std::mt19937 random(2611);
  std::uniform_int_distribution<std::size_t> after_frame(0, planned - 1);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int killed = 0;
  for (int attempt = 0; killed < 10 && attempt < 25; ++attempt) {
    const auto run = dir / fmt::format("net{}", attempt);
    auto daemon_args = coarse_sim_options();
    daemon_args.insert(daemon_args.end(),
                       {"--inject-drop-mid-frame", "2", "--inject-drop-before-ack", "4"});
    Daemon daemon(run / "d", daemon_args);
    auto args = convert_args("netkill", run / "out", true);
    for (const auto& o : daemon.client_options()) args.push_back(o);
    args.insert(args.end(),
                {"-O", "retries=50", "-O", "backoff_ms=10", "-O", "max_backoff_ms=100"});
    const auto journal = run / "out" / "netkill" / "journal.jsonl";
    const bool power_loss = attempt % 3 == 2;
    const std::size_t frames = after_frame(random);
    const std::string context = fmt::format("net attempt {} after frame {}{}", attempt, frames,
                                            power_loss ? ", daemon killed too" : "");
    const pid_t pid = spawn(FW_CLI, args, run / "client.out", run / "client.err");
    while (journaled_frames(journal) < frames && wait_exit_for(pid, 1ms) < 0) {
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ::kill(pid, SIGKILL);
    if (power_loss) daemon.kill9();
    if (wait_exit(pid) != 128 + SIGKILL) continue;  // it ended first
    ++killed;
    if (power_loss) daemon.start(daemon.port());
    args.emplace_back("--resume");
    auto resumed = test::run_cli(args);
    if (power_loss && resumed.exit_code == 4 &&
        resumed.err.find("resume with --reel-policy respool") != std::string::npos) {
      args.insert(args.end(), {"--reel-policy", "respool"});
      resumed = test::run_cli(args);
    }
    ASSERT_EQ(resumed.exit_code, 0) << context << "\n"
                                    << resumed.out << resumed.err << daemon.log();
    expect_exactly_once(journal, planned, context);
    expect_same_film(run / "out" / "netkill", daemon.root() / "netkill", ref, ref_film, context);
    expect_catalog_once(run / "out" / "catalog.sqlite", "netkill", planned, context);
    if (!HasFailure()) fs::remove_all(run);
  }
  EXPECT_EQ(killed, 10) << "too many runs ended before their kill";
}

}  // namespace
}  // namespace fw::ops_faults_test
