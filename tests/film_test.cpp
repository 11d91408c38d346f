// Film formats, page placement and the reel planner.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/plan.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

using ::testing::ElementsAre;

std::filesystem::path profiles() {
  return test::source_dir() / "profiles";
}

// Runs `action`, expecting an fw::Error of `kind`; returns its message.
template <typename Action>
std::string error_of(ErrorKind kind, Action action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no fw::Error thrown";
  return {};
}

// ---------------------------------------------------------------------------------------
// Formats

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

FilmFormat comic_16mm() {
  FilmFormat format;
  format.name = "16mm-comic-30m";
  return format;  // the struct's defaults are the default format's values
}

PageInfo a4_at_300dpi() {
  PageInfo info;
  info.width_px = 2480;
  info.height_px = 3508;
  info.width_mm = 210;
  info.height_mm = 297;
  info.dpi = 300;
  return info;
}

PageSettings at(double reduction, int rotate = 0) {
  PageSettings settings;
  settings.reduction = reduction;
  settings.rotate = rotate;
  return settings;
}

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
  EXPECT_EQ(error_of(ErrorKind::input, [&] { place_page(a4_at_300dpi(), at(24), fixed, 2.5); }),
            "page 210.0 x 297.0 mm does not fit the 8.0 x 12.5 mm image area of 16mm-comic-30m at "
            "24x; it needs at least 26.6x");
}

TEST(Place, DoesNotFitSuggestsTheSmallestReduction) {
  PageInfo a3 = a4_at_300dpi();
  a3.width_mm = 297;
  a3.height_mm = 420;
  // 420 mm / 33.9 = 12.389 mm = 4956 px + 2 x 20 px margin <= 5000; at 33.8 it is 5010.
  EXPECT_EQ(error_of(ErrorKind::input, [&] { place_page(a3, at(24), comic_16mm(), 2.5); }),
            "page 297.0 x 420.0 mm does not fit the 12.5 mm image area of 16mm-comic-30m at 24x; "
            "it needs at least 33.9x");
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

Job job_with(const std::vector<std::string>& document_ids) {
  Job job;
  job.id = "job-1";
  job.title = "Test job";
  job.targets = "none";  // the planner tests below look at pages; targets have their own
  for (std::size_t i = 0; i < document_ids.size(); ++i) {
    Document document;
    document.id = document_ids[i];
    document.title = "Document " + document.id;
    document.key = "documents[" + std::to_string(i) + "]";
    job.documents.push_back(document);
  }
  return job;
}

SourcePage a4_page(const std::string& file) {
  SourcePage page;
  page.ref.file = file;
  page.ref.format = SourceFormat::tiff;
  page.info = a4_at_300dpi();
  return page;
}

DocumentPages pages_of(std::size_t document, std::size_t count) {
  DocumentPages pages;
  pages.document = document;
  for (std::size_t i = 0; i < count; ++i) {
    pages.pages.push_back(
        a4_page("/scans/doc" + std::to_string(document) + "/p" + std::to_string(i + 1) + ".tif"));
  }
  return pages;
}

hal::Capabilities recorder_at(double pitch_um) {
  hal::Capabilities capabilities;
  capabilities.pixel_pitch_um = pitch_um;
  return capabilities;
}

// An A4 frame at 24x is 8.85 mm long; with its 1 mm gap it takes 9.85 mm of film.
constexpr double kA4StepMm = 9.85;

// A reel with 50 mm of usable film: five A4 frames at 24x.
FilmFormat short_reel_format() {
  FilmFormat format = comic_16mm();
  format.name = "16mm-short";
  format.leader_m = 0.01;
  format.trailer_m = 0.01;
  format.reel_length_m = 0.07;
  format.reel_lengths_m = {0.07};
  return format;
}

std::vector<std::string> addresses(const Plan& plan) {
  std::vector<std::string> out;
  for (const PlannedFrame& frame : plan.frames) out.push_back(frame.address);
  return out;
}

TEST(Planner, FramesInDocumentOrderWithAddressesAndBlips) {
  const Job job = job_with({"D001", "D002"});
  const Plan plan =
      plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 3), pages_of(1, 2)});

  EXPECT_EQ(plan.job_id, "job-1");
  EXPECT_DOUBLE_EQ(plan.pitch_um, 2.5);
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-D001-0001", "R0001-D001-0002", "R0001-D001-0003",
                                           "R0001-D002-0001", "R0001-D002-0002"));
  const std::vector<hal::BlipLevel> blips = {hal::BlipLevel::document, hal::BlipLevel::page,
                                             hal::BlipLevel::page, hal::BlipLevel::document,
                                             hal::BlipLevel::page};
  ASSERT_EQ(plan.frames.size(), 5u);
  for (std::size_t i = 0; i < plan.frames.size(); ++i) {
    const PlannedFrame& frame = plan.frames[i];
    EXPECT_EQ(frame.sequence, i);
    EXPECT_EQ(frame.reel, 1u);
    EXPECT_EQ(frame.number, i + 1);
    EXPECT_EQ(frame.kind, FrameKind::page);
    EXPECT_EQ(frame.blip, blips[i]);
    EXPECT_NEAR(frame.film_position_mm, 1000 + i * kA4StepMm, 1e-9);
    EXPECT_EQ(frame.placement.frame_width_px, 3540u);
  }
  EXPECT_EQ(plan.frames[4].document, 1u);
  EXPECT_EQ(plan.frames[4].page, 2u);
  EXPECT_EQ(plan.frames[4].source.ref.file, "/scans/doc1/p2.tif");

  ASSERT_EQ(plan.reels.size(), 1u);
  EXPECT_EQ(plan.reels[0].id, "R0001");
  EXPECT_EQ(plan.reels[0].frame_count, 5u);
  EXPECT_NEAR(plan.reels[0].film_used_m, 2 + 5 * kA4StepMm / 1000, 1e-9);
  EXPECT_DOUBLE_EQ(plan.reels[0].film_length_m, 30.5);
}

