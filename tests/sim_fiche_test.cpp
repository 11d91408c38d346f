// The simulated recorder on microfiche: cells in reading order, a full sheet, sheets appended
// to, and a fiche job developed and resumed (drivers/sim).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include <vips/vips8>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "builtin.hpp"
#include "color/wedge.hpp"
#include "film/format.hpp"
#include "samples/samples.hpp"
#include "sim/sim_physics.hpp"
#include "support/engine_api.hpp"
#include "support/page_cache.hpp"
#include "support/sim_recorder.hpp"
#include "support/test_support.hpp"

namespace fw::sim_fiche_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::expose;
using test::film_files;
using test::flat;
using test::kProfiles;
using test::open_sim;
using test::profiles_with_recorder;
using test::TestFrame;

hal::ReelSpec sheet_in(const fs::path& dir, const std::string& format = "fiche-a6-98-24x",
                       const std::string& id = "F0001") {
  hal::ReelSpec spec{id, 1, "test", format, "", 0, dir / id};
  spec.geometry = film_geometry(load_format(kProfiles, format));
  return spec;
}

nlohmann::json reel_record(const fs::path& reel_dir) {
  return nlohmann::json::parse(read_file(reel_dir / "film" / "reel.json"));
}

TEST(SimFiche, CellsFollowTheHeaderStripThenTheFormatsReadingOrder) {
  const auto rows = film_geometry(load_format(kProfiles, "fiche-a6-98-24x"));
  ASSERT_TRUE(rows.fiche);
  EXPECT_FALSE(film_geometry(load_format(kProfiles, "16mm-comic-30m")).fiche);
  auto cell = [](const hal::FilmGeometry& g, std::uint32_t frame) {
    const auto c = g.sheet.cell_of(frame);
    return c ? fmt::format("{},{} at {:.2f},{:.2f}", c->row, c->column, c->x_mm, c->y_mm)
             : std::string("none");
  };
  // 14 x 10.5 mm and 8 x 13.0 mm leave 0.5 mm of the 148 x 105 mm sheet on every side.
  EXPECT_EQ(cell(rows, 1), "0,1 at 0.50,0.50");
  EXPECT_EQ(cell(rows, 14), "0,14 at 137.00,0.50");
  EXPECT_EQ(cell(rows, 15), "1,1 at 0.50,13.50");
  EXPECT_EQ(cell(rows, 16), "1,2 at 11.00,13.50");
  EXPECT_EQ(cell(rows, 29), "2,1 at 0.50,26.50");
  EXPECT_EQ(cell(rows, 112), "7,14 at 137.00,91.50");
  EXPECT_EQ(cell(rows, 113), "none");
  EXPECT_EQ(cell(rows, 0), "none");
  // COM fiche are read down the columns: 18 header tiles, then 15 rows of column 1.
  const auto columns = film_geometry(load_format(kProfiles, "fiche-a6-270-48x"));
  EXPECT_EQ(cell(columns, 18), "0,18 at 139.60,0.50");
  EXPECT_EQ(cell(columns, 19), "1,1 at 0.20,7.00");
  EXPECT_EQ(cell(columns, 20), "2,1 at 0.20,13.50");
  EXPECT_EQ(cell(columns, 33), "15,1 at 0.20,98.00");
  EXPECT_EQ(cell(columns, 34), "1,2 at 8.40,7.00");
  EXPECT_EQ(cell(columns, 288), "15,18 at 139.60,98.00");
  EXPECT_EQ(cell(columns, 289), "none");
}

