// The operator's loop on a job's output, through the real CLI: `verify JOB.toml --id X` takes
// the settings convert recorded in X's journal (and refuses a flag that contradicts them),
// `verify OUT` and `convert --resume OUT` accept the --out folder holding one job, and `plan`
// never replaces the plan of a job with frames on film.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "base/files.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::operator_loop_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A6 pages at 100 dpi: small frames.
void write_pages(const fs::path& folder, int pages, samples::Encoding encoding,
                 const char* extension) {
  fs::create_directories(folder);
  for (int p = 1; p <= pages; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), folder / fmt::format("p{}.{}", p, extension),
                       encoding, 100);
  }
}

std::size_t journal_frames(const fs::path& job_dir) {
  std::size_t frames = 0;
  std::istringstream lines(read_file(job_dir / "journal.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && nlohmann::json::parse(line)["event"] == "frame") ++frames;
  }
  return frames;
}

// One job filmed on the 10 um simulated recorder (developed film for verify), at 20x by flag and
// under its own id, as an operator trying a reduction would run it.
class OperatorLoop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new test::TempDir();
    const fs::path root = base_->path();
    test::copy_profiles_with_test_recorder(root / "profiles");
    write_pages(root / "scans", 2, samples::Encoding::png, "png");
    test::write_text(root / "job.toml", R"(version = 1
id = "loop"
title = "循环 test"
dpi = 100
[recorder]
driver = "sim"
[recorder.options]
rate = 0
recorder = "sim-test"
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { dir = "scans" }
)");
    api::JobRequest flags = test::job_flags({}, profiles());
    flags.overrides.reduction = 20;
    flags.overrides.id = "trunc20";
    ASSERT_NO_THROW(test::convert_job(job(), {}, flags));
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }
  static fs::path job() { return base_->path() / "job.toml"; }
  static fs::path profiles() { return base_->path() / "profiles"; }
  static fs::path out() { return base_->path() / "out"; }
  static fs::path job_dir() { return out() / "trunc20"; }
  static fs::path journal() { return job_dir() / "journal.jsonl"; }

  static test::TempDir* base_;
};

test::TempDir* OperatorLoop::base_ = nullptr;

