// Oversize pages (`oversize = "reduce"`, docs/formats.md#oversize-pages): a fold-out map in a
// book of A4 pages is filmed at the smallest whole reduction that fits it, behind a
// reduction-change target that says so on film, and the rest of the document stays at its own
// reduction. Planner cases on the 2.5 um plan geometry; one small job on the 10 um sim, filmed,
// developed and verified from the command line.
#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vips/vips8>

#include "base/files.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/plan.hpp"
#include "film/target_layout.hpp"
#include "job/job.hpp"
#include "support/fold_out_scans.hpp"
#include "support/plan_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::oversize_test {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

using test::comic_16mm;
using test::error_of;
using test::job_with;
using test::job_with_targets;
using test::kinds_and_addresses;
using test::pages_of;
using test::profiles;
using test::recorder_at;
using test::sheet_mm;

TEST(Oversize, ByDefaultAPageThatDoesNotFitStopsPlanningNamingTheReductionReduceWouldUse) {
  const Job job = job_with({"D001"});
  DocumentPages pages = pages_of(0, 2);
  pages.pages[1].info = sheet_mm(594, 420);  // an A2 map, landscape
  EXPECT_EQ(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), recorder_at(2.5), {pages}); }),
      "D001 page 2 (/scans/doc0/p2.tif, page 1 in file): page 594.0 x 420.0 mm does not fit "
      "the 12.5 mm image area of 16mm-comic-30m at 24x; it needs at least 33.9x (oversize = "
      "\"reduce\", or --oversize reduce, films such a page at 34x behind a target that says so)");
}

// Pages 3-4 are A3 (across the film 420 mm: they need 33.9x, filmed at 34x), page 6 is A2
// (594 mm: 47.9x, so 48x); a reduction-change target goes before each run, and the A4 pages stay at
// 24x.
TEST(Oversize, ReduceFilmsEachRunOfOversizePagesAtItsWholeReductionBehindATarget) {
  Job job = job_with_targets({"D001"});
  job.documents[0].overrides.oversize = OversizePolicy::reduce;
  DocumentPages pages = pages_of(0, 7);
  pages.pages[2].info = sheet_mm(297, 420);
  pages.pages[3].info = sheet_mm(297, 420);
  pages.pages[5].info = sheet_mm(420, 594);
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});

  EXPECT_THAT(
      kinds_and_addresses(plan),
      ElementsAre("start-target R0001-START", "technical-target R0001-TECH1",
                  "title-target R0001-D001-TITLE", "page R0001-D001-0001", "page R0001-D001-0002",
                  "reduction-change R0001-D001-RATIO0003", "page R0001-D001-0003",
                  "page R0001-D001-0004", "page R0001-D001-0005",
                  "reduction-change R0001-D001-RATIO0006", "page R0001-D001-0006",
                  "page R0001-D001-0007", "technical-target R0001-TECH2", "end-target R0001-END"));
  std::vector<double> reductions;
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind == FrameKind::page) reductions.push_back(frame.reduction);
  }
  EXPECT_THAT(reductions, ElementsAre(24, 24, 34, 34, 24, 48, 24));
  EXPECT_EQ(plan.reels[0].pages, 7u);  // the targets are no pages

  const PlannedFrame& a3 = plan.frames[5];
  EXPECT_EQ(a3.page, 3u);
  EXPECT_EQ(a3.blip, hal::BlipLevel::none);  // blips count pages
  EXPECT_DOUBLE_EQ(a3.announced_reduction, 34);
  EXPECT_DOUBLE_EQ(a3.reduction, 24);  // the target itself is filmed as the others are
  EXPECT_EQ(a3.note,
            "第 3–4 页（超幅）缩率 34×，本文献缩率 24×。\nPages 3-4 (oversize) are filmed at 34x; "
            "the document at 24x.");
  EXPECT_EQ(plan.frames[9].note,
            "第 6 页（超幅）缩率 48×，本文献缩率 24×。\nPage 6 (oversize) is filmed at 48x; the "
            "document at 24x.");
  EXPECT_EQ(a3.placement.frame_height_px, plan.frames[2].placement.frame_height_px);

  // Each page is the size of the paper at its own reduction: 420 mm at 34x is 12.35 mm on film,
  // inside the 12.5 mm image area; the A4 pages' 297 mm at 24x likewise.
  const PlannedFrame& page3 = plan.frames[6];
  EXPECT_EQ(page3.placement.page_width_px, mm_to_px(297.0 / 34, 2.5));
  EXPECT_EQ(page3.placement.page_height_px, mm_to_px(420.0 / 34, 2.5));
  EXPECT_EQ(plan.frames[10].placement.page_height_px, mm_to_px(594.0 / 48, 2.5));
  EXPECT_LE(plan.frames[10].placement.page_height_px, mm_to_px(12.5, 2.5));
  EXPECT_EQ(plan.frames[3].placement.page_height_px, mm_to_px(297.0 / 24, 2.5));

  // What the target films: the new reduction large, the document's beside the pages.
  const auto fields = target_fields(job, plan, a3);
  EXPECT_EQ(fields.at("announced_reduction"), "34x");
  EXPECT_EQ(fields.at("document_reduction"), "24x");
  EXPECT_EQ(target_fields(job, plan, plan.frames[3]).at("announced_reduction"), "");

  // plan.json records both, so a resume or verify sees a changed reduction as a changed plan.
  const Json json = Json::parse(plan.to_json(job));
  EXPECT_EQ(json["frames"][5]["kind"], "reduction-change");
  EXPECT_EQ(json["frames"][5]["announced_reduction"], 34);
  EXPECT_EQ(json["frames"][6]["reduction"], 34);
  EXPECT_FALSE(json["frames"][4].contains("announced_reduction"));

  // The frame spool (long jobs keep their frames on disk) brings the target back whole.
  const test::TempDir dir;
  std::vector<PlannedFrame> frames = plan.frames;
  FrameSpool spool(std::move(frames), dir.path());
  EXPECT_DOUBLE_EQ(spool.read(5).announced_reduction, 34);
  EXPECT_EQ(spool.read(5).note, a3.note);
}

