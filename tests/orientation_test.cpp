// EXIF/TIFF orientation: a page stored on its side, upside down or mirrored, with a tag that
// says so, is filmed upright in every format that can carry the tag. The plan sizes it
// upright, the job's rotate turns the upright page, and plan.json and index.csv record what
// was applied. Pages are small generated files; frames are checked pixel by pixel.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "core/error.hpp"
#include "film/plan.hpp"
#include "ingest/ingest.hpp"
#include "raster/raster.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::orientation_test {
namespace {

namespace fs = std::filesystem;
using samples::Encoding;
using samples::ExifPlace;
using ::testing::HasSubstr;
using vips::VImage;

// 254 dpi is 10 px/mm; at 10x and 10 um a millimetre of page is 10 px of frame too, so the
// page is copied into the frame 1:1 and every mark lands on whole pixels.
constexpr double kDpi = 254;
constexpr double kPitchUm = 10;
constexpr double kReduction = 10;
constexpr int kWidth = 400;  // the upright page: 40 x 30 mm, landscape
constexpr int kHeight = 300;

// An 8 mm square near the top-left corner: every one of the 8 orientations, applied wrongly,
// puts it somewhere else or gives the page the wrong shape.
samples::PageSpec upright_spec(int bands = 1) {
  samples::PageSpec spec;
  spec.width_mm = 40;
  spec.height_mm = 30;
  spec.dpi = kDpi;
  spec.bands = bands;
  spec.marks = {{4, 3, 8}};
  return spec;
}

const char* extension(Encoding encoding) {
  switch (encoding) {
    case Encoding::jpeg:
      return "jpg";
    case Encoding::png:
      return "png";
    case Encoding::jp2:
      return "jp2";
    default:
      return "tif";
  }
}

// The file formats that carry an orientation. JPEG 2000 has none of its own, only EXIF in a
// uuid box; libvips writes it losslessly here, like TIFF and PNG.
const std::vector<Encoding> kEncodings = {Encoding::tiff_lzw, Encoding::jpeg, Encoding::png,
                                          Encoding::jp2};

fs::path write_oriented(const test::TempDir& dir, Encoding encoding, int orientation,
                        ExifPlace place = ExifPlace::before_image_data,
                        const samples::PageSpec& spec = upright_spec()) {
  fs::path file =
      dir / fmt::format("{}-{}.{}", samples::to_string(encoding), orientation, extension(encoding));
  samples::save_oriented_page(samples::make_page(spec), file, encoding, spec.dpi, orientation,
                              place);
  return file;
}

PageSettings settings(int rotate = 0) {
  PageSettings s;
  s.reduction = kReduction;
  s.rotate = rotate;
  s.dpi = kDpi;  // JPEG 2000 files carry no resolution libvips reads
  return s;
}

SourcePage probe(const fs::path& file, const PageSettings& s = settings()) {
  PageSource source;
  source.kind = PageSource::Kind::list;
  source.paths = {file.string()};
  const PageRef ref = expand_pages(source, {}).at(0);
  return {ref, probe_page(ref, s, {})};
}

struct Filmed {
  PageInfo info;
  Placement placement;
  FrameImage frame;
};

// What the render stage does with a page: plan its placement, open it, render the frame.
Filmed film(const fs::path& file, int rotate = 0) {
  const PageSettings s = settings(rotate);
  const SourcePage page = probe(file, s);
  Filmed out{page.info, place_page(page.info, s, test::small_film_format(), kPitchUm), {}};
  out.frame = render_page(open_page(page, out.placement.scale_x, {}), out.placement, {});
  return out;
}

// [x0, x1) x [y0, y1) in pixels.
struct Box {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// The ink on the page (code value below mid-grey: a negative films black ink as 0), within
// the page's rectangle of the frame (unexposed film around it is 0 too).
Box ink(const Filmed& filmed) {
  const Placement& p = filmed.placement;
  Box box{1 << 30, 1 << 30, -1, -1};
  for (std::uint32_t y = p.page_y_px; y < p.page_y_px + p.page_height_px; ++y) {
    for (std::uint32_t x = p.page_x_px; x < p.page_x_px + p.page_width_px; ++x) {
      if (filmed.frame.pixels[std::size_t{y} * filmed.frame.width + x] >= 128) continue;
      box.x0 = std::min(box.x0, static_cast<int>(x));
      box.y0 = std::min(box.y0, static_cast<int>(y));
      box.x1 = std::max(box.x1, static_cast<int>(x) + 1);
      box.y1 = std::max(box.y1, static_cast<int>(y) + 1);
    }
  }
  return box;
}

// Where the upright page's mark (40, 30)-(120, 110) px lands, the page turned clockwise by
// `rotate` degrees and placed at the placement's offset.
Box expected_mark(const Placement& p, int rotate) {
  Box mark{40, 30, 120, 110};
  if (rotate == 90) mark = {kHeight - 110, 40, kHeight - 30, 120};
  if (rotate == 180) mark = {kWidth - 120, kHeight - 110, kWidth - 40, kHeight - 30};
  if (rotate == 270) mark = {30, kWidth - 120, 110, kWidth - 40};
  const int x = static_cast<int>(p.page_x_px), y = static_cast<int>(p.page_y_px);
  return {mark.x0 + x, mark.y0 + y, mark.x1 + x, mark.y1 + y};
}

void expect_box_near(const Box& found, const Box& expected, int tolerance) {
  EXPECT_NEAR(found.x0, expected.x0, tolerance);
  EXPECT_NEAR(found.y0, expected.y0, tolerance);
  EXPECT_NEAR(found.x1, expected.x1, tolerance);
  EXPECT_NEAR(found.y1, expected.y1, tolerance);
}

std::vector<int> pixels_of(const VImage& image) {
  const VImage memory = image.cast(VIPS_FORMAT_UCHAR).copy_memory();
  std::size_t size = 0;
  auto* data = static_cast<std::uint8_t*>(memory.write_to_memory(&size));
  std::vector<int> pixels(data, data + size);
  g_free(data);
  return pixels;
}

// --- the fixtures: what each orientation stores -----------------------------------------------

// The EXIF definition (VIPS_META_ORIENTATION in libvips's header.h), written out for an upright
// 3 x 2 image 1 2 3 / 4 5 6: which upright pixels each stored row holds. Then libvips's autorot
// turns every stored image back, so fixtures, definition and libvips agree.
TEST(Orientation, StoredPixelsFollowTheExifDefinitionAndAutorotTurnsThemBack) {
  const std::vector<std::uint8_t> values = {1, 2, 3, 4, 5, 6};
  const VImage upright = VImage::new_from_memory(const_cast<std::uint8_t*>(values.data()),
                                                 values.size(), 3, 2, 1, VIPS_FORMAT_UCHAR)
                             .copy_memory();
  const std::vector<std::vector<int>> stored_rows = {
      {},
      {1, 2, 3, 4, 5, 6},  // 1: row 0 is the top, column 0 the left
      {3, 2, 1, 6, 5, 4},  // 2: row 0 the top, column 0 the right
      {6, 5, 4, 3, 2, 1},  // 3: row 0 the bottom, column 0 the right
      {4, 5, 6, 1, 2, 3},  // 4: row 0 the bottom, column 0 the left
      {1, 4, 2, 5, 3, 6},  // 5: row 0 the left side, column 0 the top
      {3, 6, 2, 5, 1, 4},  // 6: row 0 the right side, column 0 the top
      {6, 3, 5, 2, 4, 1},  // 7: row 0 the right side, column 0 the bottom
      {4, 1, 5, 2, 6, 3},  // 8: row 0 the left side, column 0 the bottom
  };
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(fmt::format("orientation {}", orientation));
    const VImage stored = samples::stored_for_orientation(upright, orientation);
    EXPECT_EQ(stored.width(), orientation >= 5 ? 2 : 3);
    EXPECT_EQ(pixels_of(stored), stored_rows[static_cast<std::size_t>(orientation)]);
    VImage tagged = stored.copy_memory().copy();
    tagged.set("orientation", orientation);
    EXPECT_EQ(pixels_of(tagged.autorot()), pixels_of(upright));
  }
}

// --- every format, every orientation ------------------------------------------------------------

TEST(Orientation, EveryOrientationIsFilmedUprightAndPlannedAtTheUprightSize) {
  test::TempDir dir;
  for (Encoding encoding : kEncodings) {
    const Filmed reference = film(write_oriented(dir, encoding, 1));
    // The reference itself: the mark where the upright page has it.
    expect_box_near(ink(reference), expected_mark(reference.placement, 0), 1);
    for (int orientation = 1; orientation <= 8; ++orientation) {
      SCOPED_TRACE(fmt::format("{} orientation {}", samples::to_string(encoding), orientation));
      const Filmed filmed = film(write_oriented(dir, encoding, orientation));
      EXPECT_EQ(filmed.info.orientation, static_cast<std::uint32_t>(orientation));
      EXPECT_EQ(filmed.info.width_px, static_cast<std::uint32_t>(kWidth));
      EXPECT_EQ(filmed.info.height_px, static_cast<std::uint32_t>(kHeight));
      EXPECT_NEAR(filmed.info.width_mm, 40, 0.01);
      EXPECT_NEAR(filmed.info.height_mm, 30, 0.01);
      EXPECT_EQ(filmed.placement.page_width_px, static_cast<std::uint32_t>(kWidth));
      EXPECT_EQ(filmed.placement.page_height_px, static_cast<std::uint32_t>(kHeight));
      EXPECT_EQ(filmed.placement.frame_width_px, reference.placement.frame_width_px);
      EXPECT_EQ(filmed.placement.frame_height_px, reference.placement.frame_height_px);
      EXPECT_EQ(filmed.placement.page_x_px, reference.placement.page_x_px);
      EXPECT_EQ(filmed.placement.page_y_px, reference.placement.page_y_px);
      if (encoding == Encoding::jpeg) {
        // Each stored orientation is compressed differently: the same mark, to a pixel.
        expect_box_near(ink(filmed), expected_mark(filmed.placement, 0), 1);
      } else {
        // Lossless: the very same frame, code value for code value.
        EXPECT_TRUE(filmed.frame.pixels == reference.frame.pixels);
      }
    }
  }
}

TEST(Orientation, RotateTurnsThePageAfterItsOrientation) {
  test::TempDir dir;
  for (Encoding encoding : {Encoding::tiff_lzw, Encoding::jpeg}) {
    for (int rotate : {90, 180, 270}) {
      const Filmed reference = film(write_oriented(dir, encoding, 1), rotate);
      for (int orientation : {3, 5, 6, 8}) {
        SCOPED_TRACE(fmt::format("{} orientation {} rotate {}", samples::to_string(encoding),
                                 orientation, rotate));
        const Filmed filmed = film(write_oriented(dir, encoding, orientation), rotate);
        const bool quarter = rotate != 180;
        EXPECT_EQ(filmed.placement.page_width_px,
                  static_cast<std::uint32_t>(quarter ? kHeight : kWidth));
        EXPECT_EQ(filmed.placement.page_height_px,
                  static_cast<std::uint32_t>(quarter ? kWidth : kHeight));
        expect_box_near(ink(filmed), expected_mark(filmed.placement, rotate), 1);
        if (encoding != Encoding::jpeg) {
          EXPECT_TRUE(filmed.frame.pixels == reference.frame.pixels);
        }
      }
    }
  }
}

TEST(Orientation, EachPageOfAMultiPageTiffHasItsOwnOrientation) {
  test::TempDir dir;
  // All three stored 40 x 30 mm: the second is a portrait page stored on its side.
  samples::PageSpec portrait = upright_spec();
  std::swap(portrait.width_mm, portrait.height_mm);
  const std::vector<int> orientations = {1, 6, 3};
  const std::vector<VImage> stored = {
      samples::make_page(upright_spec()),
      samples::stored_for_orientation(samples::make_page(portrait), 6),
      samples::stored_for_orientation(samples::make_page(upright_spec()), 3)};
  const fs::path file = dir / "book.tif";
  samples::save_multipage_tiff(stored, file, kDpi, Encoding::tiff_lzw, orientations);

  PageSource source;
  source.kind = PageSource::Kind::tiff;
  source.paths = {file.string()};
  const auto refs = expand_pages(source, {});
  ASSERT_EQ(refs.size(), 3u);
  for (std::size_t i = 0; i < refs.size(); ++i) {
    SCOPED_TRACE(fmt::format("page {}", i + 1));
    const PageInfo info = probe_page(refs[i], settings(), {});
    EXPECT_EQ(info.orientation, static_cast<std::uint32_t>(orientations[i]));
    EXPECT_EQ(info.width_px, static_cast<std::uint32_t>(i == 1 ? kHeight : kWidth));
    EXPECT_EQ(info.height_px, static_cast<std::uint32_t>(i == 1 ? kWidth : kHeight));
    // In memory: getpoint reads rows in any order, a sequential decode only top to bottom.
    const VImage page = open_page(SourcePage{refs[i], info}, 1.0, {}).copy_memory();
    EXPECT_EQ(page.width(), static_cast<int>(info.width_px));
    // The mark at (4, 3) mm of the upright page, 8 mm square, on every page.
    EXPECT_EQ(page.getpoint(41, 31)[0], 0);
    EXPECT_EQ(page.getpoint(118, 108)[0], 0);
    EXPECT_EQ(page.getpoint(38, 28)[0], 255);
    EXPECT_EQ(page.getpoint(122, 112)[0], 255);
  }
}

// A page scanned at 100 x 200 dpi and stored on its side: the stored rows are 100 dpi apart
// across the upright page, so its horizontal resolution is the stored vertical one.
TEST(Orientation, PagesStoredOnTheirSideTakeTheResolutionOfTheirUprightAxes) {
  test::TempDir dir;
  VImage stored = (VImage::black(100, 400) + 255).cast(VIPS_FORMAT_UCHAR).copy();
  stored.set("orientation", 6);
  const fs::path file = dir / "sideways.tif";
  stored.tiffsave(file.c_str(), VImage::option()
                                    ->set("resunit", VIPS_FOREIGN_TIFF_RESUNIT_INCH)
                                    ->set("xres", 100 / 25.4)
                                    ->set("yres", 200 / 25.4));
  PageSettings no_dpi;
  const PageInfo info = probe(file, no_dpi).info;
  EXPECT_EQ(info.orientation, 6u);
  EXPECT_EQ(info.width_px, 400u);
  EXPECT_EQ(info.height_px, 100u);
  EXPECT_NEAR(info.width_mm, 50.8, 0.01);   // 400 px at 200 dpi
  EXPECT_NEAR(info.height_mm, 25.4, 0.01);  // 100 px at 100 dpi
  EXPECT_DOUBLE_EQ(info.dpi, 200);
}

// libjpeg's shrink-on-load still does the work when the frame needs a quarter of the pixels:
// the page comes back upright at a quarter of its size.
TEST(Orientation, JpegShrinkOnLoadWorksOnPagesStoredOnTheirSide) {
  test::TempDir dir;
  for (int orientation : {6, 7}) {
    SCOPED_TRACE(fmt::format("orientation {}", orientation));
    const SourcePage page = probe(write_oriented(dir, Encoding::jpeg, orientation));
    const VImage quarter = open_page(page, 0.25, {});
    EXPECT_EQ(quarter.width(), kWidth / 4);
    EXPECT_EQ(quarter.height(), kHeight / 4);
    // The mark, (10, 7.5)-(30, 27.5) at a quarter: ink inside, paper outside.
    EXPECT_LT(quarter.getpoint(20, 17)[0], 64);
    EXPECT_GT(quarter.getpoint(5, 17)[0], 192);
    EXPECT_GT(quarter.getpoint(20, 40)[0], 192);
    EXPECT_GT(quarter.getpoint(kWidth / 4 - 20, kHeight / 4 - 17)[0], 192);
  }
}

// Turning a page reads it out of order; a decode that streams rows top to bottom cannot, so
// the page is decoded into memory first. Small pages hide this (libvips keeps some hundred
// rows behind a sequential read): these are 1969 rows as stored.
TEST(Orientation, TallPagesTurnWithoutOutOfOrderReads) {
  test::TempDir dir;
  samples::PageSpec wide = upright_spec();
  wide.width_mm = 250;
  wide.dpi = 200;
  wide.marks = {{200, 10, 10}};
  for (Encoding encoding : {Encoding::jpeg, Encoding::tiff_lzw, Encoding::png}) {
    for (int orientation : {3, 4, 6, 8}) {
      SCOPED_TRACE(fmt::format("{} orientation {}", samples::to_string(encoding), orientation));
      const SourcePage page =
          probe(write_oriented(dir, encoding, orientation, ExifPlace::before_image_data, wide));
      const VImage image = open_page(page, 1.0, {});
      ASSERT_EQ(image.width(), 1969);
      const int x = static_cast<int>(205 * 200 / 25.4), y = static_cast<int>(15 * 200 / 25.4);
      EXPECT_LT(image.getpoint(x, y)[0], 64);
      EXPECT_GT(image.getpoint(image.width() - x, y)[0], 192);
      EXPECT_GT(image.avg(), 200);  // every row decodes
    }
  }
}

// --- what libvips 8.14 reads, and what it does not --------------------------------------------

// PNG allows the eXIf chunk after the image data too; libvips reads it only before. Ingest
// reads it wherever it is.
TEST(Orientation, PngExifAfterTheImageDataIsAppliedToo) {
  test::TempDir dir;
  const fs::path early = write_oriented(dir, Encoding::png, 6);
  const fs::path late = dir / "late.png";
  samples::save_oriented_page(samples::make_page(upright_spec()), late, Encoding::png, kDpi, 6,
                              ExifPlace::after_image_data);
  EXPECT_EQ(VImage::new_from_file(early.c_str()).get_int("orientation"), 6);
  EXPECT_EQ(VImage::new_from_file(late.c_str()).get_typeof("orientation"), 0u);

  const Filmed filmed = film(late);
  EXPECT_EQ(filmed.info.orientation, 6u);
  expect_box_near(ink(filmed), expected_mark(filmed.placement, 0), 1);
  EXPECT_TRUE(filmed.frame.pixels == film(early).frame.pixels);
}

// libvips reads no EXIF from JPEG 2000; ingest reads the "JpgTiffExif->JP2" uuid box.
TEST(Orientation, Jpeg2000ExifInAUuidBoxIsApplied) {
  test::TempDir dir;
  const fs::path file = write_oriented(dir, Encoding::jp2, 8);
  EXPECT_EQ(VImage::new_from_file(file.c_str()).get_typeof("orientation"), 0u);
  EXPECT_EQ(probe(file).info.orientation, 8u);
}

// PDF pages have no EXIF; a page's /Rotate is applied by poppler, so they come upright.
TEST(Orientation, PdfPagesComeUprightWithTheirRotateApplied) {
  test::TempDir dir;
  samples::PageSpec spec = upright_spec();  // drawn 40 x 30 mm, shown turned clockwise
  spec.pdf_rotate = 90;
  const fs::path file = dir / "rotated.pdf";
  samples::save_pdf({spec}, file);
  PageSource source;
  source.kind = PageSource::Kind::pdf;
  source.paths = {file.string()};
  const PageRef ref = expand_pages(source, {}).at(0);
  const PageInfo info = probe_page(ref, settings(), {});
  EXPECT_EQ(info.orientation, 1u);
  EXPECT_NEAR(info.width_mm, 30, 0.5);  // whole points: poppler's size at 72 dpi
  EXPECT_NEAR(info.height_mm, 40, 0.5);
  const VImage page = open_page(SourcePage{ref, info}, kDpi / 72, {}).copy_memory();
  EXPECT_NEAR(page.width(), kHeight, 1);
  // The mark, (40, 30)-(120, 110) px upright, turned clockwise: (190, 40)-(270, 120).
  EXPECT_LT(page.getpoint(230, 80)[0], 64);
  EXPECT_GT(page.getpoint(70, 80)[0], 192);
}

// The EXIF of a JPEG 2000 page stored for orientation 6, as bytes of the file, to damage.
struct Jp2Exif {
  fs::path file;
  std::string bytes;
  std::size_t tiff_header = 0;  // where the EXIF's TIFF header starts
};

Jp2Exif jp2_with_exif(const test::TempDir& dir) {
  Jp2Exif out;
  out.file = write_oriented(dir, Encoding::jp2, 6);
  out.bytes = read_file(out.file);
  out.tiff_header = out.bytes.find("JpgTiffExif->JP2") + 16;
  return out;
}

void expect_input_error(const fs::path& file, const std::string& message) {
  try {
    (void)probe(file);
    ADD_FAILURE() << "expected an input error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_THAT(e.what(), HasSubstr(file.filename().string() + " (page 1): " + message));
  }
}

TEST(Orientation, AValueOutsideOneToEightIsAnInputErrorNamingThePage) {
  test::TempDir dir;
  Jp2Exif jp2 = jp2_with_exif(dir);
  jp2.bytes[jp2.tiff_header + 18] = 9;  // header 8, entry count 2, tag/type/count 8: the value
  std::ofstream(jp2.file, std::ios::binary | std::ios::trunc) << jp2.bytes;
  expect_input_error(jp2.file, "the file's orientation is 9, not one of 1-8");
}

// libtiff refuses the value as it reads the page and libvips reports 1; ingest hears of it.
TEST(Orientation, ATiffOrientationTagOutsideOneToEightIsAnInputError) {
  test::TempDir dir;
  const fs::path file = dir / "odd.tif";
  samples::save_multipage_tiff(
      {samples::make_page(upright_spec()), samples::make_page(upright_spec())}, file, kDpi,
      Encoding::tiff_lzw, {1, 9});
  PageSource source;
  source.kind = PageSource::Kind::tiff;
  source.paths = {file.string()};
  const auto refs = expand_pages(source, {});
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(probe_page(refs[0], settings(), {}).orientation, 1u);
  try {
    (void)probe_page(refs[1], settings(), {});
    ADD_FAILURE() << "expected an input error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_THAT(e.what(), HasSubstr("odd.tif (page 2): the page's orientation tag is not one of "
                                    "1-8 (libtiff: "));
    EXPECT_THAT(e.what(), HasSubstr("Bad value 9"));
  }
}

