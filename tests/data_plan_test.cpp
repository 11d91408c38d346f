// Data frames in the plan (issue 23; engine/data, engine/film): behind each document after one
// data target per reel, outer-code groups never split or run over a reel change with continued
// targets, the data target's text, the plan's summary, and the job's data keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "api/plan_summary.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "film/format.hpp"
#include "film/plan.hpp"
#include "film/text_check.hpp"
#include "job/job.hpp"
#include "raster/raster.hpp"
#include "render/target.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"
#include "text/text.hpp"

namespace fw::data_plan_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------
// Planner

FilmFormat roll_16mm(double reel_m) {
  FilmFormat format = load_format(test::source_dir() / "profiles", "16mm-comic-30m");
  format.reel_length_m = reel_m;
  format.reel_lengths_m = {reel_m};
  format.leader_m = format.trailer_m = 0.001;
  return format;
}

Job data_job(DataPlacement place) {
  Job job;
  job.id = "dj";
  job.title = "Data job";
  job.targets = "none";
  job.data.masters = true;
  job.data.place = place;
  job.data.group_data = 2;
  job.data.group_parity = 1;
  for (const char* id : {"D001", "D002"}) {
    Document document;
    document.id = id;
    document.title = id;
    document.key = id;
    job.documents.push_back(document);
  }
  return job;
}

DocumentPages pages_with_masters(std::size_t document, std::vector<std::uint64_t> sizes) {
  DocumentPages pages;
  pages.document = document;
  SourcePage page;
  page.ref.file = fmt::format("/scans/d{}/p1.tif", document);
  page.info.width_px = 2480;
  page.info.height_px = 3508;
  page.info.width_mm = 210;
  page.info.height_mm = 297;
  page.info.dpi = 300;
  pages.pages.push_back(page);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    pages.masters.push_back(
        {fmt::format("/scans/d{}/m{}.bin", document, i), fmt::format("m{}.bin", i), sizes[i]});
  }
  return pages;
}

hal::Capabilities recorder_10um() {
  hal::Capabilities caps;
  caps.pixel_pitch_um = 10;
  return caps;
}

std::vector<std::string> kinds(const Plan& plan) {
  std::vector<std::string> out;
  out.reserve(plan.frames.size());
  for (const PlannedFrame& f : plan.frames) out.emplace_back(to_string(f.kind));
  return out;
}

TEST(DataPlan, DataFramesFollowEachDocumentBehindOneDataTargetPerReel) {
  const Job job = data_job(DataPlacement::document);
  const Plan plan = plan_reels(job, roll_16mm(30.5), recorder_10um(),
                               {pages_with_masters(0, {1000}), pages_with_masters(1, {50000})});
  ASSERT_TRUE(plan.data_layout);
  EXPECT_EQ(plan.data_layout->payload_bytes, 37910u);  // 611 x 611 modules of 20 um
  // D001: 1 data frame + 1 parity; D002: 2 data frames + 1 parity.
  EXPECT_THAT(kinds(plan), ::testing::ElementsAre("page", "data-target", "data-format", "data",
                                                  "data", "page", "data", "data", "data"));
  EXPECT_EQ(plan.frames[2].address, "R0001-DATA2");
  EXPECT_EQ(plan.frames[3].address, "R0001-D001-M01-0001");
  EXPECT_EQ(plan.frames[8].address, "R0001-D002-M01-0003");
  EXPECT_EQ(plan.frames[6].data_unit, 3u);
  EXPECT_EQ(plan.frames[3].blip, hal::BlipLevel::none);  // the blip count stays a page count
  EXPECT_EQ(plan.reels[0].data_frames, 5u);
  EXPECT_EQ(plan.reels[0].data_bytes, 51000u);
  EXPECT_EQ(plan.reels[0].pages, 2u);
  EXPECT_EQ(plan.reels[0].last_address, "R0001-D002-0001");
  const Json json = Json::parse(plan.to_json(job));
  EXPECT_EQ(json["data"]["files"][1]["data_frames"], 2);
  EXPECT_EQ(json["frames"][8]["data"]["parity"], true);
  EXPECT_EQ(json["frames"][7]["data"]["frame"], 2);
  // The same input, the same plan.
  EXPECT_EQ(plan.hash(job),
            plan_reels(job, roll_16mm(30.5), recorder_10um(),
                       {pages_with_masters(0, {1000}), pages_with_masters(1, {50000})})
                .hash(job));
}

