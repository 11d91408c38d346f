// The simulated recorder's film: developed densities, grain, spot blur, and the scratches and
// dust its options put on the film (drivers/sim).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include <oneapi/tbb/task_arena.h>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "builtin.hpp"
#include "color/wedge.hpp"
#include "film/format.hpp"
#include "samples/samples.hpp"
#include "sim/sim_physics.hpp"
#include "support/page_cache.hpp"
#include "support/sim_recorder.hpp"
#include "support/test_support.hpp"

namespace fw::sim_physics_test {
namespace {

namespace fs = std::filesystem;

using test::developed;
using test::expose;
using test::flat;
using test::kProfiles;
using test::open_sim;
using test::profiles_with_recorder;
using test::reel_in;
using test::TestFrame;

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

}  // namespace
}  // namespace fw::sim_physics_test