TEST(Orientation, DamagedExifIsAnInputErrorNotAnUprightPage) {
  test::TempDir dir;
  Jp2Exif jp2 = jp2_with_exif(dir);
  jp2.bytes[jp2.tiff_header + 4] = '\x7f';  // IFD0 beyond the end of the block
  std::ofstream(jp2.file, std::ios::binary | std::ios::trunc) << jp2.bytes;
  expect_input_error(jp2.file, "the EXIF in its uuid box is damaged");
}

// --- what a job records -------------------------------------------------------------------------

TEST(Orientation, PlanJsonAndIndexCsvRecordEachPagesOrientation) {
  test::TempDir dir;
  const fs::path scans = dir / "scans";
  fs::create_directories(scans);
  const std::vector<std::pair<Encoding, int>> pages = {
      {Encoding::tiff_lzw, 1}, {Encoding::jpeg, 6}, {Encoding::png, 3}, {Encoding::tiff_lzw, 8}};
  for (std::size_t i = 0; i < pages.size(); ++i) {
    samples::save_oriented_page(samples::make_page(upright_spec()),
                                scans / fmt::format("p{}.{}", i + 1, extension(pages[i].first)),
                                pages[i].first, kDpi, pages[i].second);
  }
  test::write_text(dir / "job.toml", R"(version = 1
id = "o1"
title = "orientation"
output = "out"
format = "16mm-comic-30m"
reduction = 24

[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 12.5

[[documents]]
id = "D001"
title = "pages the right way up"
pages = { dir = "scans" }
)");
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml"));

  std::ifstream plan_file(dir / "out" / "o1" / "plan.json");
  const nlohmann::json plan = nlohmann::json::parse(plan_file);
  std::vector<int> planned;
  for (const auto& frame : plan["frames"]) {
    if (frame["kind"] != "page") continue;
    planned.push_back(frame["source"]["orientation"].get<int>());
    // The sizes in the plan are the upright page's.
    EXPECT_EQ(frame["source"]["width_px"], kWidth);
    EXPECT_EQ(frame["source"]["height_px"], kHeight);

    // And so is the film: the mark at its upright place on every page's frame, at 24x and
    // 12.5 um a third of a pixel per source pixel.
    const auto& p = frame["placement"];
    const VImage image =
        VImage::new_from_file((dir / "out" / "o1" / "R0001" / "frames" /
                               fmt::format("F{:06}.tif", frame["number"].get<int>()))
                                  .c_str());
    Filmed filmed;
    filmed.placement.page_x_px = p["page_x_px"];
    filmed.placement.page_y_px = p["page_y_px"];
    filmed.placement.page_width_px = p["page_width_px"];
    filmed.placement.page_height_px = p["page_height_px"];
    filmed.frame.width = static_cast<std::uint32_t>(image.width());
    const std::vector<int> pixels = pixels_of(image);
    filmed.frame.pixels.assign(pixels.begin(), pixels.end());
    const double scale = p["page_width_px"].get<double>() / kWidth;
    const Box found = ink(filmed);
    SCOPED_TRACE(frame["source"]["file"].get<std::string>());
    EXPECT_NEAR(found.x0, filmed.placement.page_x_px + 40 * scale, 1.5);
    EXPECT_NEAR(found.y0, filmed.placement.page_y_px + 30 * scale, 1.5);
    EXPECT_NEAR(found.x1, filmed.placement.page_x_px + 120 * scale, 1.5);
    EXPECT_NEAR(found.y1, filmed.placement.page_y_px + 110 * scale, 1.5);
  }
  EXPECT_EQ(planned, (std::vector<int>{1, 6, 3, 8}));

  const auto rows = test::read_csv(dir / "out" / "o1" / "R0001" / "index.csv");
  ASSERT_FALSE(rows.empty());
  const auto column = std::find(rows[0].begin(), rows[0].end(), "orientation") - rows[0].begin();
  ASSERT_LT(static_cast<std::size_t>(column), rows[0].size());
  std::vector<std::string> page_rows, target_rows;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    (rows[i][1] == "page" ? page_rows : target_rows).push_back(rows[i][column]);
  }
  EXPECT_EQ(page_rows, (std::vector<std::string>{"1", "6", "3", "8"}));
  ASSERT_FALSE(target_rows.empty());
  EXPECT_THAT(target_rows, ::testing::Each("1"));
}

}  // namespace
}  // namespace fw::orientation_test
