// engine/color: density curves, calibration profiles and LUTs, ICC transforms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include <lcms2.h>
#include <vips/vips8>

#include "color/calibration.hpp"
#include "color/icc.hpp"
#include "color/stock.hpp"
#include "core/error.hpp"
#include "raster/raster.hpp"
#include "samples/file_edits.hpp"
#include "support/engine_api.hpp"
#include "support/test_support.hpp"

namespace fw::color_test {
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

// The vectorised table lookup (64 pixels at a time where the CPU has AVX-512 VBMI) gives what
// the table says for every value, in every position, with any length left over.
TEST(FrameCalibration, TableLookupMatchesTheTableForEveryValueAndLength) {
  std::array<std::uint8_t, 256> lut{};
  std::uint32_t state = 12345;
  const auto next = [&] {
    return static_cast<std::uint8_t>((state = state * 1103515245u + 12345u) >> 16);
  };
  for (auto& v : lut) v = next();
  for (const std::size_t length : {0u, 1u, 63u, 64u, 65u, 256u, 1000u, 4099u}) {
    std::vector<std::uint8_t> pixels(length);
    for (std::size_t i = 0; i < length; ++i)
      pixels[i] = static_cast<std::uint8_t>(i < 256 ? i : next());
    std::vector<std::uint8_t> expected(length);
    for (std::size_t i = 0; i < length; ++i) expected[i] = lut[pixels[i]];
    apply_lut(pixels, lut);
    EXPECT_EQ(pixels, expected) << "length " << length;
  }
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

// Read by base's TOML reader: a typo is named with the key meant, a value out of range with
// its range, each at its file and line.
TEST(CalibrationProfile, NamesTheFileLineAndKeyOfEveryMistake) {
  test::TempDir dir;
  const std::string good = s_curve_profile().to_toml();
  const auto error = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    test::write_text(dir / "bad.toml", text);
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
    return std::make_pair(
        error_of([&] { load_calibration(dir.path(), (dir / "bad.toml").string()); }),
        fmt::format("{}:{}: ", (dir / "bad.toml").string(), line));
  };
  const auto [typo, at] = error("default_class", "default_clas");
  EXPECT_EQ(typo, at + "default_clas: unknown key (did you mean \"default_class\"?)");
  const auto [tone, at2] = error("tone = ", "tone = 9 #");
  EXPECT_EQ(tone, at2 + "tone: expected a number 0.2–5, got 9");
  const auto [codes, at3] = error("codes = [", "codes = [\"x\", ");
  EXPECT_EQ(codes, at3 + "curve.grey.codes[1]: expected a number, got \"x\"");
}

// The stock profile's reader in engine/color (calibration's aims) is base's TOML reader too: a
// typo is named with the key meant, a wrong value with what was found, at file and line.
TEST(StockAims, NamesTheFileLineAndKeyOfEveryMistake) {
  test::TempDir dir;
  const std::string good =
      "description = \"test\"\n"  // 1
      "channels = [\"grey\"]\n"   // 2
      "\n"                        // 3
      "[curve.grey]\n"            // 4
      "d_min = 0.06\n"            // 5
      "\n"                        // 6
      "[aim]\n"                   // 7
      "high-contrast = 1.10\n"    // 8
      "faint = 0.9\n";            // 9
  const std::string file = (dir / "stocks" / "test.toml").string();
  const auto error = [&](const std::string& text) {
    test::write_text(dir / "stocks" / "test.toml", text);
    return error_of([&] { load_stock_aims(dir.path(), "test"); });
  };
  test::write_text(dir / "stocks" / "test.toml", good);
  const StockAims stock = load_stock_aims(dir.path(), "test");
  EXPECT_EQ(stock.channels, std::vector<std::string>{"grey"});
  const std::vector<std::pair<std::string, double>> aims = {{"faint", 0.9}, {"high-contrast", 1.1}};
  EXPECT_EQ(stock.aims, aims);

  EXPECT_EQ(error("descripton = \"x\"\n" + good.substr(good.find('\n') + 1)),
            file + ":1: descripton: unknown key (did you mean \"description\"?)");
  EXPECT_EQ(error("channels = [\"red\", \"green\"]\n"),
            file +
                ":1: channels: expected [\"grey\"] or three channel names, got [ 'red', "
                "'green' ]");
  EXPECT_EQ(error("channels = [\"grey\", 1, 2]\n"),
            file + ":1: channels[2]: expected a channel name, got an integer 1");
  EXPECT_EQ(error("description = \"x\"\n"),
            file +
                ":1: channels: expected [\"grey\"] or three channel names (required), got "
                "nothing");
  EXPECT_EQ(error(good + "hazy = 5\n"), file + ":10: aim.hazy: expected a number 0–4, got 5");
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
  threads.reserve(results.size());
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

// A profile's ICC bytes; the profile is closed.
std::vector<std::uint8_t> profile_bytes(cmsHPROFILE profile) {
  cmsUInt32Number size = 0;
  cmsSaveProfileToMem(profile, nullptr, &size);
  std::vector<std::uint8_t> bytes(size);
  cmsSaveProfileToMem(profile, bytes.data(), &size);
  cmsCloseProfile(profile);
  return bytes;
}

// An RGB profile with the sRGB primaries and D65 white but linear (gamma 1.0) tone curves:
// a sample value there is proportional to light, so 128 is half of white's luminance.
std::vector<std::uint8_t> linear_rgb_profile() {
  cmsCIExyY white;
  cmsWhitePointFromTemp(&white, 6504);
  const cmsCIExyYTRIPLE primaries{{0.64, 0.33, 1}, {0.30, 0.60, 1}, {0.15, 0.06, 1}};
  cmsToneCurve* linear = cmsBuildGamma(nullptr, 1.0);
  cmsToneCurve* curves[3] = {linear, linear, linear};
  cmsHPROFILE profile = cmsCreateRGBProfile(&white, &primaries, curves);
  cmsFreeToneCurve(linear);
  return profile_bytes(profile);
}

std::vector<std::uint8_t> grey_gamma_profile(double gamma) {
  cmsToneCurve* curve = cmsBuildGamma(nullptr, gamma);
  cmsHPROFILE profile = cmsCreateGrayProfile(cmsD50_xyY(), curve);
  cmsFreeToneCurve(curve);
  return profile_bytes(profile);
}

// A 64 x 64 page: left half neutral grey 128, right half (200, 60, 30).
vips::VImage two_patch_page() {
  const vips::VImage left =
      vips::VImage::black(32, 64, vips::VImage::option()->set("bands", 3)) + 128;
  const vips::VImage right = vips::VImage::black(32, 64, vips::VImage::option()->set("bands", 3)) +
                             std::vector<double>{200, 60, 30};
  return left.join(right, VIPS_DIRECTION_HORIZONTAL)
      .cast(VIPS_FORMAT_UCHAR)
      .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

vips::VImage tagged(const vips::VImage& page, const std::vector<std::uint8_t>& icc) {
  vips::VImage out = page.copy();
  vips_image_set_blob_copy(out.get_image(), VIPS_META_ICC_NAME, icc.data(), icc.size());
  return out;
}

std::uint8_t pixel(const vips::VImage& image, int x, int y, int band = 0) {
  return static_cast<std::uint8_t>(image.getpoint(x, y)[band]);
}

TEST(IccPages, AnEmbeddedProfileIsHonouredBeforeGreyRendering) {
  test::TempDir dir;
  const auto icc = linear_rgb_profile();
  const auto file = dir / "linear.png";
  tagged(two_patch_page(), icc).pngsave(file.c_str());  // PNG iCCP chunk
  const vips::VImage page = vips::VImage::new_from_file(file.c_str());
  ASSERT_NE(page.get_typeof(VIPS_META_ICC_NAME), 0u);
  // Linear 128/255 = 0.502 of white's luminance; sRGB encodes that as
  // 1.055 * 0.502^(1/2.4) - 0.055 = 0.7367, i.e. 187.9: the colorimetric grey is 188.
  const vips::VImage grey = to_mode(page, ImageMode::grey, 128);
  EXPECT_NEAR(pixel(grey, 10, 10), 188, 1);
  // Untagged, the same samples are sRGB already: 128 stays 128.
  const vips::VImage plain = to_mode(two_patch_page(), ImageMode::grey, 128);
  EXPECT_NEAR(pixel(plain, 10, 10), 128, 1);

  // Colour pages get what LittleCMS computes from the profile to sRGB (relative
  // colorimetric with black-point compensation, the pipeline's default).
  cmsHPROFILE from = cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size()));
  cmsHPROFILE to = cmsCreate_sRGBProfile();
  cmsHTRANSFORM t =
      cmsCreateTransform(from, TYPE_RGB_8, to, TYPE_RGB_8, INTENT_RELATIVE_COLORIMETRIC,
                         cmsFLAGS_BLACKPOINTCOMPENSATION);
  const std::uint8_t in[3] = {200, 60, 30};
  std::uint8_t expected[3];
  cmsDoTransform(t, in, expected, 1);
  cmsDeleteTransform(t);
  cmsCloseProfile(from);
  cmsCloseProfile(to);
  const vips::VImage colour = to_mode(page, ImageMode::colour, 128);
  for (int band = 0; band < 3; ++band) {
    EXPECT_EQ(pixel(colour, 50, 10, band), expected[band]) << "band " << band;
  }
  EXPECT_GT(expected[0], 200 + 20);  // a real change: linear 200 is far lighter in sRGB

  // The profile's colour space must match the page's bands (a grey page with an RGB profile
  // is its neutral RGB: AGreyPageWithAnRgbProfileIsItsNeutralRgb).
  EXPECT_THAT(
      error_of([&] { to_mode(tagged(page, grey_gamma_profile(1.8)), ImageMode::grey, 128); }),
      HasSubstr("embedded ICC profile is for \"GRAY\" data but the page has 3 colour "
                "band(s)"));
}

// A job of the pages in dir/scans (document D1) on the tiff driver, 10x at 25 um, 100 dpi,
// uncalibrated, so that a frame's code values are the page's through its colour conversion.
// `keys`: more top-level keys, a line each.
std::string scans_job(const std::string& id, const std::string& keys = "") {
  return "version = 1\nid = \"" + id + "\"\ntitle = \"" + id +
         "\"\ndpi = 100\ntargets = \"none\"\nreduction = 10\n" + keys +
         "calibration = \"none\"\n[recorder]\ndriver = \"tiff\"\n[recorder.options]\n"
         "pitch_um = 25\n[[documents]]\nid = \"D1\"\ntitle = \"p\"\npages = { dir = \"scans\" }\n";
}

// Frame `n` (1-based) of that job's first reel.
vips::VImage frame_of(const std::filesystem::path& dir, const std::string& id, std::size_t n) {
  return vips::VImage::new_from_file(
      (dir / "out" / id / "R0001" / "frames" / fmt::format("F{:06}.tif", n)).c_str());
}

// Through the CLI: a page tagged with the linear profile is filmed at its colorimetric grey.
TEST(IccPages, TheFrameCarriesTheColorimetricGrey) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "scans");
  tagged((vips::VImage::black(100, 100, vips::VImage::option()->set("bands", 3)) + 128)
             .cast(VIPS_FORMAT_UCHAR)
             .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB)),
         linear_rgb_profile())
      .pngsave((dir / "scans" / "p1.png").c_str());
  test::write_text(dir / "job.toml", scans_job("icc", "polarity = \"positive\"\n"));
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", {}, test::job_flags(dir / "out")));
  const vips::VImage frame = frame_of(dir.path(), "icc", 1);
  // A positive records the page inverted: 255 - 188 = 67 over the whole page (about 100 x
  // 100 px at 10x and 25 um); untagged it would be 255 - 128 = 127.
  const vips::VImage near_colorimetric = ((frame - (255 - 188)).abs() <= 1);
  EXPECT_GT(near_colorimetric.avg() / 255 * frame.width() * frame.height(), 95 * 95);
}

