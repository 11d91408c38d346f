// The planner (engine/film/plan): frames in document order with their addresses and blips,
// substitutes, skipped documents, reels filled without exceeding their length, documents
// split where a reel is full, frames that cannot fit, and fiche in reading order.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/plan.hpp"
#include "support/plan_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::film_planner_test {
namespace {

using ::testing::ElementsAre;

using test::addresses;
using test::comic_16mm;
using test::error_of;
using test::expect_reels_within_their_length;
using test::job_with;
using test::job_with_targets;
using test::kA4StepMm;
using test::pages_of;
using test::profiles;
using test::recorder_at;
using test::short_reel_format;

TEST(Planner, FramesInDocumentOrderWithAddressesAndBlips) {
  const Job job = job_with({"D001", "D002"});
  const Plan plan =
      plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 3), pages_of(1, 2)});

  EXPECT_EQ(plan.job_id, "job-1");
  EXPECT_DOUBLE_EQ(plan.pitch_um, 2.5);
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-D001-0001", "R0001-D001-0002", "R0001-D001-0003",
                                           "R0001-D002-0001", "R0001-D002-0002"));
  const std::vector<hal::BlipLevel> blips = {hal::BlipLevel::document, hal::BlipLevel::page,
                                             hal::BlipLevel::page, hal::BlipLevel::document,
                                             hal::BlipLevel::page};
  ASSERT_EQ(plan.frames.size(), 5u);
  for (std::size_t i = 0; i < plan.frames.size(); ++i) {
    const PlannedFrame& frame = plan.frames[i];
    EXPECT_EQ(frame.sequence, i);
    EXPECT_EQ(frame.reel, 1u);
    EXPECT_EQ(frame.number, i + 1);
    EXPECT_EQ(frame.kind, FrameKind::page);
    EXPECT_EQ(frame.blip, blips[i]);
    EXPECT_NEAR(frame.film_position_mm, 1000 + i * kA4StepMm, 1e-9);
    EXPECT_EQ(frame.placement.frame_width_px, 3540u);
  }
  EXPECT_EQ(plan.frames[4].document, 1u);
  EXPECT_EQ(plan.frames[4].page, 2u);
  EXPECT_EQ(plan.frames[4].source.ref.file, "/scans/doc1/p2.tif");

  ASSERT_EQ(plan.reels.size(), 1u);
  EXPECT_EQ(plan.reels[0].id, "R0001");
  EXPECT_EQ(plan.reels[0].frame_count, 5u);
  EXPECT_NEAR(plan.reels[0].film_used_m, 2 + 5 * kA4StepMm / 1000, 1e-9);
  EXPECT_DOUBLE_EQ(plan.reels[0].film_length_m, 30.5);
}

TEST(Planner, SubstitutesAreInterleavedByPosition) {
  const Job job = job_with({"D001"});
  DocumentPages pages = pages_of(0, 2);
  pages.pages[0].info.width_mm = 200;  // the first good page decides the substitutes' frame
  pages.substitutes = {{3, "page 4 is unreadable", {}}, {1, "page 2 is missing", {}}};
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});

  ASSERT_EQ(plan.frames.size(), 4u);
  const std::vector<FrameKind> kinds = {FrameKind::page, FrameKind::substitute, FrameKind::page,
                                        FrameKind::substitute};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(plan.frames[i].kind, kinds[i]) << i;
    EXPECT_EQ(plan.frames[i].page, i + 1);
  }
  EXPECT_EQ(plan.frames[1].reason, "page 2 is missing");
  EXPECT_EQ(plan.frames[3].reason, "page 4 is unreadable");
  EXPECT_EQ(plan.frames[2].source.ref.file, "/scans/doc0/p2.tif");
  EXPECT_EQ(plan.frames[1].address, "R0001-D001-0002");
  EXPECT_EQ(plan.frames[1].placement.frame_width_px, plan.frames[0].placement.frame_width_px);
  EXPECT_EQ(plan.frames[1].placement.page_width_px, 3333u);  // 200 mm / 24 at 2.5 um
  EXPECT_NEAR(plan.frames[2].film_position_mm,
              plan.frames[1].film_position_mm + plan.frames[1].placement.length_mm + 1.0, 1e-9);
}

