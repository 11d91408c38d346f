#include "support/resume_fixture.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/settings.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/small_job.hpp"

namespace fw::test {

void ResumeTest::SetUp() {
  test::copy_profiles_with_short_reel(dir / "profiles");
  const std::vector<int> pages_per_document{3, 8, 2, 3};
  std::string toml = test::tiff_job_head("kill", "断点续拍 test", "short-reel");
  for (std::size_t d = 0; d < pages_per_document.size(); ++d) {
    const std::string id = fmt::format("D{:03}", d + 1);
    std::filesystem::create_directories(dir / "scans" / id);
    for (int p = 1; p <= pages_per_document[d]; ++p) {
      samples::PageSpec spec{
          105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, id + " p" + std::to_string(p)};
      samples::save_page(samples::make_page(spec), dir / "scans" / id / fmt::format("p{}.png", p),
                         samples::Encoding::png, 100);
    }
    toml += fmt::format(
        "[[documents]]\nid = \"{}\"\ntitle = \"卷{}\"\npages = {{ dir = \"scans/{}\" }}\n", id,
        d + 1, id);
  }
  test::write_text(dir / "job.toml", toml);
}

std::vector<std::string> ResumeTest::convert_args(const std::filesystem::path& out) const {
  return {"convert",    (dir / "job.toml").string(), "--out", out.string(),
          "--profiles", (dir / "profiles").string()};
}

api::ConvertResult ResumeTest::convert_into(const std::filesystem::path& out,
                                            const api::ConvertOptions& options) const {
  return test::convert_job(dir / "job.toml", options, test::job_flags(out, dir / "profiles"));
}

pid_t ResumeTest::spawn(const std::vector<std::string>& args) {
  return test::spawn(FW_CLI, args, "/dev/null", "/dev/null");
}

bool ResumeTest::kill_after_frames(const std::vector<std::string>& args,
                                   const std::filesystem::path& journal, std::size_t frames,
                                   std::chrono::microseconds delay) {
  const pid_t pid = spawn(args);
  auto journaled = [&] {
    std::size_t count = 0;
    std::ifstream in(journal);
    for (std::string line; std::getline(in, line);) {
      count += line.find("\"event\":\"frame\"") != std::string::npos;
    }
    return count;
  };
  int status = 0;
  while (journaled() < frames) {
    if (waitpid(pid, &status, WNOHANG) != 0) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status);
}

void ResumeTest::simulate_crash(const std::filesystem::path& job_dir, const std::string& reel,
                                std::size_t frames) {
  std::istringstream lines(read_file(job_dir / "journal.jsonl"));
  std::string kept;
  std::size_t seen = 0;
  for (std::string line; std::getline(lines, line) && seen < frames;) {
    kept += line + "\n";
    const auto record = nlohmann::json::parse(line);
    seen += record["event"] == "frame" && record["reel"] == reel;
  }
  test::write_text(job_dir / "journal.jsonl", kept);
  std::filesystem::remove(job_dir / reel / "index.csv");
  std::filesystem::remove(job_dir / reel / "manifest.sha256");
  for (const auto& entry : std::filesystem::directory_iterator(job_dir / reel / "frames")) {
    if (entry.path().filename().string() > fmt::format("F{:06}.tif", frames + 1)) {
      std::filesystem::remove(entry.path());
    }
  }
  for (const auto& later : reels(job_dir)) {
    if (later > reel) std::filesystem::remove_all(job_dir / later);
  }
}

std::map<std::uint64_t, int> ResumeTest::journal_frames(const std::filesystem::path& journal) {
  std::map<std::uint64_t, int> seen;
  std::ifstream in(journal);
  // A job still writing may have its last line half written: only whole lines count, as
  // for the journal's own reader.
  for (std::string line; std::getline(in, line);) {
    if (in.eof()) break;  // no newline after it
    const auto record = nlohmann::json::parse(line);
    if (record["event"] == "frame") ++seen[record["seq"].get<std::uint64_t>()];
  }
  return seen;
}

std::vector<std::string> ResumeTest::reels(const std::filesystem::path& job_dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(job_dir)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory() && name.starts_with("R")) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void ResumeTest::expect_same_as_reference(const std::filesystem::path& job_dir,
                                          const std::string& context) {
  const auto reference = dir / "ref" / "kill";
  EXPECT_EQ(read_file(job_dir / "plan.json"), read_file(reference / "plan.json")) << context;
  ASSERT_EQ(reels(job_dir), reels(reference)) << context;
  for (const auto& reel : reels(reference)) {
    EXPECT_EQ(read_file(job_dir / reel / "index.csv"), read_file(reference / reel / "index.csv"))
        << context << " " << reel;
    const std::string manifest = read_file(job_dir / reel / "manifest.sha256");
    EXPECT_EQ(manifest, read_file(reference / reel / "manifest.sha256")) << context << " " << reel;
    std::istringstream lines(manifest);
    std::size_t frame_files = 0;
    for (std::string digest, name; lines >> digest >> name;) {
      EXPECT_EQ(sha256_file(job_dir / reel / name), digest)
          << context << " " << reel << "/" << name;
      frame_files += name.starts_with("frames/");
    }
    // No frame file beyond those the index and manifest account for.
    std::size_t on_disk = 0;
    for (const auto& f : std::filesystem::directory_iterator(job_dir / reel / "frames")) {
      on_disk += f.path().extension() == ".tif";
    }
    EXPECT_EQ(on_disk, frame_files) << context << " " << reel;
  }
}

}  // namespace fw::test
