// engine/raster's resampler: pixel centres aligned, flat areas kept flat, ramps reproduced by
// the cubic when enlarging, edges where geometry puts them, and the tone table applied.
#include "raster/resample.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace fw::resample_test {
namespace {

struct Plane {
  std::uint32_t width = 0, height = 0, channels = 1;
  std::vector<std::uint8_t> pixels;

  Plane(std::uint32_t w, std::uint32_t h, std::uint32_t c = 1)
      : width(w), height(h), channels(c), pixels(std::size_t{w} * h * c) {}
  std::uint8_t& at(std::uint32_t x, std::uint32_t y, std::uint32_t c = 0) {
    return pixels[(std::size_t{y} * width + x) * channels + c];
  }
  int at(std::uint32_t x, std::uint32_t y, std::uint32_t c = 0) const {
    return pixels[(std::size_t{y} * width + x) * channels + c];
  }
  PixelView view() const { return {pixels.data(), width, height, channels, width * channels}; }
};

ToneTable identity() {
  ToneTable tone{};
  std::iota(tone.begin(), tone.end(), 0);
  return tone;
}

// Resamples `in` into a window of a larger frame (with a 3 px border that must stay 7).
Plane resampled(const Plane& in, std::uint32_t width, std::uint32_t height,
                const ToneTable& tone = identity(), RowFilter filter = RowFilter::fastest) {
  const std::uint32_t border = 3;
  Plane frame(width + 2 * border, height + 2 * border, in.channels);
  std::fill(frame.pixels.begin(), frame.pixels.end(), 7);
  PixelWindow window;
  window.stride = std::size_t{frame.width} * in.channels;
  window.data = frame.pixels.data() + border * window.stride + border * in.channels;
  window.width = width;
  window.height = height;
  resample(in.view(), window, tone, filter);
  for (std::uint32_t y = 0; y < frame.height; ++y) {
    for (std::uint32_t x = 0; x < frame.width; ++x) {
      const bool inside = x >= border && x < border + width && y >= border && y < border + height;
      if (!inside) {
        EXPECT_EQ(frame.at(x, y), 7) << "wrote outside the window at " << x << "," << y;
      }
    }
  }
  Plane out(width, height, in.channels);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      for (std::uint32_t c = 0; c < in.channels; ++c) {
        out.at(x, y, c) = frame.at(x + border, y + border, c);
      }
    }
  }
  return out;
}

TEST(Resample, FlatStaysFlatEnlargingAndReducing) {
  Plane flat(40, 30, 3);
  for (std::uint32_t y = 0; y < 30; ++y) {
    for (std::uint32_t x = 0; x < 40; ++x) {
      flat.at(x, y, 0) = 200;
      flat.at(x, y, 1) = 90;
      flat.at(x, y, 2) = 17;
    }
  }
  for (auto [w, h] : {std::pair{57u, 43u}, std::pair{23u, 19u}, std::pair{61u, 16u}}) {
    const Plane out = resampled(flat, w, h);
    for (std::uint32_t y = 0; y < h; ++y) {
      for (std::uint32_t x = 0; x < w; ++x) {
        ASSERT_EQ(out.at(x, y, 0), 200);
        ASSERT_EQ(out.at(x, y, 1), 90);
        ASSERT_EQ(out.at(x, y, 2), 17);
      }
    }
  }
}

TEST(Resample, CubicReproducesARampWithCentresAligned) {
  // Catmull-Rom reproduces linear functions exactly: away from the edges, output pixel x
  // (centre x + 0.5) samples the source at (x + 0.5) / scale - 0.5, in both directions.
  Plane ramp(60, 50);
  for (std::uint32_t y = 0; y < 50; ++y) {
    for (std::uint32_t x = 0; x < 60; ++x) ramp.at(x, y) = static_cast<std::uint8_t>(4 * x + 2);
  }
  const double scale = 1.41;
  const auto w = static_cast<std::uint32_t>(60 * scale), h = static_cast<std::uint32_t>(50 * scale);
  const Plane out = resampled(ramp, w, h);
  for (std::uint32_t y = 0; y < h; y += 7) {
    for (std::uint32_t x = 6; x + 6 < w; ++x) {
      const double source_x = (x + 0.5) * 60.0 / w - 0.5;
      ASSERT_NEAR(out.at(x, y), 4 * source_x + 2, 0.51) << x << "," << y;
    }
  }
}

