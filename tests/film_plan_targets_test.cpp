// The plan's targets and what is kept of it: targets in reel order with their blip levels and
// capacity, continued targets of split documents, a thousand-document job, the frame spool's
// round trip, and plan.json's stable fields and hash.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/plan.hpp"
#include "support/plan_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::film_plan_targets_test {
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

// 150 mm of usable film: the reel's four targets (start, technical, technical, end) take
// 4 x 9.85 mm, leaving 110.6 mm: eleven A4 steps for titles, pages and continued targets.
FilmFormat targets_reel_format() {
  FilmFormat format = short_reel_format();
  format.reel_length_m = 0.17;
  format.reel_lengths_m = {0.17};
  return format;
}

std::vector<std::string> reel_addresses(const Plan& plan, std::size_t reel) {
  std::vector<std::string> out;
  const PlannedReel& r = plan.reels[reel];
  for (std::size_t i = r.first_frame; i < r.first_frame + r.frame_count; ++i) {
    out.push_back(plan.frames[i].address);
  }
  return out;
}

TEST(PlannerTargets, ReelOrderAndBlipLevels) {
  const Job job = job_with_targets({"D001", "D002"});
  const Plan plan =
      plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 2), pages_of(1, 1)});
  EXPECT_TRUE(plan.targets);
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-START", "R0001-TECH1", "R0001-D001-TITLE",
                                           "R0001-D001-0001", "R0001-D001-0002", "R0001-D002-TITLE",
                                           "R0001-D002-0001", "R0001-TECH2", "R0001-END"));
  const std::vector<FrameKind> kinds = {FrameKind::start_target, FrameKind::technical_target,
                                        FrameKind::title_target, FrameKind::page,
                                        FrameKind::page,         FrameKind::title_target,
                                        FrameKind::page,         FrameKind::technical_target,
                                        FrameKind::end_target};
  const std::vector<hal::BlipLevel> blips = {
      hal::BlipLevel::batch, hal::BlipLevel::none, hal::BlipLevel::document,
      hal::BlipLevel::page,  hal::BlipLevel::page, hal::BlipLevel::document,
      hal::BlipLevel::page,  hal::BlipLevel::none, hal::BlipLevel::none};
  ASSERT_EQ(plan.frames.size(), kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(plan.frames[i].kind, kinds[i]) << i;
    EXPECT_EQ(plan.frames[i].blip, blips[i]) << i;
    EXPECT_EQ(plan.frames[i].number, i + 1);
    EXPECT_DOUBLE_EQ(plan.frames[i].reduction, 24);
  }
  EXPECT_EQ(plan.frames[0].page, 0u);
  EXPECT_EQ(plan.frames[5].document, 1u);
  // Targets are A4 on the document plane at the job's reduction: 8.85 mm frames.
  EXPECT_EQ(plan.frames[0].placement.page_width_px, 3500u);
  EXPECT_EQ(plan.reels[0].pages, 3u);
  EXPECT_NEAR(plan.reels[0].film_used_m, 2 + 9 * kA4StepMm / 1000, 1e-9);
  expect_reels_within_their_length(plan);
}

TEST(PlannerTargets, ReelCapacityCountsTheTargets) {
  const Job job = job_with_targets({"D001", "D002", "D003"});
  // Each document is a title and three pages (4 steps); a reel holds 11 steps besides its
  // own targets, so D003 starts reel 2.
  const Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5),
                               {pages_of(0, 3), pages_of(1, 3), pages_of(2, 3)});
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_THAT(reel_addresses(plan, 1),
              ElementsAre("R0002-START", "R0002-TECH1", "R0002-D003-TITLE", "R0002-D003-0001",
                          "R0002-D003-0002", "R0002-D003-0003", "R0002-TECH2", "R0002-END"));
  EXPECT_EQ(plan.reels[0].frame_count, 12u);
  EXPECT_EQ(plan.frames[11].kind, FrameKind::end_target);
  EXPECT_FALSE(plan.reels[0].continues_on_next);
  expect_reels_within_their_length(plan);
}