TEST(Planner, SubstitutesOfADocumentWithoutGoodPagesAreUprightA4) {
  Job job = job_with({"D001"});
  job.documents[0].overrides.rotate = 90;
  job.documents[0].overrides.reduction = 30;
  DocumentPages pages;
  pages.document = 0;
  pages.substitutes = {{0, "file is truncated", {}}};
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});
  ASSERT_EQ(plan.frames.size(), 1u);
  EXPECT_EQ(plan.frames[0].kind, FrameKind::substitute);
  EXPECT_EQ(plan.frames[0].blip, hal::BlipLevel::document);
  EXPECT_EQ(plan.frames[0].placement.rotate, 0);
  EXPECT_EQ(plan.frames[0].placement.page_width_px, 2800u);   // 210 mm / 30
  EXPECT_EQ(plan.frames[0].placement.page_height_px, 3960u);  // 297 mm / 30

  // At 10x, A4 is 29.7 mm high, more than the 12.5 mm across 16 mm film: the substitute
  // falls back to the format's highest reduction.
  job.documents[0].overrides.reduction = 10;
  const Plan fallback = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});
  EXPECT_EQ(fallback.frames[0].placement.page_width_px, 1680u);   // 210 mm / 50
  EXPECT_EQ(fallback.frames[0].placement.page_height_px, 2376u);  // 297 mm / 50
}

TEST(Planner, SkippedDocumentsAreRecordedAndGetNoFrames) {
  const Job job = job_with({"D001", "D002", "D003"});
  DocumentPages skipped = pages_of(1, 2);
  skipped.skipped = true;
  skipped.skip_reason = "/scans/doc1/p2.tif (page 1): cannot decode";
  const Plan plan =
      plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 1), skipped, pages_of(2, 1)});
  EXPECT_THAT(plan.skipped, ElementsAre("D002: /scans/doc1/p2.tif (page 1): cannot decode"));
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-D001-0001", "R0001-D003-0001"));
  EXPECT_EQ(plan.frames[1].blip, hal::BlipLevel::document);
  EXPECT_EQ(plan.frames[1].number, 2u);
}

TEST(Planner, NewReelAtADocumentThatDoesNotFit) {
  const Job job = job_with({"D001", "D002", "D003"});
  // 50 mm per reel: D001 (3 frames, 29.55 mm) leaves 20.45 mm, too little for D002's three
  // frames, so D002 starts reel 2; D003 (2 frames, 19.7 mm) still fits behind it.
  const Plan plan = plan_reels(job, short_reel_format(), recorder_at(2.5),
                               {pages_of(0, 3), pages_of(1, 3), pages_of(2, 2)});
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_EQ(plan.reels[0].frame_count, 3u);
  EXPECT_EQ(plan.reels[1].id, "R0002");
  EXPECT_EQ(plan.reels[1].first_frame, 3u);
  EXPECT_EQ(plan.reels[1].frame_count, 5u);
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-D001-0001", "R0001-D001-0002", "R0001-D001-0003",
                                           "R0002-D002-0001", "R0002-D002-0002", "R0002-D002-0003",
                                           "R0002-D003-0001", "R0002-D003-0002"));
  EXPECT_EQ(plan.frames[3].number, 1u);
  EXPECT_DOUBLE_EQ(plan.frames[3].film_position_mm, 10);
  EXPECT_NEAR(plan.reels[0].film_used_m, 0.02 + 3 * kA4StepMm / 1000, 1e-9);
  expect_reels_within_their_length(plan);
}