TEST(SimFiche, TheSheetRefusesTheNinetyNinthFrameOfANinetyEightCellFicheByName) {
  test::TempDir dir;
  const fs::path profiles = profiles_with_recorder(dir, "sim-test", {{"pixel_pitch_um", "10.0"}});
  auto sim = open_sim({{"rate", "0"},
                       {"film_output", "false"},
                       {"recorder", "sim-test"},
                       {"profiles", profiles.string()}});
  sim->load(sheet_in(dir.path()));
  // A frame larger than the cell would expose its neighbours.
  try {
    expose(*sim, flat(1050, 1320, 255), 1);
    ADD_FAILURE() << "a frame larger than the cell was exposed";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::invalid_frame);
    EXPECT_THAT(e.what(), HasSubstr("sheet F0001 frame 1 (R0001-T-1): 1050x1320 px is 10.500 x "
                                    "13.200 mm, larger than the 10.5 x 13 mm cell"));
  }
  const TestFrame cell = flat(1050, 1300, 255);
  for (std::uint32_t n = 1; n <= 14 + 98; ++n) expose(*sim, cell, n);
  try {
    expose(*sim, cell, 113);
    ADD_FAILURE() << "the sheet took a 99th page frame";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::out_of_film);
    EXPECT_THAT(e.what(), HasSubstr("sim driver: sheet F0001 frame 113 (R0001-T-113): out of film: "
                                    "the sheet has 98 cells (7 rows of 14) below its 14-tile "
                                    "header strip, and all of them are exposed"));
  }
  const hal::ReelReport report = sim->unload();
  EXPECT_EQ(report.frames, 112u);
  EXPECT_DOUBLE_EQ(report.film_used_m, 0.148);  // an A6 length of 105 mm film
  const auto record = reel_record(dir / "F0001");
  EXPECT_EQ(record["layout"], "fiche");
  EXPECT_EQ(record["sheet"]["columns"], 14);
  EXPECT_EQ(record["header_tiles"], 14);
  EXPECT_EQ(record["cells_used"], 98);
  EXPECT_FALSE(record.contains("leader_mm"));
  ASSERT_EQ(record["frames"].size(), 112u);
  const auto& last = record["frames"][111];
  EXPECT_EQ(last["cell"], (nlohmann::json{{"row", 7}, {"column", 14}}));
  EXPECT_DOUBLE_EQ(last["x_mm"].get<double>(), 137.0);
  EXPECT_DOUBLE_EQ(last["y_mm"].get<double>(), 91.5);
  EXPECT_FALSE(last.contains("start_mm"));
}

TEST(SimFiche, ASheetIsAppendedToUntilTheCameraMovesOnToTheNextSheet) {
  test::TempDir dir;
  const fs::path profiles = profiles_with_recorder(dir, "sim-test", {{"pixel_pitch_um", "10.0"}});
  const hal::DriverOptions options{{"rate", "0"},
                                   {"film_output", "measure"},
                                   {"recorder", "sim-test"},
                                   {"profiles", profiles.string()}};
  const TestFrame cell = flat(1000, 1200, 255);  // smaller than the cell: centred in it
  {
    auto sim = open_sim(options);
    sim->load(sheet_in(dir.path()));
    for (std::uint32_t n = 1; n <= 16; ++n) expose(*sim, cell, n);
    // The host goes away without unloading: the sheet stays in the gate.
  }
  auto sim = open_sim(options);
  hal::ReelSpec spec = sheet_in(dir.path());
  spec.first_frame = 17;
  sim->load(spec);
  EXPECT_EQ(sim->status().frames_exposed, 16u);
  expose(*sim, cell, 17);
  sim->unload();
  const auto record = reel_record(dir / "F0001");
  ASSERT_EQ(record["frames"].size(), 17u);
  EXPECT_EQ(record["cells_used"], 3);
  const auto& appended = record["frames"][16];
  EXPECT_EQ(appended["cell"], (nlohmann::json{{"row", 1}, {"column", 3}}));
  EXPECT_DOUBLE_EQ(appended["x_mm"].get<double>(), 0.5 + 2 * 10.5 + 0.25);
  EXPECT_DOUBLE_EQ(appended["y_mm"].get<double>(), 13.5 + 0.5);
  EXPECT_DOUBLE_EQ(appended["width_mm"].get<double>(), 10.0);

  // Unloaded, the sheet is still in the gate (the engine unloads a sheet stopped by a fault).
  spec.first_frame = 18;
  sim->load(spec);
  expose(*sim, cell, 18);
  sim->unload();
  EXPECT_EQ(reel_record(dir / "F0001")["cells_used"], 4);
  // Once the film advanced to the next sheet, the first cannot come back in register.
  hal::ReelSpec next = sheet_in(dir.path(), "fiche-a6-98-24x", "F0002");
  next.reel_number = 2;
  sim->load(next);
  sim->unload();
  spec.first_frame = 19;
  try {
    sim->load(spec);
    ADD_FAILURE() << "a sheet came back after the next one";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::fault);
    EXPECT_THAT(e.what(), HasSubstr("sheet F0001: cannot append at frame 19: the sheet left the "
                                    "camera when sheet F0002 was loaded after it"));
  }
}