TEST(PlannerTargets, OversizedDocumentSplitsWithContinuedTargets) {
  const Job job = job_with_targets({"D001"});
  const Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5), {pages_of(0, 20)});
  ASSERT_EQ(plan.reels.size(), 3u);
  std::vector<std::string> first = {"R0001-START", "R0001-TECH1", "R0001-D001-TITLE"};
  for (int page = 1; page <= 9; ++page) first.push_back(fmt::format("R0001-D001-{:04}", page));
  for (const char* tail : {"R0001-D001-CONT", "R0001-TECH2", "R0001-END"}) first.emplace_back(tail);
  EXPECT_EQ(reel_addresses(plan, 0), first);
  const std::vector<std::string> second = reel_addresses(plan, 1);
  EXPECT_EQ(second[2], "R0002-D001-CONT");
  EXPECT_EQ(second[3], "R0002-D001-0010");

  const PlannedFrame& continued_to = plan.frames[plan.reels[0].frame_count - 3];
  EXPECT_EQ(continued_to.kind, FrameKind::continued_to);
  EXPECT_EQ(continued_to.other_reel, 2u);
  const PlannedFrame& continued_from = plan.frames[plan.reels[1].first_frame + 2];
  EXPECT_EQ(continued_from.kind, FrameKind::continued_from);
  EXPECT_EQ(continued_from.other_reel, 1u);
  EXPECT_EQ(continued_from.blip, hal::BlipLevel::document);
  EXPECT_TRUE(plan.reels[0].continues_on_next);
  EXPECT_TRUE(plan.reels[1].continues_from_previous);
  EXPECT_TRUE(plan.reels[1].continues_on_next);
  EXPECT_FALSE(plan.reels[2].continues_on_next);
  EXPECT_EQ(plan.reels[0].pages + plan.reels[1].pages + plan.reels[2].pages, 20u);
  EXPECT_EQ(plan.frames.back().kind, FrameKind::end_target);
  expect_reels_within_their_length(plan);
}

TEST(PlannerTargets, EachReelKnowsItsFirstAndLastPageAddress) {
  const Job job = job_with_targets({"D001"});
  const Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5), {pages_of(0, 20)});
  ASSERT_EQ(plan.reels.size(), 3u);
  EXPECT_EQ(plan.reels[0].first_address, "R0001-D001-0001");
  EXPECT_EQ(plan.reels[0].last_address, "R0001-D001-0009");
  EXPECT_EQ(plan.reels[1].first_address, "R0002-D001-0010");
  EXPECT_EQ(plan.reels[2].last_address, "R0003-D001-0020");
}

// Every frame back from the spool as it went in: compared through plan.json, which shows
// every field of a frame.
void expect_spool_round_trip(const Job& job, Plan plan) {
  const std::string before = plan.to_json(job);
  test::TempDir dir;
  std::vector<PlannedFrame> frames = plan.frames;
  FrameSpool spool(std::move(frames), dir.path());
  // NOLINTNEXTLINE(bugprone-use-after-move): the spool takes the frames, leaving none here.
  EXPECT_TRUE(frames.empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the spool has no name on disk
  ASSERT_EQ(spool.size(), plan.frames.size());
  std::vector<PlannedFrame> back;
  for (std::size_t i = 0; i < spool.size(); ++i) back.push_back(spool.read(i));
  const std::vector<PlannedFrame> original = plan.frames;
  plan.frames = back;
  EXPECT_EQ(plan.to_json(job), before);
  // Out of order: backwards, far ahead, and back to the start.
  for (std::size_t i :
       {spool.size() - 1, spool.size() / 2, std::size_t{0}, spool.size() - 2, std::size_t{1}}) {
    const PlannedFrame frame = spool.read(i);
    EXPECT_EQ(frame.sequence, original[i].sequence) << i;
    EXPECT_EQ(frame.address, original[i].address) << i;
    EXPECT_EQ(frame.source.ref.file, original[i].source.ref.file) << i;
  }
  EXPECT_THROW(spool.read(spool.size()), Error);
}

TEST(FrameSpool, RollPlanWithTargetsSubstitutesAndSplitsComesBackWhole) {
  const Job job = job_with_targets({"D001", "D002"});
  DocumentPages second = pages_of(1, 700);
  second.substitutes = {{3, "page 4 is unreadable", {}}};
  Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5), {pages_of(0, 20), second});
  ASSERT_GT(plan.frames.size(), 700u);  // several checkpoints
  auto substitute = std::find_if(plan.frames.begin(), plan.frames.end(),
                                 [](const auto& f) { return f.kind == FrameKind::substitute; });
  ASSERT_NE(substitute, plan.frames.end());
  substitute->target = "original-damaged";
  substitute->note = "水渍，字迹模糊";
  // A record larger than the spool's read window.
  plan.frames[7].source.ref.file = "/scans/" + std::string(300000, 'x') + ".tif";
  expect_spool_round_trip(job, plan);
}

