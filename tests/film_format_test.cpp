// Film formats (engine/film/format): the shipped formats load, every mistake in a format file is
// named with its key, fiche grids and blip tracks; and a page placed in its frame at a
// reduction, rotated, centred, or named when it does not fit.
#include <cstdlib>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/plan.hpp"
#include "support/plan_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::film_format_test {
namespace {

using ::testing::ElementsAre;

using test::a4_at_300dpi;
using test::at;
using test::comic_16mm;
using test::error_of;
using test::profiles;

TEST(Format, LoadsTheDefaultFormat) {
  const FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  EXPECT_EQ(format.name, "16mm-comic-30m");
  EXPECT_EQ(format.orientation, Orientation::comic);
  EXPECT_DOUBLE_EQ(format.film_width_mm, 16);
  EXPECT_DOUBLE_EQ(format.image_area_across_mm, 12.5);
  EXPECT_DOUBLE_EQ(format.frame_length_mm, 0);
  EXPECT_DOUBLE_EQ(format.frame_gap_mm, 1.0);
  EXPECT_DOUBLE_EQ(format.leader_m, 1.0);
  EXPECT_DOUBLE_EQ(format.trailer_m, 1.0);
  EXPECT_DOUBLE_EQ(format.reel_length_m, 30.5);
  EXPECT_THAT(format.reel_lengths_m, ElementsAre(30.5));
  EXPECT_DOUBLE_EQ(format.min_reduction, 7);
  EXPECT_DOUBLE_EQ(format.max_reduction, 50);
}

TEST(Format, EveryShippedFormatLoadsSortedByName) {
  const std::vector<FilmFormat> formats = list_formats(profiles());
  std::vector<std::string> names;
  names.reserve(formats.size());
  for (const FilmFormat& format : formats) names.push_back(format.name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"16mm-cine-30m", "16mm-comic-30m", "16mm-comic-65m", "35mm-comic-30m"}) {
    EXPECT_THAT(names, ::testing::Contains(name));
  }
  for (const FilmFormat& format : formats) {
    EXPECT_FALSE(format.description.empty()) << format.name;
  }

  const FilmFormat thin = load_format(profiles(), "16mm-comic-65m");
  EXPECT_DOUBLE_EQ(thin.reel_length_m, 65.5);
  EXPECT_EQ(load_format(profiles(), "16mm-cine-30m").orientation, Orientation::cine);
  const FilmFormat wide = load_format(profiles(), "35mm-comic-30m");
  EXPECT_DOUBLE_EQ(wide.film_width_mm, 35);
  EXPECT_DOUBLE_EQ(wide.image_area_across_mm, 32);
  EXPECT_DOUBLE_EQ(wide.frame_gap_mm, 1.5);
  EXPECT_DOUBLE_EQ(wide.min_reduction, 7);
  EXPECT_DOUBLE_EQ(wide.max_reduction, 21);
}

TEST(Format, ProfilesDirComesFromTheEnvironment) {
  const char* saved = std::getenv("FILMWRITER_PROFILES");
  const std::string restore = saved ? saved : "";
  ::setenv("FILMWRITER_PROFILES", "/somewhere/profiles", 1);
  EXPECT_EQ(default_profiles_dir(), std::filesystem::path("/somewhere/profiles"));
  ::unsetenv("FILMWRITER_PROFILES");
  EXPECT_FALSE(default_profiles_dir().empty());
  EXPECT_NE(default_profiles_dir(), std::filesystem::path("/somewhere/profiles"));
  if (saved) ::setenv("FILMWRITER_PROFILES", restore.c_str(), 1);
}

// A valid format file, one key per line (line N holds kValidLines[N-1]).
const std::vector<std::string> kValidLines = {
    R"(description = "test format")",  // 1
    "film_width_mm = 16.0",            // 2
    "image_area_across_mm = 12.5",     // 3
    "frame_length_mm = 0.0",           // 4
    "frame_gap_mm = 1.0",              // 5
    "margin_mm = 0.05",                // 6
    R"(orientation = "comic")",        // 7
    "leader_m = 1.0",                  // 8
    "trailer_m = 1.0",                 // 9
    "reel_length_m = 30.5",            // 10
    "reel_lengths_m = [30.5]",         // 11
    "min_reduction = 7.0",             // 12
    "max_reduction = 50.0",            // 13
};