TEST(Planner, SubstitutesAreInterleavedByPosition) {
  const Job job = job_with({"D001"});
  DocumentPages pages = pages_of(0, 2);
  pages.pages[0].info.width_mm = 200;  // the first good page decides the substitutes' frame
  pages.substitutes = {{3, "page 4 is unreadable", {}}, {1, "page 2 is missing", {}}};
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});

  ASSERT_EQ(plan.frames.size(), 4u);
  const std::vector<FrameKind> kinds = {FrameKind::page, FrameKind::substitute, FrameKind::page,
                                        FrameKind::substitute};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(plan.frames[i].kind, kinds[i]) << i;
    EXPECT_EQ(plan.frames[i].page, i + 1);
  }
  EXPECT_EQ(plan.frames[1].reason, "page 2 is missing");
  EXPECT_EQ(plan.frames[3].reason, "page 4 is unreadable");
  EXPECT_EQ(plan.frames[2].source.ref.file, "/scans/doc0/p2.tif");
  EXPECT_EQ(plan.frames[1].address, "R0001-D001-0002");
  EXPECT_EQ(plan.frames[1].placement.frame_width_px, plan.frames[0].placement.frame_width_px);
  EXPECT_EQ(plan.frames[1].placement.page_width_px, 3333u);  // 200 mm / 24 at 2.5 um
  EXPECT_NEAR(plan.frames[2].film_position_mm,
              plan.frames[1].film_position_mm + plan.frames[1].placement.length_mm + 1.0, 1e-9);
}

TEST(Planner, SubstitutesOfADocumentWithoutGoodPagesAreUprightA4) {
  Job job = job_with({"D001"});
  job.documents[0].overrides.rotate = 90;
  job.documents[0].overrides.reduction = 30;
  DocumentPages pages;
  pages.document = 0;
  pages.substitutes = {{0, "file is truncated", {}}};
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});
  ASSERT_EQ(plan.frames.size(), 1u);
  EXPECT_EQ(plan.frames[0].kind, FrameKind::substitute);
  EXPECT_EQ(plan.frames[0].blip, hal::BlipLevel::document);
  EXPECT_EQ(plan.frames[0].placement.rotate, 0);
  EXPECT_EQ(plan.frames[0].placement.page_width_px, 2800u);   // 210 mm / 30
  EXPECT_EQ(plan.frames[0].placement.page_height_px, 3960u);  // 297 mm / 30

  // At 10x, A4 is 29.7 mm high, more than the 12.5 mm across 16 mm film: the substitute
  // falls back to the format's highest reduction.
  job.documents[0].overrides.reduction = 10;
  const Plan fallback = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages});
  EXPECT_EQ(fallback.frames[0].placement.page_width_px, 1680u);   // 210 mm / 50
  EXPECT_EQ(fallback.frames[0].placement.page_height_px, 2376u);  // 297 mm / 50
}