// A substitute stands in a frame of the document's own reduction, never the map's.
TEST(Oversize, ASubstituteBesideAnOversizePageTakesTheFrameOfAnOrdinaryPage) {
  Job job = job_with({"D001"});
  job.defaults.oversize = OversizePolicy::reduce;
  DocumentPages pages = pages_of(0, 2);
  pages.pages[0].info = sheet_mm(594, 420);
  pages.substitutes = {{2, "page 3 is unreadable", {}}};
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});
  ASSERT_EQ(plan.frames.size(), 4u);
  EXPECT_EQ(plan.frames[0].kind, FrameKind::reduction_change);
  EXPECT_EQ(plan.frames[1].reduction, 34);
  EXPECT_EQ(plan.frames[3].kind, FrameKind::substitute);
  EXPECT_EQ(plan.frames[3].reduction, 24);
  EXPECT_EQ(plan.frames[3].placement.page_width_px, plan.frames[2].placement.page_width_px);
  // Without targets the first page keeps the document's blip; the notice carries none.
  EXPECT_EQ(plan.frames[0].blip, hal::BlipLevel::none);
  EXPECT_EQ(plan.frames[1].blip, hal::BlipLevel::document);
}

// A page larger than the format's highest reduction can take is still refused, saying so.
TEST(Oversize, APageBeyondTheFormatsHighestReductionIsStillAnInputError) {
  Job job = job_with({"D001"});
  job.defaults.oversize = OversizePolicy::reduce;
  DocumentPages pages = pages_of(0, 1);
  pages.pages[0].info = sheet_mm(1189, 841);  // A0
  EXPECT_THAT(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), recorder_at(2.5), {pages}); }),
      HasSubstr("page 1189.0 x 841.0 mm does not fit the 12.5 mm image area of 16mm-comic-30m "
                "at 24x; it needs at least 67.9x, more than the format's maximum of 50x"));
}

