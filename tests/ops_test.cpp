// Operations end to end through the real CLI: the cron queue (order, failed jobs, two
// instances, kill -9 and a stale lock, SIGTERM), JSON logs, and the network recorder (recorderd
// serving the tiff or sim driver on localhost: byte-identical film, dropped connections, a
// daemon killed mid-reel, typed device errors over the wire).
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "base/sha256.hpp"
#include "net/protocol.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kRecorderd = fs::path(FW_CLI).parent_path() / "recorderd";

// Starts `exe` with `args`, stdout and stderr into files; in its own process group when
// `group` (so that a test can kill -9 a queue together with the job it runs).
pid_t spawn(const fs::path& exe, const std::vector<std::string>& args, const fs::path& out,
            const fs::path& err, bool group = false) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (group) setpgid(0, 0);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<std::string> storage{exe.string()};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  if (group) setpgid(pid, pid);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Polls `done` every 20 ms for at most `limit`.
template <typename Done>
bool wait_until(Done done, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::size_t journaled_frames(const fs::path& journal) {
  std::size_t count = 0;
  std::ifstream in(journal);
  for (std::string line; std::getline(in, line);) {
    count += line.find("\"event\":\"frame\"") != std::string::npos;
  }
  return count;
}

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

// sequence -> how many times a frame of it is on film: frames of a reel the journal later
// records as spoiled (policy respool), or as lost in the device's buffer (rewound), do not
// count.
std::map<std::uint64_t, int> journal_sequences_on_film(const fs::path& journal) {
  std::map<std::uint64_t, int> seen;
  std::map<std::uint64_t, std::pair<std::string, std::uint32_t>> frame_of;  // reel, frame
  std::ifstream in(journal);
  const auto drop = [&](const nlohmann::json& reel, std::uint32_t after) {
    for (auto it = seen.begin(); it != seen.end();) {
      const auto& [id, number] = frame_of[it->first];
      it = id == reel && number > after ? seen.erase(it) : std::next(it);
    }
  };
  for (std::string line; std::getline(in, line);) {
    const auto record = nlohmann::json::parse(line);
    if (record["event"] == "frame") {
      const auto sequence = record["seq"].get<std::uint64_t>();
      ++seen[sequence];
      frame_of[sequence] = {record["reel"].get<std::string>(),
                            record["frame"].get<std::uint32_t>()};
    } else if (record["event"] == "reel_spoiled") {
      drop(record["reel"], 0);
    } else if (record["event"] == "reel_rewound") {
      drop(record["reel"], record["frames"].get<std::uint32_t>());
    }
  }
  return seen;
}

// Waits for `pid` at most `limit`; -1 if it is still running then.
int wait_exit_for(pid_t pid, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(5ms);
  }
  return -1;
}

std::vector<std::string> reels(const fs::path& job_dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(job_dir)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory() && name.starts_with("R")) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    lines.push_back(nlohmann::json::parse(line));  // throws (fails the test) if not JSON
  }
  return lines;
}

// recorderd on localhost, serving a local driver.
class Daemon {
 public:
  Daemon(const fs::path& dir, std::vector<std::string> args, std::uint16_t port = 0)
      : dir_(dir), args_(std::move(args)) {
    fs::create_directories(dir_);
    start(port);
  }
  ~Daemon() { stop(); }