// ImageMagick writes an RGB scan whose pixels are all neutral as a grey file and keeps its RGB
// profile. The samples are the scan's R = G = B: filmed through the profile as such, not
// refused (an RGB profile on a grey page stopped the job at the render stage).
TEST(IccPages, AGreyPageWithAnRgbProfileIsItsNeutralRgb) {
  const vips::VImage grey =
      (vips::VImage::black(8, 8) + 128)
          .cast(VIPS_FORMAT_UCHAR)
          .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
  // The linear profile's 128 is the sRGB grey 188, as for the RGB page above.
  EXPECT_NEAR(pixel(to_mode(tagged(grey, linear_rgb_profile()), ImageMode::grey, 128), 4, 4), 188,
              1);
  const vips::VImage rgb = to_mode(tagged(grey, linear_rgb_profile()), ImageMode::colour, 128);
  ASSERT_EQ(rgb.bands(), 3);
  for (int band = 0; band < 3; ++band) EXPECT_NEAR(pixel(rgb, 4, 4, band), 188, 1);
}

// A profile that does not fit its page (a grey profile on an RGB page) stops the page. The
// render stage found it only when the reel reached the page, with the pages before it exposed;
// preflight finds it from the header before the reel is loaded, in the render stage's words.
TEST(IccPages, AProfileThatDoesNotFitItsPageStopsTheJobBeforeAnythingIsExposed) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "scans");
  const vips::VImage rgb =
      (vips::VImage::black(100, 100, vips::VImage::option()->set("bands", 3)) + 200)
          .cast(VIPS_FORMAT_UCHAR)
          .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  rgb.pngsave((dir / "scans" / "p1.png").c_str());
  rgb.pngsave((dir / "scans" / "p2.png").c_str());
  // libpng would not write the grey profile into an RGB PNG; libtiff does (tag 34675).
  tagged(rgb, grey_gamma_profile(1.8)).tiffsave((dir / "scans" / "p3.tif").c_str());
  test::write_text(dir / "job.toml", scans_job("icc"));
  try {
    test::convert_job(dir / "job.toml", {}, test::job_flags(dir / "out"));
    FAIL() << "a page whose profile does not fit it was filmed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_THAT(e.what(), HasSubstr("preflight of reel R0001: document D1 (documents[1]) page 3: " +
                                    (dir / "scans" / "p3.tif").string() +
                                    " (page 1): the page's embedded ICC profile is for \"GRAY\" "
                                    "data but the page has 3 colour band(s)"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "icc" / "R0001" / "frames" / "F000001.tif"));
}