TEST(Planner, SkippedDocumentsAreRecordedAndGetNoFrames) {
  const Job job = job_with({"D001", "D002", "D003"});
  DocumentPages skipped = pages_of(1, 2);
  skipped.skipped = true;
  skipped.skip_reason = "/scans/doc1/p2.tif (page 1): cannot decode";
  const Plan plan =
      plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 1), skipped, pages_of(2, 1)});
  EXPECT_THAT(plan.skipped, ElementsAre("D002: /scans/doc1/p2.tif (page 1): cannot decode"));
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-D001-0001", "R0001-D003-0001"));
  EXPECT_EQ(plan.frames[1].blip, hal::BlipLevel::document);
  EXPECT_EQ(plan.frames[1].number, 2u);
}

void expect_reels_within_their_length(const Plan& plan) {
  for (const PlannedReel& reel : plan.reels) {
    EXPECT_LE(reel.film_used_m, reel.film_length_m + 1e-12) << reel.id;
    double used_mm = 0;
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      const PlannedFrame& frame = plan.frames[i];
      EXPECT_EQ(frame.reel, reel.number);
      EXPECT_EQ(frame.number, i - reel.first_frame + 1);
      EXPECT_NEAR(frame.film_position_mm, plan.format.leader_m * 1000 + used_mm, 1e-9);
      used_mm += frame.placement.length_mm + plan.format.frame_gap_mm;
    }
    EXPECT_NEAR(reel.film_used_m, plan.format.leader_m + used_mm / 1000 + plan.format.trailer_m,
                1e-9);
  }
}

TEST(Planner, NewReelAtADocumentThatDoesNotFit) {
  const Job job = job_with({"D001", "D002", "D003"});
  // 50 mm per reel: D001 (3 frames, 29.55 mm) leaves 20.45 mm, too little for D002's three
  // frames, so D002 starts reel 2; D003 (2 frames, 19.7 mm) still fits behind it.
  const Plan plan = plan_reels(job, short_reel_format(), recorder_at(2.5),
                               {pages_of(0, 3), pages_of(1, 3), pages_of(2, 2)});
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_EQ(plan.reels[0].frame_count, 3u);
  EXPECT_EQ(plan.reels[1].id, "R0002");
  EXPECT_EQ(plan.reels[1].first_frame, 3u);
  EXPECT_EQ(plan.reels[1].frame_count, 5u);
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-D001-0001", "R0001-D001-0002", "R0001-D001-0003",
                                           "R0002-D002-0001", "R0002-D002-0002", "R0002-D002-0003",
                                           "R0002-D003-0001", "R0002-D003-0002"));
  EXPECT_EQ(plan.frames[3].number, 1u);
  EXPECT_DOUBLE_EQ(plan.frames[3].film_position_mm, 10);
  EXPECT_NEAR(plan.reels[0].film_used_m, 0.02 + 3 * kA4StepMm / 1000, 1e-9);
  expect_reels_within_their_length(plan);
}

TEST(Planner, DocumentLongerThanAReelIsSplitWhereTheReelIsFull) {
  const Job job = job_with({"D001", "D002"});
  // D002 (12 frames, 118.2 mm) is longer than a 50 mm reel: it fills reel 1 behind D001
  // (3 more frames), all of reel 2 (5) and ends on reel 3 (4).
  const Plan plan =
      plan_reels(job, short_reel_format(), recorder_at(2.5), {pages_of(0, 2), pages_of(1, 12)});
  ASSERT_EQ(plan.reels.size(), 3u);
  EXPECT_EQ(plan.reels[0].frame_count, 5u);
  EXPECT_EQ(plan.reels[1].frame_count, 5u);
  EXPECT_EQ(plan.reels[2].frame_count, 4u);
  const PlannedFrame& seam = plan.frames[plan.reels[1].first_frame];
  EXPECT_EQ(seam.address, "R0002-D002-0004");
  EXPECT_EQ(seam.blip, hal::BlipLevel::page);
  EXPECT_EQ(seam.number, 1u);
  EXPECT_EQ(plan.frames.back().address, "R0003-D002-0012");
  expect_reels_within_their_length(plan);
}

