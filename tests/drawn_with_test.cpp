// The templates and fonts a plan's frames are drawn with are part of the plan (plan.json's
// drawn_with): a resume after one of them changed is refused naming the file, and goes on once
// it is put back, with the film an uninterrupted run makes; a job started before they were
// recorded still resumes, with a warning. The resume fixture's job with targets, on one reel of
// the standard 16 mm format, through the tiff driver at 50 um.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api/settings.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "film/drawn_with.hpp"
#include "pipeline/pipeline.hpp"
#include "support/engine_api.hpp"
#include "support/resume_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::drawn_with_test {
namespace {

namespace fs = std::filesystem;

class DrawnWithTest : public test::ResumeTest {
 protected:
  void SetUp() override {
    ResumeTest::SetUp();
    std::string toml = read_file(dir / "job.toml");
    const auto replace = [&](const std::string& from, const std::string& to) {
      toml.replace(toml.find(from), from.size(), to);
    };
    replace("targets = \"none\"", "targets = \"standard\"");
    replace("format = \"short-reel\"", "format = \"16mm-comic-30m\"");
    test::write_text(dir / "job.toml", toml);
  }

  std::vector<std::string> resume_args() const {
    return {"convert", "--resume", (dir / "run" / "kill").string()};
  }

  // A filmed job stopped in the middle of its reel, and a reference run never stopped.
  void film_and_stop() {
    ASSERT_NO_THROW(convert_into(dir / "ref"));
    ASSERT_NO_THROW(convert_into(dir / "run"));
    ASSERT_EQ(reels(dir / "run" / "kill"), std::vector<std::string>{"R0001"});
    simulate_crash(dir / "run" / "kill", "R0001", 9);
  }

  nlohmann::json drawn_with(const fs::path& job_dir) const {
    return nlohmann::json::parse(read_file(job_dir / "plan.json")).at("drawn_with");
  }
};

bool records(const nlohmann::json& files, const fs::path& file) {
  for (const auto& f : files) {
    if (f.at("file") == drawn_file_name(file) && f.at("sha256") == sha256_file(file)) return true;
  }
  return false;
}

TEST_F(DrawnWithTest, ResumeAfterATemplateEditIsRefusedNamingItAndGoesOnOnceItIsPutBack) {
  ASSERT_NO_FATAL_FAILURE(film_and_stop());
  const fs::path title = dir / "profiles" / "targets" / "standard" / "title-target.toml";
  const nlohmann::json recorded = drawn_with(dir / "run" / "kill");
  EXPECT_TRUE(records(recorded.at("templates"), title)) << recorded.dump(1);
  EXPECT_TRUE(records(recorded.at("templates"),
                      dir / "profiles" / "targets" / "standard" / "start-target.toml"));
  EXPECT_FALSE(recorded.at("fonts").empty());
  EXPECT_TRUE(fs::exists(recorded.at("font_set").at("file").get<std::string>()));

  const std::string original = read_file(title);
  const std::string before = sha256_file(title);
  std::string edited = original;
  edited.replace(edited.find("size_mm = 10"), 12, "size_mm = 12");
  test::write_text(title, edited);
  const auto refused = test::run_cli(resume_args());
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(fmt::format(
                "template {} changed since the job started (sha256 {} → {})",
                drawn_file_name(title), short_sha256(before), short_sha256(sha256_file(title)))),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("put back " + drawn_file_name(title)), std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("drawn_with"), std::string::npos) << refused.err;

  test::write_text(title, original);
  const auto resumed = test::run_cli(resume_args());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("resuming at frame"), std::string::npos) << resumed.out;
  expect_same_as_reference(dir / "run" / "kill", "template put back");
}

// A font the job ships ({job}/fonts, searched before the system's) replaced by another version:
// the image addresses and the targets' Latin text would be drawn with other glyphs.
TEST_F(DrawnWithTest, ResumeAfterAFontIsReplacedIsRefusedNamingIt) {
  const fs::path font = dir / "fonts" / "DejaVuSans.ttf";
  fs::create_directories(font.parent_path());
  fs::copy_file("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", font);
  ASSERT_NO_FATAL_FAILURE(film_and_stop());
  EXPECT_TRUE(records(drawn_with(dir / "run" / "kill").at("fonts"), font));

  fs::copy_file("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", font,
                fs::copy_options::overwrite_existing);
  const auto refused = test::run_cli(resume_args());
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("font " + drawn_file_name(font) + " changed since the job started"),
            std::string::npos)
      << refused.err;
}

