// The simulated recorder as a device: the reel's layout and length, injected faults, the
// watchdog, underruns, and its profile and options (drivers/sim).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

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

namespace fw::sim_recorder_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::expose;
using test::flat;
using test::open_sim;
using test::profiles_with_recorder;
using test::reel_in;

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

}  // namespace
}  // namespace fw::sim_recorder_test
