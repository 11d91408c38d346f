// End to end through the real CLI: generated pages in several formats -> job file ->
// `filmwriter convert` with the tiff driver -> frames, index and manifest on disk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "samples/samples.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::convert_test {
namespace {

using samples::Encoding;
using ::testing::HasSubstr;
using ::testing::Not;

// Small pages and a coarse pitch keep frames small: a 60 x 80 mm page at 10x and 12.5 um
// is 480 x 640 px. 254 dpi is 10 px/mm, so whole-millimetre marks sit on whole pixels of the
// source and the expected frame positions are exact.
constexpr double kDpi = 254;
constexpr double kPitchUm = 12.5;
constexpr double kReduction = 10;

samples::PageSpec small_page(double mark_x_mm, double mark_y_mm) {
  samples::PageSpec spec;
  spec.width_mm = 60;
  spec.height_mm = 80;
  spec.dpi = kDpi;
  spec.marks = {{mark_x_mm, mark_y_mm, 4}};
  return spec;
}

// The format used by these tests: a 16 mm comic roll with an 8.5 mm image area, so the
// 80 mm page (8 mm at 10x) fits with room to spare.
std::string job_toml(const std::string& documents, const std::string& extra = "") {
  return R"(version = 1
id = "t1"
title = "测试 胶片"
output = "out"
format = "16mm-comic-30m"
reduction = 10
mode = "grey"
targets = "none"  # pages only; polarity: the default, negative. Targets are tested elsewhere.
dpi = 254  # JPEG 2000 pages from libvips carry no resolution
)" + extra +
         R"(
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 12.5
)" + documents;
}

const std::string kOneDocument = R"(
[[documents]]
id = "D001"
title = "一"
pages = { dir = "scans" }
)";

struct Converted {
  test::CliResult cli;
  std::filesystem::path reel;
};

class ConvertTest : public ::testing::Test {
 protected:
  test::TempDir dir;

  // Writes one document with one page per encoding, each with its mark somewhere else.
  void write_mixed_document() {
    const auto scans = dir / "scans";
    std::filesystem::create_directories(scans);
    int i = 0;
    for (Encoding e : {Encoding::tiff_lzw, Encoding::jpeg, Encoding::png, Encoding::jp2,
                       Encoding::tiff_g4, Encoding::tiff_16bit}) {
      const double x = 5 + 7 * i, y = 10 + 9 * i;
      const std::string ext = e == Encoding::jpeg  ? ".jpg"
                              : e == Encoding::png ? ".png"
                              : e == Encoding::jp2 ? ".jp2"
                                                   : ".tif";
      samples::save_page(samples::make_page(small_page(x, y)),
                         scans / ("p" + std::to_string(i + 1) + ext), e, kDpi);
      marks_.emplace_back(x, y);
      ++i;
    }
  }

  Converted convert(const std::string& toml, std::vector<std::string> flags = {}) {
    test::write_text(dir / "job.toml", toml);
    std::vector<std::string> args{"convert", (dir / "job.toml").string()};
    args.insert(args.end(), flags.begin(), flags.end());
    return {test::run_cli(args), dir / "out" / "t1" / "R0001"};
  }

  std::vector<std::pair<double, double>> marks_;
};

// The first column (row) from `from` onwards where the frame turns from paper to ink
// (code value below mid-grey), scanning along row `y` (column `x`).
int ink_edge_x(const vips::VImage& frame, int from, int y) {
  for (int x = from; x < frame.width(); ++x) {
    if (frame.getpoint(x, y)[0] < 128) return x;
  }
  return -1;
}
int ink_edge_y(const vips::VImage& frame, int x, int from) {
  for (int y = from; y < frame.height(); ++y) {
    if (frame.getpoint(x, y)[0] < 128) return y;
  }
  return -1;
}

