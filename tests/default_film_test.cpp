// Film right by default: every recorder profile names its factory calibration, the shipped
// tables are what `tools/factory-calibration` makes, a job films through its recorder's
// calibration unless it chooses another (or "none", which is warned about and recorded), the
// choice is part of the plan, and the profiles folder given to convert is where it is found.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

#include <vips/vips8>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "color/calibration.hpp"
#include "support/test_support.hpp"

namespace fw::default_film_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const fs::path kProfiles = test::source_dir() / "profiles";

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FactoryCalibration, EveryRecorderProfileNamesACalibrationForEveryStock) {
  for (const auto& recorder : names_in(kProfiles / "recorders")) {
    const std::string text = read_file(kProfiles / "recorders" / (recorder + ".toml"));
    for (const auto& stock : names_in(kProfiles / "stocks")) {
      std::smatch match;
      ASSERT_TRUE(std::regex_search(text, match, std::regex("\n" + stock + " = \"([^\"]+)\"")))
          << recorder << " names no calibration for " << stock;
      const CalibrationProfile profile = load_calibration(kProfiles, match[1]);
      EXPECT_EQ(profile.recorder, recorder);
      EXPECT_EQ(profile.stock, stock);
      EXPECT_LT(profile.fit_error.max_d, 0.02) << profile.name;
    }
  }
}

// The documented command makes the shipped tables again: the same physics and seed give the
// same densities, within 0.01 D at every code value.
TEST(FactoryCalibration, MadeAgainTheTablesMatchTheShippedOnesWithinAHundredthOfADensity) {
  test::TempDir dir;
  const std::string command = fmt::format(
      "FILMWRITER='{}' FILMWRITER_PROFILES='{}' '{}' '{}' > '{}' 2>&1", FW_CLI, kProfiles.string(),
      (test::source_dir() / "tools" / "factory-calibration").string(), (dir / "made").string(),
      (dir / "log").string());
  ASSERT_EQ(std::system(command.c_str()), 0) << read_file(dir / "log");
  const auto shipped = names_in(kProfiles / "calibration");
  ASSERT_EQ(names_in(dir / "made"), shipped);
  for (const auto& name : shipped) {
    const CalibrationProfile made =
        load_calibration(kProfiles, (dir / "made" / (name + ".toml")).string());
    const CalibrationProfile ours = load_calibration(kProfiles, name);
    ASSERT_EQ(made.curves.size(), ours.curves.size()) << name;
    for (std::size_t c = 0; c < ours.curves.size(); ++c) {
      for (int code = 0; code < 256; ++code) {
        EXPECT_NEAR(made.curves[c].density(code), ours.curves[c].density(code), 0.01)
            << name << " channel " << c << " code " << code;
      }
    }
  }
}

class DefaultCalibration : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "scans");
    (vips::VImage::black(200, 140) + 255)
        .cast(VIPS_FORMAT_UCHAR)
        .pngsave((dir_ / "scans" / "p1.png").c_str());
  }
  // A one-page job on the tiff driver (frames as sent: fast), `keys` added at the top level.
  fs::path job(const std::string& keys = "", const std::string& options = "") {
    test::write_text(
        dir_ / "job.toml",
        "version = 1\nid = \"cal\"\ntitle = \"cal\"\ndpi = 100\ntargets = \"none\"\n" + keys +
            "[recorder]\ndriver = \"tiff\"\n[recorder.options]\npitch_um = 25\n" + options +
            "[[documents]]\nid = \"D1\"\ntitle = \"p\"\npages = { dir = \"scans\" }\n");
    return dir_ / "job.toml";
  }
  test::CliResult convert(const fs::path& job_file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"convert", job_file.string(), "--out", (dir_ / "out").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_cli(args);
  }
  Json plan() const { return Json::parse(read_file(dir_ / "out" / "cal" / "plan.json")); }
  test::TempDir dir_;
};

TEST_F(DefaultCalibration, AJobWithoutOneFilmsThroughItsRecordersCalibration) {
  const auto r = convert(job());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("calibration sim-default-negative sha256:"));
  EXPECT_THAT(r.out, HasSubstr("(chosen by the recorder), high-contrast aim 1.10 D, tone 1"));
  const Json p = plan()["calibration"];
  EXPECT_EQ(p["profile"], "sim-default-negative");
  EXPECT_EQ(p["chosen_by"], "recorder");
  EXPECT_EQ(p["sha256"], sha256_file(kProfiles / "calibration" / "sim-default-negative.toml"));
  // White paper is sent as the code that exposes it at the aim, not as 255.
  const vips::VImage frame = vips::VImage::new_from_file(
      (dir_ / "out" / "cal" / "R0001" / "frames" / "F000001.tif").c_str());
  EXPECT_LT(frame.max(), 160);
  EXPECT_GT(frame.max(), 110);
}

