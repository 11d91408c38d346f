// The simulated recorder (drivers/sim): physics on the developed film, machine behaviour
// (write rate, buffer, underrun, film length) and injected faults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include <oneapi/tbb/task_arena.h>
#include <vips/vips8>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "builtin.hpp"
#include "color/wedge.hpp"
#include "film/format.hpp"
#include "samples/samples.hpp"
#include "sim/sim_physics.hpp"
#include "support/page_cache.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kProfiles = test::source_dir() / "profiles";

// A profiles folder with the real stocks and formats and a recorder profile edited by `edit`.
fs::path profiles_with_recorder(const test::TempDir& dir, const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& edits) {
  const fs::path root = dir / "profiles";
  if (!fs::exists(root)) {
    fs::create_directories(root / "recorders");
    fs::copy(kProfiles / "stocks", root / "stocks", fs::copy_options::recursive);
    fs::copy(kProfiles / "formats", root / "formats", fs::copy_options::recursive);
  }
  std::string text = read_file(kProfiles / "recorders" / "sim-default.toml");
  for (const auto& [key, value] : edits) {
    const auto at = text.find("\n" + key + " = ");
    EXPECT_NE(at, std::string::npos) << key;
    const auto end = text.find('\n', at + 1);
    text.replace(at + 1, end - at - 1, key + " = " + value);
  }
  test::write_text(root / "recorders" / (name + ".toml"), text);
  return root;
}

std::unique_ptr<hal::Recorder> open_sim(const hal::DriverOptions& options) {
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  // The profiles folder is the engine's, not a driver option: the sim gets it when opened.
  hal::DriverOptions device = options;
  const auto profiles = hal::take_option(device, "profiles");
  return registry.open("sim", device, {profiles.value_or(kProfiles.string())});
}

struct TestFrame {
  std::uint32_t width, height;
  std::vector<std::uint8_t> pixels;
};

TestFrame flat(std::uint32_t width, std::uint32_t height, std::uint8_t code) {
  return {width, height, std::vector<std::uint8_t>(std::size_t{width} * height, code)};
}

void expose(hal::Recorder& recorder, const TestFrame& f, std::uint32_t number) {
  hal::Frame frame;
  frame.width = f.width;
  frame.height = f.height;
  frame.pixels = f.pixels;
  frame.pixel_pitch_um = recorder.capabilities().pixel_pitch_um;
  frame.reel_number = 1;
  frame.frame_number = number;
  frame.blip = hal::BlipLevel::page;
  frame.address = "R0001-T-" + std::to_string(number);
  recorder.expose(frame);
}

hal::ReelSpec reel_in(const fs::path& dir, double length_m = 30.5) {
  hal::ReelSpec spec{"R0001", 1, "test", "16mm-comic-30m", "", length_m, dir / "R0001"};
  spec.geometry = film_geometry(load_format(kProfiles, spec.film_format));
  return spec;
}

DensityImage developed(const fs::path& dir, int frame) {
  return read_developed_film(dir / "R0001" / "film" / fmt::format("F{:06}.tif", frame));
}

struct Stats {
  double mean = 0, rms = 0;
};
Stats stats(const DensityImage& film, std::uint32_t x0, std::uint32_t y0, std::uint32_t size) {
  double sum = 0, sum_sq = 0;
  for (std::uint32_t y = y0; y < y0 + size; ++y) {
    for (std::uint32_t x = x0; x < x0 + size; ++x) {
      const double d = film.density[std::size_t{y} * film.width + x];
      sum += d;
      sum_sq += d * d;
    }
  }
  const double n = static_cast<double>(size) * size;
  return {sum / n, std::sqrt(sum_sq / n - (sum / n) * (sum / n))};
}

TEST(SimPhysics, FlatFieldDevelopsToTheStockCurveDensity) {
  const auto stock = drivers::sim::load_stock(kProfiles, "sim-negative");
  const auto recorder_profile = drivers::sim::load_recorder(kProfiles, "sim-default");
  // Worked by hand from the profiles: code 128 -> log E = 2.2 log10(128/255) = -0.6586,
  // straight line 2.7 (log E + 1) = 0.922 D above d_min, shoulder 0.15 D soft: 0.9818 D.
  EXPECT_NEAR(stock.curves[0].density(recorder_profile.log_exposure(128)), 0.9818, 0.0005);
  EXPECT_NEAR(stock.curves[0].density(recorder_profile.log_exposure(0)), 0.06, 0.0005);

  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"}});
  sim->load(reel_in(dir.path()));
  const std::vector<std::uint8_t> codes{0, 64, 128, 160, 200, 255};
  for (std::size_t i = 0; i < codes.size(); ++i) {
    expose(*sim, flat(96, 96, codes[i]), static_cast<std::uint32_t>(i + 1));
  }
  sim->unload();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const double expected = stock.curves[0].density(recorder_profile.log_exposure(codes[i]));
    EXPECT_NEAR(stats(developed(dir.path(), static_cast<int>(i + 1)), 16, 16, 64).mean, expected,
                0.003)
        << "code " << int{codes[i]};
  }
}

TEST(SimPhysics, GrainHasTheConfiguredRmsAndFollowsDensity) {
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"}});
  sim->load(reel_in(dir.path()));
  expose(*sim, flat(256, 256, 128), 1);  // ~0.98 D
  expose(*sim, flat(256, 256, 230), 2);  // ~2.18 D
  sim->unload();
  for (int frame : {1, 2}) {
    const Stats s = stats(developed(dir.path(), frame), 8, 8, 240);
    // grain_rms_at_1d = 0.015 D, scaled with sqrt(D) (Selwyn).
    EXPECT_NEAR(s.rms, 0.015 * std::sqrt(s.mean), 0.0008) << "frame " << frame;
  }
}

