// Oversize pages filmed in sections (`oversize = "split"`, docs/formats.md#oversize-pages): the
// page whole at the reduction it fits (the overview), a reduction-change target saying how it
// is cut, then overlapping sections at the document's own reduction. Planner cases on the
// 2.5 um plan geometry; one small job on the 10 um sim, filmed, developed, measured on film and
// verified from the command line.
#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vips/vips8>

#include "base/files.hpp"
#include "catalog/index.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/plan.hpp"
#include "film/separation_geometry.hpp"
#include "film/target_layout.hpp"
#include "job/job.hpp"
#include "support/fold_out_scans.hpp"
#include "support/plan_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::oversize_split_test {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

using test::comic_16mm;
using test::error_of;
using test::kinds_and_addresses;
using test::pages_of;
using test::recorder_at;
using test::sheet_mm;

// Sections of one row or column: consecutive, overlapping by the overlap on the document, from
// one edge of the page to the other.
void expect_overlapping_cover(std::vector<std::pair<double, double>> spans, double page_mm,
                              double overlap_mm = 20) {
  ASSERT_FALSE(spans.empty());
  std::sort(spans.begin(), spans.end());
  EXPECT_DOUBLE_EQ(spans.front().first, 0);
  EXPECT_DOUBLE_EQ(spans.back().second, 1);
  for (std::size_t i = 1; i < spans.size(); ++i) {
    EXPECT_NEAR((spans[i - 1].second - spans[i].first) * page_mm, overlap_mm, 1e-6);
  }
}

// An A2 map (594 x 420 mm, landscape) in a book of A4 pages on 16 mm comic film at 24x: 420 mm
// across the film needs two rows of sections; frames are as long as a page needs, so one
// column. The overview at 34x comes first, then the target, then the sections at 24x.
TEST(OversizeSplit, ThePageIsFilmedWholeThenInOverlappingSectionsAtTheDocumentsReduction) {
  Job job = test::job_with_targets({"D001"});
  job.defaults.oversize = OversizePolicy::split;
  DocumentPages pages = pages_of(0, 3);
  pages.pages[1].info = sheet_mm(594, 420);
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});

  EXPECT_THAT(kinds_and_addresses(plan),
              ElementsAre("start-target R0001-START", "technical-target R0001-TECH1",
                          "title-target R0001-D001-TITLE", "page R0001-D001-0001",
                          "reduction-change R0001-D001-RATIO0002", "page R0001-D001-0002",
                          "reduction-change R0001-D001-SECT0002", "page R0001-D001-0002-S1",
                          "page R0001-D001-0002-S2", "page R0001-D001-0003",
                          "technical-target R0001-TECH2", "end-target R0001-END"));
  const PlannedFrame& overview = plan.frames[5];
  const PlannedFrame& notice = plan.frames[6];
  const PlannedFrame& s1 = plan.frames[7];
  const PlannedFrame& s2 = plan.frames[8];
  EXPECT_DOUBLE_EQ(overview.reduction, 34);
  EXPECT_FALSE(overview.placement.cropped());
  EXPECT_EQ(overview.blip, hal::BlipLevel::page);
  EXPECT_EQ(overview.section, 0u);
  EXPECT_EQ(overview.sections, 2u);
  EXPECT_EQ(plan.frames[4].note,
            "第 2 页（超幅）全页缩率 34×，随后分幅以本文献缩率 24× 拍摄。\nPage 2 (oversize) is "
            "filmed whole at 34x, then in sections at the document's 24x.");
  EXPECT_DOUBLE_EQ(notice.announced_reduction, 24);
  EXPECT_EQ(notice.sections, 2u);
  EXPECT_EQ(target_fields(job, plan, notice).at("section_map"), "S1\nS2");
  EXPECT_EQ(notice.blip, hal::BlipLevel::none);
  EXPECT_EQ(notice.note,
            "第 2 页分 2 幅（2 行 × 1 列），缩率 24×，自左上起逐行，相邻两幅重叠 20 毫米；全页已先"
            "以 34× 拍摄。\nPage 2 follows in 2 sections (2 rows x 1 column) at 24x, row by row "
            "from the top left, each sharing 20 mm with the next; the whole page is filmed before "
            "them at 34x.");

  // Each section: the full width, half the height and the overlap, at 24x; no blip (blips count
  // pages), the same source as the overview.
  for (const PlannedFrame* section : {&s1, &s2}) {
    EXPECT_DOUBLE_EQ(section->reduction, 24);
    EXPECT_EQ(section->blip, hal::BlipLevel::none);
    EXPECT_EQ(section->source.ref.file, overview.source.ref.file);
    EXPECT_EQ(section->placement.page_width_px, mm_to_px(594.0 / 24, 2.5));
    EXPECT_EQ(section->placement.page_height_px, mm_to_px(220.0 / 24, 2.5));
    EXPECT_LE(section->placement.page_y_px + section->placement.page_height_px,
              mm_to_px(12.5, 2.5));
    EXPECT_NEAR(section->placement.scale_x, overview.placement.scale_x * 34 / 24, 1e-3);
  }
  EXPECT_EQ(s1.section, 1u);
  EXPECT_EQ(s2.section, 2u);
  expect_overlapping_cover({{s1.placement.crop_top, s1.placement.crop_bottom},
                            {s2.placement.crop_top, s2.placement.crop_bottom}},
                           420);
  EXPECT_DOUBLE_EQ(s1.placement.crop_left, 0);
  EXPECT_DOUBLE_EQ(s1.placement.crop_right, 1);

  // Three pages, whatever the frames: the reel's count, begins_page and the index row's.
  EXPECT_EQ(plan.reels[0].pages, 3u);
  EXPECT_TRUE(begins_page(overview));
  EXPECT_FALSE(begins_page(s1));
  IndexRow row;
  row.kind = "page";
  row.address = s2.address;
  EXPECT_FALSE(row.begins_page());
  row.address = overview.address;
  EXPECT_TRUE(row.begins_page());

  // plan.json and the frame spool keep the sections.
  const Json json = Json::parse(plan.to_json(job));
  EXPECT_EQ(json["frames"][8]["section"], 2);
  EXPECT_EQ(json["frames"][8]["sections"], 2);
  EXPECT_EQ(json["frames"][8]["placement"]["crop"][3], 1);
  EXPECT_FALSE(json["frames"][5]["placement"].contains("crop"));
  EXPECT_FALSE(json["frames"][3].contains("section"));
  const test::TempDir dir;
  std::vector<PlannedFrame> frames = plan.frames;
  FrameSpool spool(std::move(frames), dir.path());
  EXPECT_EQ(spool.read(8).section, 2u);
  EXPECT_EQ(spool.read(8).section_columns, 1u);
  EXPECT_DOUBLE_EQ(spool.read(8).placement.crop_top, s2.placement.crop_top);
}