TEST_F(ConvertTest, MixedFormatsLandAtComputedPixelsWithIndexAndManifest) {
  write_mixed_document();
  auto result = convert(job_toml(R"(
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { dir = "scans" }
)"),
                        {"--threads", "2"});
  ASSERT_EQ(result.cli.exit_code, 0) << result.cli.err << result.cli.out;

  const auto rows = test::read_csv(result.reel / "index.csv");
  ASSERT_EQ(rows.size(), marks_.size() + 1);
  EXPECT_EQ(rows[0][0], "frame");
  for (std::size_t i = 0; i < marks_.size(); ++i) {
    const auto& row = rows[i + 1];
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    EXPECT_EQ(row[0], std::to_string(i + 1));
    EXPECT_EQ(row[1], "page");
    EXPECT_EQ(row[2], "D001");
    EXPECT_EQ(row[3], std::to_string(i + 1));
    EXPECT_EQ(row[8], sha256_file(row[6]));  // source checksum is the file's

    const auto frame_file = result.reel / "frames" / ("F00000" + std::to_string(i + 1) + ".tif");
    vips::VImage frame = vips::VImage::new_from_file(frame_file.c_str());
    ASSERT_EQ(frame.bands(), 1);
    // Frame as sent: its checksum is the one in the index.
    std::size_t size = 0;
    void* data = frame.write_to_memory(&size);
    EXPECT_EQ(row[9], sha256_hex({static_cast<const std::uint8_t*>(data), size}));
    g_free(data);

    // Geometry: 60 x 80 mm at 10x is 6 x 8 mm = 480 x 640 px at 12.5 um; the comic frame is
    // 12.5 mm = 1000 px across, the page centred in it, and the 1.5 mm blip track below.
    EXPECT_EQ(frame.height(), 1120);
    const double px_per_mm = 1000.0 / kPitchUm / kReduction;
    const int page_left = (frame.width() - 480) / 2;
    const int page_top = (1000 - 640) / 2;
    // The 4 mm mark (32 px) starts at its position on the page; scan across its middle.
    const double mark_x = page_left + marks_[i].first * px_per_mm;
    const double mark_y = page_top + marks_[i].second * px_per_mm;
    const int mid_x = static_cast<int>(mark_x) + 16, mid_y = static_cast<int>(mark_y) + 16;
    EXPECT_NEAR(ink_edge_x(frame, page_left + 2, mid_y), mark_x, 1.0);
    EXPECT_NEAR(ink_edge_y(frame, mid_x, page_top + 2), mark_y, 1.0);
  }

  // The manifest is what `sha256sum -c` reads, and it checks out.
  std::ifstream manifest(result.reel / "manifest.sha256");
  std::string line;
  int entries = 0;
  while (std::getline(manifest, line)) {
    const auto digest = line.substr(0, 64);
    ASSERT_EQ(line.substr(64, 2), "  ");
    EXPECT_EQ(digest, sha256_file(result.reel / line.substr(66))) << line;
    ++entries;
  }
  EXPECT_EQ(entries, static_cast<int>(marks_.size()) + 1);  // frames + index.csv
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "t1" / "plan.json"));
}

// Threads and tokens (frames in flight) change speed and memory, never a byte of the output;
// with many frames in flight the tiff driver's prepare() runs ahead of expose().
TEST_F(ConvertTest, OneAndManyThreadsGiveIdenticalBytes) {
  write_mixed_document();
  auto one = convert(job_toml(kOneDocument),
                     {"--threads", "1", "--tokens", "1", "--out", (dir / "one").string()});
  ASSERT_EQ(one.cli.exit_code, 0) << one.cli.err;
  auto many = convert(job_toml(kOneDocument),
                      {"--threads", "8", "--tokens", "12", "--out", (dir / "many").string()});
  ASSERT_EQ(many.cli.exit_code, 0) << many.cli.err;
  const auto a = dir / "one" / "t1";
  const auto b = dir / "many" / "t1";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(a)) {
    if (!entry.is_regular_file()) continue;
    const auto rel = std::filesystem::relative(entry.path(), a);
    if (rel == "plan.json" || rel == "journal.jsonl") continue;  // output folder, flags
    if (rel.filename() == "mets.xml") {                          // says when it was written
      const std::regex created(R"( CREATEDATE="[^"]*")");
      EXPECT_EQ(std::regex_replace(read_file(entry.path()), created, ""),
                std::regex_replace(read_file(b / rel), created, ""));
      continue;
    }
    EXPECT_EQ(read_file(entry.path()), read_file(b / rel)) << rel;
  }
}