TEST(Planner, FilmUsedNeverExceedsTheReel) {
  std::vector<std::string> ids;
  std::vector<DocumentPages> documents;
  for (std::size_t i = 0; i < 9; ++i) {
    ids.push_back("D" + std::to_string(100 + i));
    documents.push_back(pages_of(i, 1 + (i * 7) % 8));
  }
  const Job job = job_with(ids);
  const Plan plan = plan_reels(job, short_reel_format(), recorder_at(2.5), documents);
  std::size_t frames = 0;
  for (const DocumentPages& pages : documents) frames += pages.pages.size();
  EXPECT_EQ(plan.frames.size(), frames);
  EXPECT_GT(plan.reels.size(), 3u);
  expect_reels_within_their_length(plan);
}

TEST(Planner, FrameLargerThanTheRecorderIsAnInputError) {
  const Job job = job_with({"D001"});
  hal::Capabilities small = recorder_at(2.5);
  small.max_width_px = 3000;
  EXPECT_EQ(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), small, {pages_of(0, 1)}); }),
      "D001 page 1 (/scans/doc0/p1.tif, page 1 in file): frame 3540 x 5000 px exceeds the "
      "recorder's maximum width of 3000 px");
}

TEST(Planner, PageThatDoesNotFitNamesTheDocumentAndPage) {
  const Job job = job_with({"D001"});
  DocumentPages pages = pages_of(0, 2);
  pages.pages[1].info.width_mm = 297;
  pages.pages[1].info.height_mm = 420;
  EXPECT_EQ(
      error_of(ErrorKind::input, [&] { plan_reels(job, comic_16mm(), recorder_at(2.5), {pages}); }),
      "D001 page 2 (/scans/doc0/p2.tif, page 1 in file): page 297.0 x 420.0 mm does not fit "
      "the 12.5 mm image area of 16mm-comic-30m at 24x; it needs at least 33.9x");
}

TEST(Planner, FrameLongerThanAWholeReelIsAnInputError) {
  const Job job = job_with({"D001"});
  FilmFormat tiny = short_reel_format();
  tiny.reel_length_m = 0.025;  // 5 mm usable
  EXPECT_EQ(error_of(ErrorKind::input,
                     [&] { plan_reels(job, tiny, recorder_at(2.5), {pages_of(0, 1)}); }),
            "D001 page 1: the frame and its gap (9.850 mm) are longer than the usable film of a "
            "0.025 m reel (5.000 mm)");
}

// ---------------------------------------------------------------------------------------
// Reels with targets

// 150 mm of usable film: the reel's four targets (start, technical, technical, end) take
// 4 x 9.85 mm, leaving 110.6 mm: eleven A4 steps for titles, pages and continued targets.
FilmFormat targets_reel_format() {
  FilmFormat format = short_reel_format();
  format.reel_length_m = 0.17;
  format.reel_lengths_m = {0.17};
  return format;
}

Job job_with_targets(const std::vector<std::string>& ids) {
  Job job = job_with(ids);
  job.targets = "standard";
  return job;
}

std::vector<std::string> reel_addresses(const Plan& plan, std::size_t reel) {
  std::vector<std::string> out;
  const PlannedReel& r = plan.reels[reel];
  for (std::size_t i = r.first_frame; i < r.first_frame + r.frame_count; ++i) {
    out.push_back(plan.frames[i].address);
  }
  return out;
}

TEST(PlannerTargets, ReelOrderAndBlipLevels) {
  const Job job = job_with_targets({"D001", "D002"});
  const Plan plan =
      plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 2), pages_of(1, 1)});
  EXPECT_TRUE(plan.targets);
  EXPECT_THAT(addresses(plan), ElementsAre("R0001-START", "R0001-TECH1", "R0001-D001-TITLE",
                                           "R0001-D001-0001", "R0001-D001-0002", "R0001-D002-TITLE",
                                           "R0001-D002-0001", "R0001-TECH2", "R0001-END"));
  const std::vector<FrameKind> kinds = {FrameKind::start_target, FrameKind::technical_target,
                                        FrameKind::title_target, FrameKind::page,
                                        FrameKind::page,         FrameKind::title_target,
                                        FrameKind::page,         FrameKind::technical_target,
                                        FrameKind::end_target};
  const std::vector<hal::BlipLevel> blips = {
      hal::BlipLevel::batch, hal::BlipLevel::none, hal::BlipLevel::document,
      hal::BlipLevel::page,  hal::BlipLevel::page, hal::BlipLevel::document,
      hal::BlipLevel::page,  hal::BlipLevel::none, hal::BlipLevel::none};
  ASSERT_EQ(plan.frames.size(), kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(plan.frames[i].kind, kinds[i]) << i;
    EXPECT_EQ(plan.frames[i].blip, blips[i]) << i;
    EXPECT_EQ(plan.frames[i].number, i + 1);
    EXPECT_DOUBLE_EQ(plan.frames[i].reduction, 24);
  }
  EXPECT_EQ(plan.frames[0].page, 0u);
  EXPECT_EQ(plan.frames[5].document, 1u);
  // Targets are A4 on the document plane at the job's reduction: 8.85 mm frames.
  EXPECT_EQ(plan.frames[0].placement.page_width_px, 3500u);
  EXPECT_EQ(plan.reels[0].pages, 3u);
  EXPECT_NEAR(plan.reels[0].film_used_m, 2 + 9 * kA4StepMm / 1000, 1e-9);
  expect_reels_within_their_length(plan);
}