class FormatErrors : public ::testing::Test {
 protected:
  // Writes the valid file with line `line` (1-based) replaced (or removed if `text` is
  // empty) and returns the loader's error message.
  std::string error_with_line(std::size_t line, const std::string& text) {
    std::string body;
    for (std::size_t i = 0; i < kValidLines.size(); ++i) {
      const std::string& content = i + 1 == line ? text : kValidLines[i];
      body += content + "\n";
    }
    test::write_text(file(), body);
    return error_of(ErrorKind::job, [&] { load_format(dir_.path(), "broken"); });
  }
  std::string file() const { return (dir_.path() / "formats" / "broken.toml").string(); }

  test::TempDir dir_;
};

TEST_F(FormatErrors, ValidTemplateLoads) {
  std::string body;
  for (const std::string& line : kValidLines) body += line + "\n";
  test::write_text(file(), body);
  EXPECT_EQ(load_format(dir_.path(), "broken").description, "test format");
}

// The format's keys go through base's TOML reader: a typo is named with the key of this
// layout it most likely meant.
TEST_F(FormatErrors, UnknownKeySuggestsTheClosestKey) {
  EXPECT_EQ(error_with_line(5, "frame_gap_m = 1.0"),
            file() + ":5: frame_gap_m: unknown key (did you mean \"frame_gap_mm\"?)");
  EXPECT_EQ(error_with_line(5, "speed = 1.0"),
            file() +
                ":5: speed: unknown key (known keys: description, layout, margin_mm, "
                "min_reduction, max_reduction, allowed_reductions, film_width_mm, "
                "image_area_across_mm, frame_length_mm, frame_gap_mm, orientation, leader_m, "
                "trailer_m, reel_length_m, reel_lengths_m, blip_track_mm, blip_width_mm, "
                "blip_lengths_mm, blip_offset_mm, address_height_mm)");
}

TEST_F(FormatErrors, WrongType) {
  EXPECT_EQ(error_with_line(5, R"(frame_gap_mm = "1mm")"),
            file() + R"(:5: frame_gap_mm: expected a number >= 0, got "1mm")");
  EXPECT_EQ(error_with_line(7, "orientation = 1"),
            file() + R"(:7: orientation: expected "comic" or "cine", got an integer 1)");
  EXPECT_EQ(error_with_line(7, R"(orientation = "diagonal")"),
            file() + R"(:7: orientation: expected "comic" or "cine", got "diagonal")");
  EXPECT_EQ(error_with_line(11, "reel_lengths_m = [30.5, \"long\"]"),
            file() + R"(:11: reel_lengths_m[2]: expected a number > 2 m, got "long")");
  EXPECT_EQ(error_with_line(11, "reel_lengths_m = [30.5, 1.5]"),
            file() + ":11: reel_lengths_m[2]: expected a number > 2 m, got 1.5");
  EXPECT_EQ(error_with_line(11, "reel_lengths_m = []"),
            file() +
                ":11: reel_lengths_m: expected a non-empty array of lengths > 2 m, got an "
                "empty array");
}

// A missing key is reported at the line of the table that should hold it (line 1 for the
// top level).
TEST_F(FormatErrors, MissingKey) {
  EXPECT_EQ(error_with_line(6, ""),
            file() + ":1: margin_mm: expected a number >= 0 (required), got nothing");
}

TEST_F(FormatErrors, ImpossibleValues) {
  EXPECT_EQ(error_with_line(3, "image_area_across_mm = 17.0"),
            file() + ":3: image_area_across_mm: expected at most film_width_mm (16), got 17.0");
  EXPECT_EQ(error_with_line(13, "max_reduction = 6.0"),
            file() + ":13: max_reduction: expected at least min_reduction (7), got 6.0");
  EXPECT_EQ(error_with_line(8, "leader_m = -1.0"),
            file() + ":8: leader_m: expected a number >= 0, got -1.0");
  EXPECT_EQ(error_with_line(4, "frame_length_mm = -3"),
            file() + ":4: frame_length_mm: expected a number >= 0, got -3");
  EXPECT_EQ(error_with_line(10, "reel_length_m = 1.5"),
            file() + ":10: reel_length_m: expected more than leader_m + trailer_m (2 m), got 1.5");
  EXPECT_EQ(
      error_with_line(6, "margin_mm = 7.0"),
      file() + ":6: margin_mm: expected less than half of image_area_across_mm (6.25), got 7.0");
}