TEST_F(OperatorLoop, VerifyOfAJobFileTakesTheFlagsConvertRecordedInTheJournal) {
  // No --reduction, no --profiles: the journal has them.
  const auto verified = test::run_cli({"verify", job().string(), "--id", "trunc20"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.err, HasSubstr(fmt::format(
                                "filmwriter: verify: job trunc20 has run; its settings are taken "
                                "from {} (convert was given --id trunc20 --reduction 20 "
                                "--profiles {})\n",
                                journal().string(), profiles().string())));
  EXPECT_THAT(verified.out, HasSubstr("summary: verify trunc20: pass"));
  EXPECT_THAT(verified.out, HasSubstr("verdict: pass"));
  EXPECT_EQ(nlohmann::json::parse(read_file(job_dir() / "qc.json"))["reels"][0]["verdict"], "pass");

  // The recorded value again is no contradiction.
  const auto same =
      test::run_cli({"verify", job().string(), "--id", "trunc20", "--reduction", "20"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
}

TEST_F(OperatorLoop, VerifyRefusesAFlagThatContradictsTheJournalNamingTheKeyAndBothValues) {
  const auto refused =
      test::run_cli({"verify", job().string(), "--id", "trunc20", "--reduction", "30"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err,
            fmt::format("filmwriter: usage error: {}: job trunc20 was filmed with reduction = 20; "
                        "--reduction 30 contradicts it (drop the flag: verify takes the settings "
                        "the film was made with from the journal)\n",
                        journal().string()));
  const auto mode =
      test::run_cli({"verify", job().string(), "--id", "trunc20", "--mode", "bitonal"});
  EXPECT_EQ(mode.exit_code, 2);
  EXPECT_THAT(mode.err, HasSubstr("job trunc20 was filmed with mode = \"grey\"; --mode bitonal "
                                  "contradicts it"));
  const auto option =
      test::run_cli({"verify", job().string(), "--id", "trunc20", "-O", "recorder=sim-default"});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_THAT(option.err,
              HasSubstr("job trunc20 was filmed with recorder.options.recorder = \"sim-test\"; -O "
                        "recorder=sim-default contradicts it"));

  // Another job file with the same output: not the file the film was made from.
  fs::copy_file(job(), base_->path() / "other.toml", fs::copy_options::overwrite_existing);
  const auto other =
      test::run_cli({"verify", (base_->path() / "other.toml").string(), "--id", "trunc20"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_EQ(other.err, fmt::format("filmwriter: usage error: {}: job trunc20 was filmed from {}, "
                                   "not {}; name that job file or the job's output folder {}\n",
                                   journal().string(), job().string(),
                                   (base_->path() / "other.toml").string(), job_dir().string()));
}

// `verify OUT`: the folder given to --out, holding one job, names that job.
TEST_F(OperatorLoop, VerifyOfTheOutFolderHoldingOneJobVerifiesThatJob) {
  const auto verified = test::run_cli({"verify", out().string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("summary: verify trunc20: pass"));
  EXPECT_THAT(verified.out, HasSubstr("qc:     " + (job_dir() / "qc.json").string() + "\n"));
}

// `plan` on a job with frames on film refuses to replace its plan.json, the record of what was
// filmed, and says how to plan elsewhere; under another id it plans.
TEST_F(OperatorLoop, PlanRefusesToOverwriteThePlanOfAJobWithFramesOnFilm) {
  const std::string before = read_file(job_dir() / "plan.json");
  const auto refused = test::run_cli({"plan", job().string(), "--id", "trunc20", "--reduction",
                                      "30", "--profiles", profiles().string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err,
            fmt::format("filmwriter: usage error: {}: job trunc20 has frames on film, and its "
                        "plan.json is the record of what was filmed; plan it elsewhere with --out "
                        "DIR or --id NEW_ID\n",
                        job_dir().string()));
  EXPECT_EQ(read_file(job_dir() / "plan.json"), before);

  const auto elsewhere = test::run_cli({"plan", job().string(), "--id", "try30", "--reduction",
                                        "30", "--profiles", profiles().string()});
  EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
  const auto plan = nlohmann::json::parse(read_file(out() / "try30" / "plan.json"));
  std::size_t pages = 0;
  for (const auto& frame : plan["frames"]) {
    if (frame["kind"] != "page") continue;
    ++pages;
    EXPECT_EQ(frame["reduction"], 30) << frame.dump();
  }
  EXPECT_EQ(pages, 2u);
  const auto filmed = nlohmann::json::parse(before);
  for (const auto& frame : filmed["frames"]) {
    if (frame["kind"] == "page") {
      EXPECT_EQ(frame["reduction"], 20) << frame.dump();
    }
  }
  fs::remove_all(out() / "try30");  // the --out folder holds one job again for the other tests
}

// `convert --resume OUT`: the --out folder holding one interrupted job resumes that job, with the
// settings convert recorded (its --out is not repeated).
TEST(OperatorLoopResume, ResumeOfTheOutFolderFinishesTheJobItHolds) {
  test::TempDir dir;
  write_pages(dir / "scans", 4, samples::Encoding::jpeg, "jpg");
  const std::string good = test::cut_in_half(dir / "scans" / "p3.jpg");
  test::write_text(dir / "job.toml",
                   test::small_tiff_job("rs", "续 test", "targets = \"none\"\n", "一"));
  const fs::path out = dir / "elsewhere";
  const auto stopped = test::run_cli(
      {"convert", (dir / "job.toml").string(), "--out", out.string(), "--no-preflight"});
  ASSERT_EQ(stopped.exit_code, 3) << stopped.err;
  ASSERT_EQ(journal_frames(out / "rs"), 2u);
  test::write_text(dir / "scans" / "p3.jpg", good);  // the page mended

  ASSERT_NO_THROW(test::convert_job(out, test::resuming()));
  EXPECT_EQ(journal_frames(out / "rs"), 4u);
  const auto rows = test::read_csv(out / "rs" / "R0001" / "index.csv");
  ASSERT_EQ(rows.size(), 5u);  // header + 4 pages
  for (std::size_t frame = 1; frame <= 4; ++frame) {
    EXPECT_TRUE(fs::exists(out / "rs" / "R0001" / "frames" / fmt::format("F{:06}.tif", frame)));
  }
  const auto again = test::run_cli({"convert", "--resume", out.string()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, ::testing::EndsWith("\njob in " + (out / "rs").string() +
                                             " already finished; nothing to resume\n"));
}

}  // namespace
}  // namespace fw::operator_loop_test
