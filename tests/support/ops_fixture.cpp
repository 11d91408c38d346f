#include "support/ops_fixture.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "samples/samples.hpp"
#include "support/small_job.hpp"

namespace fw::test {

const fs::path kRecorderd = fs::path(FW_CLI).parent_path() / "recorderd";

std::size_t journaled_frames(const fs::path& journal) {
  std::size_t count = 0;
  std::ifstream in(journal);
  for (std::string line; std::getline(in, line);) {
    count += line.find("\"event\":\"frame\"") != std::string::npos;
  }
  return count;
}

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

Daemon::Daemon(const fs::path& dir, std::vector<std::string> args, std::uint16_t port)
    : dir_(dir), args_(std::move(args)) {
  fs::create_directories(dir_);
  start(port);
}

void Daemon::start(std::uint16_t port) {
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

void Daemon::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exit(pid_);
  pid_ = -1;
}

bool Daemon::exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

void Daemon::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  wait_exit(pid_);
  pid_ = -1;
}

std::vector<std::string> Daemon::client_options(const std::string& extra_token) const {
  std::vector<std::string> o{"--driver",       "net", "-O",
                             "host=127.0.0.1", "-O",  fmt::format("port={}", port_)};
  if (!extra_token.empty()) o.insert(o.end(), {"-O", "token=" + extra_token});
  return o;
}

void OpsTest::SetUp() {
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

std::string OpsTest::job_toml(const std::string& id, const std::string& scans,
                              const std::vector<int>& documents, bool tiff) const {
  std::string toml = test::tiff_job_head(id, "运维 test " + id, "short-reel");
  if (!tiff) toml = toml.substr(0, toml.find("[recorder]"));
  for (int d : documents) {
    toml += fmt::format(
        "[[documents]]\nid = \"D{:03}\"\ntitle = \"卷{}\"\npages = {{ dir = \"{}/D{:03}\" }}\n", d,
        d, scans, d);
  }
  return toml;
}

std::vector<std::string> OpsTest::convert_args(const std::string& id, const fs::path& out,
                                               bool net) {
  const auto file = dir / (id + (net ? "-net.toml" : ".toml"));
  if (!fs::exists(file)) test::write_text(file, job_toml(id, "scans", {1, 2, 3, 4}, !net));
  return {"convert",    file.string(), "--out",
          out.string(), "--profiles",  (dir / "profiles").string()};
}

fs::path OpsTest::reference(const std::string& id) {
  const auto out = dir / "ref";
  if (!fs::exists(out / id / "journal.jsonl")) {
    const auto result = test::run_cli(convert_args(id, out));
    EXPECT_EQ(result.exit_code, 0) << result.err;
  }
  return out / id;
}

void OpsTest::expect_identical_through_daemon(const fs::path& job_dir, const fs::path& daemon_job,
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

std::vector<std::string> OpsTest::coarse_sim_options() {
  const auto profile = dir / "profiles" / "recorders" / "sim-coarse.toml";
  if (!fs::exists(profile)) {
    const std::string fast = slurp(dir / "profiles" / "recorders" / "sim-fast.toml");
    test::write_text(profile, std::regex_replace(fast, std::regex("\npixel_pitch_um = [0-9.]+"),
                                                 "\npixel_pitch_um = 50"));
  }
  return {
      "-O", "rate=0", "-O", "recorder=sim-coarse", "-O", "profiles=" + (dir / "profiles").string()};
}

void OpsTest::expect_same_film(const fs::path& job_dir, const fs::path& daemon_job,
                               const fs::path& ref, const fs::path& ref_daemon_job,
                               const std::string& context) {
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

void OpsTest::expect_catalog_once(const fs::path& catalog, const std::string& job,
                                  std::size_t planned, const std::string& context) {
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

std::pair<fs::path, fs::path> OpsTest::sim_reference(const std::string& id) {
  Daemon daemon(dir / "ref-daemon", coarse_sim_options());
  auto args = convert_args(id, dir / "ref-net", true);
  for (const auto& o : daemon.client_options()) args.push_back(o);
  const auto result = test::run_cli(args);
  EXPECT_EQ(result.exit_code, 0) << result.err << daemon.log();
  return {dir / "ref-net" / id, daemon.root() / id};
}

void OpsTest::expect_exactly_once(const fs::path& journal, std::size_t planned,
                                  const std::string& context) {
  const auto seen = journal_sequences_on_film(journal);
  EXPECT_EQ(seen.size(), planned) << context;
  for (const auto& [sequence, times] : seen) {
    EXPECT_EQ(times, 1) << context << ": frame " << sequence << " recorded " << times;
  }
}

}  // namespace fw::test