TEST_F(FormatErrors, SyntaxError) {
  const std::string message = error_with_line(2, "film_width_mm = = 16");
  EXPECT_THAT(message, ::testing::StartsWith(file() + ":2: syntax error: "));
}

TEST_F(FormatErrors, UnknownNameListsKnownFormats) {
  test::write_text(dir_.path() / "formats" / "b-format.toml", "");
  test::write_text(dir_.path() / "formats" / "a-format.toml", "");
  const std::string formats = (dir_.path() / "formats").string();
  EXPECT_EQ(error_of(ErrorKind::job, [&] { load_format(dir_.path(), "nope"); }),
            "unknown film format \"nope\"; known formats in " + formats + ": a-format, b-format");
  // A name is never a path out of the formats folder.
  EXPECT_EQ(error_of(ErrorKind::job, [&] { load_format(dir_.path(), "../formats/a-format"); }),
            "unknown film format \"../formats/a-format\"; known formats in " + formats +
                ": a-format, b-format");
}

TEST_F(FormatErrors, BlipTrackKeys) {
  std::string body;
  for (const std::string& line : kValidLines) body += line + "\n";
  test::write_text(file(), body + "blip_track_mm = 1.5\nblip_lengths_mm = [1.0, 2.5, 4.0]\n");
  const FilmFormat format = load_format(dir_.path(), "broken");
  EXPECT_DOUBLE_EQ(format.blips.track_mm, 1.5);
  EXPECT_DOUBLE_EQ(format.blips.mark_width_mm, 0.7);
  EXPECT_DOUBLE_EQ(format.blips.document_mm, 2.5);
  EXPECT_DOUBLE_EQ(format.blips.batch_mm, 4.0);

  test::write_text(file(), body + "blip_track_mm = 4.0\n");
  EXPECT_EQ(error_of(ErrorKind::job, [&] { load_format(dir_.path(), "broken"); }),
            file() +
                ":14: blip_track_mm: expected at most film_width_mm - image_area_across_mm "
                "(3.5), got 4.0");
  test::write_text(file(), body + "blip_track_mm = 1.5\nblip_lengths_mm = [2.0, 1.0, 3.0]\n");
  EXPECT_EQ(error_of(ErrorKind::job, [&] { load_format(dir_.path(), "broken"); }),
            file() +
                ":15: blip_lengths_mm: expected three lengths > 0 in mm, page <= document <= "
                "batch, e.g. [1.0, 2.0, 3.0], got [ 2.0, 1.0, 3.0 ]");
}

TEST_F(FormatErrors, AllowedReductions) {
  std::string body;
  for (const std::string& line : kValidLines) body += line + "\n";
  test::write_text(file(), body + "allowed_reductions = [24.0, 32.0]\n");
  const FilmFormat format = load_format(dir_.path(), "broken");
  EXPECT_NO_THROW(check_reduction(format, 32));
  EXPECT_EQ(error_of(ErrorKind::job, [&] { check_reduction(format, 30); }),
            "reduction 30x is not one of the reductions broken allows (24x, 32x)");
  EXPECT_EQ(error_of(ErrorKind::job, [&] { check_reduction(format, 60); }),
            "reduction 60x is outside the range of broken (7x to 50x)");
  test::write_text(file(), body + "allowed_reductions = [24.0, 60.0]\n");
  EXPECT_EQ(error_of(ErrorKind::job, [&] { load_format(dir_.path(), "broken"); }),
            file() +
                ":14: allowed_reductions: expected a non-empty array of reductions 7-50, got "
                "[ 24.0, 60.0 ]");
}

TEST_F(FormatErrors, KeysOfTheOtherLayoutAreNamed) {
  std::string body;
  for (const std::string& line : kValidLines) body += line + "\n";
  test::write_text(file(), body + "columns = 14\n");
  EXPECT_EQ(error_of(ErrorKind::job, [&] { load_format(dir_.path(), "broken"); }),
            file() + ":14: columns: expected a roll format key, got a key of the other layout");
}