// 10–90 % rise of a density edge, in pixels, on the mean of the rows (averaging 48 rows
// takes the grain down to ~0.003 D, far below the 10 % level of the ~0.5 D step).
double edge_width(const DensityImage& film) {
  std::vector<double> profile(film.width, 0.0);
  for (std::uint32_t row = 8; row < film.height - 8; ++row) {
    for (std::uint32_t x = 0; x < film.width; ++x) {
      profile[x] += film.density[std::size_t{row} * film.width + x] / (film.height - 16);
    }
  }
  double low = 0, high = 0;
  for (std::uint32_t x = 4; x < 20; ++x) low += profile[x] / 16;
  for (std::uint32_t x = film.width - 20; x < film.width - 4; ++x) high += profile[x] / 16;
  const auto crossing = [&](double level) {
    for (std::uint32_t x = 1; x < film.width; ++x) {
      if (profile[x] >= level) {
        return x - 1 + (level - profile[x - 1]) / (profile[x] - profile[x - 1]);
      }
    }
    return double(film.width);
  };
  return crossing(low + 0.9 * (high - low)) - crossing(low + 0.1 * (high - low));
}

double mean_edge_width(const fs::path& profiles, const std::string& recorder) {
  test::TempDir dir;
  // A small step in the straight line (codes 150 -> 170) keeps density nearly linear in exposure.
  TestFrame frame = flat(64, 64, 150);
  for (std::uint32_t y = 0; y < 64; ++y) {
    for (std::uint32_t x = 32; x < 64; ++x) frame.pixels[y * 64 + x] = 170;
  }
  auto sim = open_sim({{"rate", "0"}, {"profiles", profiles.string()}, {"recorder", recorder}});
  sim->load(reel_in(dir.path()));
  expose(*sim, frame, 1);
  sim->unload();
  return edge_width(developed(dir.path(), 1));
}

TEST(SimPhysics, SpotBlurWidensAnEdgeBySpotSize) {
  test::TempDir dir;
  const auto profiles = profiles_with_recorder(dir, "wide-spot", {{"spot_fwhm_um", "10.0"}});
  profiles_with_recorder(dir, "no-spot", {{"spot_fwhm_um", "0.0"}});
  // Gaussian 10–90 % width = 2.563 sigma; sigma = FWHM / 2.3548 / pitch = 1.699 px at 10 um.
  EXPECT_NEAR(mean_edge_width(profiles, "wide-spot"), 2.563 * 10 / 2.3548 / 2.5, 0.5);
  EXPECT_LT(mean_edge_width(profiles, "no-spot"), 1.0);
}

TEST(SimRecorder, SameSeedGivesTheSameFilmAndAnotherSeedDoesNot) {
  std::vector<std::string> films;
  for (const char* seed : {"7", "7", "8"}) {
    test::TempDir dir;
    auto sim = open_sim({{"rate", "0"}, {"seed", seed}});
    sim->load(reel_in(dir.path()));
    expose(*sim, flat(64, 64, 140), 1);
    sim->unload();
    const auto film = developed(dir.path(), 1);
    films.emplace_back(reinterpret_cast<const char*>(film.density.data()),
                       film.density.size() * sizeof(double));
  }
  EXPECT_EQ(films[0], films[1]);
  EXPECT_NE(films[0], films[2]);
}

// The fault options put their damage on the developed film itself. A flat 1.0 D frame of
// 2000 x 1500 px (5 x 3.75 mm at 2.5 um, 0.1875 cm2) on comic roll film, which runs along the
// frame's width: scratches are rows, dust is blobs. Grain (0.015 D RMS) never reaches the
// thresholds, so every pixel below 0.3 D or above 2.5 D is damage.
struct Damage {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> scratch_rows;  // first, last row
  std::uint32_t specks = 0;   // blobs of damaged pixels outside the scratches
  std::uint32_t damaged = 0;  // damaged pixels in all
};
Damage find_damage(const DensityImage& film) {
  const std::uint32_t w = film.width, h = film.height;
  const auto hit = [&](std::uint32_t x, std::uint32_t y) {
    const double d = film.density[std::size_t{y} * w + x];
    return d < 0.3 || d > 2.5;
  };
  Damage out;
  std::vector<bool> in_scratch(h, false);
  for (std::uint32_t y = 0; y < h; ++y) {
    std::uint32_t n = 0;
    for (std::uint32_t x = 0; x < w; ++x) n += hit(x, y);
    out.damaged += n;
    if (n * 10 >= w * 9) {  // across (nearly) the whole frame: a scratch, not dust
      in_scratch[y] = true;
      if (y > 0 && in_scratch[y - 1]) {
        out.scratch_rows.back().second = y;
      } else {
        out.scratch_rows.emplace_back(y, y);
      }
    }
  }
  // Specks: 8-connected blobs of damaged pixels off the scratch rows.
  std::vector<bool> seen(std::size_t{w} * h, false);
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) {
      if (in_scratch[y] || seen[std::size_t{y} * w + x] || !hit(x, y)) continue;
      ++out.specks;
      std::vector<std::pair<std::uint32_t, std::uint32_t>> stack{{x, y}};
      seen[std::size_t{y} * w + x] = true;
      while (!stack.empty()) {
        const auto [px, py] = stack.back();
        stack.pop_back();
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const auto nx = static_cast<std::int64_t>(px) + dx;
            const auto ny = static_cast<std::int64_t>(py) + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h || in_scratch[ny]) continue;
            const std::size_t i = std::size_t(ny) * w + nx;
            if (seen[i] || !hit(nx, ny)) continue;
            seen[i] = true;
            stack.emplace_back(nx, ny);
          }
        }
      }
    }
  }
  return out;
}

