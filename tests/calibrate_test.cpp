// `filmwriter calibrate`: wedge, fit, and the automatic loop on the simulated recorder, then a
// calibrated job whose developed film is measured.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include <vips/vips8>

#include "api/calibrate.hpp"
#include "base/files.hpp"
#include "builtin.hpp"
#include "color/wedge.hpp"
#include "core/error.hpp"
#include "support/engine_api.hpp"
#include "support/test_support.hpp"

namespace fw::calibrate_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(CalibrateCli, WedgeWritesAReelALayoutAndAReadingsTemplate) {
  test::TempDir dir;
  const auto r = test::run_cli(
      {"calibrate", "wedge", "--out", (dir / "w").string(), "--steps", "11", "-O", "rate=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wedge: 11 steps, code 0–255"));
  EXPECT_THAT(read_file(dir / "w" / "readings.csv"), HasSubstr("step,code,density\n1,0,\n2,26,\n"));
  const auto layout = WedgeLayout::from_json(read_file(dir / "w" / "wedge.json"), "wedge.json");
  ASSERT_EQ(layout.steps.size(), 11u);
  const auto film = read_developed_film(dir / "w" / "R0001" / "film" / "F000001.tif");
  const auto readings = read_wedge(layout, film, "wedge");
  EXPECT_NEAR(readings.front().density, 0.06, 0.005);  // base + fog
  EXPECT_GT(readings.back().density, 2.0);
}

TEST(CalibrateCli, FitTurnsLabReadingsIntoAProfileWithItsError) {
  test::TempDir dir;
  std::string csv = "step,code,density\n";
  for (int i = 0; i <= 10; ++i) {
    const double code = 25.5 * i;
    csv +=
        fmt::format("{},{},{:.3f}\n", i + 1, code, 0.06 + 2.1 / (1 + std::exp(-(code - 130) / 18)));
  }
  test::write_text(dir / "readings.csv", csv);
  const auto out = dir / "lab.toml";
  const auto r = test::run_cli({"calibrate", "fit", (dir / "readings.csv").string(), "--profile",
                                out.string(), "--processing", "D-19 4 min 20 C"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("fit: 11 readings, 0.062–2.158 D"));
  EXPECT_THAT(r.out, HasSubstr("fit error (leave-one-out): max "));
  EXPECT_THAT(read_file(out), HasSubstr("processing = \"D-19 4 min 20 C\""));

  test::write_text(dir / "bad.csv", "code,density\n0,0.06\n100,1.4\n150,1.0\n200,2.0\n255,2.1\n");
  const auto bad = test::run_cli(
      {"calibrate", "fit", (dir / "bad.csv").string(), "--profile", (dir / "x.toml").string()});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_THAT(bad.err, HasSubstr("density falls from 1.400 D at code 100 to 1.000 D at code 150"));
  test::write_text(dir / "typo.csv", "code,density\n0,0.06\n10,0.7x\n");
  EXPECT_THAT(test::run_cli({"calibrate", "fit", (dir / "typo.csv").string(), "--profile",
                             (dir / "x.toml").string()})
                  .err,
              HasSubstr("typo.csv:3: density: expected a number"));
}

// Mean density of a square in the middle of a developed frame.
double centre_density(const fs::path& file, std::uint32_t size) {
  const auto film = read_developed_film(file);
  double sum = 0;
  const std::uint32_t x0 = film.width / 2 - size / 2, y0 = film.height / 2 - size / 2;
  for (std::uint32_t y = y0; y < y0 + size; ++y) {
    for (std::uint32_t x = x0; x < x0 + size; ++x)
      sum += film.density[std::size_t{y} * film.width + x];
  }
  return sum / (static_cast<double>(size) * size);
}

TEST(CalibrateCli, AutoConvergesFromAWrongProfileAndAJobHitsItsAim) {
  test::TempDir dir;
  // Deliberately wrong: a straight line from 0.06 to 2.2 D over the codes.
  test::write_text(dir / "wrong.toml",
                   "recorder = \"sim-default\"\nstock = \"sim-negative\"\nchannels = [\"grey\"]\n"
                   "[aim]\nhigh-contrast = 1.10\nfaint = 0.90\n[curve.grey]\n"
                   "codes = [0, 85, 170, 255]\ndensities = [0.06, 0.773, 1.487, 2.2]\n");
  const auto profile = dir / "sim.toml";
  const auto r = test::run_cli({"calibrate", "auto", "--profile", profile.string(), "--start",
                                (dir / "wrong.toml").string(), "--out", (dir / "cal").string(),
                                "-O", "rate=0", "-O", "seed=3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  double start_error = 0;
  std::sscanf(r.out.c_str(), "start profile wrong: max error %lf", &start_error);
  EXPECT_GT(start_error, 0.2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("converged: every step within 0.030 D of its target"));

  // The last verification wedge, measured on its developed film: every step within 0.05 D.
  fs::path last;
  for (int i = 1; fs::exists(dir / "cal" / fmt::format("verify-{}", i)); ++i) {
    last = dir / "cal" / fmt::format("verify-{}", i);
  }
  ASSERT_FALSE(last.empty());
  const auto layout = WedgeLayout::from_json(read_file(last / "wedge.json"), "wedge.json");
  const auto readings =
      read_wedge(layout, read_developed_film(last / "R0001" / "film" / "F000001.tif"), "verify");
  for (std::size_t i = 0; i < readings.size(); ++i) {
    EXPECT_NEAR(readings[i].density, layout.steps[i].target_density, 0.05) << "step " << i + 1;
  }

  // A white page filmed with the calibration: its background develops to the 1.10 D aim.
  fs::create_directories(dir / "scans");
  (vips::VImage::black(300, 300) + 255)
      .cast(VIPS_FORMAT_UCHAR)
      .pngsave((dir / "scans" / "white.png").c_str());
  test::write_text(
      dir / "job.toml",
      "version = 1\nid = \"white\"\ntitle = \"white page\"\ndpi = 100\n"
      "targets = \"none\"\n[recorder]\ndriver = \"sim\"\n[recorder.options]\n"
      "rate = 0\ncalibration = \"" +
          profile.string() +
          "\"\n"
          "[[documents]]\nid = \"D1\"\ntitle = \"white\"\npages = { dir = \"scans\" }\n");
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", {}, test::job_flags(dir / "out")));
  // The page's frame, whatever targets precede it on the reel.
  std::istringstream index(read_file(dir / "out" / "white" / "R0001" / "index.csv"));
  int page_frame = 0;
  for (std::string line; std::getline(index, line);) {
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0])) &&
        line.find(",page,") != std::string::npos) {
      page_frame = std::stoi(line);
    }
  }
  ASSERT_GT(page_frame, 0);
  const double background = centre_density(
      dir / "out" / "white" / "R0001" / "film" / fmt::format("F{:06}.tif", page_frame), 200);
  EXPECT_NEAR(background, 1.10, 0.03);
}

