// Crash safety on the simulated recorder, locally and through recorderd: kill -9 of the job
// loses the frames in the device's buffer, and `convert --resume` exposes them again so that the
// reels equal an uninterrupted run's, developed film included.
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
#include "support/resume_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::resume_sim_kill_test {
namespace {

using test::ResumeTest;

// The simulated recorder loses the frames in its buffer when it stops (kill -9 of the host, or
// of recorderd serving it): resume asks the device where its film ends, exposes the lost
// frames again, and the reels equal an uninterrupted run's, developed film included.
class SimResumeTest : public ResumeTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    ResumeTest::SetUp();
    test::add_test_recorder(dir / "profiles");
    std::string toml = read_file(dir / "job.toml");
    const std::string tiff =
        "driver = \"tiff\"\n[recorder.options]\npitch_um = 50\n"
        "compression = \"none\"\n";
    toml.replace(toml.find(tiff), tiff.size(),
                 "driver = \"sim\"\n[recorder.options]\nrecorder = \"sim-test\"\n");
    test::write_text(dir / "job.toml", toml);
  }

  // Index, manifest and every frame of the developed film, against the uninterrupted run. The
  // sim's reel record is compared frame by frame without film positions: a stop and a busy
  // host may cost film (an underrun, recorded with its waste), which moves later frames.
  void expect_same_film(const std::filesystem::path& job_dir,
                        const std::filesystem::path& film_root, const std::string& context) {
    const auto reference = dir / "ref" / "kill";
    ASSERT_EQ(reels(job_dir), reels(reference)) << context;
    const auto without_record = [](const std::string& manifest) {
      std::istringstream lines(manifest);
      std::string kept;
      for (std::string line; std::getline(lines, line);) {
        if (!line.ends_with("film/reel.json")) kept += line + "\n";
      }
      return kept;
    };
    const auto frames_of = [](const std::filesystem::path& record) {
      auto frames = nlohmann::json::parse(read_file(record))["frames"];
      for (auto& frame : frames) frame.erase("start_mm");
      return frames;
    };
    for (const auto& reel : reels(reference)) {
      EXPECT_EQ(read_file(job_dir / reel / "index.csv"), read_file(reference / reel / "index.csv"))
          << context << " " << reel;
      // Through recorderd the host's manifest lists the device's own (recorder.sha256).
      if (film_root == job_dir) {
        EXPECT_EQ(without_record(read_file(job_dir / reel / "manifest.sha256")),
                  without_record(read_file(reference / reel / "manifest.sha256")))
            << context << " " << reel;
      }
      EXPECT_EQ(frames_of(film_root / reel / "film" / "reel.json"),
                frames_of(reference / reel / "film" / "reel.json"))
          << context << " " << reel;
      for (const auto& f : std::filesystem::directory_iterator(reference / reel / "film")) {
        if (f.path().extension() != ".tif") continue;
        EXPECT_EQ(sha256_file(film_root / reel / "film" / f.path().filename()),
                  sha256_file(f.path()))
            << context << " " << reel << "/" << f.path().filename();
      }
    }
  }
};

TEST_P(SimResumeTest, SigkillAtTenPointsThenResumeContinuesFromWhereTheFilmEnds) {
  const bool through_daemon = GetParam();
  ASSERT_NO_THROW(convert_into(dir / "ref"));
  const std::size_t planned = journal_frames(dir / "ref" / "kill" / "journal.jsonl").size();
  const auto recorderd = std::filesystem::path(FW_CLI).parent_path() / "recorderd";
  std::mt19937 random(11);
  std::uniform_int_distribution<std::size_t> after_frame(1, planned - 2);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int killed = 0, rewound = 0;
  for (int attempt = 0; killed < 10 && attempt < 30; ++attempt) {
    const auto run = dir / fmt::format("sim{}", attempt);
    std::filesystem::create_directories(run);
    // recorderd serving the sim, killed with the client (a power cut), then started again.
    const std::string profiles = "profiles=" + (dir / "profiles").string();
    const auto start_daemon = [&] {
      std::filesystem::remove(run / "port");
      const pid_t daemon = fork();
      if (daemon == 0) {
        std::freopen((run / "daemon.log").c_str(), "a", stderr);
        execl(recorderd.c_str(), "recorderd", "--port", "0", "--port-file", (run / "port").c_str(),
              "--root", (run / "root").c_str(), "--driver", "sim", "-O", profiles.c_str(), "-O",
              "recorder=sim-test", nullptr);
        _exit(127);
      }
      for (int i = 0; i < 500 && !std::filesystem::exists(run / "port"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return daemon;
    };
    auto args = convert_args(run / "out");
    pid_t daemon = -1;
    if (through_daemon) {
      daemon = start_daemon();
      const std::string port = read_file(run / "port");
      std::string toml = read_file(dir / "job.toml");
      const std::string options = "[recorder.options]\nrecorder = \"sim-test\"\n";
      toml.erase(toml.find(options), options.size());
      // Beside job.toml: its scans are relative to the job file's folder.
      test::write_text(dir / "net.toml", toml);
      args[1] = (dir / "net.toml").string();
      args.insert(args.end(), {"--driver", "net", "-O", "host=127.0.0.1", "-O",
                               "port=" + port.substr(0, port.find('\n'))});
    }
    const std::size_t frames = after_frame(random);
    const auto delay = std::chrono::microseconds(delay_us(random));
    const auto journal = run / "out" / "kill" / "journal.jsonl";
    const std::string context =
        fmt::format("sim kill {} after frame {} + {} us", attempt, frames, delay.count());
    const bool was_killed = kill_after_frames(args, journal, frames, delay);
    if (through_daemon) {
      ::kill(daemon, SIGKILL);
      waitpid(daemon, nullptr, 0);
    }
    if (was_killed) {
      ++killed;
      if (through_daemon) {
        daemon = start_daemon();
        const std::string port = read_file(run / "port");
        args.back() = "port=" + port.substr(0, port.find('\n'));
      }
      args.emplace_back("--resume");
      const auto resumed = test::run_cli(args);
      if (through_daemon) {
        ::kill(daemon, SIGTERM);
        waitpid(daemon, nullptr, 0);
      }
      ASSERT_EQ(resumed.exit_code, 0)
          << context << "\n"
          << resumed.out << resumed.err << (through_daemon ? read_file(run / "daemon.log") : "");
      rewound += read_file(journal).find("\"reel_rewound\"") != std::string::npos;
      expect_same_film(run / "out" / "kill",
                       through_daemon ? run / "root" / "kill" : run / "out" / "kill", context);
    }
    if (!::testing::Test::HasFailure()) std::filesystem::remove_all(run);
  }
  EXPECT_EQ(killed, 10) << "too many runs ended before their kill";
  // Most kills find frames in the recorder's buffer; the test is about those.
  EXPECT_GE(rewound, 5);
}

INSTANTIATE_TEST_SUITE_P(Recorders, SimResumeTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Recorderd" : "Sim"; });

}  // namespace
}  // namespace fw::resume_sim_kill_test