// Fixed frames (the COM fiche's 8.2 x 6.5 mm cells) cut the page along the film too: an A4 page
// in a document at 42x is filmed whole at 48x, then in a grid of sections at 42x, row by row.
TEST(OversizeSplit, FixedFramesCutThePageInBothDirections) {
  const FilmFormat fiche = load_format(test::profiles(), "fiche-a6-270-48x");
  Job job = test::job_with({"D001"});
  job.defaults.reduction = 42;
  job.defaults.oversize = OversizePolicy::split;
  PageSettings settings = job.defaults;
  const PageSections grid = page_sections(sheet_mm(420, 297), settings, fiche, 2.5);
  EXPECT_EQ(grid.rows, 2u);
  EXPECT_EQ(grid.columns, 2u);
  ASSERT_EQ(grid.sections.size(), 4u);
  expect_overlapping_cover({{grid.sections[0].crop_left, grid.sections[0].crop_right},
                            {grid.sections[1].crop_left, grid.sections[1].crop_right}},
                           420);
  expect_overlapping_cover({{grid.sections[0].crop_top, grid.sections[0].crop_bottom},
                            {grid.sections[2].crop_top, grid.sections[2].crop_bottom}},
                           297);
  EXPECT_DOUBLE_EQ(grid.sections[1].crop_top, 0);  // row by row: section 2 is top right
  EXPECT_DOUBLE_EQ(grid.sections[2].crop_left, 0);
  for (const Placement& section : grid.sections) {
    EXPECT_EQ(section.frame_width_px, grid.sections[0].frame_width_px);
    EXPECT_LE(section.page_x_px + section.page_width_px, section.frame_width_px);
    EXPECT_LE(section.page_y_px + section.page_height_px, section.frame_height_px);
  }

  // A sheet of 360 x 300 mm fits whole at 48x: four sections at 42x, their map on the target.
  DocumentPages pages = pages_of(0, 1);
  pages.pages[0].info = sheet_mm(360, 300);
  const Plan plan = plan_reels(job, fiche, recorder_at(2.5), {pages});
  std::vector<const PlannedFrame*> filmed;
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind != FrameKind::fiche_header) filmed.push_back(&frame);
  }
  ASSERT_EQ(filmed.size(), 7u);
  EXPECT_EQ(filmed[0]->address, "F0001-D001-RATIO0001");
  EXPECT_DOUBLE_EQ(filmed[1]->reduction, 48);
  EXPECT_EQ(filmed[2]->address, "F0001-D001-SECT0001");
  EXPECT_EQ(filmed[6]->address, "F0001-D001-0001-S4");
  EXPECT_DOUBLE_EQ(filmed[6]->reduction, 42);
  EXPECT_EQ(target_fields(job, plan, *filmed[2]).at("section_map"), "S1   S2\nS3   S4");
  EXPECT_EQ(target_fields(job, plan, *filmed[0]).at("section_map"), "");
  EXPECT_EQ(plan.reels[0].pages, 1u);

  // On a format of a few reductions the overview takes one of them, or the page is refused.
  pages.pages[0].info = sheet_mm(420, 297);
  EXPECT_THAT(
      error_of(ErrorKind::input, [&] { plan_reels(job, fiche, recorder_at(2.5), {pages}); }),
      HasSubstr("more than the format's maximum of 48x (oversize = \"split\" films a "
                "page's sections after a view of the whole page at one of the format's "
                "reductions: film it on a wider format)"));
}