// A fiche job through the CLI: three A5 pages behind the header strip, calibrated (a profile
// written from the stock's own curve) so that paper aims at 1.10 D. The same job on the tiff
// driver gives the code values that were sent.
class SimFicheJob : public ::testing::Test {
 protected:
  void SetUp() override {
    test::copy_profiles_with_test_recorder(profiles());
    fs::create_directories(dir / "pages");
    for (int page = 1; page <= 3; ++page) {
      samples::PageSpec spec;
      spec.width_mm = 148;
      spec.height_mm = 210;
      spec.dpi = 100;
      spec.label = fmt::format("P{}", page);
      spec.marks = {{10, 10, 10}, {100, 150, 20 + 5.0 * page}};
      samples::save_page(samples::make_page(spec), dir / "pages" / fmt::format("p{}.png", page),
                         samples::Encoding::png, 100);
    }
    const auto stock = drivers::sim::load_stock(profiles(), "sim-negative");
    const auto recorder = drivers::sim::load_recorder(profiles(), "sim-test");
    std::string codes, densities;
    for (int code = 0; code <= 255; code += 15) {
      codes += fmt::format("{}{}", code ? ", " : "", code);
      densities += fmt::format("{}{:.4f}", code ? ", " : "",
                               stock.curves[0].density(recorder.log_exposure(code)));
    }
    test::write_text(dir / "cal.toml",
                     fmt::format("description = \"the stock's curve\"\nchannels = [\"grey\"]\n"
                                 "[aim]\nhigh-contrast = 1.10\n[curve.grey]\ncodes = [{}]\n"
                                 "densities = [{}]\n",
                                 codes, densities));
    test::write_text(
        dir / "job.toml",
        "version = 1\nid = \"sheet\"\ntitle = \"fiche\"\nformat = \"fiche-a6-98-24x\"\n"
        "reduction = 24\nfilming_date = 2026-01-15\n"
        "[calibration]\nprofile = \"" +
            (dir / "cal.toml").string() +
            "\"\n[[documents]]\nid = \"D1\"\ntitle = \"pages\"\n"
            "pages = { dir = \"pages\" }\n");
  }
  fs::path profiles() const { return dir / "profiles"; }
  std::string job() const { return (dir / "job.toml").string(); }
  test::CliResult convert_on_sim(const std::string& out, std::vector<std::string> more = {}) {
    std::vector<std::string> args{"convert",  job(),
                                  "--out",    (dir / out).string(),
                                  "--driver", "sim",
                                  "-O",       "rate=0",
                                  "-O",       "recorder=sim-test",
                                  "-O",       "profiles=" + profiles().string()};
    args.insert(args.end(), more.begin(), more.end());
    return test::run_cli(args);
  }

  test::TempDir dir;
};

