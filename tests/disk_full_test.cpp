// A full disk at random points of a job (issue 25): the output folder fills up after a byte
// budget drawn from a seeded RNG (tests/fault/enospc_shim.c, preloaded into the CLI). Each run
// must stop with exit 8 naming the path and "No space left on device", leave a journal that
// claims only frames whose film is on disk with its checksum, and `convert --resume` with the
// space back must finish the job exactly as an uninterrupted run (index, manifest, frame files;
// the sim's developed film and its record).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string_view>
#include <vips/vips8>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "samples/samples.hpp"
#include "support/full_disk.hpp"
#include "support/test_support.hpp"

namespace fw::disk_full_test {
namespace {

namespace fs = std::filesystem;

// 9 small pages in 2 documents, on reels of 35 mm (short-reel): two reels.
class DiskFull : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    FW_SKIP_WITHOUT_ENOSPC_SHIM();
    test::copy_profiles_with_short_reel(dir / "profiles");
    test::add_test_recorder(dir / "profiles");
    const bool sim = GetParam() == "sim";
    // The filming date fixed: plan.json records it, and a run on the day after the reference
    // (a test that runs across midnight UTC) would otherwise plan another date.
    std::string toml = fmt::format(R"(version = 1
id = "full"
title = "disk full"
format = "short-reel"
threads = 2
targets = "none"
filming_date = 2026-11-25
[recorder]
driver = "{}"
[recorder.options]
{})",
                                   GetParam(),
                                   sim ? "recorder = \"sim-test\"\nrate = \"0\"\n"
                                       : "pitch_um = 50\ncompression = \"none\"\n");
    const std::vector<int> pages{5, 4};
    for (std::size_t d = 0; d < pages.size(); ++d) {
      const std::string id = fmt::format("D{:03}", d + 1);
      fs::create_directories(dir / "scans" / id);
      for (int p = 1; p <= pages[d]; ++p) {
        samples::PageSpec spec{
            105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, id + " p" + std::to_string(p)};
        samples::save_page(samples::make_page(spec), dir / "scans" / id / fmt::format("p{}.png", p),
                           samples::Encoding::png, 100);
      }
      toml += fmt::format(
          "[[documents]]\nid = \"{}\"\ntitle = \"{}\"\npages = {{ dir = \"scans/{}\" }}\n", id, id,
          id);
    }
    test::write_text(dir / "job.toml", toml);
  }

  std::vector<std::string> convert_args(const fs::path& out) const {
    // The catalog beside the output, not in it: a full catalog is catalog_full_test's case.
    return {"convert",    (dir / "job.toml").string(), "--out",     out.string(),
            "--profiles", (dir / "profiles").string(), "--catalog", out.string() + ".sqlite"};
  }

  static std::vector<std::string> reels(const fs::path& job_dir) {
    std::vector<std::string> out;
    if (!fs::exists(job_dir)) return out;
    for (const auto& entry : fs::directory_iterator(job_dir)) {
      const auto name = entry.path().filename().string();
      if (entry.is_directory() && name.starts_with("R")) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::uintmax_t bytes_under(const fs::path& folder) {
    std::uintmax_t sum = 0;
    for (const auto& f : fs::recursive_directory_iterator(folder)) {
      if (f.is_regular_file()) sum += f.file_size();
    }
    return sum;
  }

  // reel -> frame number -> frame_sha256, as the journal replays (a reel_rewound record drops
  // the reel's frames after it; a reel loaded at frame 1 again starts it afresh).
  static std::map<std::string, std::map<std::uint32_t, std::string>> journaled(
      const fs::path& journal) {
    std::map<std::string, std::map<std::uint32_t, std::string>> out;
    std::ifstream in(journal);
    for (std::string line; std::getline(in, line);) {
      const auto r = nlohmann::json::parse(line, nullptr, false);
      if (r.is_discarded()) continue;  // a torn last line never counted
      const std::string event = r.value("event", "");
      if (event == "frame") {
        out[r["reel"]][r["frame"].get<std::uint32_t>()] = r["frame_sha256"].get<std::string>();
      } else if (event == "reel_rewound") {
        auto& frames = out[r["reel"]];
        const auto keep = r["frames"].get<std::uint32_t>();
        std::erase_if(frames, [&](const auto& f) { return f.first > keep; });
      } else if (event == "reel_spoiled") {
        out.erase(r["reel"].get<std::string>());
      }
    }
    return out;
  }

  // The sim's own record of its film: frame -> sha256 of the pixels it was sent.
  static std::map<std::uint32_t, std::string> sim_record(const fs::path& reel_dir) {
    std::map<std::uint32_t, std::string> out;
    const auto film = reel_dir / "film";
    if (!fs::exists(film / "reel.json")) return out;
    const auto json = nlohmann::json::parse(read_file(film / "reel.json"));
    for (const auto& f : json.at("frames")) {
      out[f["frame"].get<std::uint32_t>()] = f["sha256"].get<std::string>();
    }
    std::ifstream log(film / "reel.log");
    for (std::string line; std::getline(log, line) && !log.eof();) {
      const auto r = nlohmann::json::parse(line, nullptr, false);
      if (!r.is_discarded() && r.contains("frame")) {
        out[r["frame"].get<std::uint32_t>()] = r["sha256"].get<std::string>();
      }
    }
    return out;
  }

  // Every frame the journal claims is on disk with its checksum: the tiff driver's frame file
  // holds those pixels; the sim's developed frame file exists and its record lists the frame
  // with the pixels' checksum.
  void expect_journal_within_film(const fs::path& job_dir, const std::string& context) {
    for (const auto& [reel, frames] : journaled(job_dir / "journal.jsonl")) {
      const auto reel_dir = job_dir / reel;
      const auto record =
          GetParam() == "sim" ? sim_record(reel_dir) : std::map<std::uint32_t, std::string>{};
      for (const auto& [number, sha256] : frames) {
        const std::string at = fmt::format("{}: reel {} frame {}", context, reel, number);
        if (GetParam() == "sim") {
          EXPECT_TRUE(fs::exists(reel_dir / "film" / fmt::format("F{:06}.tif", number))) << at;
          ASSERT_TRUE(record.contains(number)) << at << ": not in the sim's film record";
          EXPECT_EQ(record.at(number), sha256) << at;
        } else {
          const auto file = reel_dir / "frames" / fmt::format("F{:06}.tif", number);
          ASSERT_TRUE(fs::exists(file)) << at;
          vips::VImage image = vips::VImage::new_from_file(file.c_str());
          std::size_t size = 0;
          void* pixels = image.write_to_memory(&size);
          EXPECT_EQ(sha256_hex(std::string_view(static_cast<const char*>(pixels), size)), sha256)
              << at;
          g_free(pixels);
        }
      }
    }
  }

  // Index, manifest (less the sim's reel.json, whose film positions a stop may move) and every
  // film file equal the uninterrupted run's.
  void expect_same_as_reference(const fs::path& job_dir, const std::string& context) {
    const auto reference = dir / "ref" / "full";
    EXPECT_EQ(read_file(job_dir / "plan.json"), read_file(reference / "plan.json")) << context;
    ASSERT_EQ(reels(job_dir), reels(reference)) << context;
    const auto without_record = [](const std::string& manifest) {
      std::istringstream lines(manifest);
      std::string kept;
      for (std::string line; std::getline(lines, line);) {
        if (!line.ends_with("film/reel.json")) kept += line + "\n";
      }
      return kept;
    };
    for (const auto& reel : reels(reference)) {
      EXPECT_EQ(read_file(job_dir / reel / "index.csv"), read_file(reference / reel / "index.csv"))
          << context << " " << reel;
      const std::string manifest = read_file(job_dir / reel / "manifest.sha256");
      EXPECT_EQ(without_record(manifest),
                without_record(read_file(reference / reel / "manifest.sha256")))
          << context << " " << reel;
      std::istringstream lines(manifest);
      for (std::string digest, name; lines >> digest >> name;) {
        EXPECT_EQ(sha256_file(job_dir / reel / name), digest)
            << context << " " << reel << "/" << name;
      }
      const auto files = GetParam() == "sim" ? "film" : "frames";
      std::set<std::string> ours, theirs;
      for (const auto& f : fs::directory_iterator(job_dir / reel / files)) {
        ours.insert(f.path().filename().string());
      }
      for (const auto& f : fs::directory_iterator(reference / reel / files)) {
        theirs.insert(f.path().filename().string());
      }
      EXPECT_EQ(ours, theirs) << context << " " << reel << "/" << files;
    }
  }

  // The files under `folder` with their sizes, one a line (leftover .tmp files included).
  static std::string files_under(const fs::path& folder) {
    if (!fs::exists(folder)) return "  (no folder)\n";
    std::vector<std::string> lines;
    for (const auto& f : fs::recursive_directory_iterator(folder)) {
      if (!f.is_regular_file()) continue;
      lines.push_back(
          fmt::format("  {} {}\n", fs::relative(f.path(), folder).string(), f.file_size()));
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& line : lines) out += line;
    return out.empty() ? "  (empty)\n" : out;
  }

  // The last `count` lines of `file` as they are, a torn last one included.
  static std::string tail_of(const fs::path& file, std::size_t count) {
    if (!fs::exists(file)) return "  (no file)\n";
    const std::string text = read_file(file);
    if (text.empty()) return "  (empty)\n";
    const bool torn = text.back() != '\n';
    std::size_t begin = torn ? text.size() : text.size() - 1;
    for (std::size_t lines = 0; begin > 0 && lines < count;) {
      lines += text[--begin] == '\n';
    }
    if (text[begin] == '\n') ++begin;
    return text.substr(begin) + (torn ? "\n  (torn last line)\n" : "");
  }

  // An exit code as run_cli gives it, with the signal spelled out when it was one (128 + N).
  static std::string exit_of(int code) {
    if (code <= 128 || code == 130) return std::to_string(code);  // 130: filmwriter's own stop
    return fmt::format("{} (killed by signal {}, {})", code, code - 128, strsignal(code - 128));
  }

  // The job's lock file as a run left it: emptied by an orderly end; naming its holder when
  // the process ended without unwinding (SIGKILL, abort) while it held the job.
  static std::string lock_of(const fs::path& out) {
    const auto file = out / ".full.lock";
    if (!fs::exists(file)) return "(no lock file)";
    const std::string text = read_file(file);
    return text.empty() ? "empty"
                        : "\"" + text.substr(0, text.find('\n')) +
                              "\" (the process ended holding the job: killed or aborted)";
  }

  // One round of the disk-full loop told in full once any of its checks failed (an ASSERT
  // that ends the test included), so that a failure seen once in many runs, under load, can be
  // diagnosed from the log alone: the budget, the file the disk filled in, how the stopped run
  // ended, the journal and files it left, and how the resume ended.
  class RoundReport {
   public:
    explicit RoundReport(std::string context) : context_(std::move(context)), parts_(parts()) {}
    RoundReport(const RoundReport&) = delete;
    RoundReport& operator=(const RoundReport&) = delete;
    ~RoundReport() {
      if (parts() == parts_) return;
      std::cerr << "---- disk full round that failed: " << context_ << "\n" << text << "----\n";
    }
    std::string text;  // filled in as the round goes

   private:
    static int parts() {
      return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
    }
    std::string context_;
    int parts_;
  };

  test::TempDir dir;
};

TEST_P(DiskFull, AtRandomPointsStopsWithExit8AndResumeFinishesAsAnUninterruptedRun) {
  const auto reference = test::run_cli(convert_args(dir / "ref"));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  // Every run must write at least what the finished job holds: a budget below it runs out.
  // Half the budgets fall in the first few kilobytes (plan, spool, journal, first index), half
  // anywhere in the job.
  const auto total = static_cast<long long>(bytes_under(dir / "ref" / "full"));
  std::mt19937_64 random(GetParam() == "sim" ? 2512 : 2513);
  std::uniform_int_distribution<long long> early(0, 8192), anywhere(0, total - 1);
  int verified = 0;
  for (int i = 0; i < 6; ++i) {
    const long long budget = i % 2 == 0 ? early(random) : anywhere(random);
    const auto out = dir / fmt::format("run{}", i);
    fs::create_directories(out);
    const std::string context = fmt::format("{} with {} of {} bytes", GetParam(), budget, total);
    RoundReport report(context);
    const auto full = test::run_cli_on_full_disk(convert_args(out), out, budget);
    const auto spent = test::budget_spent_at(full.err);
    report.text += fmt::format(
        "the round's folder (kept, as the test failed): {}\nthe disk filled in: {}\nstopped run: "
        "exit {}, lock file {}, stderr:\n{}journal after "
        "the stop:\n{}files after the stop:\n{}",
        out.string(), spent.value_or("(the shim never ran out)"), exit_of(full.exit_code),
        lock_of(out), full.err, tail_of(out / "full" / "journal.jsonl", 3),
        files_under(out / "full"));
    EXPECT_EQ(full.exit_code, 8) << context << "\n" << full.err;
    EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << context << full.err;
    EXPECT_NE(full.err.find(out.string()), std::string::npos)
        << context << ": the message names no path under the output\n"
        << full.err;
    EXPECT_EQ(full.err.find("internal error"), std::string::npos) << context << full.err;
    expect_journal_within_film(out / "full", context);

    auto args = convert_args(out);
    args.emplace_back("--resume");
    const auto resumed = test::run_cli(args);
    report.text += fmt::format(
        "resume: exit {}, lock file {}, stderr:\n{}journal after the resume:\n{}files after the "
        "resume:\n{}",
        exit_of(resumed.exit_code), lock_of(out), resumed.err,
        tail_of(out / "full" / "journal.jsonl", 3), files_under(out / "full"));
    ASSERT_EQ(resumed.exit_code, 0) << context << "\n" << resumed.err;
    expect_same_as_reference(out / "full", context);
    if (GetParam() == "sim" && verified++ == 0) {  // verify reads developed film
      const auto verify = test::run_cli({"verify", (out / "full").string()});
      EXPECT_EQ(verify.exit_code, 0) << context << "\n" << verify.out << verify.err;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Drivers, DiskFull, ::testing::Values("sim", "tiff"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace fw::disk_full_test