// Sections are cut from the upright page: a portrait scan of a landscape map, turned by
// `rotate = 90`, is cut as the landscape map is.
TEST(OversizeSplit, ARotatedPageIsCutUpright) {
  PageSettings settings = test::at(24);
  settings.oversize = OversizePolicy::split;
  const PageSections upright = page_sections(sheet_mm(594, 420), settings, comic_16mm(), 2.5);
  settings.rotate = 90;
  const PageSections turned = page_sections(sheet_mm(420, 594), settings, comic_16mm(), 2.5);
  ASSERT_EQ(turned.sections.size(), upright.sections.size());
  EXPECT_EQ(turned.rows, 2u);
  for (std::size_t i = 0; i < turned.sections.size(); ++i) {
    const Placement& a = upright.sections[i];
    const Placement& b = turned.sections[i];
    EXPECT_EQ(b.rotate, 90);
    EXPECT_DOUBLE_EQ(b.crop_top, a.crop_top);
    EXPECT_DOUBLE_EQ(b.crop_bottom, a.crop_bottom);
    EXPECT_EQ(b.page_width_px, a.page_width_px);
    EXPECT_EQ(b.page_height_px, a.page_height_px);
    EXPECT_NEAR(b.scale_x, a.scale_x, 1e-9);
  }
}

// The overlap is the job's or the document's (section_overlap_mm): a wider one takes more
// sections of the same page.
TEST(OversizeSplit, TheOverlapIsAJobAndDocumentKey) {
  const test::TempDir dir;
  const fs::path file = dir.path() / "job.toml";
  test::write_text(file,
                   "version = 1\nid = \"o\"\ntitle = \"t\"\noversize = \"split\"\n"
                   "section_overlap_mm = 40\n"
                   "[[documents]]\nid = \"D001\"\ntitle = \"a\"\npages = { dir = \"s\" }\n"
                   "[[documents]]\nid = \"D002\"\ntitle = \"b\"\npages = { dir = \"s\" }\n"
                   "section_overlap_mm = 0\n");
  const Job job = load_job(file);
  const PageSettings wide = settings_for(job, job.documents[0]);
  const PageSettings none = settings_for(job, job.documents[1]);
  EXPECT_DOUBLE_EQ(wide.section_overlap_mm, 40);
  EXPECT_DOUBLE_EQ(none.section_overlap_mm, 0);
  // 900 mm across 12.1 mm x 24 = 290 mm of the image area: four sections sharing 40 mm, four
  // sharing nothing; an A2 map's 420 mm: two either way.
  const PageSections four = page_sections(sheet_mm(600, 900), wide, comic_16mm(), 2.5);
  EXPECT_EQ(four.rows, 4u);
  expect_overlapping_cover({{four.sections[0].crop_top, four.sections[0].crop_bottom},
                            {four.sections[1].crop_top, four.sections[1].crop_bottom},
                            {four.sections[2].crop_top, four.sections[2].crop_bottom},
                            {four.sections[3].crop_top, four.sections[3].crop_bottom}},
                           900, 40);
  const PageSections butted = page_sections(sheet_mm(600, 900), none, comic_16mm(), 2.5);
  EXPECT_EQ(butted.rows, 4u);
  EXPECT_DOUBLE_EQ(butted.sections[1].crop_top, butted.sections[0].crop_bottom);
  EXPECT_EQ(page_sections(sheet_mm(594, 420), wide, comic_16mm(), 2.5).rows, 2u);

  test::write_text(file, "version = 1\nid = \"o\"\ntitle = \"t\"\nsection_overlap_mm = 150\n");
  EXPECT_THAT(error_of(ErrorKind::job, [&] { load_job(file); }),
              HasSubstr("job.toml:4: section_overlap_mm: expected a number 0"));
}