  void start(std::uint16_t port) {
    const auto port_file = dir_ / "port";
    fs::remove(port_file);
    std::vector<std::string> args{"--port",      std::to_string(port),
                                  "--port-file", port_file.string(),
                                  "--root",      (dir_ / "root").string()};
    args.insert(args.end(), args_.begin(), args_.end());
    pid_ = spawn(kRecorderd, args, dir_ / "daemon.out", dir_ / "daemon.log");
    EXPECT_TRUE(wait_until([&] { return fs::exists(port_file); }, 10s)) << log();
    port_ = static_cast<std::uint16_t>(std::stoi(slurp(port_file)));
  }
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_exit(pid_);
    pid_ = -1;
  }
  // True once the daemon died (killed, or it killed itself: --inject-kill-after).
  bool exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    return true;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    wait_exit(pid_);
    pid_ = -1;
  }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // What the next start() runs with (after the port, port file and root).
  std::vector<std::string>& args() { return args_; }
  fs::path root() const { return dir_ / "root"; }
  std::string log() const { return slurp(dir_ / "daemon.log"); }
  std::vector<std::string> client_options(const std::string& extra_token = {}) const {
    std::vector<std::string> o{"--driver",       "net", "-O",
                               "host=127.0.0.1", "-O",  fmt::format("port={}", port_)};
    if (!extra_token.empty()) o.insert(o.end(), {"-O", "token=" + extra_token});
    return o;
  }

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
  void SetUp() override {
    test::copy_profiles_with_short_reel(dir / "profiles");
    const std::vector<int> pages_per_document{3, 8, 2, 3};
    for (std::size_t d = 0; d < pages_per_document.size(); ++d) {
      const std::string id = fmt::format("D{:03}", d + 1);
      fs::create_directories(dir / "scans" / id);
      for (int p = 1; p <= pages_per_document[d]; ++p) {
        samples::PageSpec spec{
            105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, id + " p" + std::to_string(p)};
        samples::save_page(samples::make_page(spec), dir / "scans" / id / fmt::format("p{}.png", p),
                           samples::Encoding::png, 100);
      }
    }
  }

  // A job file; `scans` is how the job reaches the scans folder from where it lies.
  // With `tiff` false the job names no driver options: the net driver takes none of the
  // tiff's (the daemon's driver has them).
  std::string job_toml(const std::string& id, const std::string& scans,
                       const std::vector<int>& documents = {1, 2, 3, 4}, bool tiff = true) const {
    std::string toml = fmt::format(R"(version = 1
id = "{}"
title = "运维 test {}"
format = "short-reel"
threads = 2
targets = "none"
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 50
compression = "none"
)",
                                   id, id);
    if (!tiff) toml = toml.substr(0, toml.find("[recorder]"));
    for (int d : documents) {
      toml += fmt::format(
          "[[documents]]\nid = \"D{:03}\"\ntitle = \"卷{}\"\npages = {{ dir = \"{}/D{:03}\" }}\n",
          d, d, scans, d);
    }
    return toml;
  }

  std::vector<std::string> convert_args(const std::string& id, const fs::path& out,
                                        bool net = false) {
    const auto file = dir / (id + (net ? "-net.toml" : ".toml"));
    if (!fs::exists(file)) test::write_text(file, job_toml(id, "scans", {1, 2, 3, 4}, !net));
    return {"convert",    file.string(), "--out",
            out.string(), "--profiles",  (dir / "profiles").string()};
  }

  // The reference: the same job through the local tiff driver.
  fs::path reference(const std::string& id) {
    const auto out = dir / "ref";
    if (!fs::exists(out / id / "journal.jsonl")) {
      const auto result = test::run_cli(convert_args(id, out));
      EXPECT_EQ(result.exit_code, 0) << result.err;
    }
    return out / id;
  }

  // Index files equal the reference's, and the frames the daemon wrote are byte-identical to
  // the local driver's; recorder.sha256 lists them with the local manifest's digests.
  void expect_identical_through_daemon(const fs::path& job_dir, const fs::path& daemon_job,
                                       const fs::path& ref, const std::string& context) {
    ASSERT_EQ(reels(job_dir), reels(ref)) << context;
    for (const auto& reel : reels(ref)) {
      EXPECT_EQ(slurp(job_dir / reel / "index.csv"), slurp(ref / reel / "index.csv"))
          << context << " " << reel;
      std::size_t frames = 0;
      for (const auto& f : fs::directory_iterator(ref / reel / "frames")) {
        ++frames;
        const auto name = f.path().filename();
        EXPECT_EQ(slurp(daemon_job / reel / "frames" / name), slurp(f.path()))
            << context << " " << reel << "/" << name.string();
      }
      std::size_t on_daemon = 0;
      for (const auto& f : fs::directory_iterator(daemon_job / reel / "frames")) {
        on_daemon += f.path().extension() == ".tif";
      }
      EXPECT_EQ(on_daemon, frames) << context << " " << reel;
      // The local manifest's frame lines are exactly the daemon's list.
      std::string frame_lines;
      std::istringstream manifest(slurp(ref / reel / "manifest.sha256"));
      for (std::string line; std::getline(manifest, line);) {
        if (line.find("frames/") != std::string::npos) frame_lines += line + "\n";
      }
      EXPECT_EQ(slurp(job_dir / reel / "recorder.sha256"), frame_lines) << context << " " << reel;
      EXPECT_NE(slurp(job_dir / reel / "manifest.sha256").find("  recorder.sha256"),
                std::string::npos);
    }
  }

  // The sim recorder at 50 um pitch (small frames, fast to develop), as fast as possible.
  std::vector<std::string> coarse_sim_options() {
    const auto profile = dir / "profiles" / "recorders" / "sim-coarse.toml";
    if (!fs::exists(profile)) {
      const std::string fast = slurp(dir / "profiles" / "recorders" / "sim-fast.toml");
      test::write_text(profile, std::regex_replace(fast, std::regex("\npixel_pitch_um = [0-9.]+"),
                                                   "\npixel_pitch_um = 50"));
    }
    return {"-O", "rate=0",
            "-O", "recorder=sim-coarse",
            "-O", "profiles=" + (dir / "profiles").string()};
  }

  // What the daemon's sim developed for a job must equal the reference run's, file by file
  // (recorder.sha256 lists the film and reel.json; the manifest covers it), and reel.json must
  // place every frame once, in order.
  void expect_same_film(const fs::path& job_dir, const fs::path& daemon_job, const fs::path& ref,
                        const fs::path& ref_daemon_job, const std::string& context) {
    ASSERT_EQ(reels(job_dir), reels(ref)) << context;
    for (const auto& reel : reels(ref)) {
      EXPECT_EQ(slurp(job_dir / reel / "index.csv"), slurp(ref / reel / "index.csv"))
          << context << " " << reel;
      EXPECT_EQ(slurp(job_dir / reel / "manifest.sha256"), slurp(ref / reel / "manifest.sha256"))
          << context << " " << reel;
      EXPECT_EQ(slurp(job_dir / reel / "recorder.sha256"), slurp(ref / reel / "recorder.sha256"))
          << context << " " << reel;
      std::size_t on_film = 0, in_reference = 0;
      for (const auto& f : fs::directory_iterator(daemon_job / reel / "film")) {
        on_film += f.path().extension() == ".tif";
      }
      for (const auto& f : fs::directory_iterator(ref_daemon_job / reel / "film")) {
        in_reference += f.path().extension() == ".tif";
        EXPECT_EQ(slurp(daemon_job / reel / "film" / f.path().filename()), slurp(f.path()))
            << context << " " << reel << "/film/" << f.path().filename().string();
      }
      EXPECT_EQ(on_film, in_reference) << context << " " << reel;
      const auto layout = nlohmann::json::parse(slurp(daemon_job / reel / "film" / "reel.json"));
      std::uint32_t expected = 1;
      for (const auto& frame : layout["frames"]) {
        EXPECT_EQ(frame["frame"], expected++) << context << " " << reel;
      }
    }
  }

  // Every frame of the job once in the catalog, on its reel, none on a spoiled reel.
  void expect_catalog_once(const fs::path& catalog, const std::string& job, std::size_t planned,
                           const std::string& context) {
    const auto found = test::run_cli(
        {"catalog", "export", "--catalog", catalog.string(), "--format", "json", "--job", job});
    ASSERT_EQ(found.exit_code, 0) << found.err;
    const auto exported = nlohmann::json::parse(found.out);
    std::map<std::string, int> seen;  // reel/frame -> times (spoiled reels are not exported)
    for (const auto& j : exported["jobs"]) {
      for (const auto& frame : j["frames"]) {
        ++seen[frame["reel"].get<std::string>() + "/" + frame["frame"].dump()];
      }
    }
    EXPECT_EQ(seen.size(), planned) << context << "\n" << found.out.substr(0, 2000);
    for (const auto& [frame, times] : seen) EXPECT_EQ(times, 1) << context << " " << frame;
    const auto check = test::run_cli({"catalog", "check", "--catalog", catalog.string()});
    EXPECT_EQ(check.exit_code, 0) << context << "\n" << check.out << check.err;
  }

  // The job through recorderd serving the coarse sim, uninterrupted: the job folder and the
  // daemon's folder of the job.
  std::pair<fs::path, fs::path> sim_reference(const std::string& id) {
    Daemon daemon(dir / "ref-daemon", coarse_sim_options());
    auto args = convert_args(id, dir / "ref-net", true);
    for (const auto& o : daemon.client_options()) args.push_back(o);
    const auto result = test::run_cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.err << daemon.log();
    return {dir / "ref-net" / id, daemon.root() / id};
  }

  static void expect_exactly_once(const fs::path& journal, std::size_t planned,
                                  const std::string& context) {
    const auto seen = journal_sequences_on_film(journal);
    EXPECT_EQ(seen.size(), planned) << context;
    for (const auto& [sequence, times] : seen) {
      EXPECT_EQ(times, 1) << context << ": frame " << sequence << " recorded " << times;
    }
  }

  test::TempDir dir;
};

