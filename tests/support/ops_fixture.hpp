// The operations tests' fixture (tests/ops_*_test.cpp, tests/recorderd_test.cpp): the real CLI
// and recorderd run as processes, their journals and reels read back. The bodies are in
// ops_fixture.cpp, compiled once into the test support library.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace fw::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

extern const fs::path kRecorderd;

// Polls `done` every 20 ms for at most `limit`.
template <typename Done>
inline bool wait_until(Done done, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::size_t journaled_frames(const fs::path& journal);

// sequence -> how many times a frame of it is on film: frames of a reel the journal later
// records as spoiled (policy respool), or as lost in the device's buffer (rewound), do not
// count.
std::map<std::uint64_t, int> journal_sequences_on_film(const fs::path& journal);

// Waits for `pid` at most `limit`; -1 if it is still running then.
int wait_exit_for(pid_t pid, std::chrono::milliseconds limit);

std::vector<std::string> reels(const fs::path& job_dir);

// Each line of `text` as JSON (throws, failing the test, on a line that is not).
std::vector<nlohmann::json> json_lines(const std::string& text);

// recorderd on localhost, serving a local driver.
class Daemon {
 public:
  Daemon(const fs::path& dir, std::vector<std::string> args, std::uint16_t port = 0);
  ~Daemon() { stop(); }

  void start(std::uint16_t port);
  void kill9();
  // True once the daemon died (killed, or it killed itself: --inject-kill-after).
  bool exited();
  void stop();
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // What the next start() runs with (after the port, port file and root).
  std::vector<std::string>& args() { return args_; }
  fs::path root() const { return dir_ / "root"; }
  std::string log() const { return slurp(dir_ / "daemon.log"); }
  std::vector<std::string> client_options(const std::string& extra_token = {}) const;

 private:
  fs::path dir_;
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// 16 small pages in 4 documents at 50 um pitch on reels of about six frames (several reels),
// as in resume_test.
class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // A job file; `scans` is how the job reaches the scans folder from where it lies.
  // With `tiff` false the job names no driver options: the net driver takes none of the
  // tiff's (the daemon's driver has them).
  std::string job_toml(const std::string& id, const std::string& scans,
                       const std::vector<int>& documents = {1, 2, 3, 4}, bool tiff = true) const;

  std::vector<std::string> convert_args(const std::string& id, const fs::path& out,
                                        bool net = false);

  // The reference: the same job through the local tiff driver.
  fs::path reference(const std::string& id);

  // Index files equal the reference's, and the frames the daemon wrote are byte-identical to
  // the local driver's; recorder.sha256 lists them with the local manifest's digests.
  void expect_identical_through_daemon(const fs::path& job_dir, const fs::path& daemon_job,
                                       const fs::path& ref, const std::string& context);

  // The sim recorder at 50 um pitch (small frames, fast to develop), as fast as possible.
  std::vector<std::string> coarse_sim_options();

  // What the daemon's sim developed for a job must equal the reference run's, file by file
  // (recorder.sha256 lists the film and reel.json; the manifest covers it), and reel.json must
  // place every frame once, in order.
  void expect_same_film(const fs::path& job_dir, const fs::path& daemon_job, const fs::path& ref,
                        const fs::path& ref_daemon_job, const std::string& context);

  // Every frame of the job once in the catalog, on its reel, none on a spoiled reel.
  void expect_catalog_once(const fs::path& catalog, const std::string& job, std::size_t planned,
                           const std::string& context);

  // The job through recorderd serving the coarse sim, uninterrupted: the job folder and the
  // daemon's folder of the job.
  std::pair<fs::path, fs::path> sim_reference(const std::string& id);

  static void expect_exactly_once(const fs::path& journal, std::size_t planned,
                                  const std::string& context);

  test::TempDir dir;
};

}  // namespace fw::test
