// Crash safety: the CLI is killed with SIGKILL at random moments of a real job (tiff driver,
// small pages, several reels); `convert --resume` must then finish it with every frame on
// film exactly once and the same plan, index and manifest as a run that was never killed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "api/settings.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/resume_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::resume_test {
namespace {

using test::ResumeTest;

TEST_F(ResumeTest, SigkillAtThirtyRandomPointsThenResumeIsExactlyOnceAndIdentical) {
  ASSERT_NO_THROW(convert_into(dir / "ref"));
  const std::size_t planned = journal_frames(dir / "ref" / "kill" / "journal.jsonl").size();
  ASSERT_GE(reels(dir / "ref" / "kill").size(), 3u) << "the job should span several reels";

  // Each kill comes a random 0-20 ms after a random frame was journaled: while a frame
  // renders, while the driver writes it, between expose and the journal, mid catalog batch,
  // while a reel closes.
  std::mt19937 random(20261125);
  std::uniform_int_distribution<std::size_t> after_frame(0, planned - 1);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int killed = 0;
  for (int attempt = 0; killed < 30 && attempt < 60; ++attempt) {
    const auto out = dir / fmt::format("run{}", attempt);
    const std::size_t frames = after_frame(random);
    const auto delay = std::chrono::microseconds(delay_us(random));
    const auto journal = out / "kill" / "journal.jsonl";
    const std::string context =
        fmt::format("kill {} after frame {} + {} us", attempt, frames, delay.count());
    if (!kill_after_frames(convert_args(out), journal, frames, delay)) continue;  // ended first
    ++killed;
    // Half resume from the output folder alone, half from the job file and flags.
    api::ConvertOptions resume;
    resume.resume = true;
    if (attempt % 2 == 0 || !std::filesystem::exists(journal)) {  // no journal: only the job knows
      ASSERT_NO_THROW(convert_into(out, resume)) << context;
    } else {
      ASSERT_NO_THROW(test::convert_job(out / "kill", resume)) << context;
    }
    const auto seen = journal_frames(journal);
    ASSERT_EQ(seen.size(), planned) << context;
    for (const auto& [sequence, times] : seen) {
      EXPECT_EQ(times, 1) << context << ": frame " << sequence << " recorded " << times << " times";
    }
    expect_same_as_reference(out / "kill", context);
    std::filesystem::remove_all(out);
  }
  EXPECT_EQ(killed, 30) << "too many runs ended before their kill";
}

// The same through the network recorder: recorderd serves the tiff driver on localhost and
// outlives the killed client, so the reel in the recorder is continued in the daemon (frames
// it already holds are recognised by their sha256, not exposed again).
TEST_F(ResumeTest, SigkillThroughTheNetworkRecorderThenResumeIsExactlyOnceAndIdentical) {
  ASSERT_NO_THROW(convert_into(dir / "ref"));
  const std::size_t planned = journal_frames(dir / "ref" / "kill" / "journal.jsonl").size();
  const auto recorderd = std::filesystem::path(FW_CLI).parent_path() / "recorderd";
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> after_frame(0, planned - 1);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int killed = 0;
  for (int attempt = 0; killed < 10 && attempt < 30; ++attempt) {
    const auto run = dir / fmt::format("net{}", attempt);
    std::filesystem::create_directories(run);
    const pid_t daemon = fork();
    if (daemon == 0) {
      std::freopen((run / "daemon.log").c_str(), "w", stderr);
      execl(recorderd.c_str(), "recorderd", "--port", "0", "--port-file", (run / "port").c_str(),
            "--root", (run / "root").c_str(), "--driver", "tiff", "-O", "pitch_um=50", "-O",
            "compression=none", nullptr);
      _exit(127);
    }
    struct Stop {  // the daemon goes whatever happens below
      pid_t pid;
      ~Stop() {
        ::kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
      }
    } stop{daemon};
    for (int i = 0; i < 500 && !std::filesystem::exists(run / "port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::string port = read_file(run / "port");
    // The same job without the tiff's options: the daemon's driver has them.
    if (!std::filesystem::exists(dir / "net.toml")) {
      std::string toml = read_file(dir / "job.toml");
      const std::string options = "pitch_um = 50\ncompression = \"none\"\n";
      toml.erase(toml.find(options), options.size());
      test::write_text(dir / "net.toml", toml);
    }
    auto args = convert_args(run / "out");
    args[1] = (dir / "net.toml").string();
    args.insert(args.end(), {"--driver", "net", "-O", "host=127.0.0.1", "-O",
                             "port=" + port.substr(0, port.find('\n'))});
    const std::size_t frames = after_frame(random);
    const auto delay = std::chrono::microseconds(delay_us(random));
    const auto journal = run / "out" / "kill" / "journal.jsonl";
    const std::string context =
        fmt::format("net kill {} after frame {} + {} us", attempt, frames, delay.count());
    if (kill_after_frames(args, journal, frames, delay)) {
      ++killed;
      args.emplace_back("--resume");
      const auto resumed = test::run_cli(args);
      EXPECT_EQ(resumed.exit_code, 0)
          << context << "\n"
          << resumed.out << resumed.err << read_file(run / "daemon.log");
      const auto seen = journal_frames(journal);
      EXPECT_EQ(seen.size(), planned) << context;
      for (const auto& [sequence, times] : seen) {
        EXPECT_EQ(times, 1) << context << ": frame " << sequence << " recorded " << times;
      }
      const auto reference = dir / "ref" / "kill";
      EXPECT_EQ(read_file(run / "out" / "kill" / "plan.json"), read_file(reference / "plan.json"));
      for (const auto& reel : reels(reference)) {
        EXPECT_EQ(read_file(run / "out" / "kill" / reel / "index.csv"),
                  read_file(reference / reel / "index.csv"))
            << context << " " << reel;
        for (const auto& f : std::filesystem::directory_iterator(reference / reel / "frames")) {
          EXPECT_EQ(read_file(run / "root" / "kill" / reel / "frames" / f.path().filename()),
                    read_file(f.path()))
              << context << " " << reel << "/" << f.path().filename();
        }
      }
    }
    if (!::testing::Test::HasFailure()) std::filesystem::remove_all(run);
  }
  EXPECT_EQ(killed, 10) << "too many runs ended before their kill";
}

// SIGINT (and SIGTERM) stop the job within the frame the recorder is taking and the frames
// already in its buffer: no frame the recorder had not accepted when the signal came is sent to
// it afterwards, however many are rendered and waiting. Measured as frames after the signal, on
// a simulated recorder slow enough that the rendered frames queue up behind it (a 2-frame
// buffer, 2,000 lines/s at 50 um), so that each of the 4 tokens holds a frame at the signal.
TEST_F(ResumeTest, SigintSendsTheRecorderAtMostTheFrameItIsTakingAfterTheSignal) {
  std::string recorder = read_file(dir / "profiles" / "recorders" / "sim-fast.toml");
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"pixel_pitch_um = 2.5", "pixel_pitch_um = 50"},
        {"write_rate_lines_per_s = 9600", "write_rate_lines_per_s = 2000"},
        {"buffer_frames = 8", "buffer_frames = 2"}}) {
    const auto at = recorder.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    recorder.replace(at, from.size(), to);
  }
  test::write_text(dir / "profiles" / "recorders" / "sim-slow.toml", recorder);
  std::string toml = read_file(dir / "job.toml");
  const std::string tiff =
      "driver = \"tiff\"\n[recorder.options]\npitch_um = 50\ncompression = \"none\"\n";
  ASSERT_NE(toml.find(tiff), std::string::npos);
  toml.replace(
      toml.find(tiff), tiff.size(),
      "driver = \"sim\"\n[recorder.options]\nrecorder = \"sim-slow\"\nfilm_output = false\n");
  test::write_text(dir / "slow.toml", toml);