TEST(SimRecorder, ScratchesAndDustOptionsPutTheStatedDamageOnTheDevelopedFilm) {
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"},
                       {"seed", "5"},
                       {"scratches", "3"},
                       {"scratch_width_um", "10"},
                       {"dust_per_cm2", "100"}});
  sim->load(reel_in(dir.path()));
  const TestFrame frame = flat(2000, 1500, 140);
  expose(*sim, frame, 1);
  expose(*sim, frame, 2);
  sim->unload();
  const auto json = nlohmann::json::parse(read_file(dir / "R0001" / "film" / "reel.json"));
  ASSERT_TRUE(json.contains("damage")) << json.dump(2);
  const auto& scratches = json["damage"]["scratches"];
  ASSERT_EQ(scratches.size(), 3u);
  EXPECT_EQ(json["damage"]["travel"], "width");
  std::vector<Damage> found;
  for (int f : {1, 2}) {
    const Damage damage = find_damage(developed(dir.path(), f));
    found.push_back(damage);
    // Three scratches, each 10 um = 4 rows of 2.5 um, at the places reel.json gives.
    ASSERT_EQ(damage.scratch_rows.size(), 3u) << f;
    std::vector<double> centres;
    for (const auto& s : scratches) centres.push_back(s["across"].get<double>() * 1500);
    std::ranges::sort(centres);
    for (std::size_t i = 0; i < 3; ++i) {
      const auto [first, last] = damage.scratch_rows[i];
      EXPECT_EQ(last - first + 1, 4u) << f << " scratch " << i;
      EXPECT_NEAR((first + last + 1) / 2.0, centres[i], 1.0) << f << " scratch " << i;
    }
    // 100 specks per cm2 on 0.1875 cm2: 18 or 19, as many as reel.json says, on the pixels.
    const auto stated = json["frames"][f - 1]["dust"].get<std::uint32_t>();
    EXPECT_TRUE(stated == 18 || stated == 19) << stated;
    EXPECT_EQ(damage.specks, stated) << f;
  }
  // The same scratches on every frame of the reel, other dust on each.
  EXPECT_EQ(found[0].scratch_rows, found[1].scratch_rows);
  EXPECT_NE(found[0].damaged, found[1].damaged);
  // Both kinds appear (mixed): clear film (base + fog) and a dense base scratch.
  const DensityImage film = developed(dir.path(), 1);
  std::set<std::string> kinds;
  for (const auto& s : scratches) {
    const auto row = static_cast<std::uint32_t>(s["across"].get<double>() * 1500);
    const double d = film.density[std::size_t{row} * film.width + 1000];
    kinds.insert(s["kind"].get<std::string>());
    if (s["kind"] == "clear") {
      EXPECT_NEAR(d, 0.06, 1e-3);
    } else {
      EXPECT_NEAR(d, 3.0, 1e-3);
    }
  }
  EXPECT_EQ(kinds.size(), 2u);

  // The same seed, the same damage; without the options the film is clean.
  test::TempDir again;
  auto same = open_sim({{"rate", "0"},
                        {"seed", "5"},
                        {"scratches", "3"},
                        {"scratch_width_um", "10"},
                        {"dust_per_cm2", "100"}});
  same->load(reel_in(again.path()));
  expose(*same, frame, 1);
  same->unload();
  EXPECT_EQ(developed(again.path(), 1).density, film.density);
  test::TempDir clean;
  auto plain = open_sim({{"rate", "0"}, {"seed", "5"}});
  plain->load(reel_in(clean.path()));
  expose(*plain, frame, 1);
  plain->unload();
  const Damage none = find_damage(developed(clean.path(), 1));
  EXPECT_EQ(none.damaged, 0u);
  EXPECT_FALSE(
      nlohmann::json::parse(read_file(clean / "R0001" / "film" / "reel.json")).contains("damage"));
}

TEST(SimRecorder, OnCineFilmScratchesRunDownTheFrameAndDustAtExposureStaysClear) {
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"},
                       {"scratches", "2"},
                       {"scratch_kind", "dense"},
                       {"dust_per_cm2", "200"},
                       {"dust_at", "exposure"}});
  hal::ReelSpec reel = reel_in(dir.path());
  reel.geometry.comic = false;  // cine: the film runs along the frame's height
  sim->load(reel);
  expose(*sim, flat(600, 800, 140), 1);
  sim->unload();
  const DensityImage film = developed(dir.path(), 1);
  const auto json = nlohmann::json::parse(read_file(dir / "R0001" / "film" / "reel.json"));
  EXPECT_EQ(json["damage"]["travel"], "height");
  EXPECT_EQ(json["damage"]["dust_at"], "exposure");
  for (const auto& s : json["damage"]["scratches"]) {
    EXPECT_EQ(s["kind"], "dense");
    const auto column = static_cast<std::uint32_t>(s["across"].get<double>() * 600);
    for (std::uint32_t y = 0; y < 800; y += 50) {
      EXPECT_NEAR(film.density[std::size_t{y} * 600 + column], 3.0, 1e-3) << y;
    }
  }
  // 200 per cm2 on 1.5 x 2 mm (0.03 cm2): 6 specks, none dense: a shaded negative is clear.
  EXPECT_EQ(json["frames"][0]["dust"], 6);
  std::uint32_t clear = 0;
  for (double d : film.density) clear += d < 0.3;
  EXPECT_GT(clear, 6u);
  EXPECT_THROW(open_sim({{"dust_at", "lens"}}), hal::DeviceError);
  EXPECT_THROW(open_sim({{"scratch_kind", "deep"}}), hal::DeviceError);
}

