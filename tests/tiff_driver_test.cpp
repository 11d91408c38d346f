// The HAL contract as the tiff driver implements it: options, frame checks, files, tags.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "builtin.hpp"
#include "catalog/catalog.hpp"
#include "catalog/keeper.hpp"
#include "pipeline/pipeline.hpp"
#include "samples/samples.hpp"
#include "support/page_cache.hpp"
#include "support/test_support.hpp"

namespace fw::tiff_driver_test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class TiffDriverTest : public ::testing::Test {
 protected:
  TiffDriverTest() { drivers::register_builtin_drivers(registry); }

  std::vector<std::uint8_t> gradient(std::uint32_t w, std::uint32_t h) {
    std::vector<std::uint8_t> px(w * h);
    for (std::uint32_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 7);
    return px;
  }

  hal::Frame frame(const std::vector<std::uint8_t>& px, std::uint32_t w, std::uint32_t h,
                   std::uint32_t number) {
    hal::Frame f;
    f.width = w;
    f.height = h;
    f.pixels = px;
    f.pixel_pitch_um = 2.5;
    f.reel_number = 1;
    f.frame_number = number;
    f.blip = hal::BlipLevel::document;
    f.address = "R0001-D001-0001";
    return f;
  }

  // The SHA-256 of the code values a TIFF file holds, as libvips decodes them.
  static std::string pixels_sha256(const std::filesystem::path& file) {
    return pixels_sha256(vips::VImage::new_from_file(file.c_str()));
  }
  static std::string pixels_sha256(const vips::VImage& image) {
    std::size_t size = 0;
    void* data = image.write_to_memory(&size);
    std::string digest = sha256_hex({static_cast<const std::uint8_t*>(data), size});
    g_free(data);
    return digest;
  }

  hal::Registry registry;
  test::TempDir dir;
};

TEST_F(TiffDriverTest, WritesExactCodeValuesWithResolutionAndMetadata) {
  auto recorder = registry.open("tiff", {});
  recorder->load({"R0001", 1, "job", "16mm-comic-30m", "", 30.5, dir.path()});
  const auto px = gradient(64, 48);
  recorder->expose(frame(px, 64, 48, 1));
  recorder->expose(frame(px, 64, 48, 2));
  EXPECT_EQ(recorder->status().frames_exposed, 2u);
  const auto report = recorder->unload();
  ASSERT_EQ(report.files.size(), 2u);
  EXPECT_EQ(report.files[0], std::filesystem::path("frames/F000001.tif"));

  vips::VImage image = vips::VImage::new_from_file((dir / "frames/F000002.tif").c_str());
  EXPECT_EQ(image.width(), 64);
  EXPECT_EQ(image.height(), 48);
  EXPECT_NEAR(image.xres(), 400.0, 1e-6);  // px per mm at 2.5 um
  std::size_t size = 0;
  void* data = image.write_to_memory(&size);
  EXPECT_EQ(sha256_hex({static_cast<const std::uint8_t*>(data), size}), sha256_hex(px));
  g_free(data);
  EXPECT_THAT(image.get_string("image-description"),
              HasSubstr("reel=R0001 frame=2 address=R0001-D001-0001 blip=document"));
}

// prepare() (the pipeline's parallel stage) encodes and hashes; expose() only writes. Either
// way the file holds the same bytes, and the digest the driver reports is the file's, for
// frames written through the page cache and past it (1 MiB or more, base/files.hpp).
TEST_F(TiffDriverTest, PreparedFramesAreTheSameFilesAndReportTheirDigests) {
  for (const auto& [compression, w, h] :
       {std::tuple{"none", 301u, 97u}, std::tuple{"deflate", 301u, 97u},
        std::tuple{"lzw", 301u, 97u}, std::tuple{"none", 1401u, 1003u},
        std::tuple{"deflate", 1401u, 1003u}}) {
    SCOPED_TRACE(fmt::format("{} {} x {}", compression, w, h));
    const auto a = dir / fmt::format("{}-{}", compression, w) / "prepared";
    const auto b = dir / fmt::format("{}-{}", compression, w) / "direct";
    auto prepared = registry.open("tiff", {{"compression", compression}});
    auto direct = registry.open("tiff", {{"compression", compression}});
    prepared->load({"R0001", 1, "job", "16mm-comic-30m", "", 30.5, a});
    direct->load({"R0001", 1, "job", "16mm-comic-30m", "", 30.5, b});
    const auto px = gradient(w, h);  // odd widths: strips do not fall on round sizes
    auto f = frame(px, w, h, 1);
    direct->expose(f);
    f.reel_id = "R0001";
    f.prepared = prepared->prepare(f);
    ASSERT_NE(f.prepared, nullptr);
    prepared->expose(f);
    const auto report = prepared->unload();
    direct->unload();
    const auto file = std::filesystem::path("frames/F000001.tif");
    EXPECT_EQ(read_file(a / file), read_file(b / file));
    ASSERT_EQ(report.sha256.count(file), 1u);
    EXPECT_EQ(report.sha256.at(file), sha256_file(a / file));
    EXPECT_EQ(pixels_sha256(a / file), sha256_hex(px));
  }
}

