// Data frames (engine/data): the Reed–Solomon codes, and files written as data frames,
// developed by the simulated recorder's real physics (spot blur, H&D curve, grain), damaged
// (a lost frame, scratches, dust, density drift, rotation, rescans) and restored bit-exact.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include <vips/vips8>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "data/reed_solomon.hpp"
#include "sim/sim_physics.hpp"
#include "support/test_support.hpp"

namespace fw::data_frames_test {
namespace {

namespace fs = std::filesystem;
using data::CodeParams;
using data::DecodedFrame;
using data::FilmImage;
using data::FrameGeometry;
using data::Layout;
using data::ReedSolomon;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------
// Reed–Solomon

TEST(ReedSolomon, EncodesTheQrSpecificationsExampleCodewords) {
  // ISO/IEC 18004 annex: "01234567" as a version 1-M symbol, 16 data and 10 EC codewords.
  const std::vector<std::uint8_t> data{16,  32, 12,  86, 97,  128, 236, 17,
                                       236, 17, 236, 17, 236, 17,  236, 17};
  std::vector<std::uint8_t> parity(10);
  ReedSolomon(26, 16).encode(data, parity);
  EXPECT_EQ(parity, (std::vector<std::uint8_t>{165, 36, 212, 193, 237, 54, 199, 135, 44, 85}));
}

TEST(ReedSolomon, EncodesHelloWorldAsAVersionOneMQrSymbolDoes) {
  const std::vector<std::uint8_t> data{32, 91, 11,  120, 209, 114, 220, 77,
                                       67, 64, 236, 17,  236, 17,  236, 17};
  std::vector<std::uint8_t> parity(10);
  ReedSolomon(26, 16).encode(data, parity);
  EXPECT_EQ(parity, (std::vector<std::uint8_t>{196, 35, 39, 119, 235, 215, 231, 226, 93, 23}));
}

std::vector<std::uint8_t> random_codeword(const ReedSolomon& rs, std::mt19937& rng) {
  std::vector<std::uint8_t> word(rs.n());
  for (int i = 0; i < rs.k(); ++i) word[i] = static_cast<std::uint8_t>(rng());
  rs.encode(std::span(word).first(rs.k()), std::span(word).subspan(rs.k()));
  return word;
}

// Distinct random positions, values changed to something else.
std::vector<int> corrupt(std::vector<std::uint8_t>& word, int count, std::mt19937& rng) {
  std::vector<int> positions(word.size());
  std::iota(positions.begin(), positions.end(), 0);
  std::shuffle(positions.begin(), positions.end(), rng);
  positions.resize(count);
  for (int p : positions) word[p] ^= static_cast<std::uint8_t>(1 + rng() % 255);
  return positions;
}

TEST(ReedSolomon, CorrectsErrorsAndErasuresUpToTheBoundInFullAndShortenedCodes) {
  std::mt19937 rng(7);
  for (const auto& [n, k] :
       {std::pair{255, 223}, std::pair{192, 128}, std::pair{18, 16}, std::pair{40, 20}}) {
    const ReedSolomon rs(n, k);
    const int r = n - k;
    for (int erasures = 0; erasures <= r; erasures += std::max(1, r / 4)) {
      const int errors = (r - erasures) / 2;
      for (int trial = 0; trial < 20; ++trial) {
        const std::vector<std::uint8_t> good = random_codeword(rs, rng);
        std::vector<std::uint8_t> word = good;
        const std::vector<int> hit = corrupt(word, errors + erasures, rng);
        const std::vector<int> erased(hit.begin(), hit.begin() + erasures);
        const ReedSolomon::Result result = rs.decode(word, erased);
        ASSERT_TRUE(result.ok) << fmt::format("RS({},{}) {} errors {} erasures", n, k, errors,
                                              erasures);
        EXPECT_EQ(word, good);
        EXPECT_EQ(result.errors, errors);
      }
    }
  }
}

TEST(ReedSolomon, BeyondTheBoundFailsCleanlyAndLeavesTheWordAlone) {
  std::mt19937 rng(11);
  const ReedSolomon rs(255, 223);
  int failures = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::uint8_t> word = random_codeword(rs, rng);
    corrupt(word, 17 + trial % 20, rng);  // t = 16
    const std::vector<std::uint8_t> received = word;
    const ReedSolomon::Result result = rs.decode(word);
    if (!result.ok) {
      ++failures;
      EXPECT_EQ(word, received);
    }
  }
  // Miscorrection beyond t is possible in principle (about 1/16! of such words): none here.
  EXPECT_EQ(failures, 200);
  // A whole lost frame is an erasure per outer codeword; one more than the parity cannot be.
  std::vector<std::uint8_t> word = random_codeword(ReedSolomon(18, 16), rng);
  const std::vector<int> erased{0, 5, 9};
  EXPECT_FALSE(ReedSolomon(18, 16).decode(word, erased).ok);
}

// ---------------------------------------------------------------------------------------
// Frames on the simulated recorder

const fs::path kProfiles = test::source_dir() / "profiles";

// A small data frame: 1200 x 1000 px at 2.5 um (3 x 2.5 mm), 2 px modules.
FrameGeometry small_frame() {
  return {1200, 1000, 2.5, 2, 4};
}

std::vector<std::uint8_t> random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

struct Sim {
  drivers::sim::RecorderProfile recorder = drivers::sim::load_recorder(kProfiles, "sim-default");
  drivers::sim::Stock stock = drivers::sim::load_stock(kProfiles, "sim-negative");
};
const Sim& sim() {
  static const Sim s;
  return s;
}

// Code values -> developed density through the sim's physics (blur, H&D, grain).
FilmImage develop(const data::FramePixels& frame, std::uint64_t seed) {
  const auto developed = drivers::sim::develop(sim().recorder, sim().stock, frame.pixels,
                                               frame.width, frame.height, 1, seed);
  FilmImage out{frame.width, frame.height, {}, true};
  out.darkness.resize(developed.density.size());
  for (std::size_t i = 0; i < out.darkness.size(); ++i) {
    out.darkness[i] = static_cast<float>(developed.density[i] / drivers::sim::kDensityScale);
  }
  return out;
}

// The frame as the pipeline sends it: through the recorder's factory calibration, which
// exposes code 255 at the aim background density (1.10 D) and spaces codes evenly in density.
data::FramePixels calibrated(data::FramePixels frame) {
  static const FrameCalibration calibration(load_calibration(kProfiles, "sim-default-negative"),
                                            "high-contrast", 1.0);
  calibration.apply(frame.pixels, 1);
  return frame;
}

vips::VImage to_vips(const FilmImage& im) {
  return vips::VImage::new_from_memory(const_cast<float*>(im.darkness.data()),
                                       im.darkness.size() * 4, static_cast<int>(im.width),
                                       static_cast<int>(im.height), 1, VIPS_FORMAT_FLOAT)
      .copy_memory();
}
FilmImage from_vips(vips::VImage image) {
  image = image.cast(VIPS_FORMAT_FLOAT).copy_memory();
  FilmImage out{static_cast<std::uint32_t>(image.width()),
                static_cast<std::uint32_t>(image.height()),
                {},
                true};
  std::size_t size = 0;
  auto* data = static_cast<float*>(image.write_to_memory(&size));
  out.darkness.assign(data, data + size / 4);
  g_free(data);
  return out;
}

// A rescan: the developed film resampled by `scale` and turned by `degrees` (bicubic), on
// clear film.
FilmImage rescan(const FilmImage& im, double scale, double degrees) {
  vips::VImage image = to_vips(im);
  image = image.similarity(vips::VImage::option()
                               ->set("scale", scale)
                               ->set("angle", degrees)
                               ->set("interpolate", vips::VInterpolate::new_from_name("bicubic"))
                               ->set("background", std::vector<double>{0.06}));
  return from_vips(image);
}

// Scratches along the film (vertical: the film runs along the frame's height) and dust, drawn
// onto the developed density: an emulsion scratch is clear film, dust is opaque.
void scratch(FilmImage& im, double x, double width_px, float density) {
  for (std::uint32_t y = 0; y < im.height; ++y) {
    const double cx = x + 0.01 * y;  // slightly slanted, as a scratch is
    for (auto px = static_cast<std::int64_t>(cx - width_px / 2);
         px <= static_cast<std::int64_t>(cx + width_px / 2); ++px) {
      if (px >= 0 && px < im.width) im.darkness[std::size_t{y} * im.width + px] = density;
    }
  }
}
void dust(FilmImage& im, int count, double radius_px, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < count; ++i) {
    const double cx = rng() % im.width, cy = rng() % im.height;
    for (std::int64_t y = static_cast<std::int64_t>(cy - radius_px); y <= cy + radius_px; ++y) {
      for (std::int64_t x = static_cast<std::int64_t>(cx - radius_px); x <= cx + radius_px; ++x) {
        if (x < 0 || y < 0 || x >= im.width || y >= im.height) continue;
        if (std::hypot(x - cx, y - cy) <= radius_px)
          im.darkness[std::size_t(y) * im.width + x] = 3.0f;
      }
    }
  }
}