// The overview may go beyond the format's own range (35 mm: 7x to 21x) up to 50x: a broadsheet
// of 600 x 800 mm in a newspaper filmed at 18x needs 25.x across 35 mm's 32 mm, so its overview
// is at 26x, and its sections at 18x. A page that not even 50x holds whole is refused.
TEST(OversizeSplit, TheOverviewMayGoBeyondTheFormatsRangeUpToFiftyTimes) {
  const FilmFormat film35 = load_format(test::profiles(), "35mm-comic-30m");
  ASSERT_DOUBLE_EQ(film35.max_reduction, 21);
  Job job = test::job_with({"D001"});
  job.defaults.reduction = 18;
  job.defaults.oversize = OversizePolicy::split;
  DocumentPages pages = pages_of(0, 1);
  pages.pages[0].info = sheet_mm(600, 800);
  const Plan plan = plan_reels(job, film35, recorder_at(2.5), {pages});
  EXPECT_THAT(kinds_and_addresses(plan),
              ElementsAre("reduction-change R0001-D001-RATIO0001", "page R0001-D001-0001",
                          "reduction-change R0001-D001-SECT0001", "page R0001-D001-0001-S1",
                          "page R0001-D001-0001-S2"));
  EXPECT_DOUBLE_EQ(plan.frames[0].announced_reduction, 26);
  EXPECT_DOUBLE_EQ(plan.frames[1].reduction, 26);
  EXPECT_LE(plan.frames[1].placement.page_height_px, mm_to_px(32, 2.5));
  EXPECT_DOUBLE_EQ(plan.frames[3].reduction, 18);
  // Under "reduce" the page itself would be filmed at 26x: beyond the format, so refused.
  job.defaults.oversize = OversizePolicy::reduce;
  EXPECT_THAT(
      error_of(ErrorKind::input, [&] { plan_reels(job, film35, recorder_at(2.5), {pages}); }),
      HasSubstr("more than the format's maximum of 21x"));

  job = test::job_with({"D001"});
  job.defaults.oversize = OversizePolicy::split;
  pages.pages[0].info = sheet_mm(1189, 841);  // A0 across 16 mm
  EXPECT_THAT(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), recorder_at(2.5), {pages}); }),
      HasSubstr("it needs at least 67.9x, more than the format's maximum of 50x (oversize = "
                "\"split\" films a page's sections after a view of the whole page, at up to 50x: "
                "film it on a wider format)"));
}