TEST(CalibrateCli, AutoNeedsDevelopedFilm) {
  test::TempDir dir;
  const auto r =
      test::run_cli({"calibrate", "auto", "--profile", (dir / "p.toml").string(), "--out",
                     (dir / "cal").string(), "-O", "rate=0", "-O", "film_output=false"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("calibrate auto: the sim driver lacks the capability film_readback "
                               "(reads back its developed film), which automatic calibration "
                               "needs"));
}

// The frame_sha256 column of a reel's index (the frames exactly as the recorder got them).
std::vector<std::string> frame_checksums(const fs::path& index_csv) {
  std::istringstream index(read_file(index_csv));
  std::vector<std::string> sums;
  std::string line;
  std::getline(index, line);  // header
  while (std::getline(index, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int column = 0; column < 10; ++column) std::getline(fields, field, ',');  // 10th column
    sums.push_back(field);
  }
  return sums;
}

// A job chooses its calibration in a [calibration] table; the old recorder options give the
// same frames, and a job that uses both is refused.
TEST(CalibrateCli, TheCalibrationTableChoosesTheProfile) {
  test::TempDir dir;
  test::write_text(dir / "lab.toml",
                   "recorder = \"sim-default\"\nstock = \"sim-negative\"\nchannels = [\"grey\"]\n"
                   "[aim]\nhigh-contrast = 1.10\nfaint = 0.90\n[curve.grey]\n"
                   "codes = [0, 85, 170, 255]\ndensities = [0.06, 0.773, 1.487, 2.2]\n");
  fs::create_directories(dir / "scans");
  (vips::VImage::black(120, 160) + 200)
      .cast(VIPS_FORMAT_UCHAR)
      .pngsave((dir / "scans" / "p.png").c_str());
  const std::string head =
      "version = 1\nid = \"c\"\ntitle = \"c\"\ndpi = 100\ntargets = \"none\"\n";
  const std::string documents =
      "[[documents]]\nid = \"D1\"\ntitle = \"p\"\npages = { dir = \"scans\" }\n";
  const std::string sim =
      "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
      "film_output = false\n";
  const auto convert = [&](const std::string& name, const std::string& text) {
    test::write_text(dir / (name + ".toml"), text);
    return test::run_cli(
        {"convert", (dir / (name + ".toml")).string(), "--out", (dir / name).string()});
  };
  ASSERT_EQ(convert("table", head +
                                 "[calibration]\nprofile = \"lab.toml\"\n"
                                 "document_class = \"faint\"\n" +
                                 sim + documents)
                .exit_code,
            0);
  ASSERT_EQ(convert("options", head + sim + "calibration = \"" + (dir / "lab.toml").string() +
                                   "\"\ndocument_class = \"faint\"\n" + documents)
                .exit_code,
            0);
  ASSERT_EQ(convert("none", head + sim + documents).exit_code, 0);
  const auto table = frame_checksums(dir / "table" / "c" / "R0001" / "index.csv");
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table, frame_checksums(dir / "options" / "c" / "R0001" / "index.csv"));
  EXPECT_NE(table, frame_checksums(dir / "none" / "c" / "R0001" / "index.csv"));

  const auto both = convert(
      "both", head + "[calibration]\nprofile = \"lab.toml\"\n" + sim + "tone = 1.2\n" + documents);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("calibration and recorder.options.tone both choose the "
                                  "calibration; keep only the job's calibration key"));
  const auto bad_class = convert(
      "class", head + "[calibration]\nprofile = \"lab.toml\"\ndocument_class = \"murky\"\n" + sim +
                   documents);
  EXPECT_EQ(bad_class.exit_code, 2);
  EXPECT_THAT(bad_class.err, HasSubstr("no aim density for document class \"murky\" (known: "
                                       "faint, high-contrast)"));
}