data::FileIdentity identity(const std::string& name, std::uint32_t index = 1) {
  return {"job-datatest", "R0001", "D001", index, name};
}

TEST(DataFrames, ASmallFrameHoldsWhatItsLayoutSays) {
  const Layout layout = Layout::make(small_frame());
  EXPECT_EQ(layout.modules_x % 2, 1u);
  EXPECT_EQ(layout.modules_y % 2, 1u);
  EXPECT_EQ(layout.payload_bytes, std::uint64_t{layout.codewords} * 223);
  EXPECT_GT(layout.payload_bytes, 25000u);
  // 100 kB: four frames of data and the group's two parity frames.
  const data::FrameCount count = data::frames_for_file(layout, 100000, "master.pdf");
  EXPECT_EQ(count.data, (100000 + 14 + layout.payload_bytes - 1) / layout.payload_bytes);
  EXPECT_EQ(count.parity, 2u);
  EXPECT_THROW(Layout::make({100, 100, 2.5, 2, 4}), Error);
}

TEST(DataFrames, AFrameDevelopedOnTheSimulatedRecorderDecodesWithoutErrors) {
  const Layout layout = Layout::make(small_frame());
  const std::vector<std::uint8_t> content = random_bytes(20000, 1);
  const data::FileEncoder encoder(layout, identity("a.bin"), content);
  const DecodedFrame frame = data::decode_frame(develop(encoder.frame(0), 1), "F1");
  ASSERT_TRUE(frame.is_data_frame) << frame.error;
  EXPECT_EQ(frame.codewords_failed, 0u);
  EXPECT_EQ(frame.header.document, "D001");
  EXPECT_EQ(frame.header.file_size, 20000u);
  EXPECT_EQ(frame.header.modules_x, layout.modules_x);
  EXPECT_NEAR(frame.samples_per_module, 2.0, 0.02);
  EXPECT_GT(frame.contrast_d, 1.5);  // 255 develops near D max, 0 at base + fog
  EXPECT_GE(frame.min_margin, 14);   // clean film: at most 2 symbol errors in any codeword
  // The name record, then the file.
  EXPECT_TRUE(std::equal(content.begin(), content.begin() + 1000, frame.payload.begin() + 4 + 5));
}