// A colour page on the separations route: the overview and every section as R, G and B; the
// page is one page, its red overview the only frame with a blip.
TEST(OversizeSplit, ColourSeparationsOfEachSection) {
  Job job = test::job_with({"D001"});
  job.defaults.oversize = OversizePolicy::split;
  job.defaults.mode = ImageMode::colour;
  job.defaults.colour_route = ColourRoute::separations;
  DocumentPages pages = pages_of(0, 1);
  pages.pages[0].info = sheet_mm(594, 420);
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});
  EXPECT_THAT(kinds_and_addresses(plan),
              ElementsAre("reduction-change R0001-D001-RATIO0001", "page R0001-D001-0001-R",
                          "page R0001-D001-0001-G", "page R0001-D001-0001-B",
                          "reduction-change R0001-D001-SECT0001", "page R0001-D001-0001-S1-R",
                          "page R0001-D001-0001-S1-G", "page R0001-D001-0001-S1-B",
                          "page R0001-D001-0001-S2-R", "page R0001-D001-0001-S2-G",
                          "page R0001-D001-0001-S2-B"));
  std::size_t blips = 0;
  for (const PlannedFrame& frame : plan.frames) blips += frame.blip != hal::BlipLevel::none;
  EXPECT_EQ(blips, 1u);
  EXPECT_EQ(plan.reels[0].pages, 1u);
  EXPECT_EQ(separation_of_address("R0001-D001-0001-S2-G"), Separation::green);
  EXPECT_EQ(section_of_address("R0001-D001-0001-S2-G"), 2u);
  EXPECT_EQ(section_of_address("R0001-D001-0001-S12"), 12u);
  EXPECT_EQ(section_of_address("R0001-D001-0001-G"), 0u);
  EXPECT_EQ(section_of_address("R0001-D001-SECT0001"), 0u);
  EXPECT_EQ(section_of_address("R0001-S1"), 0u);
}

// Long documents over many reels: the target before a page's overview, the overview, the
// sections' target and the sections stay on one reel.
TEST(OversizeSplit, APageAndItsSectionsStayOnOneReel) {
  Job job = test::job_with_targets({"D001"});
  job.defaults.oversize = OversizePolicy::split;
  DocumentPages pages = pages_of(0, 20);
  for (std::size_t i = 1; i < pages.pages.size(); i += 2) pages.pages[i].info = sheet_mm(594, 420);
  for (int step = 0; step < 30; ++step) {
    const FilmFormat format = test::comic_16mm_reels_of(2.3 + step * 0.002);
    const Plan plan = plan_reels(job, format, recorder_at(2.5), {pages});
    ASSERT_GE(plan.reels.size(), 3u);
    for (const PlannedFrame& frame : plan.frames) {
      if (frame.kind != FrameKind::reduction_change) continue;
      // RATIO, overview, SECT, S1, S2: all on this reel.
      ASSERT_LT(frame.sequence + 3, plan.frames.size());
      const std::size_t last = frame.sections > 0 ? frame.sequence + 2 : frame.sequence + 4;
      EXPECT_EQ(plan.frames[last].reel, frame.reel) << frame.address << " at " << step;
      EXPECT_EQ(plan.frames[last].page, frame.page) << frame.address << " at " << step;
    }
    test::expect_reels_within_their_length(plan);
  }
}