// A PNG without an ICC profile can say what its samples mean with a gAMA chunk (and cHRM);
// libvips 8.14 ignores both, so a page saved in linear light was filmed as if it were sRGB,
// its mid-greys far too dark. Browsers build a profile from the chunks, and so does ingest:
// gAMA 1.0 films sample 128 at the sRGB grey 188, as the linear ICC profile above does; the
// sRGB gamma (0.45455) and an sRGB chunk film as an untagged page, as before.
TEST(IccPages, APngGammaChunkIsHonouredAsBrowsersDoWithoutAProfile) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "scans");
  const auto grey_page = [](int bands, VipsBandFormat format, double value) {
    return (vips::VImage::black(100, 100, vips::VImage::option()->set("bands", bands)) + value)
        .cast(format)
        .copy(vips::VImage::option()->set(
            "interpretation", bands == 1
                                  ? (format == VIPS_FORMAT_USHORT ? VIPS_INTERPRETATION_GREY16
                                                                  : VIPS_INTERPRETATION_B_W)
                                  : VIPS_INTERPRETATION_sRGB));
  };
  const auto big_endian = [](std::uint32_t value) {
    std::string bytes(4, '\0');
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>(value >> (24 - 8 * i));
    return bytes;
  };
  struct Page {
    vips::VImage image;
    std::vector<std::pair<std::string, std::string>> chunks;  // type, data; after IHDR
    double expected;                                          // the frame's code value
  };
  // Sample 128 of a page whose file gamma is 1/1.8 (the old Mac's): (128/255)^1.8 of white's
  // light, which sRGB encodes as 146.4.
  const double mac_light = std::pow(128.0 / 255, 1.8);
  const double mac_grey = 255 * (1.055 * std::pow(mac_light, 1 / 2.4) - 0.055);
  const std::vector<Page> pages = {
      {grey_page(1, VIPS_FORMAT_UCHAR, 128), {{"gAMA", big_endian(100000)}}, 188},
      {grey_page(3, VIPS_FORMAT_UCHAR, 128), {{"gAMA", big_endian(100000)}}, 188},
      {grey_page(1, VIPS_FORMAT_USHORT, 128 * 257), {{"gAMA", big_endian(100000)}}, 188},
      {grey_page(1, VIPS_FORMAT_UCHAR, 128), {{"gAMA", big_endian(55556)}}, mac_grey},
      {grey_page(1, VIPS_FORMAT_UCHAR, 128), {{"gAMA", big_endian(45455)}}, 128},
      {grey_page(1, VIPS_FORMAT_UCHAR, 128),
       {{"gAMA", big_endian(100000)}, {"sRGB", std::string(1, '\0')}},
       128},
  };
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const auto file = dir / "scans" / fmt::format("p{}.png", i + 1);
    pages[i].image.pngsave(file.c_str());
    samples::edit_file(file, [&](std::string& bytes) {
      for (const auto& [type, data] : pages[i].chunks) samples::add_png_chunk(bytes, type, data);
    });
  }
  test::write_text(dir / "job.toml", scans_job("gama"));
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", {}, test::job_flags(dir / "out")));
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const vips::VImage frame = frame_of(dir.path(), "gama", i + 1);
    // A negative exposes the page's grey as its code value; the page lies about 100 x 100 px
    // in the middle of the frame's image area (12.5 mm across, 25 um: 500 px).
    EXPECT_NEAR(frame.getpoint(frame.width() / 2, 250)[0], pages[i].expected, 1)
        << "page " << i + 1;
  }
}

