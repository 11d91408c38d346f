// The simulated recorder's reel record: appending to a reel after a stop, what a resumed reel
// keeps and refuses, and frames that survive a power cut (drivers/sim).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

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

namespace fw::sim_resume_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::expose;
using test::film_files;
using test::flat;
using test::open_sim;
using test::reel_in;
using test::TestFrame;

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
  ASSERT_NO_THROW(test::convert_job(job, {}, test::job_flags(dir / "whole")));
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

}  // namespace
}  // namespace fw::sim_resume_test