// From the command line on the 10 um sim: an A4 page, an A3 fold-out and an A4 page, then the
// fold-out again as a PDF page. 420 mm across the 12.5 mm image area at 24x takes two sections;
// the fold-out's block of ink, in its upper half, is on the first section and not on the
// second, where the film measures it.
TEST(OversizeSplit, AFoldOutInSectionsIsOnFilmWhereItsTargetSaysAndVerifies) {
  const test::TempDir dir;
  const fs::path& root = dir.path();
  test::copy_profiles_with_test_recorder(root / "profiles");
  test::write_fold_out_scans(root / "scans");
  // The same fold-out as a PDF page (A3, 842 x 1191 pt), rendered at the frame's scale: its ink
  // block where the PNG's is (x 74-173 mm, y 105-189 mm from the top).
  test::write_pdf(root / "map.pdf", 1, 842, 1191, "0 0 0 rg 210 655 280 238 re f");
  const auto run = [&](const std::string& command) {
    test::write_text(
        root / "fold.toml",
        fmt::format(
            "version = 1\nid = \"fold\"\ntitle = \"地图 test\"\nreduction = 24\n"
            "oversize = \"split\"\n[recorder]\ndriver = \"sim\"\n[recorder.options]\n"
            "rate = 0\nrecorder = \"sim-test\"\nprofiles = \"{}\"\n[[documents]]\n"
            "id = \"D001\"\ntitle = \"附图\"\npages = {{ dir = \"scans\" }}\n[[documents]]\n"
            "id = \"D002\"\ntitle = \"地图\"\npages = {{ pdf = \"map.pdf\" }}\n",
            (root / "profiles").string()));
    return test::run_cli({command, (root / "fold.toml").string(), "--profiles",
                          (root / "profiles").string(), "--out", (root / "out").string()});
  };

  const auto filmed = run("convert");
  ASSERT_EQ(filmed.exit_code, 0) << filmed.out << filmed.err;
  EXPECT_THAT(filmed.err,
              HasSubstr("warning: document D001 (documents[1]) page 2: too large for 24x, filmed "
                        "whole at 34x behind the reduction-change target R0001-D001-RATIO0002, "
                        "then in 2 sections (2 x 1) at 24x behind R0001-D001-SECT0002 (oversize "
                        "= \"split\")"));
  EXPECT_THAT(filmed.out, HasSubstr("(4 pages, 0 substitutes, 10 targets)"));
  const fs::path out = root / "out" / "fold";
  const auto index = test::read_csv(out / "R0001" / "index.csv");
  ASSERT_EQ(index.size(), 19u);  // the header and 18 frames
  EXPECT_THAT(index[7], testing::IsSupersetOf({"reduction-change", "R0001-D001-SECT0002"}));
  EXPECT_THAT(index[8], testing::IsSupersetOf({"page", "R0001-D001-0002-S1", "2"}));
  EXPECT_THAT(index[9], testing::IsSupersetOf({"page", "R0001-D001-0002-S2", "2"}));

  // Mean density (x 10000 in the developed film) of a box of the page, in mm on the document
  // from the page's top left, on the frame of `address`.
  const Json plan = Json::parse(read_file(out / "plan.json"));
  const auto density = [&](std::size_t frame, double x_mm, double y_mm, double size_mm) {
    const Json& placement = plan["frames"][frame]["placement"];
    const double px_per_mm = 1.0 / 24 / 0.010;  // 24x on the 10 um sim
    const vips::VImage film = vips::VImage::new_from_file(
        (out / "R0001" / "film" / fmt::format("F{:06}.tif", frame + 1)).c_str());
    const int size = static_cast<int>(size_mm * px_per_mm);
    return film
        .extract_area(placement["page_x_px"].get<int>() + static_cast<int>(x_mm * px_per_mm),
                      placement["page_y_px"].get<int>() + static_cast<int>(y_mm * px_per_mm), size,
                      size)
        .avg();
  };
  ASSERT_EQ(plan["frames"][7]["address"], "R0001-D001-0002-S1");
  ASSERT_EQ(plan["frames"][8]["address"], "R0001-D001-0002-S2");
  // The ink block: x 74-173 mm, y 105-189 mm of the page. Section 1 shows y 0-220 mm, section 2
  // y 200-420 mm: on section 2, y 105 mm of the page is 105 mm into section 1 and the same
  // place of the frame on section 2 shows paper (y 305 mm of the page).
  const double ink = density(7, 100, 130, 20);
  const double paper_below = density(8, 100, 130, 20);
  EXPECT_LT(ink, 3000) << "ink filmed clear on a negative";
  EXPECT_GT(paper_below, 9000) << "paper filmed at its aim density";
  // The overlap: the band 200-220 mm of the page is on both sections.
  EXPECT_NEAR(density(7, 30, 205, 10), density(8, 30, 5, 10), 300);

  // The PDF's sections (after D002's title target, its RATIO target, overview and SECT target).
  ASSERT_EQ(plan["frames"][14]["address"], "R0001-D002-0001-S1");
  ASSERT_EQ(plan["frames"][15]["address"], "R0001-D002-0001-S2");
  EXPECT_LT(density(14, 100, 130, 20), 3000);
  EXPECT_GT(density(15, 100, 130, 20), 9000);

  // The catalog names the page's frames as one run, the sections' target among them.
  const auto found =
      test::run_cli({"catalog", "find", "--catalog", (root / "out" / "catalog.sqlite").string(),
                     "--source", "scans/p2.png"});
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_THAT(found.out, HasSubstr("fold R0001 frames 6-9: document D001 \"附图\" pages 2-2 "
                                   "(R0001-D001-0002 .. R0001-D001-0002-S2)"));

  const auto verified = run("verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("R0001: pass — 18 of 18 frames on film"));
  // The page's detail is in the sections at 24x: the overview's QI is not the page's.
  EXPECT_THAT(verified.out, Not(HasSubstr("RATIO0002")));
}

}  // namespace
}  // namespace fw::oversize_split_test