TEST_F(DefaultCalibration, NoneSendsRawCodeValuesAndIsWarnedAboutAndRecorded) {
  const auto r = convert(job("calibration = \"none\"\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("filmwriter: warning: calibration = \"none\": frames go to the "
                               "recorder as raw code values; the background density will not be "
                               "held at the aim"));
  EXPECT_THAT(r.out, HasSubstr("calibration none: raw code values"));
  EXPECT_THAT(r.out, HasSubstr("1 warning(s)"));
  EXPECT_EQ(plan()["calibration"]["profile"], "none");
  EXPECT_EQ(plan()["calibration"]["chosen_by"], "job");
  const auto index = test::read_csv(dir_ / "out" / "cal" / "R0001" / "index.csv");
  EXPECT_EQ(index.at(1).at(12), "none");
  const vips::VImage frame = vips::VImage::new_from_file(
      (dir_ / "out" / "cal" / "R0001" / "frames" / "F000001.tif").c_str());
  EXPECT_EQ(frame.max(), 255);
  // The flag says the same.
  fs::remove_all(dir_ / "out");
  const auto flag = convert(job(), {"--calibration", "none"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_EQ(plan()["calibration"]["profile"], "none");
}

TEST_F(DefaultCalibration, ARecorderThatNamesNoneLeavesTheChoiceToTheJob) {
  const auto r = convert(job("", "factory_calibration = \"\"\n"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr("the recorder (driver tiff) names no density calibration, so the "
                               "film's densities would not be controlled: choose one with "
                               "calibration = \"NAME\""));
}

// The profiles folder given to convert is where the calibration comes from too: its table
// is what the frames go through and what plan.json names.
TEST_F(DefaultCalibration, TheProfilesFolderGivenToConvertHoldsTheCalibration) {
  test::copy_profiles_with_test_recorder(dir_ / "profiles");
  const fs::path table = dir_ / "profiles" / "calibration" / "sim-default-negative.toml";
  std::string text = read_file(table);
  text.replace(text.find("high-contrast = 1.100"), 21, "high-contrast = 1.050");
  test::write_text(table, text);
  const auto r = convert(job(), {"--profiles", (dir_ / "profiles").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json p = plan()["calibration"];
  EXPECT_EQ(p["file"], table.string());
  EXPECT_DOUBLE_EQ(p["aim_density"].get<double>(), 1.05);
}

// The calibration's file is part of the plan: a job interrupted on a sim fault cannot be
// resumed through a refitted table (its frames would not match the ones on film).
TEST_F(DefaultCalibration, ResumeRefusesAChangedCalibration) {
  fs::copy_file(kProfiles / "calibration" / "sim-default-negative.toml", dir_ / "lab.toml");
  for (int page = 2; page <= 4; ++page) {
    fs::copy_file(dir_ / "scans" / "p1.png", dir_ / "scans" / fmt::format("p{}.png", page));
  }
  test::write_text(dir_ / "job.toml",
                   "version = 1\nid = \"cal\"\ntitle = \"cal\"\ndpi = 100\ntargets = \"none\"\n"
                   "calibration = \"lab.toml\"\n[recorder]\ndriver = \"sim\"\n[recorder.options]\n"
                   "rate = 0\nfilm_output = false\nfault_at = 3\n"
                   "[[documents]]\nid = \"D1\"\ntitle = \"p\"\npages = { dir = \"scans\" }\n");
  const auto stopped = convert(dir_ / "job.toml");
  ASSERT_EQ(stopped.exit_code, 4) << stopped.out << stopped.err;
  std::string text = read_file(dir_ / "lab.toml");
  text.replace(text.find("high-contrast = 1.100"), 21, "high-contrast = 1.050");
  test::write_text(dir_ / "lab.toml", text);
  const auto resumed = test::run_cli({"convert", "--resume", (dir_ / "out" / "cal").string()});
  EXPECT_EQ(resumed.exit_code, 2) << resumed.out << resumed.err;
  EXPECT_THAT(resumed.err, HasSubstr("the plan changed since the job started"));
}

}  // namespace
}  // namespace fw::default_film_test