TEST(SimRecorder, ReelLayoutGivesFramePositionsAlongTheFilm) {
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"}});
  sim->load(reel_in(dir.path()));
  expose(*sim, flat(400, 100, 0), 1);  // comic: the width runs along the film, 1.0 mm
  expose(*sim, flat(800, 100, 0), 2);
  const auto report = sim->unload();
  EXPECT_EQ(report.frames, 2u);
  EXPECT_THAT(report.files, ::testing::Contains(fs::path("film/reel.json")));
  const auto json = nlohmann::json::parse(read_file(dir / "R0001" / "film" / "reel.json"));
  EXPECT_EQ(json["stock"], "sim-negative");
  EXPECT_EQ(json["density_scale"], 10000.0);
  EXPECT_DOUBLE_EQ(json["frames"][0]["start_mm"], 1000.0);  // after the 1.0 m leader
  EXPECT_DOUBLE_EQ(json["frames"][0]["length_mm"], 1.0);
  EXPECT_DOUBLE_EQ(json["frames"][1]["start_mm"], 1002.0);  // + 1.0 mm frame + 1.0 mm gap
  EXPECT_DOUBLE_EQ(json["frames"][1]["length_mm"], 2.0);
}

TEST(SimRecorder, OutOfFilmAtFrameNStopsThere) {
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"}, {"out_of_film_at", "3"}});
  sim->load(reel_in(dir.path()));
  expose(*sim, flat(64, 64, 0), 1);
  expose(*sim, flat(64, 64, 0), 2);
  try {
    expose(*sim, flat(64, 64, 0), 3);
    FAIL() << "frame 3 was accepted";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::out_of_film);
    EXPECT_THAT(e.what(), HasSubstr("reel R0001 frame 3: out of film"));
  }
  EXPECT_EQ(sim->status().frames_exposed, 2u);
  EXPECT_EQ(sim->unload().frames, 2u);
}

TEST(SimRecorder, TheFilmRunsOutAtItsLength) {
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"}});
  // 2.01 m less 1 m leader and 1 m trailer: 10 mm of film; frames of 3 mm + 1 mm gap.
  sim->load(reel_in(dir.path(), 2.01));
  expose(*sim, flat(1200, 64, 0), 1);
  expose(*sim, flat(1200, 64, 0), 2);
  try {
    expose(*sim, flat(1200, 64, 0), 3);
    FAIL() << "frame 3 was accepted";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::out_of_film);
    EXPECT_THAT(e.what(), HasSubstr("the frame needs 3.00 mm at 1008.00 mm but the usable film "
                                    "ends at 1010.00 mm"));
  }
}

TEST(SimRecorder, InjectedFaultsAreTypedDeviceErrors) {
  struct Case {
    const char* option;
    hal::DeviceErrorKind kind;
  };
  for (const Case& c : {Case{"fault_at", hal::DeviceErrorKind::fault},
                        Case{"disconnect_at", hal::DeviceErrorKind::disconnected}}) {
    test::TempDir dir;
    auto sim = open_sim({{"rate", "0"}, {c.option, "2"}});
    sim->load(reel_in(dir.path()));
    expose(*sim, flat(32, 32, 0), 1);
    try {
      expose(*sim, flat(32, 32, 0), 2);
      FAIL() << c.option;
    } catch (const hal::DeviceError& e) {
      EXPECT_EQ(e.kind(), c.kind) << c.option;
    }
  }
  // A disconnected recorder stays disconnected.
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"}, {"disconnect_at", "1"}});
  sim->load(reel_in(dir.path()));
  EXPECT_THROW(expose(*sim, flat(32, 32, 0), 1), hal::DeviceError);
  try {
    sim->unload();
    expose(*sim, flat(32, 32, 0), 1);
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::disconnected);
  }
}

TEST(SimRecorder, StuckBufferIsAFaultAfterTheWatchdog) {
  test::TempDir dir;
  const auto profiles =
      profiles_with_recorder(dir, "small-buffer", {{"buffer_frames", "2"}, {"watchdog_s", "0.3"}});
  auto sim = open_sim({{"rate", "0"},
                       {"profiles", profiles.string()},
                       {"recorder", "small-buffer"},
                       {"stuck_buffer_at", "1"}});
  sim->load(reel_in(dir.path()));
  expose(*sim, flat(32, 32, 0), 1);  // the writer hangs on this one
  expose(*sim, flat(32, 32, 0), 2);  // the buffer is full now
  // The watchdog counts from the buffer's last move (before this call), so the wait here is
  // not timed: the fault and its kind are the behaviour.
  try {
    expose(*sim, flat(32, 32, 0), 3);
    FAIL() << "a stuck buffer accepted a frame";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::fault);
    EXPECT_THAT(e.what(), HasSubstr("buffer stuck"));
  }
}

// sim-fast writes 9,600 lines/s: a 480-px-long frame takes 50 ms. The stall tolerance is 50 ms.
std::size_t underruns(std::chrono::milliseconds render_time, const std::string& policy,
                      std::string* error = nullptr) {
  test::TempDir dir;
  auto sim = open_sim({{"recorder", "sim-fast"}, {"film_output", "false"}, {"underrun", policy}});
  sim->load(reel_in(dir.path()));
  try {
    for (std::uint32_t n = 1; n <= 5; ++n) {
      std::this_thread::sleep_for(render_time);  // the "renderer"
      expose(*sim, flat(480, 32, 0), n);
    }
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::underrun);
    if (error) *error = e.what();
  }
  sim->unload();
  const auto json = nlohmann::json::parse(read_file(dir / "R0001" / "film" / "reel.json"));
  return json["underruns"].size();
}