// --- the engine API, called directly -----------------------------------------------------------

struct CalibrateApi : ::testing::Test {
  void SetUp() override {
    drivers::register_builtin_drivers(drivers);
    test::copy_profiles_with_test_recorder(dir / "profiles");
  }
  // The sim at a 10 um pitch, as fast as it goes.
  api::RecorderSettings sim(std::vector<std::string> options = {}) const {
    options.insert(options.end(), {"rate=0", "recorder=sim-test"});
    return api::resolve_recorder("sim", options, dir / "profiles");
  }
  test::TempDir dir;
  hal::Registry drivers;
};

struct Recorded final : api::CalibrateListener {
  void start_checked(const CalibrationProfile&, const api::Verification& v) override {
    start_error = v.max_error;
  }
  void wedge_read(int s, const fs::path& film) override {
    steps = s;
    wedge_film = film;
  }
  void iteration(int, std::size_t, const CalibrationProfile&, const api::Verification& v) override {
    errors.push_back(v.max_error);
  }
  double start_error = -1;
  int steps = 0;
  fs::path wedge_film;
  std::vector<double> errors;
};

TEST_F(CalibrateApi, TheSimReadsItsWedgeBackThroughTheHal) {
  const auto wedge = api::calibrate_wedge({sim(), "16mm-comic-30m", dir / "w", 11}, drivers);
  EXPECT_EQ(wedge.reel_dir, dir / "w" / "R0001");
  EXPECT_TRUE(fs::exists(wedge.readings_csv));
  const auto recorder = api::open_recorder(sim(), drivers);
  const hal::FilmReader* reader = recorder->film_reader();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->material().recorder, "sim-test");
  EXPECT_EQ(reader->material().stock, "sim-negative");
  EXPECT_EQ(reader->frames(wedge.reel_dir), std::vector<std::uint32_t>{1});
  const hal::DensityImage film = reader->read(wedge.reel_dir, 1);
  const DensityImage file = read_developed_film(reader->frame_file(wedge.reel_dir, 1));
  EXPECT_EQ(film.width, wedge.layout.width);
  EXPECT_EQ(film.height, wedge.layout.height);
  EXPECT_EQ(film.density, file.density);
  EXPECT_THROW(reader->read(wedge.reel_dir, 2), hal::DeviceError);
  // The tiff driver develops nothing: it has no film to read.
  EXPECT_EQ(api::open_recorder(api::resolve_recorder("tiff", {}, dir / "profiles"), drivers)
                ->film_reader(),
            nullptr);
}

