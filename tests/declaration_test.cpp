// The operator's declaration (job key `operator`, docs/formats.md#what-is-on-a-reel): every roll
// reel of a job that names its operator closes with a declaration target after its records and
// before the closing technical target. Planner cases on the 2.5 um plan geometry; the key and
// the flag; one small job on the 10 um sim, filmed, verified and packaged from the command line.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/convert_steps.hpp"
#include "base/files.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "film/plan.hpp"
#include "film/target_layout.hpp"
#include "job/job.hpp"
#include "support/mets_xml.hpp"
#include "support/plan_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::declaration_test {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

using test::comic_16mm;
using test::error_of;
using test::pages_of;
using test::recorder_at;

// The kinds of a reel's frames, in order.
std::vector<std::string> reel_kinds(const Plan& plan, const PlannedReel& reel) {
  std::vector<std::string> kinds;
  for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
    kinds.emplace_back(to_string(plan.frames[i].kind));
  }
  return kinds;
}

TEST(Declaration, EveryReelClosesWithTheOperatorsDeclarationBeforeItsTechnicalTarget) {
  Job job = test::job_with_targets({"D001", "D002"});
  job.operator_name = "李华";
  // 40 A4 pages at 24x take 0.39 m: two documents over 0.3 m reels, the first split.
  const Plan plan = plan_reels(job, test::comic_16mm_reels_of(2.3), recorder_at(2.5),
                               {pages_of(0, 30), pages_of(1, 10)});
  ASSERT_GE(plan.reels.size(), 2u);
  for (const PlannedReel& reel : plan.reels) {
    const std::vector<std::string> kinds = reel_kinds(plan, reel);
    ASSERT_GE(kinds.size(), 4u);
    EXPECT_THAT(std::vector<std::string>(kinds.end() - 3, kinds.end()),
                ElementsAre("declaration", "technical-target", "end-target"))
        << reel.id;
    EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "declaration"), 1) << reel.id;
    // A document that runs on: its continued target first, the reel's declaration after it.
    if (reel.continues_on_next) {
      EXPECT_EQ(kinds[kinds.size() - 4], "continued-to") << reel.id;
    }
    const PlannedFrame& declaration = plan.frames[reel.first_frame + reel.frame_count - 3];
    EXPECT_EQ(declaration.address, reel.label + "-DECL");
    EXPECT_EQ(declaration.blip, hal::BlipLevel::none);
    EXPECT_EQ(declaration.page, 0u);
    EXPECT_EQ(target_fields(job, plan, declaration).at("operator"), "李华");
    EXPECT_EQ(target_fields(job, plan, declaration).at("reel_frames"),
              std::to_string(reel.frame_count));
  }
  EXPECT_TRUE(plan.reels.front().continues_on_next);

  // Without an operator, or without targets, no reel has one.
  job.operator_name.clear();
  for (const PlannedFrame& frame :
       plan_reels(job, test::comic_16mm_reels_of(2.3), recorder_at(2.5), {pages_of(0, 30)})
           .frames) {
    EXPECT_NE(frame.kind, FrameKind::declaration) << frame.address;
  }
  job.operator_name = "李华";
  job.targets = "none";
  for (const PlannedFrame& frame :
       plan_reels(job, test::comic_16mm_reels_of(2.3), recorder_at(2.5), {pages_of(0, 30)})
           .frames) {
    EXPECT_FALSE(is_target(frame.kind)) << frame.address;
  }
}

// The reel keeps room for its closing targets, the declaration among them, whatever its length.
TEST(Declaration, ReelsKeepRoomForItAtEveryLength) {
  Job job = test::job_with_targets({"D001", "D002", "D003"});
  job.operator_name = "Li Hua";
  for (int step = 0; step < 30; ++step) {
    const Plan plan =
        plan_reels(job, test::comic_16mm_reels_of(2.3 + step * 0.003), recorder_at(2.5),
                   {pages_of(0, 25), pages_of(1, 7), pages_of(2, 12)});
    ASSERT_GE(plan.reels.size(), 2u);
    for (const PlannedReel& reel : plan.reels) {
      const std::vector<std::string> kinds = reel_kinds(plan, reel);
      EXPECT_EQ(kinds[kinds.size() - 3], "declaration") << reel.id << " at " << step;
    }
    test::expect_reels_within_their_length(plan);
  }
}

TEST(Declaration, TheOperatorIsAJobKeyAndAFlag) {
  const test::TempDir dir;
  const fs::path file = dir.path() / "job.toml";
  test::write_job_with(file, "operator = \"李华\"");
  Job job = load_job(file);
  EXPECT_EQ(job.operator_name, "李华");
  test::write_job_with(file, "");
  EXPECT_THAT(load_job(file).operator_name, IsEmpty());
  test::write_job_with(file, "operator = \"  \"");
  EXPECT_THAT(error_of(ErrorKind::job, [&] { load_job(file); }),
              HasSubstr("job.toml:4: operator: expected an operator's name with a visible "
                        "character"));
  test::write_job_with(file, "operator = 7");
  EXPECT_THAT(error_of(ErrorKind::job, [&] { load_job(file); }), HasSubstr("job.toml:4: operator"));

  JobOverrides flags;
  flags.operator_name = "王小明";
  apply_overrides(job, flags);
  EXPECT_EQ(job.operator_name, "王小明");
  flags.operator_name = "\xC0\xEE\xBB\xAA";  // 李华 in GBK, from a terminal in a GBK locale
  EXPECT_THAT(error_of(ErrorKind::usage, [&] { apply_overrides(job, flags); }),
              HasSubstr("--operator: expected an operator's name in UTF-8"));
  flags.operator_name = "";
  EXPECT_THAT(error_of(ErrorKind::usage, [&] { apply_overrides(job, flags); }),
              HasSubstr("--operator"));
}