// A job started by a filmwriter that did not record drawn_with: its plan.json has none and its
// journal holds the hash of the plan without it. It resumes, says that a changed template or
// font cannot be told, keeps its plan.json as it was, and films what an uninterrupted run films.
TEST_F(DrawnWithTest, AJobStartedBeforeTheyWereRecordedResumesWithAWarning) {
  ASSERT_NO_FATAL_FAILURE(film_and_stop());
  const fs::path job_dir = dir / "run" / "kill";
  // The plan the earlier filmwriter made: this one's without drawn_with.
  api::JobRequest flags = test::job_flags(dir / "run", dir / "profiles");
  flags.source = dir / "job.toml";
  const api::JobSettings settings = api::resolve(api::locate_job(dir / "job.toml", flags));
  Job job = settings.job;
  job.filming_date = nlohmann::json::parse(read_file(job_dir / "plan.json")).at("filming_date");
  const auto recorder = api::open_recorder(settings, test::builtin_drivers());
  PreparedJob prepared = prepare_job(job, recorder->capabilities(), settings.profiles_dir,
                                     settings.recorder_profiles_dir);
  std::string journal = read_file(job_dir / "journal.jsonl");
  const std::string hash = prepared.plan.hash(job);
  ASSERT_NE(journal.find(hash), std::string::npos) << "the plan made here is not the job's";
  prepared.plan.drawn_with.reset();
  const std::string old_plan = prepared.plan.to_json(job);
  ASSERT_EQ(old_plan.find("drawn_with"), std::string::npos);
  journal.replace(journal.find(hash), hash.size(), prepared.plan.hash(job));
  test::write_text(job_dir / "journal.jsonl", journal);
  test::write_text(job_dir / "plan.json", old_plan);

  const auto resumed = test::run_cli(resume_args());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  const std::string printed = resumed.out + resumed.err;
  EXPECT_NE(printed.find("records no templates or fonts (the job was started by an earlier "
                         "filmwriter)"),
            std::string::npos)
      << printed;
  EXPECT_EQ(read_file(job_dir / "plan.json"), old_plan);
  const fs::path reference = dir / "ref" / "kill" / "R0001";
  EXPECT_EQ(read_file(job_dir / "R0001" / "index.csv"), read_file(reference / "index.csv"));
  EXPECT_EQ(read_file(job_dir / "R0001" / "manifest.sha256"),
            read_file(reference / "manifest.sha256"));
}

// `--profiles profiles`, typed in the job's folder: the journal records the folder absolute, and
// a resume without --profiles took it from there, so plan.json's calibration file read
// "/.../profiles/calibration/..." where the job had "profiles/calibration/...", and the resume was
// refused as "these change every frame". The folder is now absolute from the start.
TEST_F(DrawnWithTest, AJobStartedWithARelativeProfilesFolderResumesWithoutIt) {
  ASSERT_NO_THROW(convert_into(dir / "ref"));
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  const auto started =
      test::run_cli({"convert", "job.toml", "--out", "run", "--profiles", "profiles"});
  fs::current_path(cwd);
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  const fs::path job_dir = dir / "run" / "kill";
  const nlohmann::json calibration =
      nlohmann::json::parse(read_file(job_dir / "plan.json")).at("calibration");
  EXPECT_TRUE(fs::path(calibration.at("file").get<std::string>()).is_absolute())
      << calibration.dump();
  simulate_crash(job_dir, "R0001", 9);

  const auto resumed = test::run_cli(resume_args());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  expect_same_as_reference(job_dir, "started with a relative --profiles");
}

// A job started before that names its calibration file as --profiles was typed, and its journal
// holds the hash of that plan: the same file (name and sha256) under the absolute folder is no
// change, and the resume says why its plan.json is rewritten.
TEST_F(DrawnWithTest, AJobWhosePlanNamesItsCalibrationFileRelativeResumes) {
  ASSERT_NO_FATAL_FAILURE(film_and_stop());
  const fs::path job_dir = dir / "run" / "kill";
  nlohmann::ordered_json plan = nlohmann::ordered_json::parse(read_file(job_dir / "plan.json"));
  const fs::path file = plan["calibration"]["file"].get<std::string>();
  ASSERT_TRUE(file.is_absolute());
  plan["calibration"]["file"] = (fs::path("profiles") / "calibration" / file.filename()).string();
  test::write_text(job_dir / "plan.json", plan.dump(2) + "\n");
  std::string journal = read_file(job_dir / "journal.jsonl");
  const std::string key = "\"plan_sha256\":\"";
  const std::size_t at = journal.find(key);
  ASSERT_NE(at, std::string::npos);
  journal.replace(at + key.size(), 64, std::string(64, '0'));
  test::write_text(job_dir / "journal.jsonl", journal);

  const auto resumed = test::run_cli(resume_args());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE((resumed.out + resumed.err).find("(the same file: its sha256 is unchanged"),
            std::string::npos)
      << resumed.out << resumed.err;
  const fs::path reference = dir / "ref" / "kill" / "R0001";
  EXPECT_EQ(read_file(job_dir / "R0001" / "index.csv"), read_file(reference / "index.csv"));
  EXPECT_EQ(read_file(job_dir / "R0001" / "manifest.sha256"),
            read_file(reference / "manifest.sha256"));
}

}  // namespace
}  // namespace fw::drawn_with_test