TEST(FrameSpool, FichePlanComesBackWhole) {
  const Job job = job_with_targets({"D001", "D002"});
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  expect_spool_round_trip(
      job, plan_reels(job, fiche, recorder_at(2.5), {pages_of(0, 3), pages_of(1, 100)}));
}

TEST(PlannerTargets, ReelTooShortForItsTargetsIsAnInputError) {
  const Job job = job_with_targets({"D001"});
  EXPECT_EQ(
      error_of(ErrorKind::input,
               [&] { plan_reels(job, short_reel_format(), recorder_at(2.5), {pages_of(0, 1)}); }),
      "D001 page 1: the frame and its gap (9.850 mm) with the reel's targets (59.100 mm) are "
      "longer than the usable film of a 0.07 m reel (50.000 mm)");
}

// A synthetic job of 1,000 documents and 40,000 pages (the size the bench times): reels end
// on document boundaries, never exceed the stock, and every page is planned once.
TEST(PlannerTargets, ThousandDocumentJob) {
  std::vector<std::string> ids;
  std::vector<DocumentPages> documents;
  DocumentPages pages = pages_of(0, 40);
  for (std::size_t i = 0; i < 1000; ++i) {
    ids.push_back(fmt::format("D{:04}", i + 1));
    pages.document = i;
    documents.push_back(pages);
  }
  const Job job = job_with_targets(ids);
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), documents);
  std::size_t page_frames = 0;
  for (const PlannedFrame& frame : plan.frames) page_frames += frame.kind == FrameKind::page;
  EXPECT_EQ(page_frames, 40000u);
  // 41 steps of 9.85 mm per document; 28.5 m less 39.4 mm of reel targets holds 70 of them.
  EXPECT_EQ(plan.reels.size(), 15u);
  for (const PlannedReel& reel : plan.reels) {
    EXPECT_FALSE(reel.continues_on_next) << reel.id;
    EXPECT_EQ(plan.frames[reel.first_frame].kind, FrameKind::start_target);
    EXPECT_EQ(plan.frames[reel.first_frame + 2].kind, FrameKind::title_target);
    EXPECT_EQ(plan.frames[reel.first_frame + reel.frame_count - 1].kind, FrameKind::end_target);
  }
  expect_reels_within_their_length(plan);
}

// ---------------------------------------------------------------------------------------
// Fiche

