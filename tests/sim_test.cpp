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
#include <nlohmann/json.hpp>
#include <thread>

#include <oneapi/tbb/task_arena.h>
#include <vips/vips8>

#include "builtin.hpp"
#include "color/wedge.hpp"
#include "core/files.hpp"
#include "sim/sim_physics.hpp"
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
  hal::DriverOptions with_profiles = options;
  if (!with_profiles.contains("profiles")) with_profiles["profiles"] = kProfiles.string();
  return registry.open("sim", with_profiles);
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
  return {"R0001", 1, "test", "16mm-comic-30m", "", length_m, dir / "R0001"};
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
  const auto start = std::chrono::steady_clock::now();
  try {
    expose(*sim, flat(32, 32, 0), 3);
    FAIL() << "a stuck buffer accepted a frame";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::fault);
    EXPECT_THAT(e.what(), HasSubstr("buffer stuck"));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
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

}  // namespace
}  // namespace fw