// Two files written as data frames and developed once on the sim; the tests damage copies.
struct Reel {
  Layout layout = Layout::make(small_frame());
  std::vector<std::uint8_t> pdf = random_bytes(100000, 2);  // 4 data frames + 2 parity
  std::vector<std::uint8_t> tiff = random_bytes(9000, 3);   // 1 data frame + 2 parity
  std::vector<FilmImage> pdf_frames, tiff_frames;
  std::string pdf_sha, tiff_sha;
  Reel() {
    const data::FileEncoder a(layout, identity("masters/report.pdf", 1), pdf);
    const data::FileEncoder b(layout, identity("masters/scan 0001.tif", 2), tiff);
    pdf_sha = a.sha256_hex();
    tiff_sha = b.sha256_hex();
    for (std::uint32_t k = 0; k < a.count().total(); ++k)
      pdf_frames.push_back(develop(a.frame(k), 100 + k));
    for (std::uint32_t k = 0; k < b.count().total(); ++k)
      tiff_frames.push_back(develop(b.frame(k), 200 + k));
  }
};
const Reel& reel() {
  static const Reel r;
  return r;
}

// Decodes the frames in a scrambled order and restores them into `out`.
data::RestoreReport restore(std::vector<FilmImage> frames, const fs::path& out) {
  std::mt19937 rng(5);
  std::shuffle(frames.begin(), frames.end(), rng);
  data::Restorer restorer;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    restorer.add(data::decode_frame(frames[i], fmt::format("scan{}", i)));
  }
  return restorer.finish(out);
}