// Behind preflight (tests/preflight_test.cpp), the render stage still stops on a page that
// does not decode: with --no-preflight, or a file damaged after its reel's preflight.
TEST_F(ConvertTest, TruncatedPageFailsNamingTheFileAndKeepsEarlierFrames) {
  write_mixed_document();
  const auto bad = dir / "scans" / "p3.png";
  test::cut_in_half(bad);
  auto result = convert(job_toml(kOneDocument), {"--threads", "1", "--no-preflight"});
  EXPECT_EQ(result.cli.exit_code, 3) << result.cli.err;
  EXPECT_THAT(result.cli.err, HasSubstr("p3.png"));
  EXPECT_TRUE(std::filesystem::exists(result.reel / "frames" / "F000002.tif"));
  EXPECT_FALSE(std::filesystem::exists(result.reel / "frames" / "F000003.tif"));
}

TEST_F(ConvertTest, SubstitutePolicyFilmsALabelledFrameInsteadOfTheBadPage) {
  write_mixed_document();
  const auto bad = dir / "scans" / "p2.jpg";
  test::cut_in_half(bad);
  auto result = convert(job_toml(R"(
[[documents]]
id = "D001"
title = "一"
on_error = "substitute"
pages = { dir = "scans" }
)"),
                        {"--threads", "2"});
  ASSERT_EQ(result.cli.exit_code, 0) << result.cli.err;
  const auto rows = test::read_csv(result.reel / "index.csv");
  ASSERT_EQ(rows.size(), marks_.size() + 1);
  EXPECT_EQ(rows[2][1], "substitute");
  EXPECT_EQ(rows[1][1], "page");
  EXPECT_EQ(rows[3][1], "page");
  // The substitute frame carries ink (its label) on paper, not a blank page: code 0 and the
  // calibrated paper (the code that exposes white paper at the aim density).
  vips::VImage frame =
      vips::VImage::new_from_file((result.reel / "frames" / "F000002.tif").c_str());
  EXPECT_GT((frame < 64).avg(), 0.0);
  EXPECT_GT((frame > 100).avg(), 0.0);
}