TEST(PlannerTargets, ReelCapacityCountsTheTargets) {
  const Job job = job_with_targets({"D001", "D002", "D003"});
  // Each document is a title and three pages (4 steps); a reel holds 11 steps besides its
  // own targets, so D003 starts reel 2.
  const Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5),
                               {pages_of(0, 3), pages_of(1, 3), pages_of(2, 3)});
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_THAT(reel_addresses(plan, 1),
              ElementsAre("R0002-START", "R0002-TECH1", "R0002-D003-TITLE", "R0002-D003-0001",
                          "R0002-D003-0002", "R0002-D003-0003", "R0002-TECH2", "R0002-END"));
  EXPECT_EQ(plan.reels[0].frame_count, 12u);
  EXPECT_EQ(plan.frames[11].kind, FrameKind::end_target);
  EXPECT_FALSE(plan.reels[0].continues_on_next);
  expect_reels_within_their_length(plan);
}

TEST(PlannerTargets, OversizedDocumentSplitsWithContinuedTargets) {
  const Job job = job_with_targets({"D001"});
  const Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5), {pages_of(0, 20)});
  ASSERT_EQ(plan.reels.size(), 3u);
  std::vector<std::string> first = {"R0001-START", "R0001-TECH1", "R0001-D001-TITLE"};
  for (int page = 1; page <= 9; ++page) first.push_back(fmt::format("R0001-D001-{:04}", page));
  for (const char* tail : {"R0001-D001-CONT", "R0001-TECH2", "R0001-END"}) first.emplace_back(tail);
  EXPECT_EQ(reel_addresses(plan, 0), first);
  const std::vector<std::string> second = reel_addresses(plan, 1);
  EXPECT_EQ(second[2], "R0002-D001-CONT");
  EXPECT_EQ(second[3], "R0002-D001-0010");

  const PlannedFrame& continued_to = plan.frames[plan.reels[0].frame_count - 3];
  EXPECT_EQ(continued_to.kind, FrameKind::continued_to);
  EXPECT_EQ(continued_to.other_reel, 2u);
  const PlannedFrame& continued_from = plan.frames[plan.reels[1].first_frame + 2];
  EXPECT_EQ(continued_from.kind, FrameKind::continued_from);
  EXPECT_EQ(continued_from.other_reel, 1u);
  EXPECT_EQ(continued_from.blip, hal::BlipLevel::document);
  EXPECT_TRUE(plan.reels[0].continues_on_next);
  EXPECT_TRUE(plan.reels[1].continues_from_previous);
  EXPECT_TRUE(plan.reels[1].continues_on_next);
  EXPECT_FALSE(plan.reels[2].continues_on_next);
  EXPECT_EQ(plan.reels[0].pages + plan.reels[1].pages + plan.reels[2].pages, 20u);
  EXPECT_EQ(plan.frames.back().kind, FrameKind::end_target);
  expect_reels_within_their_length(plan);
}

TEST(PlannerTargets, EachReelKnowsItsFirstAndLastPageAddress) {
  const Job job = job_with_targets({"D001"});
  const Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5), {pages_of(0, 20)});
  ASSERT_EQ(plan.reels.size(), 3u);
  EXPECT_EQ(plan.reels[0].first_address, "R0001-D001-0001");
  EXPECT_EQ(plan.reels[0].last_address, "R0001-D001-0009");
  EXPECT_EQ(plan.reels[1].first_address, "R0002-D001-0010");
  EXPECT_EQ(plan.reels[2].last_address, "R0003-D001-0020");
}