// A prepared frame that is not this frame (another number or reel) is never written.
TEST_F(TiffDriverTest, APreparedFrameOfAnotherFrameIsNotUsed) {
  auto recorder = registry.open("tiff", {{"compression", "none"}});
  recorder->load({"R0001", 1, "job", "16mm-comic-30m", "", 30.5, dir.path()});
  const auto first = gradient(40, 30);
  std::vector<std::uint8_t> second(first.size(), 200);
  auto other = frame(second, 40, 30, 2);
  other.reel_id = "R0001";
  auto f = frame(first, 40, 30, 1);
  f.prepared = recorder->prepare(other);
  recorder->expose(f);
  EXPECT_EQ(pixels_sha256(dir / "frames/F000001.tif"), sha256_hex(first));
  const auto report = recorder->unload();
  EXPECT_EQ(report.sha256.at("frames/F000001.tif"), sha256_file(dir / "frames/F000001.tif"));
}

TEST_F(TiffDriverTest, RejectsFramesThatBreakTheContract) {
  auto recorder = registry.open("tiff", {{"max_width_px", "32"}});
  recorder->load({"R0001", 1, "job", "f", "", 30.5, dir.path()});
  const auto px = gradient(64, 48);
  try {
    recorder->expose(frame(px, 64, 48, 1));
    FAIL() << "a frame wider than the device was accepted";
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::invalid_frame);
    EXPECT_THAT(e.what(), HasSubstr("exceeds the device maximum"));
  }
  auto other = registry.open("tiff", {});
  other->load({"R0001", 1, "job", "f", "", 30.5, dir / "b"});
  auto wrong_pitch = frame(px, 64, 48, 1);
  wrong_pitch.pixel_pitch_um = 5;
  EXPECT_THROW(other->expose(wrong_pitch), hal::DeviceError);
  auto short_buffer = frame(px, 64, 47, 1);
  short_buffer.height = 48;
  short_buffer.pixels = std::span(px).subspan(0, 64 * 47);
  EXPECT_THROW(other->expose(short_buffer), hal::DeviceError);
  // Frames arrive in order or not at all.
  EXPECT_THROW(other->expose(frame(px, 64, 48, 2)), hal::DeviceError);
}

TEST_F(TiffDriverTest, BadOptionsAndUnknownDriversAreNamed) {
  try {
    registry.open("tiff", {{"pitch_um", "fast"}});
    FAIL();
  } catch (const hal::DeviceError& e) {
    EXPECT_EQ(e.kind(), hal::DeviceErrorKind::bad_option);
    EXPECT_THAT(e.what(), HasSubstr("option pitch_um: expected a number 0.5–50, got \"fast\""));
  }
  try {
    registry.open("tiff", {{"pich_um", "2"}});
    FAIL();
  } catch (const hal::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown option \"pich_um\""));
  }
  try {
    registry.open("laser9000", {});
    FAIL();
  } catch (const hal::DeviceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown recorder driver \"laser9000\" (known: "));
    EXPECT_THAT(e.what(), HasSubstr("tiff"));
  }
}

TEST_F(TiffDriverTest, ExposeWithoutAReelIsAFault) {
  auto recorder = registry.open("tiff", {});
  const auto px = gradient(8, 8);
  EXPECT_THROW(recorder->expose(frame(px, 8, 8, 1)), hal::DeviceError);
  EXPECT_THROW(recorder->unload(), hal::DeviceError);
}