TEST(SimRecorder, UnderrunWhenTheRendererIsSlowerThanTheWriteRateOnly) {
  EXPECT_EQ(underruns(std::chrono::milliseconds(0), "record"), 0u);    // the buffer keeps it fed
  EXPECT_EQ(underruns(std::chrono::milliseconds(20), "record"), 0u);   // 20 ms < 50 ms per frame
  EXPECT_EQ(underruns(std::chrono::milliseconds(200), "record"), 4u);  // every frame after the 1st
  std::string error;
  underruns(std::chrono::milliseconds(200), "error", &error);
  EXPECT_THAT(error, HasSubstr("reel R0001 frame 2: buffer underrun: the writer waited"));
}

TEST(SimRecorder, BadOptionsNameWhatIsKnown) {
  try {
    open_sim({{"stock", "kodak-9999"}});
    FAIL();
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::bad_option);
    EXPECT_THAT(e.what(), HasSubstr("stocks/kodak-9999.toml: no such profile (known: sim-colour, "
                                    "sim-negative)"));
  }
  EXPECT_THROW(open_sim({{"speed", "3"}}), hal::DeviceError);
  EXPECT_THROW(open_sim({{"film_output", "maybe"}}), hal::DeviceError);
}

// The stock and recorder profiles are read by base's TOML reader: a typo is named with the
// key meant, a value out of range with its range, each at its file and line.
TEST(SimProfiles, NameTheFileLineAndKeyOfEveryMistake) {
  test::TempDir dir;
  for (const char* kind : {"stocks", "recorders"}) {
    std::filesystem::create_directories(dir / kind);
    for (const auto& entry :
         std::filesystem::directory_iterator(test::source_dir() / "profiles" / kind)) {
      std::filesystem::copy_file(entry.path(), dir / kind / entry.path().filename());
    }
  }
  // The shipped profiles load as they did.
  const drivers::sim::Stock colour = drivers::sim::load_stock(dir.path(), "sim-colour");
  EXPECT_EQ(colour.channel_names, (std::vector<std::string>{"red", "green", "blue"}));
  EXPECT_EQ(drivers::sim::load_recorder(dir.path(), "sim-fast").buffer_frames, 8u);

  const auto message = [&](const char* kind, const std::string& from, const std::string& to) {
    const auto file =
        dir / kind / (std::string(kind) == "stocks" ? "sim-negative.toml" : "sim-default.toml");
    const std::string original = read_file(file);
    std::string text = original;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    test::write_text(file, text);
    std::string what = "no error";
    try {
      if (std::string(kind) == "stocks") {
        drivers::sim::load_stock(dir.path(), "sim-negative");
      } else {
        drivers::sim::load_recorder(dir.path(), "sim-default");
      }
    } catch (const hal::DeviceError& e) {
      EXPECT_EQ(e.kind(), hal::DeviceErrorKind::bad_option);
      what = e.what();
    }
    test::write_text(file, original);
    // "sim driver: FILE:LINE: key: message" with the line of `to`.
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
    return std::make_pair(what, fmt::format("sim driver: {}:{}: ", file.string(), line));
  };
  auto [typo, at] = message("recorders", "buffer_frames", "bufer_frames");
  EXPECT_EQ(typo, at + "bufer_frames: unknown key (did you mean \"buffer_frames\"?)");
  auto [range, at2] = message("recorders", "pixel_pitch_um = ", "pixel_pitch_um = 70 #");
  EXPECT_EQ(range, at2 + "pixel_pitch_um: expected a number 0.5–50, got 70");
  auto [curve, at3] = message("stocks", "gamma =", "gama =");
  EXPECT_THAT(curve, HasSubstr(at3));
  EXPECT_THAT(curve, HasSubstr(".gama: unknown key (did you mean \"gamma\"?)"));
}

TEST(SimRecorder, CapabilitiesComeFromTheRecorderProfile) {
  auto fast = open_sim({{"recorder", "sim-fast"}});
  EXPECT_EQ(fast->capabilities().write_rate_lines_per_s, 9600);
  EXPECT_EQ(fast->capabilities().pixel_pitch_um, 2.5);
  EXPECT_EQ(fast->capabilities().buffer_frames, 8u);
  EXPECT_EQ(open_sim({{"stock", "sim-colour"}})->capabilities().channels, std::vector<int>{3});
  EXPECT_EQ(open_sim({})->capabilities().channels, std::vector<int>{1});  // B&W stock
}

TEST(SimPhysics, DevelopsTheSameFilmOnOneThreadAndOnMany) {
  const auto stock = drivers::sim::load_stock(kProfiles, "sim-negative");
  const auto recorder_profile = drivers::sim::load_recorder(kProfiles, "sim-default");
  std::vector<std::uint8_t> pixels(std::size_t{300} * 500);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 7919);
  drivers::sim::DevelopedFrame one;
  tbb::task_arena(1).execute(
      [&] { one = drivers::sim::develop(recorder_profile, stock, pixels, 300, 500, 1, 42); });
  const auto many = drivers::sim::develop(recorder_profile, stock, pixels, 300, 500, 1, 42);
  EXPECT_EQ(one.density, many.density);
}