std::vector<std::uint8_t> bytes_of(const fs::path& file) {
  const std::string text = read_file(file);
  return {text.begin(), text.end()};
}

const data::RestoredFile& file_named(const data::RestoreReport& report, const std::string& name) {
  for (const auto& f : report.files) {
    if (f.name == name) return f;
  }
  throw std::runtime_error("no file " + name + " in the report:\n" + report.text());
}

TEST(DataFrames, FilesComeBackBitExactFromDevelopedFilmInAnyFrameOrder) {
  test::TempDir dir;
  std::vector<FilmImage> frames = reel().pdf_frames;
  frames.insert(frames.end(), reel().tiff_frames.begin(), reel().tiff_frames.end());
  const data::RestoreReport report = restore(frames, dir.path());
  ASSERT_EQ(report.files.size(), 2u) << report.text();
  EXPECT_TRUE(report.all_recovered()) << report.text();
  EXPECT_EQ(bytes_of(dir / "D001/masters/report.pdf"), reel().pdf);
  EXPECT_EQ(bytes_of(dir / "D001/masters/scan 0001.tif"), reel().tiff);
  const auto& pdf = file_named(report, "masters/report.pdf");
  EXPECT_EQ(pdf.frames_found, 6u);
  EXPECT_EQ(pdf.frames_expected, 6u);
  EXPECT_EQ(pdf.sha256, reel().pdf_sha);
  EXPECT_EQ(pdf.outer_bytes, 0u);
  EXPECT_GE(pdf.min_margin, 14);
  EXPECT_THAT(report.text(),
              HasSubstr("recovered D001/masters/report.pdf  100000 bytes, frames 6/6"));
}

TEST(DataFrames, AWholeLostFrameIsRebuiltByTheOuterCode) {
  test::TempDir dir;
  std::vector<FilmImage> frames = reel().pdf_frames;
  frames.erase(frames.begin() + 1);  // data frame 2 of 4, cut out at a splice
  const data::RestoreReport report = restore(frames, dir.path());
  const auto& pdf = file_named(report, "masters/report.pdf");
  EXPECT_EQ(pdf.status, "recovered") << report.text();
  EXPECT_EQ(pdf.frames_found, 5u);
  EXPECT_EQ(pdf.outer_bytes, reel().layout.payload_bytes);
  EXPECT_EQ(bytes_of(dir / "D001/masters/report.pdf"), reel().pdf);
}