TEST_F(SimFicheJob, EveryCellLandsOnTheDevelopedFilmAtItsPlaceWithTheRightDensities) {
  const auto sim = convert_on_sim("sim");
  ASSERT_EQ(sim.exit_code, 0) << sim.out << sim.err;
  api::JobRequest tiff = test::job_flags(dir / "tiff");
  tiff.overrides.driver = "tiff";
  tiff.overrides.driver_options = {{"pitch_um", "10"}, {"compression", "none"}};
  ASSERT_NO_THROW(test::convert_job(job(), {}, tiff));
  const fs::path sheet = dir / "sim" / "sheet" / "F0001";
  // Both drivers were sent the same code values.
  const auto sim_index = test::read_csv(sheet / "index.csv");
  const auto tiff_index = test::read_csv(dir / "tiff" / "sheet" / "F0001" / "index.csv");
  ASSERT_EQ(sim_index.size(), 18u);  // a header line, 14 header tiles, 3 pages
  for (std::size_t i = 1; i < sim_index.size(); ++i) {
    ASSERT_EQ(sim_index[i][9], tiff_index[i][9]) << "frame " << i << ": another frame was sent";
  }

  const auto plan = nlohmann::json::parse(read_file(dir / "sim" / "sheet" / "plan.json"));
  const auto record = reel_record(sheet);
  EXPECT_EQ(record["reel"], "F0001");
  EXPECT_EQ(record["film_format"], "fiche-a6-98-24x");
  EXPECT_EQ(record["complete"], true);
  EXPECT_EQ(record["header_tiles"], 14);
  EXPECT_EQ(record["cells_used"], 3);
  ASSERT_EQ(record["frames"].size(), 17u);
  const auto stock = drivers::sim::load_stock(profiles(), "sim-negative");
  const auto recorder = drivers::sim::load_recorder(profiles(), "sim-test");
  std::array<double, 256> stock_density{};
  for (int code = 0; code < 256; ++code) {
    stock_density[code] = stock.curves[0].density(recorder.log_exposure(code));
  }
  for (std::uint32_t n = 1; n <= 17; ++n) {
    SCOPED_TRACE(fmt::format("frame {}", n));
    const auto& planned = plan["frames"][n - 1];
    const auto& on_film = record["frames"][n - 1];
    // At its place: the planner's cell, the grid centred on the 148 x 105 mm sheet.
    const int row = planned["grid"]["row"], column = planned["grid"]["column"];
    EXPECT_EQ(on_film["cell"]["row"], row);
    EXPECT_EQ(on_film["cell"]["column"], column);
    EXPECT_NEAR(on_film["x_mm"].get<double>(), 0.5 + (column - 1) * 10.5, 1e-9);
    EXPECT_NEAR(on_film["y_mm"].get<double>(), 0.5 + row * 13.0, 1e-9);
    EXPECT_EQ(on_film["address"], planned["address"]);
    EXPECT_EQ(on_film["file"], fmt::format("film/F{:06}.tif", n));
    EXPECT_EQ(row, n <= 14 ? 0 : 1);
    // With the right densities: each pixel the stock's density for the code sent (at 10 um
    // the 3 um spot does not blur), give or take the grain.
    const DensityImage film = read_developed_film(sheet / on_film["file"].get<std::string>());
    vips::VImage sent = vips::VImage::new_from_file(
        (dir / "tiff" / "sheet" / "F0001" / "frames" / fmt::format("F{:06}.tif", n)).c_str());
    ASSERT_EQ(film.width, static_cast<std::uint32_t>(sent.width()));
    ASSERT_EQ(film.height, static_cast<std::uint32_t>(sent.height()));
    EXPECT_EQ(film.width, on_film["width_px"].get<std::uint32_t>());
    std::size_t size = 0;
    auto* codes = static_cast<std::uint8_t*>(sent.write_to_memory(&size));
    ASSERT_EQ(size, film.density.size());
    double sum = 0, sum_sq = 0, paper = 0, clear = 0;
    std::size_t papers = 0, clears = 0;
    for (std::size_t i = 0; i < size; ++i) {
      const double d = film.density[i] - stock_density[codes[i]];
      sum += d;
      sum_sq += d * d;
      if (codes[i] == 0) {
        clear += film.density[i];
        ++clears;
      }
    }
    g_free(codes);
    EXPECT_NEAR(sum / size, 0, 0.002);
    EXPECT_LT(std::sqrt(sum_sq / size), 0.03);
    // Film outside the page is base + fog; a page's paper has the calibrated 1.10 D.
    if (n > 14) {
      EXPECT_NEAR(clear / clears, 0.06, 0.005);
      const auto& p = planned["placement"];
      const int x0 = p["page_x_px"], y0 = p["page_y_px"];
      for (int y = y0 + 200; y < y0 + 260; ++y) {
        for (int x = x0 + 300; x < x0 + 360; ++x) {
          paper += film.density[std::size_t(y) * film.width + x];
          ++papers;
        }
      }
      EXPECT_NEAR(paper / papers, 1.10, 0.02);
    }
  }
}

// Resume (policy continue) on a sheet still in the camera: the sheet, its record, index and
// manifest are those of a run that never stopped.
TEST_F(SimFicheJob, AResumedSheetEqualsAnUninterruptedOne) {
  const auto whole = convert_on_sim("whole");
  ASSERT_EQ(whole.exit_code, 0) << whole.out << whole.err;
  const auto stopped = convert_on_sim("resumed", {"-O", "fault_at=16"});
  ASSERT_EQ(stopped.exit_code, 4) << stopped.out << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("sim driver: sheet F0001 frame 16: device fault"));
  const auto resumed = convert_on_sim("resumed", {"--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("resuming at frame 16 of 17"));
  const auto a = dir / "whole" / "sheet" / "F0001";
  const auto b = dir / "resumed" / "sheet" / "F0001";
  const auto film_a = film_files(a), film_b = film_files(b);
  ASSERT_EQ(film_a.size(), 18u);  // 17 cells and reel.json
  for (const auto& [name, bytes] : film_a) {
    ASSERT_TRUE(film_b.contains(name)) << name;
    EXPECT_TRUE(film_b.at(name) == bytes) << name << " differs";
  }
  EXPECT_EQ(read_file(a / "index.csv"), read_file(b / "index.csv"));
  EXPECT_EQ(read_file(a / "manifest.sha256"), read_file(b / "manifest.sha256"));
}

}  // namespace
}  // namespace fw::sim_fiche_test