// --- logs -------------------------------------------------------------------------------

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

TEST_F(OpsTest, NetDriverThroughRecorderdIsByteIdenticalToTheLocalDriver) {
  const auto ref = reference("net");
  Daemon daemon(dir / "d", {"--driver", "tiff", "-O", "pitch_um=50", "-O", "compression=none",
                            "--token", "s3cret"});
  auto args = convert_args("net", dir / "out", true);
  for (const auto& o : daemon.client_options("s3cret")) args.push_back(o);
  const auto result = test::run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err << daemon.log();
  EXPECT_NE(result.out.find("exposed 16 frames with the net driver"), std::string::npos);
  expect_identical_through_daemon(dir / "out" / "net", daemon.root() / "net", ref, "net");

  // A wrong token is refused, typed (device error, exit 4), without retrying.
  auto wrong = convert_args("net", dir / "out2", true);
  for (const auto& o : daemon.client_options("guess")) wrong.push_back(o);
  const auto refused = test::run_cli(wrong);
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_NE(refused.err.find(
                fmt::format("recorderd 127.0.0.1:{} refused the connection (auth)", daemon.port())),
            std::string::npos)
      << refused.err;

  // While one client holds the device, a second is refused.
  net::Connection holder = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
  holder.send({{"type", "hello"}, {"version", 1}, {"token", "s3cret"}, {"client", "test holder"}});
  ASSERT_EQ(holder.receive(5000).type(), "welcome");
  auto busy_args = convert_args("net", dir / "out3", true);
  for (const auto& o : daemon.client_options("s3cret")) busy_args.push_back(o);
  const auto busy = test::run_cli(busy_args);
  EXPECT_EQ(busy.exit_code, 4);
  EXPECT_NE(busy.err.find("(busy): the device is held by test holder since"), std::string::npos)
      << busy.err;
}

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
      err, std::regex(fmt::format(R"(device error: (reel R000\d frame \d+ .*)?disconnected: )"
                                  R"(net driver: recorderd 127.0.0.1:{}: (reel R000\d frame \d+|)"
                                  R"(load reel R000\d|unload reel R000\d): .*)"
                                  R"(gave up after 2 reconnect attempt)",
                                  port))))
      << err;
  EXPECT_LT(journaled_frames(journal), 16u);

  daemon->start(port);  // the same root: the reel's frames so far are on its disk
  args.push_back("--resume");
  const auto resumed = test::run_cli(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err << daemon->log();
  expect_exactly_once(journal, 16, "daemon restart");
  expect_identical_through_daemon(dir / "out" / "crash", daemon->root() / "crash", ref,
                                  "daemon restart");
}