TEST_F(ConvertTest, BadJobFileNamesFileLineAndKey) {
  test::write_text(dir / "job.toml", job_toml(R"(
[[documents]]
id = "D001"
title = "一"
reduction = "24x"
pages = { dir = "scans" }
)"));
  auto cli = test::run_cli({"convert", (dir / "job.toml").string()});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_THAT(cli.err, HasSubstr("job.toml:19: documents[1].reduction: expected a number 7–50, "
                                 "got \"24x\""));
}

TEST_F(ConvertTest, OneLineModeConvertsAFolderOfScans) {
  write_mixed_document();
  auto cli =
      test::run_cli({"convert", (dir / "scans").string(), "--format", "16mm-comic-30m",
                     "--reduction", "10", "--out", (dir / "out").string(), "--id", "t1", "--driver",
                     "tiff", "-O", "pitch_um=12.5", "--dpi", "254", "--threads", "2"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  // + the reel's start, technical, title, technical and end targets.
  EXPECT_EQ(test::read_csv(dir / "out" / "t1" / "R0001" / "index.csv").size(),
            marks_.size() + 1 + 5);
}

TEST_F(ConvertTest, RefusesToOverwriteAPreviousRun) {
  write_mixed_document();
  ASSERT_EQ(convert(job_toml(kOneDocument)).cli.exit_code, 0);
  auto again = convert(job_toml(kOneDocument));
  EXPECT_EQ(again.cli.exit_code, 2);
  EXPECT_THAT(again.cli.err, HasSubstr("holds a finished conversion of job t1"));
  EXPECT_THAT(again.cli.err, HasSubstr("--overwrite"));
}

TEST_F(ConvertTest, DeviceFailureExitsWithDeviceCode) {
  write_mixed_document();
  // The tiff driver cannot create its frames folder where a file is in the way.
  test::write_text(dir / "out" / "t1" / "R0001" / "frames", "in the way");
  auto result = convert(job_toml(kOneDocument));
  EXPECT_EQ(result.cli.exit_code, 4) << result.cli.err;
  EXPECT_THAT(result.cli.err, HasSubstr("frames"));
}

TEST_F(ConvertTest, PlanAndDryRunTouchNoDevice) {
  write_mixed_document();
  auto dry = convert(job_toml(kOneDocument), {"--dry-run"});
  ASSERT_EQ(dry.cli.exit_code, 0) << dry.cli.err;
  EXPECT_THAT(dry.cli.out, HasSubstr("6 frames (6 pages, 0 substitutes) on 1 reel(s)"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));

  auto plan = test::run_cli({"plan", (dir / "job.toml").string()});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto plan_json = dir / "out" / "t1" / "plan.json";
  EXPECT_THAT(read_file(plan_json), HasSubstr("R0001-D001-0006"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "t1" / "R0001"));
}

TEST(Cli, ListsDriversAndFormats) {
  auto drivers = test::run_cli({"drivers"});
  EXPECT_EQ(drivers.exit_code, 0);
  EXPECT_THAT(drivers.out, HasSubstr("tiff: writes each frame as an 8-bit TIFF"));
  EXPECT_THAT(drivers.out, HasSubstr("pitch 2.5 um"));
  // The named capabilities (hal::capability) each driver supports.
  EXPECT_THAT(drivers.out, HasSubstr("  supports: append, film_readback, film_record\n"));
  EXPECT_THAT(drivers.out, HasSubstr("  supports: append\n"));
  EXPECT_THAT(drivers.out, HasSubstr("  supports: from the device once reached\n"));
  auto formats = test::run_cli({"formats"});
  EXPECT_EQ(formats.exit_code, 0);
  EXPECT_THAT(formats.out, HasSubstr("16mm-comic-30m: "));
  EXPECT_THAT(formats.out, HasSubstr("35mm-comic-30m: "));
  EXPECT_THAT(formats.out, HasSubstr("  16 mm film, image area 12.5 mm across, variable-length "
                                     "frames, comic, reductions 7-50x, reel 30.5 m\n"));
  // A fiche in its own terms, and only the reductions a format allows.
  EXPECT_THAT(formats.out, HasSubstr("  fiche 148 x 105 mm, 98 frames (7 rows x 14 columns, 1 "
                                     "header row(s)), cells 10.5 x 13 mm, read by rows, "
                                     "reductions 24x\n"));
  EXPECT_THAT(formats.out, HasSubstr("270 frames (15 rows x 18 columns, 1 header row(s)), cells "
                                     "8.2 x 6.5 mm, read by columns, reductions 42x, 48x\n"));
}

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(test::run_cli({}).exit_code, 2);
  EXPECT_EQ(test::run_cli({"convert"}).exit_code, 2);
  EXPECT_EQ(test::run_cli({"convert", "x.toml", "--no-such-flag"}).exit_code, 2);
  auto mode = test::run_cli({"convert", FW_SOURCE_DIR, "--mode", "sepia"});
  EXPECT_EQ(mode.exit_code, 2);
  EXPECT_THAT(mode.err, HasSubstr("--mode: expected one of"));
  auto missing = test::run_cli({"convert", "/nonexistent/job.toml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/job.toml"));
}

// A folder named "-scans" is taken for options, and the job is then missing: the usage error
// says how to name it. Real options (-O with its value attached too) raise no such note.
TEST(Cli, AJobWhoseNameStartsWithADashIsNamedInTheUsageError) {
  auto dashed = test::run_cli({"convert", "-scans", "--out", "/nonexistent/out"});
  EXPECT_EQ(dashed.exit_code, 2);
  EXPECT_THAT(dashed.err, HasSubstr("JOB is required"));
  EXPECT_THAT(dashed.err,
              HasSubstr("-scans was read as options, not as a file: a job file or folder whose "
                        "name starts with '-' goes after -- (filmwriter convert -- -scans) or as "
                        "./-scans"));
  auto options = test::run_cli(
      {"--log-format", "json", "convert", "--out", "/nonexistent/out", "-Ocompression=none"});
  EXPECT_EQ(options.exit_code, 2);
  EXPECT_THAT(options.err, HasSubstr("JOB is required"));
  EXPECT_THAT(options.err, Not(HasSubstr("read as options")));
}

}  // namespace
}  // namespace fw::convert_test