TEST(DataFrames, TwoLostFramesOfAGroupAreRebuiltAndAThirdIsReportedLostByteByByte) {
  {
    test::TempDir dir;
    std::vector<FilmImage> frames = reel().pdf_frames;
    frames.erase(frames.begin() + 5);  // a parity frame
    frames.erase(frames.begin());      // and data frame 1: the group's limit, 2 frames
    const data::RestoreReport report = restore(frames, dir.path());
    EXPECT_EQ(file_named(report, "masters/report.pdf").status, "recovered") << report.text();
    EXPECT_EQ(bytes_of(dir / "D001/masters/report.pdf"), reel().pdf);
  }
  test::TempDir dir;
  std::vector<FilmImage> frames = reel().pdf_frames;
  frames.erase(frames.begin() + 4, frames.end());  // both parity frames
  frames.erase(frames.begin() + 2);                // and data frame 3: beyond the limit
  const data::RestoreReport report = restore(frames, dir.path());
  const auto& pdf = file_named(report, "masters/report.pdf");
  EXPECT_EQ(pdf.status, "damaged");
  // Frame 3 held stream bytes [2P, 3P); the stream starts with the 4 + 18 byte name record.
  const std::uint64_t p = reel().layout.payload_bytes, record = 4 + 18;
  ASSERT_EQ(pdf.lost.size(), 1u) << report.text();
  EXPECT_EQ(pdf.lost[0].begin, 2 * p - record);
  EXPECT_EQ(pdf.lost[0].end, 3 * p - record);
  EXPECT_THAT(report.text(),
              HasSubstr(fmt::format("lost bytes {}–{}", 2 * p - record, 3 * p - record)));
  // Everything else is written, the lost bytes as zeros, under a name that says so.
  const std::vector<std::uint8_t> damaged = bytes_of(dir / "D001/masters/report.pdf.damaged");
  ASSERT_EQ(damaged.size(), reel().pdf.size());
  EXPECT_TRUE(std::equal(damaged.begin(), damaged.begin() + pdf.lost[0].begin, reel().pdf.begin()));
  EXPECT_TRUE(std::equal(damaged.begin() + pdf.lost[0].end, damaged.end(),
                         reel().pdf.begin() + pdf.lost[0].end));
  EXPECT_FALSE(fs::exists(dir / "D001/masters/report.pdf"));
}

TEST(DataFrames, ScratchesAlongTheFilmAndDustAreCorrectedByTheInnerCode) {
  test::TempDir dir;
  std::vector<FilmImage> frames = reel().pdf_frames;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    scratch(frames[i], 300 + 97.0 * i, 3, 0.06f);           // emulsion scratched off: clear
    scratch(frames[i], 820 - 51.0 * i, 2, 2.6f);            // a base scratch, dense
    dust(frames[i], 12, 6, static_cast<std::uint32_t>(i));  // 30 um specks
  }
  const data::RestoreReport report = restore(frames, dir.path());
  const auto& pdf = file_named(report, "masters/report.pdf");
  EXPECT_EQ(pdf.status, "recovered") << report.text();
  EXPECT_GT(pdf.symbol_errors, 300u);
  EXPECT_EQ(pdf.outer_bytes, 0u);
  EXPECT_EQ(bytes_of(dir / "D001/masters/report.pdf"), reel().pdf);
}

TEST(DataFrames, AFrameRotatedByOneDegreeAndRescannedAtOneAndAHalfAndThreeSamplesPerModuleDecodes) {
  for (const auto& [scale, degrees] :
       {std::pair{1.0, 1.0}, std::pair{1.0, -2.0}, std::pair{0.75, 0.0}, std::pair{1.5, 0.0},
        std::pair{0.75, 1.0}, std::pair{1.5, -1.0}}) {
    test::TempDir dir;
    std::vector<FilmImage> frames;
    for (const FilmImage& f : reel().tiff_frames) frames.push_back(rescan(f, scale, degrees));
    const data::RestoreReport report = restore(frames, dir.path());
    const std::string what = fmt::format("scale {} rotation {}: {}", scale, degrees, report.text());
    ASSERT_EQ(report.files.size(), 1u) << what;
    EXPECT_EQ(report.files[0].status, "recovered") << what;
    EXPECT_EQ(report.files[0].frames_found, 3u) << what;
    EXPECT_EQ(bytes_of(dir / "D001/masters/scan 0001.tif"), reel().tiff) << what;
    EXPECT_NEAR(report.frames[0].samples_per_module, 2 * scale, 0.05) << what;
    EXPECT_NEAR(report.frames[0].rotation_deg, degrees, 0.05) << what;
  }
}

TEST(DataFrames, EightBitTransmissionScansReadMirroredOrUpsideDownDecode) {
  test::TempDir dir;
  const fs::path scans = dir / "scans";
  fs::create_directories(scans);
  int i = 0;
  for (const FilmImage& f : reel().tiff_frames) {
    // A scanner's picture of the film: transmitted light, 8 bits, clear film bright.
    vips::VImage light = (to_vips(f) * -1.0).exp10() * 255.0;
    light = light.cast(VIPS_FORMAT_UCHAR);
    light = i == 0 ? light.fliphor() : i == 1 ? light.rot180() : light.flipver();
    light.write_to_file((scans / fmt::format("scan-{}.png", i++)).c_str());
  }
  const data::RestoreReport report = data::restore_directory(scans, dir / "out");
  ASSERT_EQ(report.files.size(), 1u) << report.text();
  EXPECT_EQ(report.files[0].status, "recovered") << report.text();
  EXPECT_EQ(bytes_of(dir / "out/D001/masters/scan 0001.tif"), reel().tiff);
}