  int signalled = 0;
  for (const std::size_t after : {1, 4, 9}) {
    for (const int signal : {SIGINT, SIGTERM}) {
      const auto out = dir / fmt::format("sig{}-{}", after, signal);
      auto args = convert_args(out);
      args[1] = (dir / "slow.toml").string();
      const auto journal = out / "kill" / "journal.jsonl";
      const pid_t pid = spawn(args);
      int status = 0;
      bool ended = false;
      while (journal_frames(journal).size() < after) {
        if (waitpid(pid, &status, WNOHANG) != 0) {
          ended = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      if (ended) continue;
      ::kill(pid, signal);
      // The frames the recorder had accepted when the signal came (read after sending it: a
      // frame accepted in between is the one being taken).
      const std::size_t at_signal = journal_frames(journal).size();
      waitpid(pid, &status, 0);
      ++signalled;
      const std::string context = fmt::format("signal {} after frame {}", signal, after);
      ASSERT_TRUE(WIFEXITED(status)) << context;
      EXPECT_EQ(WEXITSTATUS(status), 130) << context;
      const std::size_t accepted = journal_frames(journal).size();
      EXPECT_LE(accepted, at_signal + 1) << context << ": " << accepted - at_signal
                                         << " frames sent to the recorder after the signal";
    }
  }
  EXPECT_GT(signalled, 0) << "every job ended before its signal";
}

TEST_F(ResumeTest, RespoolSpoilsTheReelInTheRecorderAndFilmsItAgainIdentically) {
  ASSERT_NO_THROW(convert_into(dir / "ref"));
  // A crash while the second reel is half exposed.
  const auto out = dir / "run";
  const auto journal = out / "kill" / "journal.jsonl";
  ASSERT_NO_THROW(convert_into(out));
  simulate_crash(out / "kill", "R0002", 2);
  auto resumed =
      test::run_cli({"convert", "--resume", (out / "kill").string(), "--reel-policy", "respool"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("resuming at frame"), std::string::npos) << resumed.out;
  expect_same_as_reference(out / "kill", "respool");
  // The spoiled film is kept aside and recorded in the catalog and the journal.
  ASSERT_TRUE(std::filesystem::exists(out / "kill" / "spoiled" / "R0002-attempt1" / "frames"));
  EXPECT_NE(read_file(journal).find("\"event\":\"reel_spoiled\""), std::string::npos);
  auto found = test::run_cli(
      {"catalog", "export", "--catalog", (out / "catalog.sqlite").string(), "--format", "json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  const auto exported = nlohmann::json::parse(found.out);
  int spoiled = 0;
  for (const auto& reel : exported["jobs"][0]["reels"]) spoiled += reel["status"] == "spoiled";
  EXPECT_EQ(spoiled, 1) << found.out;
}

TEST_F(ResumeTest, ResumeRefusesAChangedPlanAndConvertRefusesAnUnfinishedJournal) {
  const auto out = dir / "out";
  ASSERT_NO_THROW(convert_into(out));
  simulate_crash(out / "kill", "R0001", 1);
  auto again = test::run_cli(convert_args(out));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("continue it with `filmwriter convert --resume"), std::string::npos)
      << again.err;
  auto changed = convert_args(out);
  changed.insert(changed.end(), {"--reduction", "30", "--resume"});
  auto refused = test::run_cli(changed);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("the plan changed since the job started"), std::string::npos)
      << refused.err;

  // Same frames and places, but other pixels: a positive resumed onto a negative's reel.
  std::string toml = read_file(dir / "job.toml");
  toml.replace(toml.find("targets = \"none\"\n"), 0, "polarity = \"positive\"\n");
  test::write_text(dir / "job.toml", toml);
  auto resumed = convert_args(out);
  resumed.emplace_back("--resume");
  const auto inverted = test::run_cli(resumed);
  EXPECT_EQ(inverted.exit_code, 2);
  EXPECT_NE(inverted.err.find("the plan changed since the job started"), std::string::npos)
      << inverted.err;
}

// One writer per job: while a run holds the job (here: this process, as a running convert
// would), a resume, a plan and a verify of it are refused with exit 6 naming the job and the
// holder, and nothing in its folder changes; once it is free, the resume goes on.
TEST_F(ResumeTest, ASecondWriterOfAJobIsRefusedWhileTheFirstHoldsIt) {
  const auto out = dir / "run";
  ASSERT_NO_THROW(convert_into(out));
  simulate_crash(out / "kill", "R0002", 2);
  const std::string journal_before = read_file(out / "kill" / "journal.jsonl");
  {
    const auto held = api::lock_job(out / "kill");
    auto resume = test::run_cli({"convert", "--resume", (out / "kill").string()});
    EXPECT_EQ(resume.exit_code, 6) << resume.out << resume.err;
    EXPECT_NE(resume.err.find("job " + (out / "kill").string() +
                              " is being written by another filmwriter"),
              std::string::npos)
        << resume.err;
    EXPECT_NE(resume.err.find(fmt::format("pid {}", getpid())), std::string::npos) << resume.err;
    auto verify = test::run_cli({"verify", (out / "kill").string()});
    EXPECT_EQ(verify.exit_code, 6) << verify.out << verify.err;
    auto plan = convert_args(out);
    plan.front() = "plan";
    EXPECT_EQ(test::run_cli(plan).exit_code, 6);
    EXPECT_EQ(read_file(out / "kill" / "journal.jsonl"), journal_before);
  }
  auto resumed = test::run_cli({"convert", "--resume", (out / "kill").string()});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
}

// A replaced source page: resume names the file and what changed in its frame, and goes on
// with the new plan only where the film does not hold the old one.
TEST_F(ResumeTest, AReplacedPageIsNamedAndRefilmedFromItsReelWithRespool) {
  ASSERT_NO_THROW(convert_into(dir / "ref"));
  const auto out = dir / "run";
  ASSERT_NO_THROW(convert_into(out));
  simulate_crash(out / "kill", "R0002", 2);
  const auto landscape = [&](const std::string& page) {
    samples::PageSpec spec{148, 105, 100, 1, {{10, 20, 8}}, "replaced"};
    samples::save_page(samples::make_page(spec), dir / "scans" / page, samples::Encoding::png, 100);
  };
  const std::vector<std::string> resume{"convert", "--resume", (out / "kill").string()};
  const auto plan = nlohmann::json::parse(read_file(out / "kill" / "plan.json"));
  const auto reel_of = [&](const std::string& page) {
    for (const auto& frame : plan["frames"]) {
      if (frame["source"].is_object() &&
          frame["source"]["file"].get<std::string>().ends_with(page)) {
        return frame["address"].get<std::string>().substr(0, 5);
      }
    }
    return std::string();
  };
  ASSERT_EQ(reel_of("D001/p1.png"), "R0001");
  const std::string first_on_r2 = [&] {
    for (const auto& frame : plan["frames"]) {
      if (frame["address"].get<std::string>().starts_with("R0002")) {
        const std::string file = frame["source"]["file"];
        return file.substr(file.size() - std::string("D002/p4.png").size());
      }
    }
    return std::string();
  }();
  ASSERT_FALSE(first_on_r2.empty());

  // A page on a closed reel: refused, naming the file, its old and new size, and what to do.
  const std::string original = read_file(dir / "scans" / "D001" / "p1.png");
  landscape("D001/p1.png");
  auto refused = test::run_cli(resume);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("the plan changed since the job started"), std::string::npos);
  EXPECT_NE(refused.err.find("D001/p1.png"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("source.width_px: 413 → 583"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("the first change is on reel R0001, which is already on film: put "
                             "back the file it was made from"),
            std::string::npos)
      << refused.err;
  test::write_text(dir / "scans" / "D001" / "p1.png", original);

  // A page on the reel in the recorder, already exposed: respool films that reel again.
  landscape(first_on_r2);
  refused = test::run_cli(resume);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find(first_on_r2), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("the first change is on reel R0002, which was in the recorder: "
                             "resume with --reel-policy respool"),
            std::string::npos)
      << refused.err;
  auto respool = resume;
  respool.insert(respool.end(), {"--reel-policy", "respool"});
  const auto resumed = test::run_cli(respool);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("the plan changed after the frames on film"), std::string::npos)
      << resumed.out;
  // The first reel is the reference's; the old plan is kept; the spoiled reel says why.
  EXPECT_EQ(read_file(out / "kill" / "R0001" / "index.csv"),
            read_file(dir / "ref" / "kill" / "R0001" / "index.csv"));
  EXPECT_TRUE(std::filesystem::exists(out / "kill" / "plan.1.json"));
  const std::string journal = read_file(out / "kill" / "journal.jsonl");
  EXPECT_NE(journal.find("\"event\":\"replanned\""), std::string::npos);
  EXPECT_NE(journal.find("\"reason\":\"the plan changed: frame R0002-"), std::string::npos)
      << journal;
  // Resuming the finished job again finds nothing changed and nothing to do.
  const auto again = test::run_cli(resume);
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

}  // namespace
}  // namespace fw::resume_test