TEST(Resample, EdgeLandsWhereGeometryPutsIt) {
  // A dark bar over source columns [20, 30) of a 64 px row, enlarged 2x: the half-way crossings
  // lie at 40 and 60 in the output, symmetric about them.
  Plane bar(64, 8);
  for (std::uint32_t y = 0; y < 8; ++y) {
    for (std::uint32_t x = 0; x < 64; ++x) bar.at(x, y) = x >= 20 && x < 30 ? 0 : 240;
  }
  const Plane out = resampled(bar, 128, 16);
  EXPECT_EQ(out.at(39, 8) + out.at(40, 8), 240);  // symmetric about the crossing at 40
  EXPECT_EQ(out.at(59, 8) + out.at(60, 8), 240);
  EXPECT_GT(out.at(39, 8), 120);
  EXPECT_LT(out.at(40, 8), 120);
  EXPECT_EQ(out.at(50, 8), 0);
}

TEST(Resample, ToneTableIsAppliedToEverySample) {
  Plane grey(30, 30);
  std::fill(grey.pixels.begin(), grey.pixels.end(), 100);
  grey.at(15, 15) = 0;
  ToneTable threshold{};
  for (int v = 0; v < 256; ++v) threshold[static_cast<std::size_t>(v)] = v > 90 ? 255 : 0;
  const Plane out = resampled(grey, 45, 45, threshold);
  std::size_t black = 0;
  for (std::uint8_t v : out.pixels) {
    ASSERT_TRUE(v == 0 || v == 255);
    black += v == 0;
  }
  EXPECT_GT(black, 0u);
  EXPECT_LT(black, 20u);
}

TEST(Resample, TheVectorRowFilterWritesThePlainLoopsBytes) {
  // Noise, so that every tap's weight shows in the sums; sizes whose 16-pixel steps end at,
  // short of and past the row's end, enlarging and reducing (the vector filter gives up where
  // a step's taps span more than 32 samples). On a CPU without AVX-512 both are the loops.
  std::mt19937 random(2480);
  for (const std::uint32_t width : {40u, 97u, 250u}) {
    Plane noise(width, 24);
    for (std::uint8_t& v : noise.pixels) v = static_cast<std::uint8_t>(random());
    for (const double scale : {2.0, 1.41, 1.06, 0.9, 0.75, 0.71, 0.55}) {
      const auto w = static_cast<std::uint32_t>(std::lround(width * scale));
      const auto h = static_cast<std::uint32_t>(std::lround(24 * scale));
      ASSERT_TRUE(resample_supported(width, 24, w, h));
      const Plane fastest = resampled(noise, w, h, identity(), RowFilter::fastest);
      const Plane portable = resampled(noise, w, h, identity(), RowFilter::portable);
      ASSERT_EQ(fastest.pixels, portable.pixels) << width << " px scaled by " << scale;
    }
  }
}

TEST(Resample, SupportedSizes) {
  EXPECT_TRUE(resample_supported(2480, 3508, 3500, 4950));   // A4 300 dpi at 24x, 2.5 um
  EXPECT_TRUE(resample_supported(4960, 7016, 3500, 4950));   // 600 dpi: a reduction by 0.71
  EXPECT_FALSE(resample_supported(4960, 7016, 1750, 2475));  // below 1/2: libvips shrinks
  EXPECT_FALSE(resample_supported(3, 3, 30, 30));            // too small for the taps
}

}  // namespace
}  // namespace fw::resample_test