TEST(DataFrames, ABlipMarkAddressAndFrameMarkBesideTheSymbolDoNotDisturbTheFinder) {
  const Layout layout = Layout::make(small_frame());
  const data::FileEncoder encoder(layout, identity("beside.bin"), random_bytes(12000, 4));
  const data::FramePixels data_area = encoder.frame(0);
  // The data area and, 4 px from its edge, a blip track: a full-exposure mark, random marks
  // like an address in capitals and a DataMatrix.
  data::FramePixels frame{1200 + 300, 1000, std::vector<std::uint8_t>(1500 * 1000, 0)};
  for (std::uint32_t y = 0; y < 1000; ++y) {
    std::copy_n(data_area.pixels.begin() + y * 1200, 1200, frame.pixels.begin() + y * 1500);
  }
  std::mt19937 rng(3);
  for (std::uint32_t y = 0; y < 1000; ++y) {
    for (std::uint32_t x = 1204; x < 1500; ++x) {
      const bool blip = x < 1300 && y >= 80 && y < 480;
      const bool marks = x >= 1320 && x < 1480 && y >= 560 && y < 960 && (rng() % 3 == 0);
      if (blip || marks) frame.pixels[std::size_t{y} * 1500 + x] = 255;
    }
  }
  const DecodedFrame decoded = data::decode_frame(develop(frame, 9));
  ASSERT_TRUE(decoded.is_data_frame) << decoded.error;
  EXPECT_EQ(decoded.codewords_failed, 0u);
  EXPECT_GE(decoded.min_margin, 14);
}

TEST(DataFrames, DensityVaryingAcrossTheFrameAndAlongTheReelIsFollowed) {
  test::TempDir dir;
  std::vector<FilmImage> frames = reel().tiff_frames;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    FilmImage& f = frames[i];
    // Exposure falling off by 0.3 D across the frame, and each frame 0.2 D apart.
    for (std::uint32_t y = 0; y < f.height; ++y) {
      for (std::uint32_t x = 0; x < f.width; ++x) {
        float& d = f.darkness[std::size_t{y} * f.width + x];
        if (d > 0.3f) d = d - 0.3f * x / f.width - 0.2f * static_cast<float>(i);
      }
    }
  }
  const data::RestoreReport report = restore(frames, dir.path());
  EXPECT_TRUE(report.all_recovered()) << report.text();
  EXPECT_EQ(bytes_of(dir / "D001/masters/scan 0001.tif"), reel().tiff);
}

TEST(DataFrames, TwoBitsPerModuleRoundTripAtThreePixelModulesThroughTheCalibration) {
  const Layout layout = Layout::make({1200, 1000, 2.5, 3, 4}, CodeParams{2, 255, 223, 16, 2});
  const std::vector<std::uint8_t> content = random_bytes(30000, 9);
  const data::FileEncoder encoder(layout, identity("two-bit.bin"), content);
  test::TempDir dir;
  data::Restorer restorer;
  for (std::uint32_t k = 0; k < encoder.count().total(); ++k) {
    restorer.add(data::decode_frame(develop(calibrated(encoder.frame(k)), 300 + k)));
  }
  const data::RestoreReport report = restorer.finish(dir.path());
  EXPECT_TRUE(report.all_recovered()) << report.text();
  EXPECT_EQ(bytes_of(dir / "D001/two-bit.bin"), content);
}

