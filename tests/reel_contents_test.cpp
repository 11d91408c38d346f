// The reel contents list (job key reel_contents, docs/formats.md#what-is-on-a-reel): each roll reel
// lists its documents on target frames after its technical target. Planner cases on the 2.5 um plan
// geometry; one small job on the 10 um sim, filmed and verified from the command line.
#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/convert_steps.hpp"
#include "api/request.hpp"
#include "base/files.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "film/plan.hpp"
#include "film/target_layout.hpp"
#include "job/job.hpp"
#include "support/mets_xml.hpp"
#include "support/plan_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::reel_contents_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

using test::comic_16mm;
using test::error_of;
using test::pages_of;
using test::recorder_at;

std::vector<std::string> ids(const std::vector<std::string>& prefix, std::size_t count) {
  std::vector<std::string> out = prefix;
  for (std::size_t i = out.size(); i < count; ++i) out.push_back(fmt::format("D{:03}", i + 1));
  return out;
}

// What the index of `reel` must list, read off its frames: each document whose title target or
// continued-from target is on the reel, with the numbers of its first and last frame there.
void expect_index_matches_the_reel(const Plan& plan, const PlannedReel& reel,
                                   std::uint32_t per_frame) {
  std::vector<std::size_t> documents;
  std::size_t index_frames = 0, listed = 0;
  for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
    const PlannedFrame& f = plan.frames[i];
    if (f.kind == FrameKind::title_target || f.kind == FrameKind::continued_from) {
      documents.push_back(f.document);
    }
    if (f.kind != FrameKind::reel_contents) continue;
    // Behind START and TECH1, one after the other, each listing the next entries.
    EXPECT_EQ(f.number, 3 + index_frames) << f.address;
    EXPECT_EQ(f.address, fmt::format("{}-CONTENTS{}", reel.label, index_frames + 1));
    EXPECT_EQ(f.toc_first, listed) << f.address;
    listed += f.toc_count;
    ++index_frames;
  }
  ASSERT_EQ(reel.documents.size(), documents.size()) << reel.id;
  EXPECT_EQ(listed, documents.size()) << reel.id;
  EXPECT_EQ(index_frames, (documents.size() + per_frame - 1) / per_frame) << reel.id;
  std::size_t pages = 0;
  for (std::size_t e = 0; e < documents.size(); ++e) {
    const ReelDocument& entry = reel.documents[e];
    EXPECT_EQ(entry.document, documents[e]) << reel.id << " entry " << e;
    const PlannedFrame& first = plan.frames[reel.first_frame + entry.first_frame - 1];
    const PlannedFrame& last = plan.frames[reel.first_frame + entry.last_frame - 1];
    EXPECT_EQ(first.document, entry.document);
    EXPECT_TRUE(first.kind == FrameKind::title_target || first.kind == FrameKind::continued_from);
    EXPECT_EQ(last.document, entry.document);
    // The frame after the document's last is another document's, or the reel's closing targets.
    const PlannedFrame& after = plan.frames[reel.first_frame + entry.last_frame];
    EXPECT_TRUE(after.document != entry.document || after.kind == FrameKind::technical_target ||
                after.kind == FrameKind::declaration)
        << after.address;
    EXPECT_EQ(entry.from_reel != 0, first.kind == FrameKind::continued_from);
    EXPECT_EQ(entry.to_reel != 0, last.kind == FrameKind::continued_to);
    pages += entry.pages;
  }
  EXPECT_EQ(pages, reel.pages) << reel.id;
}

