// engine/color: density curves, calibration profiles and LUTs, ICC transforms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "color/calibration.hpp"
#include "color/icc.hpp"
#include "core/error.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

using ::testing::HasSubstr;

// A film-like S curve to read "measurements" from.
double s_curve(double code) {
  return 0.06 + 2.1 / (1 + std::exp(-(code - 130) / 18));
}

std::vector<DensityReading> wedge_readings(int steps) {
  std::vector<DensityReading> readings;
  for (int i = 0; i < steps; ++i) {
    const double code = std::round(255.0 * i / (steps - 1));
    readings.push_back({code, s_curve(code)});
  }
  return readings;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(DensityCurve, FitAndInverseRoundTrip) {
  const auto curve = DensityCurve::fit(wedge_readings(21), "test");
  for (double code = 0; code <= 255; code += 0.5) {
    EXPECT_NEAR(curve.density(code), s_curve(code), 0.03) << "code " << code;
  }
  for (double density = 0.2; density <= 2.0; density += 0.05) {
    EXPECT_NEAR(curve.density(curve.code_for(density)), density, 1e-6) << density;
  }
  EXPECT_NEAR(curve.code_for(s_curve(140)), 140, 0.5);
}

TEST(DensityCurve, NeverBendsBackBetweenReadings) {
  // A sharp shoulder makes an unconstrained cubic spline overshoot; Fritsch–Carlson does not.
  const auto curve =
      DensityCurve::fit({{0, 0.06}, {100, 0.07}, {120, 1.5}, {140, 2.1}, {255, 2.11}}, "test");
  double previous = 0;
  for (double code = 0; code <= 255; code += 0.25) {
    const double d = curve.density(code);
    EXPECT_GE(d, previous - 1e-12) << code;
    EXPECT_LE(d, 2.11 + 1e-12) << code;
    previous = d;
  }
}

TEST(DensityCurve, ClearErrorsForBadReadings) {
  EXPECT_EQ(error_of([] {
              DensityCurve::fit({{0, 0.1}, {100, 1}, {200, 2}}, "r.csv");
            }),
            "r.csv: 3 distinct code values read; a curve needs at least 4");
  EXPECT_EQ(error_of([] {
              DensityCurve::fit({{0, 0.06}, {50, 0.5}, {100, 1.2}, {150, 0.9}, {200, 2}}, "r.csv");
            }),
            "r.csv: density falls from 1.200 D at code 100 to 0.900 D at code 150: the readings "
            "are not monotone (more than 0.020 D of noise); check the step order and the "
            "densitometer");
  // A flat toe read with a little noise is pooled, not refused.
  const auto curve =
      DensityCurve::fit({{0, 0.061}, {20, 0.060}, {40, 0.062}, {100, 1.0}, {200, 2.0}}, "r.csv");
  EXPECT_NEAR(curve.density(20), 0.0605, 1e-9);
  EXPECT_LE(curve.density(0), curve.density(20));
}

CalibrationProfile s_curve_profile() {
  CalibrationProfile profile;
  profile.name = "test";
  profile.recorder = "sim-default";
  profile.stock = "sim-negative";
  profile.aims = {{"high-contrast", 1.10}, {"faint", 0.90}};
  profile.channels = {"grey"};
  profile.curves = {DensityCurve::fit(wedge_readings(21), "test")};
  return profile;
}

TEST(FrameCalibration, OneLutMapsPageValuesToCodesForTheAimDensities) {
  const FrameCalibration calibration(s_curve_profile(), "", 1.0);
  const auto profile = s_curve_profile();
  const auto& curve = profile.curves[0];
  EXPECT_EQ(calibration.lut(0)[0], 0);  // unexposed film stays unexposed (base + fog)
  // White paper goes to the code whose density is the aim, to within half a code step.
  const int white = calibration.lut(0)[255];
  EXPECT_LE(std::abs(curve.density(white) - 1.10),
            std::abs(curve.density(white + 1) - curve.density(white)));
  EXPECT_NEAR(calibration.wanted_density(128), 0.06 + (1.10 - 0.06) * 128 / 255.0, 0.01);
  EXPECT_EQ(FrameCalibration(s_curve_profile(), "faint", 1.0).aim_density(), 0.90);

  std::vector<std::uint8_t> pixels{0, 128, 255};
  calibration.apply(pixels, 1);
  EXPECT_EQ(pixels, (std::vector<std::uint8_t>{calibration.lut(0)[0], calibration.lut(0)[128],
                                               calibration.lut(0)[255]}));
  EXPECT_THAT(
      error_of([] { FrameCalibration(s_curve_profile(), "maps", 1.0); }),
      HasSubstr("no aim density for document class \"maps\" (known: high-contrast, faint)"));
}

TEST(CalibrationProfile, TomlRoundTrip) {
  test::TempDir dir;
  const auto profile = s_curve_profile();
  test::write_text(dir / "p.toml", profile.to_toml());
  const auto loaded = load_calibration(dir.path(), (dir / "p.toml").string());
  EXPECT_EQ(loaded.stock, "sim-negative");
  EXPECT_EQ(loaded.default_class, "high-contrast");
  ASSERT_EQ(loaded.curves.size(), 1u);
  for (double code = 0; code <= 255; code += 7) {
    EXPECT_NEAR(loaded.curves[0].density(code), profile.curves[0].density(code), 1e-4);
  }
  test::write_text(dir / "bad.toml", "recorder = 3\n");
  EXPECT_THAT(error_of([&] { load_calibration(dir.path(), (dir / "bad.toml").string()); }),
              HasSubstr("bad.toml:1: recorder: expected a string"));
}

// sRGB (LittleCMS built-in) to CIELAB D50, relative colorimetric: the values LittleCMS's
// `transicc -i*sRGB -o*Lab -t1` prints for the primaries and white.
TEST(Icc, KnownColoursMatchLittleCms) {
  IccTransformCache cache;
  const auto transform =
      cache.get(ColorProfile::builtin("sRGB"), PixelLayout::rgb8, ColorProfile::builtin("Lab-D50"),
                PixelLayout::lab_double, RenderingIntent::relative_colorimetric, false);
  const std::uint8_t rgb[] = {255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255};
  double lab[12];
  transform->apply(rgb, lab, 4);
  const double expected[12] = {100,   0,      0,     54.29, 80.80, 69.89,
                               87.82, -79.29, 80.99, 29.57, 68.30, -112.03};
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(lab[i], expected[i], 0.1) << i;
}

TEST(Icc, TransformsAreBuiltOnceAndSharedAcrossThreads) {
  IccTransformCache cache;
  const auto get = [&](RenderingIntent intent) {
    return cache.get(ColorProfile::builtin("sRGB"), PixelLayout::rgb8,
                     ColorProfile::builtin("Lab-D50"), PixelLayout::lab_double, intent, true);
  };
  const auto a = get(RenderingIntent::perceptual);
  EXPECT_EQ(get(RenderingIntent::perceptual).get(), a.get());
  EXPECT_NE(get(RenderingIntent::relative_colorimetric).get(), a.get());
  EXPECT_EQ(cache.builds(), 2u);

  std::vector<std::uint8_t> rgb(3 * 4096);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 37 % 251);
  std::vector<double> reference(rgb.size());
  a->apply(rgb.data(), reference.data(), 4096);
  std::vector<std::vector<double>> results(8, std::vector<double>(rgb.size()));
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&] {
      for (int repeat = 0; repeat < 20; ++repeat) a->apply(rgb.data(), result.data(), 4096);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& result : results) EXPECT_EQ(result, reference);
}

TEST(Icc, DeltaE2000MatchesSharmaTestData) {
  // Sharma, Wu, Dalal (2005), pair 1.
  const double a[3] = {50, 2.6772, -79.7751}, b[3] = {50, 0, -82.7485};
  EXPECT_NEAR(delta_e_2000(a, b), 2.0425, 1e-4);
  EXPECT_EQ(error_of([] { parse_rendering_intent("vivid"); }),
            "expected one of perceptual, relative-colorimetric, saturation, absolute-colorimetric, "
            "got \"vivid\"");
}

}  // namespace
}  // namespace fw