TEST(SimRecorder, MeasureDevelopsButKeepsOnlyDensities) {
  test::TempDir dir;
  auto sim = open_sim({{"rate", "0"}, {"film_output", "measure"}});
  sim->load(reel_in(dir.path()));
  expose(*sim, flat(128, 128, 128), 1);
  const auto report = sim->unload();
  EXPECT_EQ(report.files, std::vector<fs::path>{"film/reel.json"});
  EXPECT_FALSE(fs::exists(dir / "R0001" / "film" / "F000001.tif"));
  const auto json = nlohmann::json::parse(read_file(dir / "R0001" / "film" / "reel.json"));
  const auto measured = json["frames"][0]["measured"];  // min, mean, 95th percentile, max
  ASSERT_EQ(measured.size(), 4u);
  EXPECT_NEAR(measured[1].get<double>(), 0.9818, 0.003);  // the stock curve at code 128
  EXPECT_LT(measured[0].get<double>(), measured[1].get<double>());
  EXPECT_GT(measured[2].get<double>(), measured[1].get<double>());
  EXPECT_GE(measured[3].get<double>(), measured[2].get<double>());
  EXPECT_THROW(open_sim({{"film_output", "sometimes"}}), hal::DeviceError);
}

// Every file of a reel's developed film, by name.
std::map<std::string, std::string> film_files(const fs::path& reel) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(reel / "film")) {
    files[entry.path().filename().string()] = read_file(entry.path());
  }
  return files;
}

std::vector<TestFrame> resume_frames() {
  std::vector<TestFrame> frames;
  for (std::uint8_t code : {40, 90, 140, 190, 240}) frames.push_back(flat(200, 60, code));
  return frames;
}

// The reference: all of `frames` on one reel, never stopped.
void film_uninterrupted(const std::filesystem::path& dir, const std::vector<TestFrame>& frames) {
  auto sim = open_sim({{"rate", "0"}});
  sim->load(reel_in(dir));
  for (std::uint32_t n = 1; n <= frames.size(); ++n) expose(*sim, frames[n - 1], n);
  sim->unload();
}

TEST(SimRecorder, AppendsToAReelAfterAStopAndTheFilmIsTheSame) {
  const auto frames = resume_frames();
  test::TempDir whole, resumed;
  film_uninterrupted(whole.path(), frames);
  {
    auto sim = open_sim({{"rate", "0"}, {"fault_at", "4"}});
    sim->load(reel_in(resumed.path()));
    for (std::uint32_t n = 1; n <= 3; ++n) expose(*sim, frames[n - 1], n);
    EXPECT_THROW(expose(*sim, frames[3], 4), hal::DeviceError);
    sim->unload();
  }
  {
    auto sim = open_sim({{"rate", "0"}});
    auto spec = reel_in(resumed.path());
    spec.first_frame = 4;
    sim->load(spec);
    EXPECT_EQ(sim->status().frames_exposed, 3u);
    expose(*sim, frames[3], 4);
    expose(*sim, frames[4], 5);
    const auto report = sim->unload();
    EXPECT_EQ(report.frames, 5u);
    EXPECT_EQ(report.files.size(), 6u);  // five frames and reel.json
  }
  const auto a = film_files(whole / "R0001");
  const auto b = film_files(resumed / "R0001");
  ASSERT_EQ(a.size(), 6u);
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.contains(name)) << name;
    EXPECT_TRUE(b.at(name) == bytes) << name << " differs";
  }
}

TEST(SimRecorder, AResumedReelKeepsItsScratchesAndDustAndRefusesOtherDamage) {
  const auto frames = resume_frames();
  const hal::DriverOptions damage{
      {"rate", "0"}, {"scratches", "2"}, {"dust_per_cm2", "3000"}, {"seed", "5"}};
  test::TempDir whole, resumed;
  {
    auto sim = open_sim(damage);
    sim->load(reel_in(whole.path()));
    for (std::uint32_t n = 1; n <= frames.size(); ++n) expose(*sim, frames[n - 1], n);
    sim->unload();
  }
  {
    hal::DriverOptions faulty = damage;
    faulty["fault_at"] = "4";
    auto sim = open_sim(faulty);
    sim->load(reel_in(resumed.path()));
    for (std::uint32_t n = 1; n <= 3; ++n) expose(*sim, frames[n - 1], n);
    EXPECT_THROW(expose(*sim, frames[3], 4), hal::DeviceError);
    sim->unload();
  }
  auto spec = reel_in(resumed.path());
  spec.first_frame = 4;
  try {
    auto other = open_sim({{"rate", "0"}, {"seed", "5"}});
    other->load(spec);
    FAIL() << "appended without the reel's damage";
  } catch (const hal::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the reel was started with damage"));
  }
  {
    auto sim = open_sim(damage);
    sim->load(spec);
    expose(*sim, frames[3], 4);
    expose(*sim, frames[4], 5);
    sim->unload();
  }
  const auto a = film_files(whole / "R0001");
  const auto b = film_files(resumed / "R0001");
  ASSERT_EQ(a.size(), 6u);
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.contains(name)) << name;
    EXPECT_TRUE(b.at(name) == bytes) << name << " differs";
  }
  EXPECT_THAT(a.at("reel.json"), HasSubstr("\"dust\":"));
}