TEST(Planner, DocumentLongerThanAReelIsSplitWhereTheReelIsFull) {
  const Job job = job_with({"D001", "D002"});
  // D002 (12 frames, 118.2 mm) is longer than a 50 mm reel: it fills reel 1 behind D001
  // (3 more frames), all of reel 2 (5) and ends on reel 3 (4).
  const Plan plan =
      plan_reels(job, short_reel_format(), recorder_at(2.5), {pages_of(0, 2), pages_of(1, 12)});
  ASSERT_EQ(plan.reels.size(), 3u);
  EXPECT_EQ(plan.reels[0].frame_count, 5u);
  EXPECT_EQ(plan.reels[1].frame_count, 5u);
  EXPECT_EQ(plan.reels[2].frame_count, 4u);
  const PlannedFrame& seam = plan.frames[plan.reels[1].first_frame];
  EXPECT_EQ(seam.address, "R0002-D002-0004");
  EXPECT_EQ(seam.blip, hal::BlipLevel::page);
  EXPECT_EQ(seam.number, 1u);
  EXPECT_EQ(plan.frames.back().address, "R0003-D002-0012");
  expect_reels_within_their_length(plan);
}

TEST(Planner, FilmUsedNeverExceedsTheReel) {
  std::vector<std::string> ids;
  std::vector<DocumentPages> documents;
  for (std::size_t i = 0; i < 9; ++i) {
    ids.push_back("D" + std::to_string(100 + i));
    documents.push_back(pages_of(i, 1 + (i * 7) % 8));
  }
  const Job job = job_with(ids);
  const Plan plan = plan_reels(job, short_reel_format(), recorder_at(2.5), documents);
  std::size_t frames = 0;
  for (const DocumentPages& pages : documents) frames += pages.pages.size();
  EXPECT_EQ(plan.frames.size(), frames);
  EXPECT_GT(plan.reels.size(), 3u);
  expect_reels_within_their_length(plan);
}

TEST(Planner, FrameLargerThanTheRecorderIsAnInputError) {
  const Job job = job_with({"D001"});
  hal::Capabilities small = recorder_at(2.5);
  small.max_width_px = 3000;
  EXPECT_EQ(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), small, {pages_of(0, 1)}); }),
      "D001 page 1 (/scans/doc0/p1.tif, page 1 in file): frame 3540 x 5000 px exceeds the "
      "recorder's maximum width of 3000 px");
}

TEST(Planner, PageThatDoesNotFitNamesTheDocumentAndPage) {
  const Job job = job_with({"D001"});
  DocumentPages pages = pages_of(0, 2);
  pages.pages[1].info.width_mm = 297;
  pages.pages[1].info.height_mm = 420;
  EXPECT_EQ(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), recorder_at(2.5), {pages}); }),
      "D001 page 2 (/scans/doc0/p2.tif, page 1 in file): page 297.0 x 420.0 mm does not fit "
      "the 12.5 mm image area of 16mm-comic-30m at 24x; it needs at least 33.9x (oversize = "
      "\"reduce\", or --oversize reduce, films such a page at 34x behind a target that says so)");
}

// A camera's JPEG of a page says 72 dpi: a 3000 px page then measures a metre. The error says
// where the size comes from and what to do, not only which reduction a metre would need.
TEST(Planner, APageTooLargeAtTheFilesOwnLowDpiSaysWhereItsSizeComesFrom) {
  const Job job = job_with({"D001"});
  DocumentPages pages = pages_of(0, 2);
  PageInfo& camera = pages.pages[1].info;
  camera.width_px = 2972;
  camera.height_px = 4216;
  camera.dpi = 72;
  camera.dpi_from_job = false;
  camera.width_mm = 2972 * 25.4 / 72;
  camera.height_mm = 4216 * 25.4 / 72;
  EXPECT_EQ(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), recorder_at(2.5), {pages}); }),
      "D001 page 2 (/scans/doc0/p2.tif, page 1 in file): page 1048.5 x 1487.3 mm does not fit "
      "the 12.5 mm image area of 16mm-comic-30m at 24x; it needs at least 120.0x, more than the "
      "format's maximum of 50x (the size is the file's 2972 x 4216 px at the 72 dpi it "
      "declares; if that is a camera's or an editor's default rather than the scan's "
      "resolution, set dpi and force_dpi = true)");
}