TEST(Format, FicheGrids) {
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  EXPECT_EQ(fiche.layout, FilmLayout::fiche);
  EXPECT_EQ(fiche.fiche.frames(), 98u);
  EXPECT_EQ(fiche.fiche.columns, 14u);
  EXPECT_EQ(fiche.fiche.rows, 7u);
  EXPECT_EQ(fiche.fiche.header_rows, 1u);
  EXPECT_EQ(fiche.fiche.order, ReadingOrder::rows);
  // A cell is planned as a fixed-length comic frame.
  EXPECT_DOUBLE_EQ(fiche.frame_length_mm, 10.5);
  EXPECT_DOUBLE_EQ(fiche.image_area_across_mm, 13.0);
  EXPECT_DOUBLE_EQ(fiche.blips.track_mm, 0);
  const FilmFormat com = load_format(profiles(), "fiche-a6-270-48x");
  EXPECT_EQ(com.fiche.frames(), 270u);
  EXPECT_EQ(com.fiche.order, ReadingOrder::columns);
  EXPECT_EQ(error_of(ErrorKind::job, [&] { check_reduction(fiche, 42); }),
            "reduction 42x is outside the range of fiche-a6-98-24x (24x to 24x)");
}

TEST(Format, ShippedRollFormatsHaveABlipTrackBelowTheImageArea) {
  for (const char* name : {"16mm-cine-30m", "16mm-comic-30m", "16mm-comic-65m", "35mm-comic-30m"}) {
    const FilmFormat format = load_format(profiles(), name);
    EXPECT_DOUBLE_EQ(format.blips.track_mm, 1.5) << name;
    EXPECT_DOUBLE_EQ(format.blips.mark_width_mm, 0.7) << name;
    EXPECT_DOUBLE_EQ(format.blips.page_mm, 1.0) << name;
    EXPECT_DOUBLE_EQ(format.blips.document_mm, 2.0) << name;
    EXPECT_DOUBLE_EQ(format.blips.batch_mm, 3.0) << name;
    EXPECT_LE(format.image_area_across_mm + format.blips.track_mm, format.film_width_mm) << name;
  }
}

// ---------------------------------------------------------------------------------------
// Placement

TEST(Place, A4ComicAt24x) {
  const Placement placement = place_page(a4_at_300dpi(), at(24), comic_16mm(), 2.5);
  // 210 mm / 24 = 8.75 mm = 3500 px at 2.5 um; 297 mm / 24 = 12.375 mm = 4950 px.
  EXPECT_EQ(placement.page_width_px, 3500u);
  EXPECT_EQ(placement.page_height_px, 4950u);
  EXPECT_EQ(placement.frame_height_px, 5000u);  // 12.5 mm across the film
  EXPECT_EQ(placement.frame_width_px, 3540u);   // page + 2 x 0.05 mm margin
  EXPECT_EQ(placement.page_x_px, 20u);
  EXPECT_EQ(placement.page_y_px, 25u);
  EXPECT_DOUBLE_EQ(placement.scale_x, 3500.0 / 2480);
  EXPECT_DOUBLE_EQ(placement.scale_y, 4950.0 / 3508);
  EXPECT_DOUBLE_EQ(placement.length_mm, 8.85);
  EXPECT_EQ(placement.rotate, 0);
}

TEST(Place, A4Cine) {
  FilmFormat cine = comic_16mm();
  cine.orientation = Orientation::cine;
  const Placement placement = place_page(a4_at_300dpi(), at(24), cine, 2.5);
  EXPECT_EQ(placement.frame_width_px, 5000u);
  EXPECT_EQ(placement.frame_height_px, 4990u);
  EXPECT_EQ(placement.page_x_px, 750u);
  EXPECT_EQ(placement.page_y_px, 20u);
  EXPECT_DOUBLE_EQ(placement.length_mm, 12.475);
}

TEST(Place, RotationSwapsTheAxes) {
  const Placement quarter = place_page(a4_at_300dpi(), at(24, 90), comic_16mm(), 2.5);
  EXPECT_EQ(quarter.rotate, 90);
  EXPECT_EQ(quarter.page_width_px, 4950u);
  EXPECT_EQ(quarter.page_height_px, 3500u);
  EXPECT_EQ(quarter.frame_width_px, 4990u);
  EXPECT_EQ(quarter.frame_height_px, 5000u);
  EXPECT_EQ(quarter.page_y_px, 750u);
  EXPECT_DOUBLE_EQ(quarter.scale_x, 4950.0 / 3508);
  EXPECT_DOUBLE_EQ(quarter.scale_y, 3500.0 / 2480);

  const Placement half = place_page(a4_at_300dpi(), at(24, 180), comic_16mm(), 2.5);
  const Placement upright = place_page(a4_at_300dpi(), at(24), comic_16mm(), 2.5);
  EXPECT_EQ(half.rotate, 180);
  EXPECT_EQ(half.frame_width_px, upright.frame_width_px);
  EXPECT_EQ(half.page_width_px, upright.page_width_px);
}