// A fiche has no target frames: convert says the declaration is not filmed rather than leave it
// out in silence.
TEST(Declaration, AFicheOrAJobWithoutTargetsSaysItFilmsNone) {
  Job job = test::job_with_targets({"D001"});
  job.operator_name = "李华";
  job.defaults.reduction = 48;
  const Plan fiche = plan_reels(job, load_format(test::profiles(), "fiche-a6-270-48x"),
                                recorder_at(2.5), {pages_of(0, 3)});
  const auto said = [&](const Plan& plan) {
    std::vector<std::string> messages;
    for (const api::PlanWarning& w : api::plan_warnings(job, plan, 0)) {
      if (w.event == "declaration_not_filmed") messages.push_back(w.warning.message);
    }
    return messages;
  };
  EXPECT_THAT(said(fiche),
              ElementsAre(HasSubstr("operator = \"李华\": the operator's declaration is not "
                                    "filmed: a fiche sheet carries no target frames")));
  job.targets = "none";
  EXPECT_THAT(said(plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 3)})),
              ElementsAre(HasSubstr("targets = \"none\"")));
  job.targets = "standard";
  EXPECT_THAT(said(plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 3)})), IsEmpty());
}

// From the command line on the 10 um sim: the declaration is on film where the index says,
// verify draws it again and finds it (and fails it when the journal names someone else), the
// operator is in plan.json, the journal and mets.xml, and a resume or verify naming another
// operator is refused.
TEST(Declaration, FilmedVerifiedAndRecordedFromTheCommandLine) {
  const test::TempDir dir;
  const fs::path& root = dir.path();
  test::copy_profiles_with_test_recorder(root / "profiles");
  test::write_pages(root / "scans", 2, "declaration");
  test::write_text(root / "job.toml",
                   fmt::format("version = 1\nid = \"decl\"\ntitle = \"声明 test\"\n"
                               "operator = \"李华\"\n[recorder]\ndriver = \"sim\"\n"
                               "[recorder.options]\nrate = 0\nrecorder = \"sim-test\"\n"
                               "profiles = \"{}\"\n[[documents]]\nid = \"D001\"\n"
                               "title = \"书\"\npages = {{ dir = \"scans\" }}\n",
                               (root / "profiles").string()));
  const auto run = [&](const std::string& command, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {command,      (root / "job.toml").string(),
                                     "--profiles", (root / "profiles").string(),
                                     "--out",      (root / "out").string()};
    args.insert(args.end(), more.begin(), more.end());
    return test::run_cli(args);
  };
  const auto filmed = run("convert");
  ASSERT_EQ(filmed.exit_code, 0) << filmed.out << filmed.err;
  EXPECT_THAT(filmed.out, HasSubstr("targets: standard, each reel declared by 李华"));
  const fs::path out = root / "out" / "decl";
  const auto index = test::read_csv(out / "R0001" / "index.csv");
  ASSERT_GE(index.size(), 5u);
  EXPECT_THAT(index[index.size() - 3], testing::IsSupersetOf({"declaration", "R0001-DECL"}));
  EXPECT_THAT(index[index.size() - 2], testing::IsSupersetOf({"technical-target"}));

  const Json plan = Json::parse(read_file(out / "plan.json"));
  EXPECT_EQ(plan["job"]["operator"], "李华");
  const std::string journal = test::slurp(out / "journal.jsonl");
  const std::size_t first_line = journal.find('\n');
  Json record = Json::parse(journal.substr(0, first_line));
  EXPECT_EQ(record["filming"]["operator"], "李华");
  const std::string mets = read_file(out / "R0001" / "mets.xml");
  EXPECT_THAT(test::schema_errors(mets), IsEmpty());
  const test::Xml xml(mets);
  EXPECT_EQ(xml.one("//premis:agent[premis:agentIdentifier/premis:agentIdentifierValue="
                    "'operator']/premis:agentName"),
            "李华");
  EXPECT_EQ(xml.one("//premis:agent[premis:agentIdentifier/premis:agentIdentifierValue="
                    "'operator']/premis:agentType"),
            "person");
  EXPECT_EQ(xml.count("//premis:event[premis:eventType='filming']/premis:linkingAgentIdentifier/"
                      "premis:linkingAgentIdentifierValue[.='operator']"),
            1u);

  const auto verified = run("verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, Not(HasSubstr("R0001-DECL")));

  const auto verify_other = run("verify", {"--operator", "王小明"});
  EXPECT_EQ(verify_other.exit_code, 2);
  EXPECT_THAT(verify_other.err,
              HasSubstr("operator = \"李华\"; --operator \"王小明\" contradicts it"));
  const auto resume_other = run("convert", {"--resume", "--operator", "王小明"});
  EXPECT_NE(resume_other.exit_code, 0);
  EXPECT_THAT(resume_other.err, HasSubstr("job.operator: \"李华\" → \"王小明\""));

  // The journal says another operator filmed the job: verify draws the declaration with that
  // name, which is not the one on film.
  record["request"]["overrides"]["operator"] = "王小明";
  test::write_text(out / "journal.jsonl", record.dump() + journal.substr(first_line));
  const auto refiled = run("verify");
  EXPECT_EQ(refiled.exit_code, 5) << refiled.out << refiled.err;
  EXPECT_THAT(refiled.out, HasSubstr("frame 6 (R0001-DECL)"));
}

}  // namespace
}  // namespace fw::declaration_test