// A job of `pages` small pages through the real pipeline and record keeper.
Job small_job(const test::TempDir& dir, int pages) {
  Job job;
  job.id = "cut";
  job.title = "power cut";
  job.output = dir / "out";
  job.defaults.reduction = 10;
  job.targets = "none";
  job.driver = "tiff";
  job.driver_options = {{"pitch_um", "12.5"}};
  Document document;
  document.id = "D001";
  document.title = "pages";
  document.key = "documents[1]";
  document.pages.kind = PageSource::Kind::directory;
  document.pages.paths = {(dir / "scans").string()};
  job.documents.push_back(document);
  std::filesystem::create_directories(dir / "scans");
  for (int i = 1; i <= pages; ++i) {
    samples::PageSpec spec;
    spec.width_mm = 60;
    spec.height_mm = 80;
    spec.dpi = 254;
    spec.marks = {{5.0 + i, 5.0 + i, 3}};
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{}.png", i),
                       samples::Encoding::png, spec.dpi);
  }
  return job;
}

// The journal says a frame is exposed once its line is fsync'ed, and resume never exposes it
// again: its file must be on disk first. A power cut is played at every moment the disk's
// durable state changes (base's write layer tells test::PageCache of every fsync and rename),
// and at each one every frame the surviving journal claims is a TIFF on the surviving disk
// with the pixels the journal names. Before frames were written through write_file_atomic
// (no fsync), a cut right after a frame's journal line left no file for it.
TEST_F(TiffDriverTest, EveryFrameTheJournalClaimsSurvivesAPowerCutAtAnyMoment) {
  const Job job = small_job(dir, 5);
  auto recorder = registry.open("tiff", job.driver_options);
  const auto prepared = prepare_job(job, recorder->capabilities(), test::source_dir() / "profiles");
  const auto job_dir = prepared.job_dir;
  std::filesystem::create_directories(job_dir);
  // Installed before the keeper creates the journal: the journal's name in its folder is
  // durable only once the cache has seen the folder synced after its creation.
  test::PageCache cache;
  Catalog catalog(dir / "catalog.sqlite");
  RecordKeeper keeper(job_dir, catalog, catalog_job(job, prepared.plan, job_dir));

  std::mutex mutex;
  std::vector<std::string> failures;
  std::size_t moments = 0, claims = 0;
  std::map<std::string, std::string> decoded;  // file bytes' sha256 -> pixels' sha256
  cache.after_each_change = [&] {
    const std::lock_guard lock(mutex);
    ++moments;
    const auto disk = cache.disk(job_dir);
    const auto journal = disk.find(job_dir / "journal.jsonl");
    if (journal == disk.end()) return;
    std::istringstream lines(journal->second);
    for (std::string line; std::getline(lines, line);) {
      const auto record = nlohmann::json::parse(line);
      if (record["event"] != "frame") continue;
      ++claims;
      const std::string reel = record["reel"];
      const auto file =
          job_dir / reel / "frames" / fmt::format("F{:06}.tif", record["frame"].get<int>());
      const std::string claim = fmt::format("moment {}: the journal claims {} frame {}", moments,
                                            reel, record["frame"].get<int>());
      const auto on_disk = disk.find(file);
      if (on_disk == disk.end()) {
        failures.push_back(claim + ", but the disk holds no " + file.string());
        continue;
      }
      const std::string& bytes = on_disk->second;
      auto& pixels = decoded[sha256_hex(bytes)];
      if (pixels.empty() && !bytes.empty()) {
        pixels = pixels_sha256(vips::VImage::new_from_buffer(bytes.data(), bytes.size(), ""));
      }
      if (pixels != record["frame_sha256"]) {
        failures.push_back(fmt::format("{}, but {} holds {} bytes of other pixels", claim,
                                       file.string(), bytes.size()));
      }
    }
  };
  keeper.start(prepared.plan, nlohmann::json::object());
  RunOptions options;
  options.threads = 2;
  options.observer = &keeper;
  run_plan(job, prepared.plan, *recorder, job_dir, options);
  keeper.finish("done", true);
  cache.after_each_change = nullptr;

  EXPECT_THAT(failures, IsEmpty());
  EXPECT_GE(moments, 5u * 4);  // per frame: fsync, rename, folder fsync, journal line
  EXPECT_GE(claims, 5u);
  // Nothing of the journal was left unsynced, and it holds the whole job.
  EXPECT_EQ(cache.disk(job_dir).at(job_dir / "journal.jsonl"),
            read_file(job_dir / "journal.jsonl"));
  ASSERT_EQ(read_journal(job_dir / "journal.jsonl").reels.size(), 1u);
  EXPECT_EQ(read_journal(job_dir / "journal.jsonl").reels[0].rows.size(), 5u);
}

}  // namespace
}  // namespace fw::tiff_driver_test