TEST_F(OpsTest, SimFaultOverTheWireIsATypedDeviceErrorNamingReelAndFrame) {
  Daemon daemon(dir / "d", {"--driver", "sim", "-O", "rate=0", "-O", "fault_at=2", "-O",
                            "profiles=" + (dir / "profiles").string()});
  test::write_text(dir / "sim.toml", job_toml("sim", "scans", {1}, false));
  auto args = std::vector<std::string>{
      "convert",    (dir / "sim.toml").string(), "--out",       (dir / "out").string(),
      "--profiles", (dir / "profiles").string(), "--reduction", "48"};
  for (const auto& o : daemon.client_options()) args.push_back(o);
  const auto result = test::run_cli(args);
  EXPECT_EQ(result.exit_code, 4) << result.err << daemon.log();
  EXPECT_NE(result.err.find("device error: reel R0001 frame 2"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("device fault: recorderd 127.0.0.1"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("injected, fault_at"), std::string::npos) << result.err;
  // Frame 1 was accepted and journaled; frame 2 was not.
  EXPECT_EQ(journaled_frames(dir / "out" / "sim" / "journal.jsonl"), 1u);
}

// --- recorderd against hostile and broken clients (issue 25) ------------------------------

// The daemon's resident memory, from /proc.
std::size_t rss_kb(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  }
  return 0;
}

// A frame header of the protocol (magic, head length, data length), as a hostile client
// writes it.
std::string frame_header(std::uint32_t head, std::uint64_t data) {
  std::string out = "FWR1";
  for (int i = 3; i >= 0; --i) out += static_cast<char>(head >> (8 * i) & 0xff);
  for (int i = 7; i >= 0; --i) out += static_cast<char>(data >> (8 * i) & 0xff);
  return out;
}

void send_raw(const net::Connection& c, const std::string& bytes) {
  ASSERT_EQ(::send(c.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

net::Message hello(net::Connection& c, const std::string& token, const std::string& who) {
  c.send({{"type", "hello"}, {"version", 1}, {"token", token}, {"client", who}});
  return c.receive(3000);
}

TEST(Recorderd, AnUnauthenticatedHugeMessageIsRefusedBeforeAnythingIsAllocated) {
  test::TempDir dir;
  Daemon daemon(dir / "d", {"--driver", "tiff", "--token", "s3cret"});
  // A hello that declares 4 GiB and then 1.5 GiB of data: refused from the header alone.
  for (const std::uint64_t data : {std::uint64_t{4} << 30, std::uint64_t{3} << 29}) {
    net::Connection c = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
    send_raw(c, frame_header(16, data) + R"({"type":"hello"})");
    EXPECT_THROW(c.receive(3000), net::NetError);  // closed, without a reply
  }
  EXPECT_FALSE(daemon.exited()) << daemon.log();
  EXPECT_LT(rss_kb(daemon.pid()), 200u * 1024) << daemon.log();
  EXPECT_NE(daemon.log().find("message sizes out of range"), std::string::npos) << daemon.log();
  // The device still serves a client with the token.
  net::Connection good = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
  EXPECT_EQ(hello(good, "s3cret", "good").type(), "welcome");
}

TEST(Recorderd, AnOverlongOrUnsafeReelIdIsRefusedAndTheDaemonStays) {
  test::TempDir dir;
  Daemon daemon(dir / "d", {"--driver", "tiff"});
  net::Connection c = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
  ASSERT_EQ(hello(c, "", "test").type(), "welcome");
  for (const std::string& reel :
       {std::string(300, 'R'), std::string("../R1"), std::string("a\nb")}) {
    c.send({{"type", "load"}, {"reel", {{"reel_id", reel}, {"reel_number", 1}, {"job_id", "j"}}}});
    const net::Message reply = c.receive(3000);
    EXPECT_EQ(reply.type(), "error");
    EXPECT_EQ(reply.head.value("kind", ""), "protocol");
    EXPECT_NE(reply.head.value("message", "").find("1 to 128 bytes"), std::string::npos)
        << reply.head.dump();
  }
  EXPECT_FALSE(daemon.exited()) << daemon.log();
  c.send({{"type", "status"}});
  EXPECT_EQ(c.receive(3000).type(), "status");
}

// Found by tests/fuzz/net_protocol_fuzz: a field of the wrong type (a hello's version as a
// string, before any token is checked) escaped as nlohmann's exception and ended the daemon;
// a number out of range was converted as C++ casts do. Each is the request's protocol error.
TEST(Recorderd, FieldsOfTheWrongTypeOrOutOfRangeAreProtocolErrorsAndTheDaemonStays) {
  test::TempDir dir;
  Daemon daemon(dir / "d", {"--driver", "tiff", "--token", "s3cret"});
  for (const nlohmann::json& bad :
       {nlohmann::json{{"type", "hello"}, {"version", "1"}},
        nlohmann::json{{"type", "hello"}, {"version", 1e300}},
        nlohmann::json{{"type", "hello"}, {"version", 1}, {"token", 7}}}) {
    net::Connection c = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
    c.send(bad);
    const net::Message reply = c.receive(3000);
    EXPECT_EQ(reply.type(), "error") << bad.dump();
    EXPECT_EQ(reply.head.value("kind", ""), "protocol") << reply.head.dump();
  }
  // A message whose type is not a string is no message: the connection is closed.
  {
    net::Connection c = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
    c.send({{"type", 1}});
    EXPECT_THROW(c.receive(3000), net::NetError);
  }
  EXPECT_FALSE(daemon.exited()) << daemon.log();
  net::Connection good = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
  ASSERT_EQ(hello(good, "s3cret", "good").type(), "welcome");
  for (const nlohmann::json& bad :
       {nlohmann::json{{"type", "load"},
                       {"reel", {{"reel_id", "R1"}, {"reel_number", -1}, {"job_id", "j"}}}},
        nlohmann::json{{"type", "load"},
                       {"reel",
                        {{"reel_id", "R1"},
                         {"reel_number", 1},
                         {"job_id", "j"},
                         {"geometry", {{"fiche", true}, {"sheet", {{"columns", 1.5}}}}}}}},
        nlohmann::json{{"type", "frame"}, {"frame", 1e300}}}) {
    good.send(bad);
    const net::Message reply = good.receive(3000);
    EXPECT_EQ(reply.type(), "error") << bad.dump();
    EXPECT_EQ(reply.head.value("kind", ""), "protocol") << reply.head.dump();
  }
  EXPECT_FALSE(daemon.exited()) << daemon.log();
  good.send({{"type", "status"}});
  EXPECT_EQ(good.receive(3000).type(), "status");
}

TEST(Recorderd, AClientTricklingItsHelloDoesNotHoldUpAnother) {
  test::TempDir dir;
  Daemon daemon(dir / "d", {"--driver", "tiff", "--token", "s3cret"});
  // One connection sends its hello a byte at a time, a byte every 500 ms (16 s for all),
  // until the daemon closes it.
  std::thread trickle([&] {
    net::Connection slow = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
    const std::string bytes = frame_header(16, 0) + R"({"type":"hello"})";
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (::send(slow.fd(), bytes.data() + i, 1, MSG_NOSIGNAL) != 1) break;
      std::this_thread::sleep_for(500ms);
    }
  });
  std::this_thread::sleep_for(300ms);
  // Meanwhile, hellos and requests from another client are answered at once (within the
  // 3 s the receive below allows, where the daemon's old blocking hello took 5 s a byte).
  net::Connection c = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
  EXPECT_EQ(hello(c, "s3cret", "fast").type(), "welcome");
  for (int i = 0; i < 5; ++i) {
    c.send({{"type", "status"}});
    EXPECT_EQ(c.receive(3000).type(), "status");
    std::this_thread::sleep_for(200ms);
  }
  // The trickler is dropped at its hello deadline.
  trickle.join();
  EXPECT_NE(daemon.log().find("sent no hello within 5 s"), std::string::npos) << daemon.log();
}

TEST(Recorderd, AfterAnIdleClientIsReleasedTheNextClientIsServed) {
  test::TempDir dir;
  Daemon daemon(dir / "d", {"--driver", "tiff", "--idle-timeout", "1"});
  {
    net::Connection idle = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
    ASSERT_EQ(hello(idle, "", "idle").type(), "welcome");
    ASSERT_TRUE(wait_until(
        [&] { return daemon.log().find("idle for 1 s: released") != std::string::npos; }, 10s))
        << daemon.log();
  }
  // A new client long after the last message: served, not released right after its hello.
  net::Connection next = net::Connection::dial("127.0.0.1", daemon.port(), 2000);
  ASSERT_EQ(hello(next, "", "next").type(), "welcome");
  std::this_thread::sleep_for(500ms);
  next.send({{"type", "status"}});
  EXPECT_EQ(next.receive(3000).type(), "status") << daemon.log();
}

// --- faults and kills together ------------------------------------------------------------

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
    resume.push_back("--resume");
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
    args.push_back("--resume");
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
}  // namespace fw
