// The engine's settings that come as driver options (-O calibration=NAME ...): resolved once
// by api::resolve, never seen by a driver.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "api/settings.hpp"
#include "builtin.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A device that records how many reels the engine loaded on it.
class FakeRecorder final : public hal::Recorder {
 public:
  explicit FakeRecorder(int* loads = nullptr) : loads_(loads) { caps_.calibration = "none"; }
  hal::Capabilities capabilities() const override { return caps_; }
  void load(const hal::ReelSpec&) override {
    if (loads_) ++*loads_;
  }
  void expose(const hal::Frame&) override {}
  hal::ReelReport unload() override { return {}; }
  hal::Status status() const override { return {}; }

 private:
  int* loads_;
  hal::Capabilities caps_;
};

// What the `fake` driver was last opened with, and how many reels its recorders loaded.
struct Opened {
  hal::DriverOptions options;
  hal::OpenContext context;
  int opens = 0;
  int loads = 0;
};

hal::Registry registry_with_fake(Opened& opened) {
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  registry.add({"fake",
                "a recorder for tests",
                {{"speed", "how fast"}},
                [&opened](const hal::DriverOptions& options, const hal::OpenContext& context) {
                  opened.options = options;
                  opened.context = context;
                  ++opened.opens;
                  return std::unique_ptr<hal::Recorder>(
                      std::make_unique<FakeRecorder>(&opened.loads));
                }});
  return registry;
}

hal::Registry builtin() {
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  return registry;
}

class EngineOptions : public ::testing::Test {
 protected:
  // A one-document job on the fake driver; `keys` at the top, `options` in [recorder.options].
  api::JobRequest job(const std::string& keys, const std::string& options = "") {
    test::write_text(dir.path() / "job.toml",
                     "version = 1\nid = \"e1\"\ntitle = \"e\"\n" + keys +
                         "[recorder]\ndriver = \"fake\"\n[recorder.options]\nspeed = \"3\"\n" +
                         options +
                         "[[documents]]\nid = \"D1\"\ntitle = \"p\"\npages = { dir = \"scans\" "
                         "}\n");
    api::JobRequest request;
    request.source = dir.path() / "job.toml";
    request.overrides.output = dir.path() / "out";
    return request;
  }

  test::TempDir dir;
  fs::path profiles = test::source_dir() / "profiles";
};

TEST_F(EngineOptions, ADriverGivenAnEngineKeyDoesNotSeeItAndTheRecordSaysWhoChose) {
  api::JobRequest request = job("", "tone = \"1.2\"\n");
  request.overrides.driver_options = {{"calibration", "sim-default-negative"},
                                      {"document_class", "faint"},
                                      {"profiles", profiles.string()}};
  const api::JobSettings settings = api::resolve(request);
  EXPECT_EQ(settings.job.driver_options, (hal::DriverOptions{{"speed", "3"}}));
  EXPECT_EQ(settings.engine_options.size(), 4u);
  EXPECT_EQ(settings.recorder_profiles_dir, profiles);
  EXPECT_EQ(settings.job.calibration.profile, "sim-default-negative");
  EXPECT_EQ(settings.job.calibration.chosen_by, "recorder options");

  Opened opened;
  const auto registry = registry_with_fake(opened);
  const auto recorder = api::open_recorder(settings, registry);
  EXPECT_EQ(opened.options, (hal::DriverOptions{{"speed", "3"}}));
  EXPECT_EQ(opened.context.profiles_dir, profiles);

  const auto record =
      FrameCalibration::for_job(settings.job, recorder->capabilities(), settings.profiles_dir)
          .record();
  EXPECT_EQ(record["profile"], "sim-default-negative");
  EXPECT_EQ(record["chosen_by"], "recorder options");
  EXPECT_EQ(record["document_class"], "faint");
  EXPECT_EQ(record["tone"], 1.2);

  // The job's own key: chosen by the job, and the driver still sees only its options.
  const api::JobSettings keyed = api::resolve(job("calibration = \"none\"\n"));
  EXPECT_EQ(keyed.job.driver_options, (hal::DriverOptions{{"speed", "3"}}));
  EXPECT_TRUE(keyed.engine_options.empty());
  EXPECT_EQ(FrameCalibration::for_job(keyed.job, recorder->capabilities(), keyed.profiles_dir)
                .record()["chosen_by"],
            "job");
}