TEST(SimRecorder, RefusesToAppendWhatNeverReachedTheFilm) {
  const auto frames = resume_frames();
  test::TempDir dir;
  {
    auto sim = open_sim({{"rate", "0"}});
    sim->load(reel_in(dir.path()));
    for (std::uint32_t n = 1; n <= 2; ++n) expose(*sim, frames[n - 1], n);
    sim->unload();
  }
  auto sim = open_sim({{"rate", "0"}});
  auto spec = reel_in(dir.path());
  spec.first_frame = 5;  // the host believes frames 3 and 4 are on film too
  try {
    sim->load(spec);
    FAIL() << "appended after a gap";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::fault);
    EXPECT_THAT(e.what(), HasSubstr("reel R0001: cannot append at frame 5: the developed film "
                                    "ends at frame 2; frames 3–4 were in the recorder's buffer"));
  }
  // Another seed is another film: appending to it would mix two grain patterns.
  auto other = open_sim({{"rate", "0"}, {"seed", "9"}});
  spec.first_frame = 3;
  try {
    other->load(spec);
    FAIL() << "appended with another seed";
  } catch (const hal::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the reel was started with seed 1, now 9"));
  }
}

// The device died after the host sent frames 4 and 5 but before it learnt that they were
// taken (a killed recorderd, a host crash): its film holds five frames while the host resumes at
// frame 4. The sim reports five, recognises 4 and 5 when they come again (and refuses other
// pixels in their place), and the reel ends as if nothing had happened. keep_film (recorderd
// restarted) keeps the film from frame 1 and starts fresh when there is none yet.
TEST(SimRecorder, FramesOnTheFilmBeyondTheHostsAreReportedAndRecognisedNotExposedTwice) {
  const auto frames = resume_frames();
  test::TempDir whole, resumed;
  film_uninterrupted(whole.path(), frames);
  {
    auto sim = open_sim({{"rate", "0"}});
    auto spec = reel_in(resumed.path());
    spec.keep_film = true;  // nothing on film yet: a fresh reel
    sim->load(spec);
    EXPECT_EQ(sim->status().frames_exposed, 0u);
    for (std::uint32_t n = 1; n <= 5; ++n) expose(*sim, frames[n - 1], n);
    // The sim is destroyed with the reel loaded: it still develops what it accepted.
  }
  {
    auto sim = open_sim({{"rate", "0"}});
    auto spec = reel_in(resumed.path());
    spec.first_frame = 4;
    sim->load(spec);
    EXPECT_EQ(sim->status().frames_exposed, 5u);
    EXPECT_EQ(sim->status().frames_on_film, 5u);
    try {
      expose(*sim, frames[0], 4);  // other pixels where frame 4 is
      FAIL() << "a different frame 4 was taken";
    } catch (const hal::DeviceError& e) {
      EXPECT_EQ(e.kind(), hal::DeviceErrorKind::invalid_frame);
      EXPECT_THAT(e.what(), HasSubstr("reel R0001 frame 4 is already on the film with different"));
    }
    expose(*sim, frames[3], 4);
    expose(*sim, frames[4], 5);
    EXPECT_EQ(sim->status().frames_exposed, 5u);
    EXPECT_EQ(sim->unload().frames, 5u);
  }
  {
    auto sim = open_sim({{"rate", "0"}});
    auto spec = reel_in(resumed.path());
    spec.keep_film = true;  // from frame 1: the film is kept, all five frames recognised
    sim->load(spec);
    EXPECT_EQ(sim->status().frames_exposed, 5u);
    for (std::uint32_t n = 1; n <= 5; ++n) expose(*sim, frames[n - 1], n);
    EXPECT_EQ(sim->unload().frames, 5u);
  }
  const auto a = film_files(whole / "R0001");
  const auto b = film_files(resumed / "R0001");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.contains(name)) << name;
    EXPECT_TRUE(b.at(name) == bytes) << name << " differs";
  }
  const auto layout = nlohmann::json::parse(read_file(resumed / "R0001" / "film" / "reel.json"));
  ASSERT_EQ(layout["frames"].size(), 5u);
  EXPECT_EQ(layout["frames"][3]["sha256"], sha256_hex(frames[3].pixels));
}

// While a reel is loaded its record grows by one line per developed frame (reel.log beside
// reel.json), not by a rewrite of the whole record. A stop leaves both, and a last line cut
// short by it costs only that frame: the reel resumes after the frames fully on record.
TEST(SimRecorder, TheReelRecordGrowsByALinePerFrameAndSurvivesALastLineCutShort) {
  const auto frames = resume_frames();
  test::TempDir dir;
  const auto film = dir / "R0001" / "film";
  {
    auto sim = open_sim({{"rate", "0"}});
    sim->load(reel_in(dir.path()));
    for (std::uint32_t n = 1; n <= 5; ++n) expose(*sim, frames[n - 1], n);
    // Destroyed with the reel loaded: everything accepted is developed and on record.
  }
  const auto partial = nlohmann::json::parse(read_file(film / "reel.json"));
  EXPECT_FALSE(partial["complete"].get<bool>());
  ASSERT_EQ(partial["frames"].size(), 1u);  // written when the first frame was developed
  std::string log = read_file(film / "reel.log");
  ASSERT_EQ(std::count(log.begin(), log.end(), '\n'), 4);  // frames 2-5, a line each
  EXPECT_EQ(nlohmann::json::parse(log.substr(0, log.find('\n')))["frame"], 2);
  log.resize(log.size() - 20);  // the stop cut frame 5's line short
  test::write_text(film / "reel.log", log);
  {
    auto sim = open_sim({{"rate", "0"}});
    auto spec = reel_in(dir.path());
    spec.first_frame = 5;
    sim->load(spec);
    EXPECT_EQ(sim->status().frames_on_film, 4u);
    expose(*sim, frames[4], 5);
    EXPECT_EQ(sim->unload().frames, 5u);
  }
  EXPECT_FALSE(fs::exists(film / "reel.log"));  // the complete reel.json replaces it
  const auto layout = nlohmann::json::parse(read_file(film / "reel.json"));
  EXPECT_TRUE(layout["complete"].get<bool>());
  ASSERT_EQ(layout["frames"].size(), 5u);
  for (std::uint32_t n = 1; n <= 5; ++n) {
    EXPECT_EQ(layout["frames"][n - 1]["frame"], n);
    EXPECT_EQ(layout["frames"][n - 1]["sha256"], sha256_hex(frames[n - 1].pixels));
  }
}

