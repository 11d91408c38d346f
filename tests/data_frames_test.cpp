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

#include "core/error.hpp"
#include "core/files.hpp"
#include "data/data_frames.hpp"
#include "data/reed_solomon.hpp"
#include "sim/sim_physics.hpp"
#include "support/test_support.hpp"

namespace fw {
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
[[maybe_unused]] FilmImage rescan(const FilmImage& im, double scale, double degrees) {
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
[[maybe_unused]] void scratch(FilmImage& im, double x, double width_px, float density) {
  for (std::uint32_t y = 0; y < im.height; ++y) {
    const double cx = x + 0.01 * y;  // slightly slanted, as a scratch is
    for (auto px = static_cast<std::int64_t>(cx - width_px / 2);
         px <= static_cast<std::int64_t>(cx + width_px / 2); ++px) {
      if (px >= 0 && px < im.width) im.darkness[std::size_t{y} * im.width + px] = density;
    }
  }
}
[[maybe_unused]] void dust(FilmImage& im, int count, double radius_px, std::uint32_t seed) {
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

}  // namespace
}  // namespace fw