// Every frame back from the spool as it went in: compared through plan.json, which shows
// every field of a frame.
void expect_spool_round_trip(const Job& job, Plan plan) {
  const std::string before = plan.to_json(job);
  test::TempDir dir;
  std::vector<PlannedFrame> frames = plan.frames;
  FrameSpool spool(std::move(frames), dir.path());
  // NOLINTNEXTLINE(bugprone-use-after-move): the spool takes the frames, leaving none here.
  EXPECT_TRUE(frames.empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the spool has no name on disk
  ASSERT_EQ(spool.size(), plan.frames.size());
  std::vector<PlannedFrame> back;
  for (std::size_t i = 0; i < spool.size(); ++i) back.push_back(spool.read(i));
  const std::vector<PlannedFrame> original = plan.frames;
  plan.frames = back;
  EXPECT_EQ(plan.to_json(job), before);
  // Out of order: backwards, far ahead, and back to the start.
  for (std::size_t i :
       {spool.size() - 1, spool.size() / 2, std::size_t{0}, spool.size() - 2, std::size_t{1}}) {
    const PlannedFrame frame = spool.read(i);
    EXPECT_EQ(frame.sequence, original[i].sequence) << i;
    EXPECT_EQ(frame.address, original[i].address) << i;
    EXPECT_EQ(frame.source.ref.file, original[i].source.ref.file) << i;
  }
  EXPECT_THROW(spool.read(spool.size()), Error);
}

TEST(FrameSpool, RollPlanWithTargetsSubstitutesAndSplitsComesBackWhole) {
  const Job job = job_with_targets({"D001", "D002"});
  DocumentPages second = pages_of(1, 700);
  second.substitutes = {{3, "page 4 is unreadable", {}}};
  Plan plan = plan_reels(job, targets_reel_format(), recorder_at(2.5), {pages_of(0, 20), second});
  ASSERT_GT(plan.frames.size(), 700u);  // several checkpoints
  auto substitute = std::find_if(plan.frames.begin(), plan.frames.end(),
                                 [](const auto& f) { return f.kind == FrameKind::substitute; });
  ASSERT_NE(substitute, plan.frames.end());
  substitute->target = "original-damaged";
  substitute->note = "水渍，字迹模糊";
  // A record larger than the spool's read window.
  plan.frames[7].source.ref.file = "/scans/" + std::string(300000, 'x') + ".tif";
  expect_spool_round_trip(job, plan);
}

TEST(FrameSpool, FichePlanComesBackWhole) {
  const Job job = job_with_targets({"D001", "D002"});
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  expect_spool_round_trip(
      job, plan_reels(job, fiche, recorder_at(2.5), {pages_of(0, 3), pages_of(1, 100)}));
}

TEST(PlannerTargets, ReelTooShortForItsTargetsIsAnInputError) {
  const Job job = job_with_targets({"D001"});
  EXPECT_EQ(
      error_of(ErrorKind::input,
               [&] { plan_reels(job, short_reel_format(), recorder_at(2.5), {pages_of(0, 1)}); }),
      "D001 page 1: the frame and its gap (9.850 mm) with the reel's targets (59.100 mm) are "
      "longer than the usable film of a 0.07 m reel (50.000 mm)");
}

// A synthetic job of 1,000 documents and 40,000 pages (the size the bench times): reels end
// on document boundaries, never exceed the stock, and every page is planned once.
TEST(PlannerTargets, ThousandDocumentJob) {
  std::vector<std::string> ids;
  std::vector<DocumentPages> documents;
  DocumentPages pages = pages_of(0, 40);
  for (std::size_t i = 0; i < 1000; ++i) {
    ids.push_back(fmt::format("D{:04}", i + 1));
    pages.document = i;
    documents.push_back(pages);
  }
  const Job job = job_with_targets(ids);
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), documents);
  std::size_t page_frames = 0;
  for (const PlannedFrame& frame : plan.frames) page_frames += frame.kind == FrameKind::page;
  EXPECT_EQ(page_frames, 40000u);
  // 41 steps of 9.85 mm per document; 28.5 m less 39.4 mm of reel targets holds 70 of them.
  EXPECT_EQ(plan.reels.size(), 15u);
  for (const PlannedReel& reel : plan.reels) {
    EXPECT_FALSE(reel.continues_on_next) << reel.id;
    EXPECT_EQ(plan.frames[reel.first_frame].kind, FrameKind::start_target);
    EXPECT_EQ(plan.frames[reel.first_frame + 2].kind, FrameKind::title_target);
    EXPECT_EQ(plan.frames[reel.first_frame + reel.frame_count - 1].kind, FrameKind::end_target);
  }
  expect_reels_within_their_length(plan);
}