// On a format of a few reductions (the COM fiche: 42x and 48x) an oversize page takes the next
// of them, not a whole reduction between.
TEST(Oversize, OnAFormatOfAFewReductionsThePageTakesTheNextOfThem) {
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-270-48x");
  Job job = job_with({"D001"});
  job.defaults.reduction = 42;
  job.defaults.oversize = OversizePolicy::reduce;
  PageSettings settings = job.defaults;
  // A4 does not fit the 42x cell but fits at 48x; A5 fits at 42x.
  const PageInfo large = sheet_mm(210, 297);
  EXPECT_DOUBLE_EQ(page_reduction(large, settings, fiche, 2.5), 48);
  settings.oversize = OversizePolicy::fail;
  EXPECT_DOUBLE_EQ(page_reduction(large, settings, fiche, 2.5), 42);
  EXPECT_DOUBLE_EQ(page_reduction(sheet_mm(148, 210), job.defaults, fiche, 2.5), 42);

  DocumentPages pages = pages_of(0, 2);
  pages.pages[0].info = sheet_mm(148, 210);
  pages.pages[1].info = large;
  const Plan plan = plan_reels(job, fiche, recorder_at(2.5), {pages});
  std::vector<std::string> kinds;
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind != FrameKind::fiche_header)
      kinds.push_back(kinds_and_addresses(plan)[frame.sequence]);
  }
  EXPECT_THAT(kinds, ElementsAre("page F0001-D001-0001", "reduction-change F0001-D001-RATIO0002",
                                 "page F0001-D001-0002"));
  EXPECT_DOUBLE_EQ(plan.frames.back().reduction, 48);
}

// Long documents split over reels: a reduction-change target is never left at a reel's end
// without the pages it announces. Reels of many lengths put the reel change at every place
// between a target and its page.
TEST(Oversize, ATargetStaysOnTheReelOfThePageItAnnounces) {
  Job job = job_with_targets({"D001"});
  job.defaults.oversize = OversizePolicy::reduce;
  DocumentPages pages = pages_of(0, 40);
  for (std::size_t i = 1; i < pages.pages.size(); i += 2) pages.pages[i].info = sheet_mm(297, 420);
  for (int step = 0; step < 40; ++step) {
    // A few frames a reel beyond its targets.
    const FilmFormat format = test::comic_16mm_reels_of(2.3 + step * 0.0005);
    const Plan plan = plan_reels(job, format, recorder_at(2.5), {pages});
    ASSERT_GE(plan.reels.size(), 3u);
    std::size_t notices = 0;
    for (std::size_t i = 0; i < plan.frames.size(); ++i) {
      if (plan.frames[i].kind != FrameKind::reduction_change) continue;
      ++notices;
      ASSERT_LT(i + 1, plan.frames.size());
      const PlannedFrame& next = plan.frames[i + 1];
      EXPECT_EQ(next.kind, FrameKind::page) << plan.frames[i].address << " at " << step;
      EXPECT_EQ(next.reel, plan.frames[i].reel) << plan.frames[i].address << " at " << step;
      EXPECT_EQ(next.page, plan.frames[i].page);
    }
    EXPECT_EQ(notices, 20u);
    test::expect_reels_within_their_length(plan);
  }
}

// The job file's key, at job and document level.
TEST(Oversize, TheJobFileSaysItPerJobOrPerDocument) {
  const test::TempDir dir;
  const fs::path file = dir.path() / "job.toml";
  test::write_text(file,
                   "version = 1\nid = \"o\"\ntitle = \"t\"\noversize = \"reduce\"\n"
                   "[[documents]]\nid = \"D001\"\ntitle = \"a\"\npages = { dir = \"s\" }\n"
                   "[[documents]]\nid = \"D002\"\ntitle = \"b\"\npages = { dir = \"s\" }\n"
                   "oversize = \"fail\"\n");
  const Job job = load_job(file);
  EXPECT_EQ(settings_for(job, job.documents[0]).oversize, OversizePolicy::reduce);
  EXPECT_EQ(settings_for(job, job.documents[1]).oversize, OversizePolicy::fail);
  test::write_text(file, "version = 1\nid = \"o\"\ntitle = \"t\"\noversize = \"shrink\"\n");
  EXPECT_THAT(
      error_of(ErrorKind::job, [&] { load_job(file); }),
      HasSubstr("job.toml:4: oversize: expected one of fail, reduce, split, got \"shrink\""));
}

