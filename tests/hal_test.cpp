// The HAL's named capabilities (Recorder::supports) as each driver answers them, the engine's
// refusal of a job that needs one its driver lacks, and the engine's settings that come as
// driver options (-O calibration=NAME ...): resolved once by api::resolve, never seen by a
// driver.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "api/calibrate.hpp"
#include "api/drivers.hpp"
#include "api/settings.hpp"
#include "api/verify.hpp"
#include "builtin.hpp"
#include "catalog/resume.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "net/protocol.hpp"
#include "support/test_support.hpp"

namespace fw::hal_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A device that supports what it is told to, and records what the engine gave it.
class FakeRecorder final : public hal::Recorder {
 public:
  explicit FakeRecorder(std::vector<std::string> supported, int* loads = nullptr)
      : supported_(std::move(supported)), loads_(loads) {
    caps_.calibration = "none";
  }
  hal::Capabilities capabilities() const override { return caps_; }
  bool supports(std::string_view name) const override {
    return std::ranges::find(supported_, name) != supported_.end();
  }
  void load(const hal::ReelSpec&) override {
    if (loads_) ++*loads_;
  }
  void expose(const hal::Frame&) override {}
  hal::ReelReport unload() override { return {}; }
  hal::Status status() const override { return {}; }

 private:
  std::vector<std::string> supported_;
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

hal::Registry registry_with_fake(Opened& opened, const std::vector<std::string>& supported = {}) {
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  registry.add(
      {"fake",
       "a recorder for tests",
       {{"speed", "how fast"}},
       [&opened, supported](const hal::DriverOptions& options, const hal::OpenContext& context) {
         opened.options = options;
         opened.context = context;
         ++opened.opens;
         return std::unique_ptr<hal::Recorder>(
             std::make_unique<FakeRecorder>(supported, &opened.loads));
       }});
  return registry;
}

hal::Registry builtin() {
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  return registry;
}

TEST(Capabilities, EveryNameIsDescribedAndARefusalNamesDriverAndCapability) {
  ASSERT_EQ(hal::capability_names().size(), 3u);
  for (const auto name : hal::capability_names()) {
    EXPECT_FALSE(hal::capability_description(name).empty()) << name;
  }
  EXPECT_EQ(hal::capability_description("teleport"), "");
  EXPECT_EQ(hal::lacks_capability("tiff", hal::capability::film_readback, "calibrate auto"),
            "the tiff driver lacks the capability film_readback (reads back its developed film), "
            "which calibrate auto needs");
}

TEST(Capabilities, TheSimAppendsKeepsAFilmRecordAndReadsBackTheImagesItDevelops) {
  const auto registry = builtin();
  const auto sim = registry.open("sim", {{"rate", "0"}});
  EXPECT_TRUE(sim->supports(hal::capability::append));
  EXPECT_TRUE(sim->supports(hal::capability::film_record));
  EXPECT_TRUE(sim->supports(hal::capability::film_readback));
  EXPECT_NE(sim->film_reader(), nullptr);
  EXPECT_FALSE(sim->supports("teleport"));
  // Without developed images there is nothing to read back; the film's record stays.
  for (const char* output : {"false", "measure"}) {
    const auto bare = registry.open("sim", {{"rate", "0"}, {"film_output", output}});
    EXPECT_FALSE(bare->supports(hal::capability::film_readback)) << output;
    EXPECT_EQ(bare->film_reader(), nullptr) << output;
    EXPECT_TRUE(bare->supports(hal::capability::append)) << output;
    EXPECT_TRUE(bare->supports(hal::capability::film_record)) << output;
  }
}

TEST(Capabilities, TheTiffDriverAppendsAndNothingElse) {
  const auto tiff = builtin().open("tiff", {});
  EXPECT_TRUE(tiff->supports(hal::capability::append));
  EXPECT_FALSE(tiff->supports(hal::capability::film_record));
  EXPECT_FALSE(tiff->supports(hal::capability::film_readback));
  EXPECT_EQ(tiff->film_reader(), nullptr);
}

// A recorderd that answers hello with `capabilities` and then waits for the client's bye.
class FakeDaemon {
 public:
  explicit FakeDaemon(nlohmann::json capabilities)
      : listener_("127.0.0.1", 0), thread_([this, capabilities] {
          net::Connection client = listener_.accept();
          (void)client.receive(5000);
          client.send({{"type", "welcome"},
                       {"device", "fake"},
                       {"capabilities", capabilities},
                       {"session", "s1"},
                       {"state", nlohmann::json::object()}});
          try {
            (void)client.receive(5000);  // bye
          } catch (const net::NetError&) {
          }
        }) {}
  ~FakeDaemon() { thread_.join(); }
  hal::DriverOptions options() const {
    return {{"host", "127.0.0.1"}, {"port", std::to_string(listener_.port())}};
  }