TEST(PlanJson, StableFieldsAndRoundedNumbers) {
  const Job job = job_with({"D001", "D002"});
  DocumentPages second = pages_of(1, 1);
  second.substitutes = {{0, "page 1 is missing", {}}};
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 3), second});
  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(plan.to_json(job));

  EXPECT_EQ(json["job"]["id"], "job-1");
  EXPECT_EQ(json["job"]["title"], "Test job");
  EXPECT_EQ(json["format"]["name"], "16mm-comic-30m");
  EXPECT_EQ(json["format"]["orientation"], "comic");
  EXPECT_EQ(json["pixel_pitch_um"], 2.5);
  EXPECT_EQ(json["reels"][0]["id"], "R0001");
  EXPECT_EQ(json["reels"][0]["frames"], 5);
  EXPECT_EQ(json["reels"][0]["film_used_m"], 2.04925);  // 2 m + 5 x 9.85 mm

  const auto& frame = json["frames"][1];
  std::vector<std::string> keys;
  for (const auto& item : frame.items()) keys.push_back(item.key());
  EXPECT_THAT(
      keys, ElementsAre("sequence", "reel", "number", "kind", "document", "page", "address", "blip",
                        "source", "placement", "film_position_mm", "reason", "reduction"));
  EXPECT_EQ(frame["address"], "R0001-D001-0002");
  EXPECT_EQ(frame["blip"], "page");
  EXPECT_EQ(frame["film_position_mm"], 1009.85);
  EXPECT_EQ(frame["source"]["file"], "/scans/doc0/p2.tif");
  EXPECT_EQ(frame["source"]["page_in_file"], 1);
  EXPECT_EQ(frame["source"]["orientation"], 1);
  EXPECT_EQ(frame["source"]["width_px"], 2480);
  EXPECT_EQ(frame["source"]["height_mm"], 297.0);
  EXPECT_EQ(frame["source"]["dpi"], 300.0);
  EXPECT_EQ(frame["placement"]["page_width_px"], 3500);
  EXPECT_EQ(frame["placement"]["length_mm"], 8.85);
  EXPECT_EQ(frame["placement"]["scale_x"], 1.411290323);
  EXPECT_EQ(frame["reduction"], 24.0);
  EXPECT_EQ(json["targets"], "none");

  const auto& substitute = json["frames"][3];
  EXPECT_EQ(substitute["kind"], "substitute");
  EXPECT_EQ(substitute["document"], "D002");
  EXPECT_EQ(substitute["blip"], "document");
  EXPECT_TRUE(substitute["source"].is_null());
  EXPECT_EQ(substitute["reason"], "page 1 is missing");
  EXPECT_EQ(substitute["film_position_mm"], 1029.55);
}

TEST(PlanJson, LengthsAreWrittenWithoutFloatNoise) {
  const Job job = job_with({"D001"});
  Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 1)});
  plan.frames[0].film_position_mm = 1000.1 + 0.2;  // 1000.3000000000001 in binary floating point
  plan.frames[0].placement.length_mm = 8.85 * 3;   // 26.549999999999997
  plan.reels[0].film_used_m = 0.1 * 3;             // 0.30000000000000004
  const std::string json = plan.to_json(job);
  EXPECT_NE(json.find("\"film_position_mm\": 1000.3,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"length_mm\": 26.55,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"film_used_m\": 0.3,"), std::string::npos) << json;
}

TEST(PlanJson, HashIsStableAndFollowsTheInput) {
  const Job job = job_with({"D001", "D002"});
  const std::vector<DocumentPages> input = {pages_of(0, 3), pages_of(1, 2)};
  const Plan first = plan_reels(job, comic_16mm(), recorder_at(2.5), input);
  const Plan again = plan_reels(job, comic_16mm(), recorder_at(2.5), input);
  EXPECT_EQ(first.to_json(job), again.to_json(job));
  EXPECT_EQ(first.hash(job), again.hash(job));
  EXPECT_EQ(first.hash(job).size(), 64u);

  std::vector<DocumentPages> changed = input;
  changed[1].pages[1].info.dpi = 400;
  EXPECT_NE(plan_reels(job, comic_16mm(), recorder_at(2.5), changed).hash(job), first.hash(job));
  changed = input;
  changed[0].pages[2].ref.file = "/scans/doc0/p3-rescanned.tif";
  EXPECT_NE(plan_reels(job, comic_16mm(), recorder_at(2.5), changed).hash(job), first.hash(job));
  EXPECT_NE(plan_reels(job, comic_16mm(), recorder_at(2.0), input).hash(job), first.hash(job));
}

}  // namespace
}  // namespace fw::film_plan_targets_test