TEST(ReelContents, EachReelListsItsDocumentsBehindItsTechnicalTarget) {
  Job job = test::job_with_targets(ids({}, 7));
  job.reel_contents = true;
  job.operator_name = "李华";
  std::vector<DocumentPages> documents;
  for (std::size_t d = 0; d < 7; ++d) documents.push_back(pages_of(d, d == 3 ? 40 : 3));
  const TargetEntries entries{kTocEntriesPerFrame, 2};
  const Plan plan = plan_reels(job, test::comic_16mm_reels_of(2.3), recorder_at(2.5), documents,
                               nullptr, entries);
  ASSERT_GE(plan.reels.size(), 3u);
  EXPECT_EQ(test::kinds_and_addresses(plan)[2], "reel-contents R0001-CONTENTS1");
  bool split = false;
  for (const PlannedReel& reel : plan.reels) {
    expect_index_matches_the_reel(plan, reel, 2);
    split = split || reel.continues_on_next;
  }
  EXPECT_TRUE(split) << "D004 (40 pages) is longer than a reel";
  test::expect_reels_within_their_length(plan);

  // Without the key the same job has no contents frames, and its pages are two frames earlier.
  job.reel_contents = false;
  const Plan plain = plan_reels(job, test::comic_16mm_reels_of(2.3), recorder_at(2.5), documents);
  for (const PlannedFrame& frame : plain.frames) EXPECT_NE(frame.kind, FrameKind::reel_contents);
  EXPECT_TRUE(plain.reels.front().documents.empty());
}

// The index takes room at the head of the reel as its documents arrive: over 30 reel lengths
// every reel stays within its film, and lists what it holds.
TEST(ReelContents, ReelsKeepRoomForTheContentsAtEveryLength) {
  Job job = test::job_with_targets(ids({}, 24));
  job.reel_contents = true;
  std::vector<DocumentPages> documents;
  for (std::size_t d = 0; d < 24; ++d) documents.push_back(pages_of(d, 1 + d % 4 + (d == 9) * 30));
  for (int step = 0; step < 30; ++step) {
    const Plan plan = plan_reels(job, test::comic_16mm_reels_of(2.3 + step * 0.004),
                                 recorder_at(2.5), documents, nullptr, {kTocEntriesPerFrame, 3});
    ASSERT_GE(plan.reels.size(), 2u);
    for (const PlannedReel& reel : plan.reels) expect_index_matches_the_reel(plan, reel, 3);
    test::expect_reels_within_their_length(plan);
  }
}

// A table of contents names its pages' frames after the contents frames moved them.
TEST(ReelContents, TableOfContentsPlacesAreTheFramesAfterTheContents) {
  Job job = test::job_with_targets({"D001", "D002"});
  job.reel_contents = true;
  for (const auto& [title, page] : {std::pair{"卷一", 1u}, std::pair{"卷二", 3u}}) {
    TocEntry entry;
    entry.title = title;
    entry.page = page;
    job.documents[1].toc.push_back(entry);
  }
  const Plan plan =
      plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 2), pages_of(1, 4)});
  ASSERT_EQ(plan.toc.at(1).size(), 2u);
  for (const TocPlace& place : plan.toc[1]) {
    const PlannedFrame& frame = plan.frames.at(place.frame - 1);
    EXPECT_EQ(frame.address, place.address);
    EXPECT_EQ(frame.kind, FrameKind::page);
  }
  EXPECT_EQ(plan.toc[1][1].address, "R0001-D002-0003");
}