 private:
  net::Listener listener_;
  std::thread thread_;
};

TEST(Capabilities, TheNetDriverRelaysWhatTheDaemonsDeviceSupports) {
  const auto registry = builtin();
  hal::Capabilities caps;
  caps.max_width_px = caps.max_height_px = 100;
  // A daemon serving the tiff driver: what the tiff supports, through the wire.
  const auto tiff = registry.open("tiff", {});
  const nlohmann::json served = net::to_json(caps, *tiff);
  EXPECT_EQ(served.at("supports"), nlohmann::json::array({"append"}));
  {
    FakeDaemon daemon(served);
    const auto net = registry.open("net", daemon.options());
    EXPECT_TRUE(net->supports(hal::capability::append));
    EXPECT_FALSE(net->supports(hal::capability::film_record));
    EXPECT_FALSE(net->supports(hal::capability::film_readback));
  }
  // A sim behind it: its film record too, but never its film: that is on the daemon's host.
  const auto sim = registry.open("sim", {{"rate", "0"}});
  {
    FakeDaemon daemon(net::to_json(caps, *sim));
    const auto net = registry.open("net", daemon.options());
    EXPECT_TRUE(net->supports(hal::capability::append));
    EXPECT_TRUE(net->supports(hal::capability::film_record));
    EXPECT_FALSE(net->supports(hal::capability::film_readback));
    EXPECT_EQ(net->film_reader(), nullptr);
  }
  // A recorderd older than the list: the old behaviour, the client asks and takes the answer.
  nlohmann::json older = net::to_json(caps);
  ASSERT_FALSE(older.contains("supports"));
  EXPECT_EQ(net::supports_from(older), std::nullopt);
  {
    FakeDaemon daemon(older);
    const auto net = registry.open("net", daemon.options());
    EXPECT_TRUE(net->supports(hal::capability::append));
    EXPECT_TRUE(net->supports(hal::capability::film_record));
    EXPECT_FALSE(net->supports(hal::capability::film_readback));
  }
  older["supports"] = "append";
  EXPECT_THROW(net::supports_from(older), net::NetError);
}

TEST(Capabilities, ResumingAReelWithPolicyContinueNeedsAppend) {
  Job job;
  job.id = "j1";
  job.driver = "fake";
  JournalState journal;
  journal.reels.push_back({});
  journal.reels.back().id = "R0001";
  journal.reels.back().rows.resize(3);
  const FakeRecorder lacks(std::vector<std::string>{});
  try {
    require_resume_capabilities(job, journal, ReelPolicy::continue_reel, lacks);
    FAIL() << "continued a reel on a device that cannot append";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_THAT(e.what(), HasSubstr("reel R0001 holds 3 frame(s): the fake driver lacks the "
                                    "capability append"));
    EXPECT_THAT(e.what(), HasSubstr("--reel-policy respool"));
  }
  // Respooling needs no append, and neither does a reel that holds nothing yet.
  require_resume_capabilities(job, journal, ReelPolicy::respool, lacks);
  journal.reels.back().rows.clear();
  require_resume_capabilities(job, journal, ReelPolicy::continue_reel, lacks);
  journal.reels.back().rows.resize(3);
  require_resume_capabilities(job, journal, ReelPolicy::continue_reel,
                              FakeRecorder(std::vector<std::string>{"append"}));
}

TEST(Capabilities, CalibrateAutoRefusesARecorderThatCannotReadItsFilmBackBeforeExposing) {
  test::TempDir dir;
  Opened opened;
  const auto registry = registry_with_fake(opened);
  api::AutoRequest request;
  request.recorder = api::resolve_recorder("fake", {}, {});
  request.profile = (dir.path() / "p.toml").string();
  request.out = dir.path() / "cal";
  api::CalibrateListener listener;
  try {
    api::calibrate_auto(request, registry, listener);
    FAIL() << "calibrated without film";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_THAT(e.what(), HasSubstr("the fake driver lacks the capability film_readback"));
  }
  EXPECT_EQ(opened.opens, 1);
  EXPECT_EQ(opened.loads, 0);
  EXPECT_FALSE(fs::exists(dir.path() / "p.toml"));
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

// verify names a job as convert did; a job file whose job has run is verified with the settings
// convert recorded in its journal, and the operator is told so.
TEST_F(EngineOptions, VerifyTakesARunJobsSettingsFromItsJournalAndSaysSo) {
  const api::JobRequest flags = job("");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(api::verify_settings(flags.source, flags).job_dir, dir.path() / "out" / "e1");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // never run: the flags are all

  api::JobRequest filmed = flags;
  filmed.overrides.reduction = 20;
  const fs::path journal = dir.path() / "out" / "e1" / "journal.jsonl";
  fs::create_directories(journal.parent_path());
  test::write_text(journal, nlohmann::json({{"event", "start"},
                                            {"job", "e1"},
                                            {"plan_sha256", "p"},
                                            {"frames", 0},
                                            {"request", filmed.to_json()}})
                                    .dump() +
                                "\n");
  ::testing::internal::CaptureStderr();
  const api::JobSettings settings = api::verify_settings(flags.source, flags);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(settings.job.defaults.reduction, 20);
  EXPECT_THAT(said, HasSubstr("filmwriter: verify: job e1 has run; its settings are taken from " +
                              journal.string() + " (convert was given --out "));
  EXPECT_THAT(said, HasSubstr(" --reduction 20)"));
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

// -O tone and -O document_class refine the calibration -O calibration chooses. Alone there is
// nothing for them to refine (the recorder's own calibration is used as its profile says), so
// they are refused naming the option, not dropped.
TEST_F(EngineOptions, AToneOrClassWithoutTheCalibrationItRefinesIsRefusedNamingIt) {
  const auto refusal = [](const api::JobRequest& request) {
    try {
      (void)api::resolve(request);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::job);
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  api::JobRequest request = job("");
  request.overrides.driver_options = {{"tone", "1.2"}};
  EXPECT_EQ(refusal(request),
            "-O tone: tone refines the calibration that calibration=NAME chooses, and none is "
            "chosen (the recorder's own is used as its profile says), so it would not be "
            "applied: name the calibration too (-O calibration=NAME, or the job file's "
            "[calibration] table with profile = \"NAME\" and tone)");
  request.overrides.driver_options = {{"document_class", "faint"}};
  EXPECT_THAT(refusal(request), HasSubstr("-O document_class: document_class refines"));
  EXPECT_THAT(refusal(job("", "document_class = \"faint\"\n")),
              HasSubstr("recorder.options.document_class: document_class refines the calibration "
                        "that calibration=NAME chooses, and none is chosen"));
  EXPECT_THAT(refusal(job("", "tone = \"1.2\"\n")),
              HasSubstr("(recorder.options.calibration=NAME, or the job file's [calibration]"));
  // With the calibration they refine, both apply; an empty value still chooses nothing.
  request.overrides.driver_options = {
      {"calibration", "sim-default-negative"}, {"document_class", "faint"}, {"tone", "1.2"}};
  const api::JobSettings settings = api::resolve(request);
  EXPECT_EQ(settings.job.calibration.document_class, "faint");
  EXPECT_EQ(settings.job.calibration.tone, 1.2);
  request.overrides.driver_options = {{"tone", ""}};
  EXPECT_EQ(refusal(request), "(accepted)");
}

// The CLI's wiring: `convert -O tone=X` without a calibration stops before anything is filmed,
// exit 2, the message naming the flag.
TEST_F(EngineOptions, TheCliRefusesAToneWithoutACalibrationBeforeFilming) {
  test::write_text(dir.path() / "job.toml",
                   "version = 1\nid = \"e1\"\ntitle = \"e\"\noutput = \"out\"\n[recorder]\n"
                   "driver = \"tiff\"\n[[documents]]\nid = \"D1\"\ntitle = \"p\"\npages = "
                   "{ dir = \"scans\" }\n");
  const auto r = test::run_cli({"convert", (dir.path() / "job.toml").string(), "-O", "tone=1.2",
                                "--profiles", profiles.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("-O tone: tone refines the calibration that calibration=NAME "
                               "chooses, and none is chosen"));
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "e1"));
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

TEST(DriverRegistry, ASecondDriverOfTheSameNameIsRefusedWhereItIsRegistered) {
  auto registry = builtin();
  const auto count = registry.drivers().size();
  try {
    registry.add({"tiff", "another tiff writer", {}, nullptr});
    FAIL() << "a second tiff driver was registered";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("recorder driver \"tiff\" registered twice"));
  }
  EXPECT_EQ(registry.drivers().size(), count);
  EXPECT_EQ(registry.find("tiff")->description, builtin().find("tiff")->description);
}

// What `filmwriter drivers` prints, as the API describes it: each driver opened with its
// defaults; a remote one (net) is known only once reached, and says why it was not.
TEST(DriverDescriptions, EachDriverWithItsCapabilitiesOrWhyTheyAreUnknown) {
  const auto descriptions = api::describe_drivers(builtin());
  const auto find = [&](const std::string& name) {
    const auto it = std::find_if(descriptions.begin(), descriptions.end(),
                                 [&](const auto& d) { return d.name == name; });
    EXPECT_NE(it, descriptions.end()) << name;
    return *it;
  };
  const api::DriverDescription tiff = find("tiff");
  ASSERT_TRUE(tiff.capabilities.has_value());
  EXPECT_EQ(tiff.capabilities->pixel_pitch_um, 2.5);
  EXPECT_EQ(tiff.supports, (std::vector<std::string>{"append"}));
  EXPECT_TRUE(tiff.unreachable.empty());
  EXPECT_FALSE(tiff.options.empty());
  const api::DriverDescription sim = find("sim");
  ASSERT_TRUE(sim.capabilities.has_value());
  EXPECT_EQ(sim.supports, (std::vector<std::string>{"append", "film_readback", "film_record"}));
  const api::DriverDescription net = find("net");
  EXPECT_FALSE(net.capabilities.has_value());
  EXPECT_FALSE(net.unreachable.empty());
  EXPECT_TRUE(net.supports.empty());
}

}  // namespace
}  // namespace fw::hal_test