// What `plan` prints of such a plan (api/plan_summary.hpp): its frames by kind, the files as
// data frames, and what a 30.5 m reel of each roll format holds of them at this pitch.
TEST(DataPlan, ThePlansSummaryCountsFramesFilesAndEachRollFormatsCapacity) {
  api::JobSettings settings;
  settings.job = data_job(DataPlacement::document);
  settings.profiles_dir = test::source_dir() / "profiles";
  const Plan plan = plan_reels(settings.job, roll_16mm(30.5), recorder_10um(),
                               {pages_with_masters(0, {1000}), pages_with_masters(1, {50000})});
  const api::FrameCounts counts = api::count_frames(plan);
  EXPECT_EQ(counts.pages, 2u);
  EXPECT_EQ(counts.substitutes, 0u);
  EXPECT_EQ(counts.targets, 2u);  // the data target and its format page
  const api::DataSummary data = api::data_summary(settings, plan, 30.5);
  EXPECT_EQ(data.files, 2u);
  EXPECT_EQ(data.bytes, 51000u);
  EXPECT_EQ(data.frames, 5u);
  const auto comic = std::ranges::find(data.capacity, "16mm-comic-30m", &api::DataCapacity::format);
  ASSERT_NE(comic, data.capacity.end());
  EXPECT_EQ(comic->none, "");
  EXPECT_EQ(comic->bytes,
            data_capacity_bytes(settings.job, load_format(settings.profiles_dir, "16mm-comic-30m"),
                                plan.pitch_um, 30.5));
  for (const api::DataCapacity& c : data.capacity) {
    EXPECT_EQ(load_format(settings.profiles_dir, c.format).layout, FilmLayout::roll) << c.format;
  }
}

TEST(DataPlan, AtTheReelsEndTheDataFramesFollowTheLastDocument) {
  const Job job = data_job(DataPlacement::reel_end);
  const Plan plan = plan_reels(job, roll_16mm(30.5), recorder_10um(),
                               {pages_with_masters(0, {1000}), pages_with_masters(1, {1000})});
  EXPECT_THAT(kinds(plan), ::testing::ElementsAre("page", "page", "data-target", "data-format",
                                                  "data", "data", "data", "data"));
  EXPECT_EQ(plan.frames[4].address, "R0001-D001-M01-0001");
  EXPECT_EQ(plan.frames[6].address, "R0001-D002-M01-0001");
}

TEST(DataPlan, AnOuterCodeGroupIsNeverSplitAcrossReels) {
  Job job = data_job(DataPlacement::document);
  job.documents.resize(1);
  // 4 data frames: groups of 2 + 1 parity, 6 frames of 13.5 mm behind a page and the data
  // target; a 0.1 m reel holds the first group, the second goes on reel 2, whole.
  const Plan plan =
      plan_reels(job, roll_16mm(0.1), recorder_10um(), {pages_with_masters(0, {3 * 37910 + 100})});
  ASSERT_EQ(plan.reels.size(), 2u);
  std::map<std::uint32_t, std::set<std::uint32_t>> reels_of_group;
  for (const PlannedFrame& f : plan.frames) {
    if (f.kind == FrameKind::data) reels_of_group[f.data_frame / 3].insert(f.reel);
  }
  ASSERT_EQ(reels_of_group.size(), 2u);
  EXPECT_EQ(reels_of_group[0], std::set<std::uint32_t>{1});
  EXPECT_EQ(reels_of_group[1], std::set<std::uint32_t>{2});
  EXPECT_TRUE(plan.reels[0].continues_on_next);
  // Reel 2 is self-describing too: its data target comes before its data frames.
  const PlannedFrame& first = plan.frames[plan.reels[1].first_frame];
  EXPECT_EQ(first.kind, FrameKind::data_target);
  EXPECT_EQ(first.address, "R0002-DATA");
  EXPECT_EQ(plan.frames[plan.reels[1].first_frame + 1].kind, FrameKind::data_format);
}