// Resume trusts the sim's film record (reel.json and the lines reel.log adds): a frame it lists
// is developed film on disk, and is not exposed again. A power cut is played at every moment
// the disk's durable state changes (test::PageCache, told by base's write layer), and at each
// one every frame the surviving record lists has its developed film, whole, on the surviving
// disk.
TEST(SimRecorder, EveryFrameTheReelRecordListsSurvivesAPowerCutAtAnyMoment) {
  const auto frames = resume_frames();
  test::TempDir dir;
  const auto film = dir / "R0001" / "film";
  test::PageCache cache;
  std::mutex mutex;
  std::vector<std::string> failures;
  std::size_t moments = 0, claims = 0;
  cache.after_each_change = [&] {
    const std::lock_guard lock(mutex);
    ++moments;
    const auto disk = cache.disk(film);
    std::vector<int> listed;
    if (const auto json = disk.find(film / "reel.json"); json != disk.end()) {
      // Kept in a variable: a range-for over parse(...)["frames"] iterates a destroyed temporary.
      auto record = nlohmann::json::parse(json->second);
      for (const auto& f : record["frames"]) listed.push_back(f["frame"]);
    }
    if (const auto log = disk.find(film / "reel.log"); log != disk.end()) {
      std::istringstream lines(log->second);
      for (std::string line; std::getline(lines, line) && !lines.eof();) {
        const auto record = nlohmann::json::parse(line);
        if (record.contains("frame")) listed.push_back(record["frame"]);
      }
    }
    for (const int frame : listed) {
      ++claims;
      const auto file = film / fmt::format("F{:06}.tif", frame);
      const auto on_disk = disk.find(file);
      if (on_disk == disk.end() || on_disk->second != read_file(file)) {
        failures.push_back(fmt::format(
            "moment {}: the record lists frame {}, but the disk holds {}", moments, frame,
            on_disk == disk.end() ? "no file"
                                  : fmt::format("{} bytes of it", on_disk->second.size())));
      }
    }
  };
  {
    auto sim = open_sim({{"rate", "0"}});
    sim->load(reel_in(dir.path()));
    for (std::uint32_t n = 1; n <= frames.size(); ++n) expose(*sim, frames[n - 1], n);
    EXPECT_EQ(sim->unload().frames, frames.size());
  }
  cache.after_each_change = nullptr;
  EXPECT_THAT(failures, ::testing::IsEmpty());
  EXPECT_GE(claims, frames.size());
  const auto disk = cache.disk(film);
  EXPECT_EQ(disk.at(film / "reel.json"), read_file(film / "reel.json"));
  EXPECT_EQ(nlohmann::json::parse(disk.at(film / "reel.json"))["frames"].size(), frames.size());
}

// The CLI end to end: a job stopped by a device fault and resumed (policy continue) leaves the
// same developed film, index and manifest as a job that ran through.
TEST(SimRecorder, ResumedReelEqualsAnUninterruptedOne) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  for (int p = 1; p <= 5; ++p) {
    (vips::VImage::black(160, 200) + 40.0 * p)
        .cast(VIPS_FORMAT_UCHAR)
        .pngsave((dir / "scans" / fmt::format("p{}.png", p)).c_str());
  }
  test::write_text(dir / "job.toml",
                   "version = 1\nid = \"r\"\ntitle = \"resume\"\ndpi = 100\ntargets = \"none\"\n"
                   "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
                   "[[documents]]\nid = \"D1\"\ntitle = \"pages\"\npages = { dir = \"scans\" }\n");
  const std::string job = (dir / "job.toml").string();
  const auto whole = test::run_cli({"convert", job, "--out", (dir / "whole").string()});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const auto stopped = test::run_cli(
      {"convert", job, "--out", (dir / "resumed").string(), "-O", "fault_at=4", "--threads", "2"});
  ASSERT_EQ(stopped.exit_code, 4) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("device fault (injected, fault_at)"));
  const auto resumed =
      test::run_cli({"convert", job, "--out", (dir / "resumed").string(), "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("resuming at frame 4 of 5"));
  const auto a = dir / "whole" / "r" / "R0001";
  const auto b = dir / "resumed" / "r" / "R0001";
  const auto film_a = film_files(a), film_b = film_files(b);
  ASSERT_EQ(film_a.size(), 6u);
  for (const auto& [name, bytes] : film_a) {
    ASSERT_TRUE(film_b.contains(name)) << name;
    EXPECT_TRUE(film_b.at(name) == bytes) << name << " differs";
  }
  EXPECT_EQ(read_file(a / "index.csv"), read_file(b / "index.csv"));
  EXPECT_EQ(read_file(a / "manifest.sha256"), read_file(b / "manifest.sha256"));
}

// Fiche: the sim as a step-and-repeat camera. A 10 um recorder keeps the cells small: a cell of
// fiche-a6-98-24x (10.5 x 13.0 mm) is 1050 x 1300 px.

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
  const auto tiff = test::run_cli({"convert", job(), "--out", (dir / "tiff").string(), "--driver",
                                   "tiff", "-O", "pitch_um=10", "-O", "compression=none"});
  ASSERT_EQ(tiff.exit_code, 0) << tiff.out << tiff.err;
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
}  // namespace fw