// libvips 8.14 reads no ICC profile from a JP2's colour specification box (method 2,
// restricted ICC, as archives write it): a scan with a linear profile was filmed as if it were
// sRGB. Ingest gives the page its profile, and it is filmed at its colorimetric grey.
TEST(IccPages, AJpeg2000IccProfileIsHonoured) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "scans");
  const auto page = [](int bands, VipsInterpretation interpretation) {
    return (vips::VImage::black(100, 100, vips::VImage::option()->set("bands", bands)) + 128)
        .cast(VIPS_FORMAT_UCHAR)
        .copy(vips::VImage::option()->set("interpretation", interpretation));
  };
  const auto save = [&](const vips::VImage& image, const std::string& name,
                        const std::vector<std::uint8_t>& icc) {
    const auto file = dir / "scans" / name;
    image.jp2ksave(file.c_str());
    samples::edit_file(file, [&](std::string& bytes) {
      samples::set_jp2_colour(bytes,
                              std::string("\x02\x00\x00", 3) + std::string(icc.begin(), icc.end()));
    });
  };
  save(page(1, VIPS_INTERPRETATION_B_W), "p1.jp2", grey_gamma_profile(1.0));
  save(page(3, VIPS_INTERPRETATION_sRGB), "p2.jp2", linear_rgb_profile());
  page(1, VIPS_INTERPRETATION_B_W).jp2ksave((dir / "scans" / "p3.jp2").c_str());  // sRGB
  test::write_text(dir / "job.toml", scans_job("jp2"));
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", {}, test::job_flags(dir / "out")));
  const std::vector<double> expected = {188, 188, 128};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const vips::VImage frame = frame_of(dir.path(), "jp2", i + 1);
    EXPECT_NEAR(frame.getpoint(frame.width() / 2, 250)[0], expected[i], 1) << "page " << i + 1;
  }
}

}  // namespace
}  // namespace fw::color_test