// ---------------------------------------------------------------------------------------
// Fiche

TEST(PlannerFiche, HeaderThenGridInReadingOrder) {
  const Job job = job_with_targets({"D001", "D002"});
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  const Plan plan = plan_reels(job, fiche, recorder_at(2.5), {pages_of(0, 3), pages_of(1, 100)});
  EXPECT_FALSE(plan.targets);  // fiche carry a header strip instead of reel targets
  // D002 (100 pages) is larger than a fiche (98): it starts behind D001 and continues.
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_EQ(plan.reels[0].id, "F0001");
  EXPECT_EQ(plan.reels[0].frame_count, 14u + 98u);  // header tiles + grid
  EXPECT_TRUE(plan.reels[0].continues_on_next);
  EXPECT_TRUE(plan.reels[1].continues_from_previous);
  // The header strip: one tile per column, cell-sized, at the recorder's pitch.
  for (std::uint32_t column = 1; column <= 14; ++column) {
    const PlannedFrame& tile = plan.frames[column - 1];
    EXPECT_EQ(tile.kind, FrameKind::fiche_header);
    EXPECT_EQ(tile.grid_row, 0u);
    EXPECT_EQ(tile.grid_column, column);
    EXPECT_EQ(tile.placement.frame_width_px, 4200u);  // the 10.5 mm cell
    EXPECT_EQ(tile.placement.frame_height_px, 5200u);
  }
  EXPECT_EQ(plan.frames[0].address, "F0001-H01");
  // Rows: left to right, then down.
  const std::size_t first = 14;
  EXPECT_EQ(plan.frames[first].address, "F0001-D001-0001");
  EXPECT_EQ(plan.frames[first].grid_row, 1u);
  EXPECT_EQ(plan.frames[first].grid_column, 1u);
  EXPECT_EQ(plan.frames[first + 13].grid_column, 14u);
  EXPECT_EQ(plan.frames[first + 14].grid_row, 2u);
  EXPECT_EQ(plan.frames[first + 14].grid_column, 1u);
  EXPECT_EQ(plan.frames[first + 97].grid_row, 7u);
  EXPECT_EQ(plan.frames[first + 97].grid_column, 14u);
  EXPECT_EQ(plan.frames[first + 97].address, "F0001-D002-0095");
  EXPECT_EQ(plan.frames[first + 98].kind, FrameKind::fiche_header);
  EXPECT_EQ(plan.frames[2 * first + 98].address, "F0002-D002-0096");
  EXPECT_EQ(plan.frames[2 * first + 98].placement.frame_width_px, 4200u);
  EXPECT_EQ(plan.frames[2 * first + 98].placement.frame_height_px, 5200u);

  Job at_48x = job;
  at_48x.defaults.reduction = 48;
  const Plan com = plan_reels(at_48x, load_format(profiles(), "fiche-a6-270-48x"), recorder_at(2.5),
                              {pages_of(0, 3)});
  // COM fiche read by columns: down the first column, then the next.
  EXPECT_EQ(com.frames[18 + 1].grid_row, 2u);
  EXPECT_EQ(com.frames[18 + 1].grid_column, 1u);
}

TEST(PlannerFiche, DocumentsThatFitStartANewFiche) {
  const Job job = job_with_targets({"D001", "D002"});
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  const Plan plan = plan_reels(job, fiche, recorder_at(2.5), {pages_of(0, 60), pages_of(1, 60)});
  ASSERT_EQ(plan.reels.size(), 2u);
  EXPECT_EQ(plan.reels[0].pages, 60u);
  EXPECT_EQ(plan.frames[plan.reels[1].first_frame + 14].address, "F0002-D002-0001");
  EXPECT_FALSE(plan.reels[0].continues_on_next);
}