TEST(Place, FixedLengthFrameCentresThePage) {
  FilmFormat fixed = comic_16mm();
  fixed.frame_length_mm = 10;
  const Placement placement = place_page(a4_at_300dpi(), at(24), fixed, 2.5);
  EXPECT_EQ(placement.frame_width_px, 4000u);
  EXPECT_EQ(placement.frame_height_px, 5000u);
  EXPECT_EQ(placement.page_x_px, 250u);
  EXPECT_DOUBLE_EQ(placement.length_mm, 10);

  fixed.frame_length_mm = 8;  // shorter than the page's 8.75 mm
  EXPECT_EQ(
      error_of(ErrorKind::input, [&] { place_page(a4_at_300dpi(), at(24), fixed, 2.5); }),
      "page 210.0 x 297.0 mm does not fit the 8.0 x 12.5 mm image area of 16mm-comic-30m at "
      "24x; it needs at least 26.6x (oversize = \"reduce\", or --oversize reduce, films such a "
      "page at 27x behind a target that says so)");
}

TEST(Place, DoesNotFitSuggestsTheSmallestReduction) {
  PageInfo a3 = a4_at_300dpi();
  a3.width_mm = 297;
  a3.height_mm = 420;
  // 420 mm / 33.9 = 12.389 mm = 4956 px + 2 x 20 px margin <= 5000; at 33.8 it is 5010.
  EXPECT_EQ(error_of(ErrorKind::input, [&] { place_page(a3, at(24), comic_16mm(), 2.5); }),
            "page 297.0 x 420.0 mm does not fit the 12.5 mm image area of 16mm-comic-30m at 24x; "
            "it needs at least 33.9x (oversize = \"reduce\", or --oversize reduce, films such a "
            "page at 34x behind a target that says so)");
  const Placement at_suggestion = place_page(a3, at(33.9), comic_16mm(), 2.5);
  EXPECT_LE(at_suggestion.page_height_px + 40, at_suggestion.frame_height_px);

  PageInfo a0 = a4_at_300dpi();
  a0.width_mm = 841;
  a0.height_mm = 1189;
  EXPECT_EQ(error_of(ErrorKind::input, [&] { place_page(a0, at(24), comic_16mm(), 2.5); }),
            "page 841.0 x 1189.0 mm does not fit the 12.5 mm image area of 16mm-comic-30m at 24x; "
            "it needs at least 95.9x, more than the format's maximum of 50x");
}

TEST(Place, ReductionOutsideTheFormatsRange) {
  EXPECT_EQ(
      error_of(ErrorKind::job, [&] { place_page(a4_at_300dpi(), at(60), comic_16mm(), 2.5); }),
      "reduction 60x is outside the range of 16mm-comic-30m (7x to 50x)");
  EXPECT_EQ(
      error_of(ErrorKind::job, [&] { place_page(a4_at_300dpi(), at(6.5), comic_16mm(), 2.5); }),
      "reduction 6.5x is outside the range of 16mm-comic-30m (7x to 50x)");
}

TEST(Place, BlipTrackExtendsTheFrameBelowTheImageArea) {
  FilmFormat comic = comic_16mm();
  comic.blips.track_mm = 1.5;
  const Placement placement = place_page(a4_at_300dpi(), at(24), comic, 2.5);
  EXPECT_EQ(placement.frame_height_px, 5600u);  // 12.5 mm image area + 1.5 mm track
  EXPECT_EQ(placement.page_y_px, 25u);          // centred in the image area, not the frame
  EXPECT_EQ(placement.track_y_px, 5000u);
  EXPECT_EQ(placement.track_height_px, 600u);
  EXPECT_EQ(placement.track_width_px, placement.frame_width_px);

  FilmFormat cine = comic;
  cine.orientation = Orientation::cine;
  const Placement upright = place_page(a4_at_300dpi(), at(24), cine, 2.5);
  EXPECT_EQ(upright.frame_width_px, 5600u);
  EXPECT_EQ(upright.track_x_px, 5000u);
  EXPECT_EQ(upright.track_width_px, 600u);
  EXPECT_EQ(upright.page_x_px, 750u);  // (5000 - 3500) / 2
}

// ---------------------------------------------------------------------------------------
// Planner

}  // namespace
}  // namespace fw::film_format_test