TEST(DataFrames, ImagesThatAreNoDataFramesAreSkippedAndRandomBytesNeverCrashTheDecoder) {
  std::mt19937 rng(13);
  // Noise, blank film, a frame of random code values, and data frames with rows of garbage.
  for (int trial = 0; trial < 24; ++trial) {
    FilmImage im;
    if (trial < 16) {
      im = {static_cast<std::uint32_t>(40 + rng() % 600),
            static_cast<std::uint32_t>(40 + rng() % 600),
            {},
            true};
      im.darkness.resize(std::size_t{im.width} * im.height);
      const int kind = trial % 4;
      for (auto& d : im.darkness) {
        d = kind == 0   ? 0.06f
            : kind == 1 ? static_cast<float>(rng() % 30000) / 10000
                        : (rng() % 2 ? 2.1f : 0.06f);
      }
      if (kind == 3) {  // a dense square ring, like a symbol's border, around noise
        for (std::uint32_t y = 10; y + 10 < im.height; ++y) {
          for (std::uint32_t x = 10; x + 10 < im.width; ++x) {
            const bool ring = x < 16 || y < 16 || x + 16 >= im.width || y + 16 >= im.height;
            if (ring) im.darkness[std::size_t{y} * im.width + x] = 2.1f;
          }
        }
      }
    } else {
      im = reel().tiff_frames[trial % 3];
      for (int k = 0; k < 40 + trial * 20; ++k) {
        const std::uint32_t y = rng() % im.height;
        for (std::uint32_t x = 0; x < im.width; ++x)
          im.darkness[std::size_t{y} * im.width + x] = static_cast<float>(rng() % 30000) / 10000;
      }
    }
    const DecodedFrame frame = data::decode_frame(im, "fuzz");
    if (trial < 16) {
      EXPECT_FALSE(frame.is_data_frame) << trial;
      EXPECT_FALSE(frame.error.empty());
    }
  }
}

TEST(DataFrames, RestoreReadsAReelsDevelopedFilmFolderAndWritesTheFilesAndItsReport) {
  test::TempDir dir;
  const fs::path film = dir / "R0001/film";
  fs::create_directories(film);
  std::vector<const FilmImage*> all;
  for (const auto& f : reel().pdf_frames) all.push_back(&f);
  for (const auto& f : reel().tiff_frames) all.push_back(&f);
  for (std::size_t i = 0; i < all.size(); ++i) {
    drivers::sim::DevelopedFrame developed{all[i]->width, all[i]->height, 1, {}};
    for (float d : all[i]->darkness)
      developed.density.push_back(static_cast<std::uint16_t>(std::lround(d * 10000)));
    // Names that say nothing about the order.
    drivers::sim::save_developed(developed, 2.5,
                                 film / fmt::format("F{:06}.tif", (i * 7) % all.size() + 1));
  }
  test::write_text(film / "reel.json", "{}");
  const test::CliResult result =
      test::run_cli({"restore", film.string(), "--out", (dir / "restored").string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("recovered D001/masters/report.pdf"));
  EXPECT_THAT(result.out, HasSubstr("files: 2 recovered, 0 not"));
  EXPECT_EQ(bytes_of(dir / "restored/D001/masters/report.pdf"), reel().pdf);
  EXPECT_EQ(bytes_of(dir / "restored/D001/masters/scan 0001.tif"), reel().tiff);
  const auto json = nlohmann::json::parse(read_file(dir / "restored/restore.json"));
  EXPECT_EQ(json["images"], 9);  // reel.json is not an image: neither read nor counted
  EXPECT_EQ(json["not_data_frames"], 0);
  EXPECT_EQ(json["files"].size(), 2u);
  EXPECT_EQ(json["files"][0]["status"], "recovered");

  // A missing folder is a usage error; frames that leave a file damaged exit as a QC failure.
  EXPECT_EQ(test::run_cli({"restore", (dir / "nothing").string(), "--out", (dir / "x").string()})
                .exit_code,
            2);
  // report.pdf's first three frames (frame i is F(7i mod 9 + 1)).
  for (const char* name : {"F000001.tif", "F000008.tif", "F000006.tif"}) fs::remove(film / name);
  const test::CliResult damaged =
      test::run_cli({"restore", film.string(), "--out", (dir / "again").string()});
  EXPECT_EQ(damaged.exit_code, 5) << damaged.out << damaged.err;
  EXPECT_THAT(damaged.out, HasSubstr("lost bytes"));
}

}  // namespace
}  // namespace fw::data_frames_test