TEST(Planner, FrameLongerThanAWholeReelIsAnInputError) {
  const Job job = job_with({"D001"});
  FilmFormat tiny = short_reel_format();
  tiny.reel_length_m = 0.025;  // 5 mm usable
  EXPECT_EQ(error_of(ErrorKind::input,
                     [&] { plan_reels(job, tiny, recorder_at(2.5), {pages_of(0, 1)}); }),
            "D001 page 1: the frame and its gap (9.850 mm) are longer than the usable film of a "
            "0.025 m reel (5.000 mm)");
}

// ---------------------------------------------------------------------------------------
// Reels with targets

TEST(PlannerFiche, HeaderThenGridInReadingOrder) {
  const Job job = job_with_targets({"D001", "D002"});
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  const Plan plan = plan_reels(job, fiche, recorder_at(2.5), {pages_of(0, 3), pages_of(1, 100)});
  EXPECT_FALSE(plan.targets);  // fiche carry a header strip instead of reel targets
  // D002 (100 pages) is larger than a fiche (98): it starts behind D001 and continues.
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_EQ(plan.reels[0].id, "F0001");
  EXPECT_EQ(plan.reels[0].frame_count, 14u + 98u);  // header tiles + grid
  EXPECT_TRUE(plan.reels[0].continues_on_next);
  EXPECT_TRUE(plan.reels[1].continues_from_previous);
  // The header strip: one tile per column, cell-sized, at the recorder's pitch.
  for (std::uint32_t column = 1; column <= 14; ++column) {
    const PlannedFrame& tile = plan.frames[column - 1];
    EXPECT_EQ(tile.kind, FrameKind::fiche_header);
    EXPECT_EQ(tile.grid_row, 0u);
    EXPECT_EQ(tile.grid_column, column);
    EXPECT_EQ(tile.placement.frame_width_px, 4200u);  // the 10.5 mm cell
    EXPECT_EQ(tile.placement.frame_height_px, 5200u);
  }
  EXPECT_EQ(plan.frames[0].address, "F0001-H01");
  // Rows: left to right, then down.
  const std::size_t first = 14;
  EXPECT_EQ(plan.frames[first].address, "F0001-D001-0001");
  EXPECT_EQ(plan.frames[first].grid_row, 1u);
  EXPECT_EQ(plan.frames[first].grid_column, 1u);
  EXPECT_EQ(plan.frames[first + 13].grid_column, 14u);
  EXPECT_EQ(plan.frames[first + 14].grid_row, 2u);
  EXPECT_EQ(plan.frames[first + 14].grid_column, 1u);
  EXPECT_EQ(plan.frames[first + 97].grid_row, 7u);
  EXPECT_EQ(plan.frames[first + 97].grid_column, 14u);
  EXPECT_EQ(plan.frames[first + 97].address, "F0001-D002-0095");
  EXPECT_EQ(plan.frames[first + 98].kind, FrameKind::fiche_header);
  EXPECT_EQ(plan.frames[2 * first + 98].address, "F0002-D002-0096");
  EXPECT_EQ(plan.frames[2 * first + 98].placement.frame_width_px, 4200u);
  EXPECT_EQ(plan.frames[2 * first + 98].placement.frame_height_px, 5200u);

  Job at_48x = job;
  at_48x.defaults.reduction = 48;
  const Plan com = plan_reels(at_48x, load_format(profiles(), "fiche-a6-270-48x"), recorder_at(2.5),
                              {pages_of(0, 3)});
  // COM fiche read by columns: down the first column, then the next.
  EXPECT_EQ(com.frames[18 + 1].grid_row, 2u);
  EXPECT_EQ(com.frames[18 + 1].grid_column, 1u);
}

TEST(PlannerFiche, DocumentsThatFitStartANewFiche) {
  const Job job = job_with_targets({"D001", "D002"});
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  const Plan plan = plan_reels(job, fiche, recorder_at(2.5), {pages_of(0, 60), pages_of(1, 60)});
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_EQ(plan.reels[0].pages, 60u);
  EXPECT_EQ(plan.frames[plan.reels[1].first_frame + 14].address, "F0002-D002-0001");
  EXPECT_FALSE(plan.reels[0].continues_on_next);
}

}  // namespace
}  // namespace fw::film_planner_test