// From the command line on the 10 um sim: an A4 page, an A3 fold-out and an A4 page. The job
// warns of the fold-out, films the target before it and the fold-out whole at 34x, and verify
// passes the developed film (every frame, the target's text included, as rendered).
TEST(Oversize, AFoldOutIsFilmedWholeBehindItsTargetAndTheFilmVerifies) {
  const test::TempDir dir;
  const fs::path& root = dir.path();
  test::copy_profiles_with_test_recorder(root / "profiles");
  test::write_fold_out_scans(root / "scans");
  const std::vector<std::string> flags{"--profiles", (root / "profiles").string(), "--out",
                                       (root / "out").string()};
  const auto run = [&](const std::string& command, const std::string& keys) {
    test::write_text(
        root / "fold.toml",
        fmt::format("version = 1\nid = \"fold\"\ntitle = \"地图 test\"\nreduction = 24\n{}"
                    "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
                    "recorder = \"sim-test\"\nprofiles = \"{}\"\n[[documents]]\nid = \"D001\"\n"
                    "title = \"附图\"\npages = {{ dir = \"scans\" }}\n",
                    keys, (root / "profiles").string()));
    std::vector<std::string> args{command, (root / "fold.toml").string()};
    args.insert(args.end(), flags.begin(), flags.end());
    return test::run_cli(args);
  };

  const auto refused = run("convert", "");
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_THAT(refused.err,
              HasSubstr("it needs at least 33.9x (oversize = \"reduce\", or --oversize reduce, "
                        "films such a page at 34x behind a target that says so)"));
  EXPECT_FALSE(fs::exists(root / "out" / "fold" / "R0001"));

  const auto filmed = run("convert", "oversize = \"reduce\"\n");
  ASSERT_EQ(filmed.exit_code, 0) << filmed.out << filmed.err;
  EXPECT_THAT(filmed.err, HasSubstr("warning: document D001 (documents[1]) page 2: too large for "
                                    "24x, filmed at 34x behind the reduction-change target "
                                    "R0001-D001-RATIO0002 (oversize = \"reduce\")"));
  EXPECT_THAT(filmed.out, HasSubstr("(3 pages, 0 substitutes, 6 targets)"));
  const fs::path out = root / "out" / "fold";
  const auto index = test::read_csv(out / "R0001" / "index.csv");
  ASSERT_EQ(index.size(), 10u);  // the header and 9 frames
  EXPECT_THAT(index[5], testing::IsSupersetOf({"reduction-change", "R0001-D001-RATIO0002"}));
  EXPECT_THAT(index[6], testing::IsSupersetOf({"page", "R0001-D001-0002"}));

  // The fold-out on film: the paper 297 x 420 mm at 34x is 8.7 x 12.35 mm, some 870 x 1230 px
  // at 10 um, inside the 12.5 mm image area.
  const Json plan = Json::parse(read_file(out / "plan.json"));
  const Json& fold = plan["frames"][5];
  ASSERT_EQ(fold["address"], "R0001-D001-0002");
  EXPECT_EQ(fold["reduction"], 34);
  EXPECT_NEAR(fold["placement"]["page_width_px"].get<double>(), 873, 2);
  EXPECT_NEAR(fold["placement"]["page_height_px"].get<double>(), 1235, 2);
  const vips::VImage film =
      vips::VImage::new_from_file((out / "R0001" / "film" / "F000006.tif").c_str());
  EXPECT_EQ(film.width(), fold["placement"]["frame_width_px"].get<int>());
  EXPECT_EQ(film.height(), fold["placement"]["frame_height_px"].get<int>());

  const auto verified = run("verify", "oversize = \"reduce\"\n");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("R0001: pass — 9 of 9 frames on film"));
  EXPECT_THAT(verified.out, Not(HasSubstr("FAILED")));
  // What the fold-out's reduction costs, said beside the reel's own quality index.
  EXPECT_THAT(verified.out, HasSubstr("WARNING R0001: frame 5 (R0001-D001-RATIO0002): the "
                                      "oversize pages behind it, from page 2 of D001, are filmed "
                                      "at 34x: QI "));

  // One-line mode (a folder of scans, no job file) takes it as a flag.
  const auto planned = test::run_cli({"plan", (root / "scans").string(), "--oversize", "reduce",
                                      "--out", (root / "one-line").string()});
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  EXPECT_THAT(planned.err, HasSubstr("page 2: too large for 24x, filmed at 34x behind the "
                                     "reduction-change target R0001-scans-RATIO0002"));
  const auto bad = test::run_cli({"plan", (root / "scans").string(), "--oversize", "shrink"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;  // a usage error
  EXPECT_THAT(bad.err,
              HasSubstr("--oversize: expected one of fail, reduce, split, got \"shrink\""));
}

}  // namespace
}  // namespace fw::oversize_test