// An outer-code group longer than a whole reel runs over the reel change; the continued
// targets on both sides name the group, its file and which of its frames each reel holds,
// and every string they draw has its glyphs.
TEST(DataPlan, AGroupLongerThanAReelRunsOverTheReelChangeAndTheContinuedTargetsSaySo) {
  Job job = data_job(DataPlacement::document);
  job.targets = "standard";
  job.documents.resize(1);
  job.data.group_data = 6;
  job.data.group_parity = 2;
  // One group of 6 data + 2 parity frames of 13.5 mm: more than a 0.15 m reel holds behind
  // its targets.
  Plan plan =
      plan_reels(job, roll_16mm(0.15), recorder_10um(), {pages_with_masters(0, {5 * 37910 + 100})});
  ASSERT_GE(plan.reels.size(), 2u);
  std::map<std::uint32_t, std::vector<std::uint32_t>> frames_on_reel;
  std::vector<const PlannedFrame*> continued_to, continued_from;
  for (const PlannedFrame& f : plan.frames) {
    if (f.kind == FrameKind::data) frames_on_reel[f.reel].push_back(f.data_frame);
    if (f.kind == FrameKind::continued_to) continued_to.push_back(&f);
    if (f.kind == FrameKind::continued_from) continued_from.push_back(&f);
  }
  // Every frame of the group once, in order, over more than one reel.
  std::vector<std::uint32_t> all;
  for (const auto& [reel, frames] : frames_on_reel)
    all.insert(all.end(), frames.begin(), frames.end());
  EXPECT_EQ(all, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  ASSERT_GE(frames_on_reel.size(), 2u);
  ASSERT_FALSE(continued_to.empty());
  ASSERT_EQ(continued_to.size(), continued_from.size());
  const std::size_t on_first = frames_on_reel.begin()->second.size();
  EXPECT_THAT(continued_to[0]->note,
              HasSubstr(fmt::format("Outer-code group 1 of m0.bin runs over the reel change: its "
                                    "frames 1-{} of 8 are on this reel, the rest on reel 2",
                                    on_first)));
  EXPECT_THAT(continued_to[0]->note, HasSubstr("须两卷同时恢复"));
  EXPECT_THAT(continued_from[0]->note,
              HasSubstr(fmt::format("Outer-code group 1 of m0.bin continues from reel 1 (its "
                                    "frames 1-{} of 8 are there)",
                                    on_first)));
  EXPECT_EQ(continued_from[0]->reel, 2u);
  // The plan is the same for the same input.
  EXPECT_EQ(plan.hash(job), plan_reels(job, roll_16mm(0.15), recorder_10um(),
                                       {pages_with_masters(0, {5 * 37910 + 100})})
                                .hash(job));
  // The note is drawn on the continued target: the text check passes and the frame with the
  // note differs from the same frame without it.
  ASSERT_NO_THROW(prepare_plan_text(job, plan, TextEngine::load_default()));
  const RasterSettings grey{ImageMode::grey, Polarity::positive, 128};
  PlannedFrame plain = *continued_to[0];
  plain.note.clear();
  const FrameImage with_note = render_target(job, plan, *continued_to[0], grey);
  const FrameImage without = render_target(job, plan, plain, grey);
  ASSERT_EQ(with_note.pixels.size(), without.pixels.size());
  std::size_t inked = 0;
  for (std::size_t i = 0; i < with_note.pixels.size(); ++i) {
    inked += std::abs(int{with_note.pixels[i]} - int{without.pixels[i]}) > 64;
  }
  EXPECT_GT(inked, 1000u);
}

// The two frames before a reel's data frames, as the default 2.5 um recorder draws them: no
// text block runs into another or into the example symbol (the boxes are the pixels each
// drawing changed), all stay inside the page's border, and every string has its glyphs.
TEST(DataPlan, TheDataTargetsTextBlocksDoNotOverlapAndEveryCharacterHasAGlyph) {
  Job job = data_job(DataPlacement::document);
  job.documents.resize(1);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 2.5;
  Plan plan = plan_reels(job, roll_16mm(30.5), caps, {pages_with_masters(0, {1000})});
  // The project's text check of every string the plan's frames draw (MissingGlyph otherwise).
  ASSERT_NO_THROW(prepare_plan_text(job, plan, TextEngine::load_default()));
  const TargetTemplate format_template =
      load_template(template_file(default_profiles_dir(), "standard", FrameKind::data_format));
  for (const FrameKind kind : {FrameKind::data_target, FrameKind::data_format}) {
    SCOPED_TRACE(to_string(kind));
    const auto frame = std::find_if(plan.frames.begin(), plan.frames.end(),
                                    [&](const PlannedFrame& f) { return f.kind == kind; });
    ASSERT_NE(frame, plan.frames.end());
    std::vector<DrawnBox> drawn;
    const FrameImage image =
        render_target(job, plan, *frame, {ImageMode::grey, Polarity::negative, 128}, &drawn);
    const Placement& p = frame->placement;
    const std::size_t texts = kind == FrameKind::data_target ? 5 : format_template.texts.size();
    ASSERT_EQ(drawn.size(), texts + (kind == FrameKind::data_target ? 1 : 0));
    const double px_per_mm = 1000.0 / (caps.pixel_pitch_um * frame->reduction);
    const auto border_px = static_cast<std::uint32_t>(std::ceil(4 * px_per_mm));  // 2 + 2 mm
    for (std::size_t i = 0; i < drawn.size(); ++i) {
      const DrawnBox& a = drawn[i];
      SCOPED_TRACE(fmt::format("{}: x {}-{}, y {}-{}", a.what, a.x0, a.x1, a.y0, a.y1));
      EXPECT_LT(a.x0, a.x1);  // every block drew something
      EXPECT_LT(a.y0, a.y1);
      EXPECT_GE(a.x0, p.page_x_px + border_px);
      EXPECT_GE(a.y0, p.page_y_px + border_px);
      EXPECT_LE(a.x1, p.page_x_px + p.page_width_px - border_px);
      EXPECT_LE(a.y1, p.page_y_px + p.page_height_px - border_px);
      EXPECT_LE(a.y1, image.height);
      for (std::size_t j = 0; j < i; ++j) {
        const DrawnBox& b = drawn[j];
        const bool apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
        EXPECT_TRUE(apart) << "overlaps " << b.what << ": x " << b.x0 << "-" << b.x1 << ", y "
                           << b.y0 << "-" << b.y1;
      }
    }
  }
}

TEST(DataPlan, JobKeysAndTheirErrors) {
  const std::string head =
      "version = 1\nid = \"j\"\ntitle = \"t\"\n[[documents]]\nid = \"D1\"\ntitle = \"d\"\n"
      "pages = { dir = \"s\" }\n";
  const Job plain = parse_job(head, "job.toml", "/tmp");
  EXPECT_FALSE(data_frames_for(plain, plain.documents[0]));
  const Job on = parse_job("data_frames = true\n" + head, "job.toml", "/tmp");
  EXPECT_TRUE(data_frames_for(on, on.documents[0]));
  const Job table = parse_job(
      "version = 1\nid = \"j\"\ntitle = \"t\"\n[data]\nfiles = \"masters\"\nplace = "
      "\"reel-end\"\nbits_per_module = 2\n[[documents]]\nid = \"D1\"\ntitle = \"d\"\n"
      "pages = { dir = \"s\" }\ndata_frames = false\n",
      "job.toml", "/tmp");
  EXPECT_EQ(table.data.place, DataPlacement::reel_end);
  EXPECT_EQ(table.data.bits_per_module, 2);
  EXPECT_FALSE(data_frames_for(table, table.documents[0]));  // the document says no
  try {
    parse_job("version = 1\nid = \"j\"\ntitle = \"t\"\n[data]\nplace = \"end\"\n" +
                  head.substr(head.find("[[documents]]")),
              "job.toml", "/tmp");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("job.toml:5: data.place: expected one of document, "
                                    "reel-end, got \"end\""));
  }
}

// ---------------------------------------------------------------------------------------
// On the simulated recorder's developed film

}  // namespace
}  // namespace fw::data_plan_test