TEST_F(CalibrateApi, AutoConvergesOnTheSimFromAWrongStartProfile) {
  test::write_text(dir / "wrong.toml",
                   "recorder = \"sim-default\"\nstock = \"sim-negative\"\nchannels = [\"grey\"]\n"
                   "[aim]\nhigh-contrast = 1.10\nfaint = 0.90\n[curve.grey]\n"
                   "codes = [0, 85, 170, 255]\ndensities = [0.06, 0.773, 1.487, 2.2]\n");
  api::AutoRequest request;
  request.recorder = sim({"seed=3"});
  request.profile = (dir / "sim.toml").string();
  request.start = (dir / "wrong.toml").string();
  request.out = dir / "cal";
  request.steps = 11;
  Recorded seen;
  const auto result = api::calibrate_auto(request, drivers, seen);
  EXPECT_GT(seen.start_error, 0.2);
  EXPECT_EQ(seen.steps, 11);
  EXPECT_EQ(seen.wedge_film, dir / "cal" / "wedge" / "R0001" / "film");
  ASSERT_EQ(seen.errors.size(), static_cast<std::size_t>(result.iterations));
  EXPECT_LT(seen.errors.back(), request.tolerance);
  EXPECT_EQ(result.file, dir / "sim.toml");
  const CalibrationProfile saved = load_calibration(dir / "profiles", result.file.string());
  EXPECT_EQ(saved.recorder, "sim-test");
  EXPECT_EQ(saved.stock, "sim-negative");
  EXPECT_EQ(saved.processing, "simulated processing, seed 3");
  EXPECT_NEAR(saved.curves[0].code_for(1.10), result.profile.curves[0].code_for(1.10), 0.5);
}

TEST_F(CalibrateApi, AutoNeedsARecorderThatReadsItsFilmBack) {
  api::AutoRequest request;
  request.recorder = sim({"film_output=false"});
  request.profile = (dir / "p.toml").string();
  request.out = dir / "cal";
  Recorded seen;
  try {
    api::calibrate_auto(request, drivers, seen);
    FAIL() << "calibrated without film";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_THAT(e.what(), HasSubstr("the sim driver lacks the capability film_readback"));
  }
  request.recorder = api::resolve_recorder("tiff", {}, dir / "profiles");
  request.out = dir / "tiff";
  try {
    api::calibrate_auto(request, drivers, seen);
    FAIL() << "calibrated without film";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the tiff driver lacks the capability film_readback"));
  }
  EXPECT_FALSE(fs::exists(dir / "tiff" / "wedge"));  // nothing exposed for nothing
  EXPECT_FALSE(fs::exists(dir / "cal" / "wedge"));
  EXPECT_FALSE(fs::exists(dir / "p.toml"));
}

TEST_F(CalibrateApi, FitTakesTheStocksAimsAndNamesAnUnknownStock) {
  std::string csv = "step,code,density\n";
  for (int i = 0; i <= 10; ++i) {
    const double code = 25.5 * i;
    csv +=
        fmt::format("{},{},{:.3f}\n", i + 1, code, 0.06 + 2.1 / (1 + std::exp(-(code - 130) / 18)));
  }
  test::write_text(dir / "readings.csv", csv);
  api::FitRequest request;
  request.readings = dir / "readings.csv";
  request.profile = "lab";
  request.profiles_dir = dir / "profiles";
  const auto result = api::calibrate_fit(request);
  EXPECT_EQ(result.readings, 11u);
  EXPECT_EQ(result.file, dir / "profiles" / "calibration" / "lab.toml");
  EXPECT_DOUBLE_EQ(result.profile.aim("high-contrast"), 1.10);  // the stock's aims
  EXPECT_DOUBLE_EQ(result.profile.aim("faint"), 0.90);
  EXPECT_EQ(load_calibration(dir / "profiles", "lab").aims, result.profile.aims);
  request.stock = "kodak-9999";
  try {
    api::calibrate_fit(request);
    FAIL() << "fitted against an unknown stock";
  } catch (const Error& e) {
    EXPECT_EQ(exit_code(e.kind()), exit_usage);
    EXPECT_THAT(e.what(), HasSubstr("--stock: "));
    EXPECT_THAT(e.what(), HasSubstr("stocks/kodak-9999.toml: no such profile (known: sim-colour, "
                                    "sim-negative"));
  }
}

}  // namespace
}  // namespace fw::calibrate_test
