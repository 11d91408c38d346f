// The pipeline through the engine API: order, bounded stop, and what a stop leaves behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <atomic>

#include <fstream>
#include <sstream>

#include "base/files.hpp"
#include "builtin.hpp"
#include "core/error.hpp"
#include "film/frame_spool.hpp"
#include "pipeline/pipeline.hpp"
#include "render/render.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw::pipeline_test {
namespace {

// A job of `pages` small pages (60 x 80 mm at 254 dpi) rendered at 10x on a 12.5 um pitch.
Job small_job(const test::TempDir& dir, int pages) {
  const auto scans = dir / "scans";
  std::filesystem::create_directories(scans);
  for (int i = 1; i <= pages; ++i) {
    samples::PageSpec spec;
    spec.width_mm = 60;
    spec.height_mm = 80;
    spec.dpi = 254;
    spec.marks = {{5.0 + i, 5.0 + i, 3}};
    samples::save_page(samples::make_page(spec), scans / ("p" + std::to_string(i) + ".png"),
                       samples::Encoding::png, spec.dpi);
  }
  Job job;
  job.id = "pipe";
  job.title = "pipeline";
  job.output = dir / "out";
  job.defaults.reduction = 10;
  job.targets = "none";  // pages only
  job.driver_options = {{"pitch_um", "12.5"}};
  Document doc;
  doc.id = "D001";
  doc.title = "一";
  doc.key = "documents[1]";
  doc.pages.kind = PageSource::Kind::directory;
  doc.pages.paths = {scans};
  job.documents.push_back(doc);
  return job;
}

std::size_t index_rows(const std::filesystem::path& index) {
  std::ifstream in(index);
  std::size_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  return lines - 1;  // header
}

TEST(Pipeline, StopsAtTheFrameBeingExposedDroppingTheFramesInFlightAndKeepsTheIndex) {
  test::TempDir dir;
  const Job job = small_job(dir, 12);
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  auto recorder = registry.open("tiff", job.driver_options);
  const auto prepared = prepare_job(job, recorder->capabilities(), test::source_dir() / "profiles");
  ASSERT_EQ(prepared.plan.frames.size(), 12u);

  std::atomic<bool> stop{false};
  RunOptions options;
  options.threads = 2;
  options.tokens = 3;
  options.stop = &stop;
  options.on_progress = [&](const Progress& p) {
    if (p.frames_done == 4) stop = true;  // as a SIGINT would, mid-job
  };
  try {
    run_plan(job, prepared.plan, *recorder, prepared.job_dir, options);
    FAIL() << "a stopped run reported success";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::interrupted);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("of 12 frames"));
  }
  // The stop came as frame 4 was accepted: frames rendered and waiting are dropped, none is
  // sent to the recorder after it.
  const auto reel = prepared.job_dir / "R0001";
  const std::size_t exposed = index_rows(reel / "index.csv");
  EXPECT_EQ(exposed, 4u);
  for (std::size_t i = 1; i <= 12; ++i) {
    const auto frame = reel / "frames" / ("F00000" + std::to_string(i) + ".tif");
    EXPECT_EQ(std::filesystem::exists(reel / "frames" / fmt::format("F{:06}.tif", i)), i <= exposed)
        << frame;
  }
}

TEST(Pipeline, RendersTheSameFrameBytesWhateverTheTokenCount) {
  test::TempDir dir;
  const Job job = small_job(dir, 5);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 12.5;
  caps.calibration = "sim-default-negative";
  const auto prepared = prepare_job(job, caps, test::source_dir() / "profiles");
  SourceHashes hashes;
  std::vector<std::string> sequential;
  for (const auto& frame : prepared.plan.frames) {
    sequential.push_back(render_frame(job, prepared.plan, frame, hashes).sha256);
  }
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  auto recorder = registry.open("tiff", job.driver_options);
  RunOptions options;
  options.threads = 2;
  options.tokens = 5;
  const auto result = run_plan(job, prepared.plan, *recorder, prepared.job_dir, options);
  ASSERT_EQ(result.frames_exposed, 5u);
  ASSERT_EQ(result.reels.size(), 1u);
  EXPECT_TRUE(result.reels[0].complete);
  std::ifstream index(prepared.job_dir / "R0001" / "index.csv");
  std::string line;
  std::getline(index, line);
  for (const auto& expected : sequential) {
    ASSERT_TRUE(std::getline(index, line));
    std::vector<std::string> fields;
    std::istringstream columns(line);
    for (std::string field; std::getline(columns, field, ',');) fields.push_back(field);
    ASSERT_GE(fields.size(), 10u);
    EXPECT_EQ(fields[9], expected);  // frame_sha256 (the separation column follows it)
  }
}

TEST(Pipeline, ARunFromTheFrameSpoolFilmsWhatARunFromThePlanFilms) {
  test::TempDir dir;
  Job job = small_job(dir, 4);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 12.5;
  caps.calibration = "sim-default-negative";
  auto prepared = prepare_job(job, caps, test::source_dir() / "profiles");
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  RunOptions options;
  options.threads = 2;
  auto recorder = registry.open("tiff", job.driver_options);
  run_plan(job, prepared.plan, *recorder, prepared.job_dir, options);
  const std::string from_plan = read_file(prepared.job_dir / "R0001" / "index.csv");

  std::filesystem::remove_all(prepared.job_dir);
  FrameSpool spool(std::move(prepared.plan.frames), dir.path());
  ASSERT_TRUE(prepared.plan.frames.empty());  // the run has only the spool to read
  options.spool = &spool;
  recorder = registry.open("tiff", job.driver_options);
  const auto result = run_plan(job, prepared.plan, *recorder, prepared.job_dir, options);
  EXPECT_EQ(result.frames_exposed, 4u);
  EXPECT_EQ(read_file(prepared.job_dir / "R0001" / "index.csv"), from_plan);
}

// The pipeline reserves buffers of rendered_bytes() for its frames: they must be the size
// render_frame gives, grey or colour, or the reservation would serve nothing.
TEST(Pipeline, RenderedBytesAreTheRenderedFramesSize) {
  test::TempDir dir;
  Job job = small_job(dir, 1);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 12.5;
  caps.calibration = "sim-default-negative";
  caps.channels = {1, 3};
  for (const ImageMode mode : {ImageMode::grey, ImageMode::colour, ImageMode::bitonal}) {
    job.documents[0].overrides.mode = mode;
    const auto prepared = prepare_job(job, caps, test::source_dir() / "profiles");
    SourceHashes hashes;
    const PlannedFrame& frame = prepared.plan.frames.at(0);
    const RenderedFrame rendered = render_frame(job, prepared.plan, frame, hashes);
    EXPECT_EQ(rendered_bytes(job, frame), rendered.pixels.size()) << to_string(mode);
    EXPECT_EQ(rendered.channels, mode == ImageMode::colour ? 3u : 1u);
  }
}

}  // namespace
}  // namespace fw::pipeline_test