TEST_F(EngineOptions, TheJobsCalibrationAndAnOptionBothChoosingIsRefusedNamingBoth) {
  api::JobRequest request = job("calibration = \"none\"\n");
  request.overrides.driver_options = {{"calibration", "sim-default-negative"}};
  try {
    (void)api::resolve(request);
    FAIL() << "two calibrations accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::job);
    EXPECT_THAT(e.what(), HasSubstr("job file line 4: calibration and -O calibration both choose "
                                    "the calibration"));
  }
  request = job("", "tone = \"1.2\"\n");
  request.overrides.calibration = "none";
  try {
    (void)api::resolve(request);
    FAIL() << "two calibrations accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("--calibration and recorder.options.tone both choose"));
  }
  request = job("", "calibration = \"sim-default-negative\"\ntone = \"9\"\n");
  try {
    (void)api::resolve(request);
    FAIL() << "a tone of 9 accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("recorder.options.tone: expected a number 0.2–5, got \"9\""));
  }
}

// -O profiles=DIR was the sim's own option, where it read its recorders and stocks and the
// engine looked calibrations up; formats and targets came from --profiles. It still is exactly
// that, now resolved by the engine: two folders, each for what it held.
TEST_F(EngineOptions, TheProfilesOptionIsTheRecordersFolderBesideTheJobsProfiles) {
  test::copy_profiles_with_test_recorder(dir.path() / "recorder-profiles");
  api::JobRequest request = job("");
  request.overrides.driver_options = {{"profiles", (dir.path() / "recorder-profiles").string()}};
  request.profiles = profiles;
  const api::JobSettings settings = api::resolve(request);
  EXPECT_EQ(settings.profiles_dir, profiles);
  EXPECT_EQ(settings.recorder_profiles_dir, dir.path() / "recorder-profiles");
  Opened opened;
  const auto registry = registry_with_fake(opened);
  (void)api::open_recorder(settings, registry);
  EXPECT_EQ(opened.context.profiles_dir, dir.path() / "recorder-profiles");
  EXPECT_EQ(opened.options, (hal::DriverOptions{{"speed", "3"}}));
  // Without it, the recorder reads the job's profiles folder.
  request.overrides.driver_options.clear();
  EXPECT_EQ(api::resolve(request).recorder_profiles_dir, profiles);
  // A recorder named without a job (calibrate) resolves them alike.
  const auto recorder =
      api::resolve_recorder("sim", {"rate=0", "profiles=" + profiles.string()}, {});
  EXPECT_EQ(recorder.options, (hal::DriverOptions{{"rate", "0"}}));
  EXPECT_EQ(recorder.recorder_profiles_dir, profiles);
  EXPECT_THROW((void)api::resolve_recorder("sim", {"calibration=x"}, {}), Error);
}

TEST(DriverOptions, ADriverOpenedDirectlyRefusesAnEngineKeySayingWhoseItIs) {
  const auto registry = builtin();
  try {
    registry.open("tiff", {{"calibration", "sim-default-negative"}});
    FAIL() << "the tiff driver took the engine's calibration";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::bad_option);
    EXPECT_THAT(e.what(), HasSubstr("unknown option \"calibration\""));
    EXPECT_THAT(e.what(), HasSubstr("filmwriter's setting (--calibration"));
  }
  try {
    registry.open("sim", {{"profiles", "/tmp"}});
    FAIL() << "the sim took the engine's profiles folder";
  } catch (const hal::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("filmwriter's setting (--profiles)"));
  }
  // The tiff driver's own: the calibration of the recorder its files are for.
  EXPECT_EQ(registry.open("tiff", {})->capabilities().calibration, "sim-default-negative");
  EXPECT_EQ(registry.open("tiff", {{"factory_calibration", "none"}})->capabilities().calibration,
            "none");
  // The sim's profiles folder comes with the open context.
  test::TempDir dir;
  test::copy_profiles_with_test_recorder(dir.path() / "profiles");
  EXPECT_NO_THROW(registry.open("sim", {{"recorder", "sim-test"}}, {dir.path() / "profiles"}));
  EXPECT_THROW(registry.open("sim", {{"recorder", "sim-test"}}), hal::DeviceError);
}

}  // namespace
}  // namespace fw
