// Blip marks and image addresses, read back from rendered frames.
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/pipeline.hpp"
#include "render/blip.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw::blip_test {
namespace {

using ::testing::ElementsAre;

constexpr double kPitchUm = 12.5;

// Documents of small pages (60 x 80 mm at 254 dpi) filmed at 10x on a 12.5 um pitch; the
// targets (A4) fall back to the format's 50x. Frames stay a few hundred pixels.
Job blip_job(const test::TempDir& dir, const std::vector<int>& page_counts, bool targets) {
  Job job;
  job.id = "blips";
  job.title = "blips";
  job.output = dir / "out";
  job.defaults.reduction = 10;
  job.targets = targets ? "standard" : "none";
  for (std::size_t d = 0; d < page_counts.size(); ++d) {
    const auto scans = dir / ("D" + std::to_string(d + 1));
    std::filesystem::create_directories(scans);
    for (int i = 1; i <= page_counts[d]; ++i) {
      samples::PageSpec spec;
      spec.width_mm = 60;
      spec.height_mm = 80;
      spec.dpi = 254;
      samples::save_page(samples::make_page(spec), scans / ("p" + std::to_string(i) + ".png"),
                         samples::Encoding::png, spec.dpi);
    }
    Document doc;
    doc.id = "D00" + std::to_string(d + 1);
    doc.title = "文献 " + doc.id;
    doc.key = "documents[" + std::to_string(d + 1) + "]";
    doc.pages.kind = PageSource::Kind::directory;
    doc.pages.paths = {scans};
    job.documents.push_back(doc);
  }
  return job;
}

PreparedJob prepare(const Job& job, const std::string& format = "16mm-comic-30m") {
  Job with_format = job;
  with_format.format = format;
  with_format.calibration.profile = "none";  // the marks' code values as drawn
  hal::Capabilities caps;
  caps.pixel_pitch_um = kPitchUm;
  return prepare_job(with_format, caps, test::source_dir() / "profiles");
}

FrameImage as_image(RenderedFrame rendered) {
  return {rendered.width, rendered.height, rendered.channels, std::move(rendered.pixels)};
}

// What a blip-counting reader makes of a reel: a document mark starts a document, page marks
// continue it, anything else (batch, none) is outside every document.
std::vector<std::vector<std::size_t>> documents_from_blips(
    const std::vector<hal::BlipLevel>& blips) {
  std::vector<std::vector<std::size_t>> documents;
  bool inside = false;
  for (std::size_t i = 0; i < blips.size(); ++i) {
    if (blips[i] == hal::BlipLevel::document) {
      documents.push_back({i});
      inside = true;
    } else if (blips[i] == hal::BlipLevel::page && inside) {
      documents.back().push_back(i);
    } else {
      inside = false;
    }
  }
  return documents;
}

std::vector<hal::BlipLevel> read_reel(const Job& job, const PreparedJob& prepared) {
  SourceHashes hashes;
  std::vector<hal::BlipLevel> blips;
  for (const PlannedFrame& frame : prepared.plan.frames) {
    const FrameImage image = as_image(render_frame(job, prepared.plan, frame, hashes));
    blips.push_back(read_blip(image, frame.placement, prepared.plan.format, kPitchUm));
  }
  return blips;
}

TEST(Blips, DocumentBoundariesAreReconstructedFromTheRenderedTrack) {
  test::TempDir dir;
  const Job job = blip_job(dir, {2, 3, 1}, true);
  const PreparedJob prepared = prepare(job);
  const std::vector<hal::BlipLevel> blips = read_reel(job, prepared);
  ASSERT_EQ(blips.size(), prepared.plan.frames.size());
  for (std::size_t i = 0; i < blips.size(); ++i) {
    EXPECT_EQ(blips[i], prepared.plan.frames[i].blip) << prepared.plan.frames[i].address;
  }
  // Title target + pages per document, in the plan's frame numbers (0-based).
  const auto documents = documents_from_blips(blips);
  ASSERT_EQ(documents.size(), 3u);
  std::vector<std::string> ids;
  for (const auto& frames : documents) {
    const PlannedFrame& first = prepared.plan.frames[frames.front()];
    ids.push_back(job.documents[first.document].id);
    EXPECT_EQ(first.kind, FrameKind::title_target);
    for (std::size_t i : frames) EXPECT_EQ(prepared.plan.frames[i].document, first.document);
  }
  EXPECT_THAT(ids, ElementsAre("D001", "D002", "D003"));
  EXPECT_EQ(documents[0].size(), 3u);
  EXPECT_EQ(documents[1].size(), 4u);
  EXPECT_EQ(documents[2].size(), 2u);
  EXPECT_EQ(blips.front(), hal::BlipLevel::batch);  // the start target opens the reel
}

TEST(Blips, WithoutTargetsTheFirstPageCarriesTheDocumentMark) {
  test::TempDir dir;
  const Job job = blip_job(dir, {2, 1}, false);
  const PreparedJob prepared = prepare(job, "16mm-cine-30m");
  EXPECT_THAT(read_reel(job, prepared), ElementsAre(hal::BlipLevel::document, hal::BlipLevel::page,
                                                    hal::BlipLevel::document));
}

// The mark's size in pixels: 0.7 mm across, 1 / 2 / 3 mm along, 0.2 mm from the frame's edge.
TEST(Blips, MarkSizesComeFromTheFormat) {
  test::TempDir dir;
  const Job job = blip_job(dir, {2}, true);
  const PreparedJob prepared = prepare(job);
  SourceHashes hashes;
  const std::vector<std::pair<std::size_t, std::uint32_t>> expected = {
      {0, 240}, {2, 160}, {3, 80}};  // start target (batch), title (document), page
  for (const auto& [index, length] : expected) {
    const PlannedFrame& frame = prepared.plan.frames[index];
    const FrameImage image = as_image(render_frame(job, prepared.plan, frame, hashes));
    const Placement& p = frame.placement;
    ASSERT_EQ(p.track_height_px, 120u);  // 1.5 mm
    ASSERT_EQ(p.track_y_px, 1000u);      // below the 12.5 mm image area
    auto at = [&](std::uint32_t x, std::uint32_t y) { return image.pixels[y * image.width + x]; };
    std::uint32_t along = 0, across = 0;
    std::size_t ink_before = 0;
    for (std::uint32_t x = 0; x < image.width; ++x) along += at(x, p.track_y_px + 28) == 255;
    for (std::uint32_t y = p.track_y_px; y < image.height; ++y) across += at(16 + 40, y) == 255;
    EXPECT_EQ(along, length) << frame.address;
    EXPECT_EQ(across, 56u) << frame.address;                   // 0.7 mm
    EXPECT_EQ(at(15, p.track_y_px + 28), 0) << frame.address;  // 0.2 mm offset = 16 px
    EXPECT_EQ(at(16, p.track_y_px + 28), 255) << frame.address;
    // The address is printed beside the mark (0.3 mm = 24 px behind it), outside its lane.
    std::size_t ink = 0;
    for (std::uint32_t y = p.track_y_px + 56; y < image.height; ++y) {
      for (std::uint32_t x = 16 + length + 24; x < image.width; ++x) ink += at(x, y) > 128;
    }
    for (std::uint32_t x = 0; x < 16 + length + 24; ++x) {
      for (std::uint32_t y = p.track_y_px + 56; y < image.height; ++y) ink_before += at(x, y) > 0;
    }
    EXPECT_EQ(ink_before, 0u) << frame.address;
    EXPECT_GT(ink, 200u) << frame.address;
  }
}

}  // namespace
}  // namespace fw::blip_test