TEST(PlanJson, StableFieldsAndRoundedNumbers) {
  const Job job = job_with({"D001", "D002"});
  DocumentPages second = pages_of(1, 1);
  second.substitutes = {{0, "page 1 is missing", {}}};
  const Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 3), second});
  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(plan.to_json(job));

  EXPECT_EQ(json["job"]["id"], "job-1");
  EXPECT_EQ(json["job"]["title"], "Test job");
  EXPECT_EQ(json["format"]["name"], "16mm-comic-30m");
  EXPECT_EQ(json["format"]["orientation"], "comic");
  EXPECT_EQ(json["pixel_pitch_um"], 2.5);
  EXPECT_EQ(json["reels"][0]["id"], "R0001");
  EXPECT_EQ(json["reels"][0]["frames"], 5);
  EXPECT_EQ(json["reels"][0]["film_used_m"], 2.04925);  // 2 m + 5 x 9.85 mm

  const auto& frame = json["frames"][1];
  std::vector<std::string> keys;
  for (const auto& item : frame.items()) keys.push_back(item.key());
  EXPECT_THAT(
      keys, ElementsAre("sequence", "reel", "number", "kind", "document", "page", "address", "blip",
                        "source", "placement", "film_position_mm", "reason", "reduction"));
  EXPECT_EQ(frame["address"], "R0001-D001-0002");
  EXPECT_EQ(frame["blip"], "page");
  EXPECT_EQ(frame["film_position_mm"], 1009.85);
  EXPECT_EQ(frame["source"]["file"], "/scans/doc0/p2.tif");
  EXPECT_EQ(frame["source"]["page_in_file"], 1);
  EXPECT_EQ(frame["source"]["orientation"], 1);
  EXPECT_EQ(frame["source"]["width_px"], 2480);
  EXPECT_EQ(frame["source"]["height_mm"], 297.0);
  EXPECT_EQ(frame["source"]["dpi"], 300.0);
  EXPECT_EQ(frame["placement"]["page_width_px"], 3500);
  EXPECT_EQ(frame["placement"]["length_mm"], 8.85);
  EXPECT_EQ(frame["placement"]["scale_x"], 1.411290323);
  EXPECT_EQ(frame["reduction"], 24.0);
  EXPECT_EQ(json["targets"], "none");

  const auto& substitute = json["frames"][3];
  EXPECT_EQ(substitute["kind"], "substitute");
  EXPECT_EQ(substitute["document"], "D002");
  EXPECT_EQ(substitute["blip"], "document");
  EXPECT_TRUE(substitute["source"].is_null());
  EXPECT_EQ(substitute["reason"], "page 1 is missing");
  EXPECT_EQ(substitute["film_position_mm"], 1029.55);
}

TEST(PlanJson, LengthsAreWrittenWithoutFloatNoise) {
  const Job job = job_with({"D001"});
  Plan plan = plan_reels(job, comic_16mm(), recorder_at(2.5), {pages_of(0, 1)});
  plan.frames[0].film_position_mm = 1000.1 + 0.2;  // 1000.3000000000001 in binary floating point
  plan.frames[0].placement.length_mm = 8.85 * 3;   // 26.549999999999997
  plan.reels[0].film_used_m = 0.1 * 3;             // 0.30000000000000004
  const std::string json = plan.to_json(job);
  EXPECT_NE(json.find("\"film_position_mm\": 1000.3,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"length_mm\": 26.55,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"film_used_m\": 0.3,"), std::string::npos) << json;
}

TEST(PlanJson, HashIsStableAndFollowsTheInput) {
  const Job job = job_with({"D001", "D002"});
  const std::vector<DocumentPages> input = {pages_of(0, 3), pages_of(1, 2)};
  const Plan first = plan_reels(job, comic_16mm(), recorder_at(2.5), input);
  const Plan again = plan_reels(job, comic_16mm(), recorder_at(2.5), input);
  EXPECT_EQ(first.to_json(job), again.to_json(job));
  EXPECT_EQ(first.hash(job), again.hash(job));
  EXPECT_EQ(first.hash(job).size(), 64u);

  std::vector<DocumentPages> changed = input;
  changed[1].pages[1].info.dpi = 400;
  EXPECT_NE(plan_reels(job, comic_16mm(), recorder_at(2.5), changed).hash(job), first.hash(job));
  changed = input;
  changed[0].pages[2].ref.file = "/scans/doc0/p3-rescanned.tif";
  EXPECT_NE(plan_reels(job, comic_16mm(), recorder_at(2.5), changed).hash(job), first.hash(job));
  EXPECT_NE(plan_reels(job, comic_16mm(), recorder_at(2.0), input).hash(job), first.hash(job));
}

}  // namespace
}  // namespace fw