TEST(ReelContents, IsAJobKeyAndAFicheSaysItHasNone) {
  const test::TempDir dir;
  const fs::path file = dir.path() / "job.toml";
  test::write_job_with(file, "reel_contents = true");
  EXPECT_TRUE(load_job(file).reel_contents);
  test::write_job_with(file, "");
  EXPECT_FALSE(load_job(file).reel_contents);
  test::write_job_with(file, "reel_contents = \"yes\"");
  EXPECT_THAT(error_of(ErrorKind::job, [&] { load_job(file); }),
              HasSubstr("job.toml:4: reel_contents: expected"));

  // --reel-contents, and in the request the journal keeps for verify and resume.
  test::write_job_with(file, "");
  Job flagged = load_job(file);
  api::JobRequest request;
  request.source = file;
  request.overrides.reel_contents = true;
  const api::JobRequest kept = api::JobRequest::from_json(request.to_json(), "journal");
  ASSERT_TRUE(kept.overrides.reel_contents.has_value());
  apply_overrides(flagged, kept.overrides);
  EXPECT_TRUE(flagged.reel_contents);

  Job job = test::job_with_targets({"D001"});
  job.reel_contents = true;
  job.defaults.reduction = 48;
  const Plan fiche = plan_reels(job, load_format(test::profiles(), "fiche-a6-270-48x"),
                                recorder_at(2.5), {pages_of(0, 3)});
  std::vector<std::string> said;
  for (const api::PlanWarning& w : api::plan_warnings(job, fiche, 0)) said.push_back(w.event);
  EXPECT_THAT(said, testing::Contains("reel_contents_not_filmed"));
  EXPECT_THAT(said, testing::Not(testing::Contains("declaration_not_filmed")));
}

// From the command line on the 10 um sim: three documents, the contents frame behind TECH1 in
// index.csv and plan.json, drawn with every document's line, and verified.
TEST(ReelContents, FilmedAndVerifiedFromTheCommandLine) {
  const test::TempDir dir;
  const fs::path& root = dir.path();
  test::copy_profiles_with_test_recorder(root / "profiles");
  std::string documents;
  for (int d = 1; d <= 3; ++d) {
    test::write_pages(root / fmt::format("D{:03}", d), d, "index");
    documents += fmt::format(
        "[[documents]]\nid = \"D{0:03}\"\ntitle = \"第{0}册 江南通志\"\n"
        "pages = {{ dir = \"D{0:03}\" }}\n",
        d);
  }
  test::write_text(
      root / "job.toml",
      fmt::format("version = 1\nid = \"ri\"\ntitle = \"索引 test\"\nreel_contents = true\n"
                  "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
                  "recorder = \"sim-test\"\nprofiles = \"{}\"\n{}",
                  (root / "profiles").string(), documents));
  const auto run = [&](const std::string& command) {
    return test::run_cli({command, (root / "job.toml").string(), "--profiles",
                          (root / "profiles").string(), "--out", (root / "out").string()});
  };
  const auto filmed = run("convert");
  ASSERT_EQ(filmed.exit_code, 0) << filmed.out << filmed.err;
  const fs::path out = root / "out" / "ri";
  const auto index = test::read_csv(out / "R0001" / "index.csv");
  ASSERT_GE(index.size(), 5u);
  EXPECT_THAT(index[3], testing::IsSupersetOf({"3", "reel-contents", "R0001-CONTENTS1"}));
  EXPECT_THAT(index[4], testing::IsSupersetOf({"4", "title-target", "R0001-D001-TITLE"}));

  const Json plan = Json::parse(read_file(out / "plan.json"));
  const Json& listed = plan["frames"][2]["reel_contents"];
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[1]["document"], "D002");
  EXPECT_EQ(listed[1]["first_page"], "R0001-D002-0001");
  EXPECT_EQ(listed[1]["last_page"], "R0001-D002-0002");
  EXPECT_EQ(listed[1]["pages"], 2);
  // D002's title target is frame 6 (START, TECH1, CONTENTS1, D001's title and page), its pages 7-8.
  EXPECT_EQ(listed[1]["frames"], Json::array({6, 8}));

  // In mets.xml the contents frame is the reel's, beside its start and technical targets.
  const std::string mets = read_file(out / "R0001" / "mets.xml");
  EXPECT_THAT(test::schema_errors(mets), testing::IsEmpty());
  const test::Xml xml(mets);
  EXPECT_EQ(xml.one("//mets:div[@TYPE='reel']/mets:div[@TYPE='reel-contents']/@ORDERLABEL"),
            "R0001-CONTENTS1");

  const auto verified = run("verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace fw::reel_contents_test
