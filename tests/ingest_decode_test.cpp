// Decoding pages (engine/ingest): every encoding probed and decoded with its mark in place,
// multi-page TIFF, PDF, JPEG shrink-on-load, the resolution declared or given, and damaged,
// truncated, unsupported or oversized files refused by content with the reason named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <tiffio.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "ingest/ingest.hpp"
#include "samples/file_edits.hpp"
#include "samples/samples.hpp"
#include "support/ingest_fixture.hpp"
#include "support/test_support.hpp"

#include <vips/vector.h>  // after ingest.hpp's vips8, which it needs

namespace fw::ingest_decode_test {
namespace {

namespace fs = std::filesystem;
using samples::Encoding;
using samples::Mark;
using samples::PageSpec;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using vips::VImage;

using test::expect_input_error;
using test::kDpi;
using test::list_of;
using test::one_file;
using test::px;
using test::read_bytes;
using test::small_page;
using test::write_bytes;
using test::write_page;

SourceFormat format_of(Encoding encoding) {
  switch (encoding) {
    case Encoding::jpeg:
      return SourceFormat::jpeg;
    case Encoding::png:
      return SourceFormat::png;
    case Encoding::jp2:
      return SourceFormat::jp2;
    default:
      return SourceFormat::tiff;
  }
}

PageSettings with_dpi(std::optional<double> dpi, bool force = false) {
  PageSettings settings;
  settings.dpi = dpi;
  settings.force_dpi = force;
  return settings;
}

// Inclusive bounding box of the dark pixels (below mid-grey in the first band).
struct Box {
  int left = 0, top = 0, right = -1, bottom = -1;
};

std::optional<Box> dark_box(const VImage& image) {
  VImage first = image.extract_band(0);
  const double mid = image.format() == VIPS_FORMAT_USHORT ? 32768 : 128;
  const VImage dark = (first < mid).cast(VIPS_FORMAT_UCHAR).copy_memory();
  std::size_t size = 0;
  std::unique_ptr<void, decltype(&g_free)> memory(dark.write_to_memory(&size), g_free);
  const auto* pixels = static_cast<const std::uint8_t*>(memory.get());
  std::optional<Box> box;
  for (int y = 0; y < dark.height(); ++y) {
    for (int x = 0; x < dark.width(); ++x) {
      if (pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(dark.width()) +
                 static_cast<std::size_t>(x)] == 0) {
        continue;
      }
      if (!box) box = Box{x, y, x, y};
      box->left = std::min(box->left, x);
      box->top = std::min(box->top, y);
      box->right = std::max(box->right, x);
      box->bottom = std::max(box->bottom, y);
    }
  }
  return box;
}

// The mark of `spec` is where it was drawn (within 1 px), at `scale` output px per page px.
void expect_mark(const VImage& image, const Mark& mark, double dpi) {
  const auto box = dark_box(image);
  ASSERT_TRUE(box.has_value()) << "no mark found";
  const double left = mark.x_mm * dpi / 25.4;
  const double top = mark.y_mm * dpi / 25.4;
  const double size = mark.size_mm * dpi / 25.4;
  EXPECT_NEAR(box->left, left, 1.0);
  EXPECT_NEAR(box->top, top, 1.0);
  EXPECT_NEAR(box->right + 1 - box->left, size, 1.0);
  EXPECT_NEAR(box->bottom + 1 - box->top, size, 1.0);
}

// Everything ingest does to a page: expand, probe, decode in full.
void read_completely(const fs::path& file, const PageSettings& settings = {}) {
  for (const PageRef& ref : expand_pages(list_of({file}), Limits{})) {
    verify_decodes(SourcePage{ref, probe_page(ref, settings, Limits{})}, Limits{});
  }
}

// --- every format ---------------------------------------------------------------------------

TEST(Ingest, EveryEncodingProbesAndDecodesWithTheMarkInPlace) {
  test::TempDir dir;
  for (Encoding encoding : samples::all_encodings()) {
    for (int bands : {1, 3}) {
      SCOPED_TRACE(fmt::format("{} with {} band(s)", samples::to_string(encoding), bands));
      const PageSpec spec = small_page(bands);
      const fs::path file = write_page(
          dir, fmt::format("{}-{}", samples::to_string(encoding), bands), encoding, spec);
      const auto refs = expand_pages(list_of({file}), Limits{});
      ASSERT_EQ(refs.size(), 1u);
      EXPECT_EQ(refs[0].format, format_of(encoding));
      EXPECT_EQ(refs[0].page_in_file, 0u);
      EXPECT_EQ(refs[0].pages_in_file, 1u);

      // libvips reads no resolution from JPEG 2000, so those pages need the job's dpi.
      const bool jp2 = encoding == Encoding::jp2;
      const PageInfo info =
          probe_page(refs[0], with_dpi(jp2 ? std::optional<double>(kDpi) : std::nullopt), {});
      EXPECT_EQ(info.width_px, 315u);
      EXPECT_EQ(info.height_px, 236u);
      EXPECT_NEAR(info.width_mm, 40, 0.5);
      EXPECT_NEAR(info.height_mm, 30, 0.5);
      EXPECT_DOUBLE_EQ(info.dpi, kDpi);
      EXPECT_EQ(info.dpi_from_job, jp2);
      EXPECT_EQ(info.bands, encoding == Encoding::tiff_g4 ? 1 : bands);
      EXPECT_EQ(info.bits, encoding == Encoding::tiff_16bit ? 16 : 8);

      const VImage image = open_page(SourcePage{refs[0], info}, 1.0, Limits{});
      EXPECT_EQ(image.width(), 315);
      EXPECT_EQ(image.height(), 236);
      expect_mark(image, spec.marks[0], kDpi);
    }
  }
}

// A symlink loop is not "no such file", and a PNG whose header chunk fails its CRC says so
// (libpng tells libvips only in a warning; issue 25).
TEST(Ingest, ASymlinkLoopAndABadPngCrcAreNamedForWhatTheyAre) {
  test::TempDir dir;
  fs::create_symlink(dir / "b", dir / "a");
  fs::create_symlink(dir / "a", dir / "b");
  try {
    expand_pages(list_of({dir / "a"}), Limits{});
    FAIL() << "a symlink loop was read";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("a: cannot be read: Too many levels of symbolic links"));
  }
  const fs::path png = dir / "crc.png";
  samples::save_page(samples::make_page(small_page()), png, Encoding::png, 100);
  std::string bytes = read_file(png);
  bytes[8 + 8 + 13] ^= 0x5a;  // the IHDR chunk's CRC: signature, length and type, 13 bytes
  test::write_text(png, bytes);
  try {
    const auto refs = expand_pages(list_of({png}), Limits{});
    probe_page(refs.at(0), PageSettings{}, Limits{});
    FAIL() << "a PNG with a bad CRC was read";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("crc.png (page 1): cannot decode: IHDR: CRC error"));
  }
}

TEST(Ingest, MultiPageTiffGivesEveryPageInOrder) {
  test::TempDir dir;
  std::vector<VImage> pages;
  std::vector<Mark> marks = {{5, 5, 4}, {15, 10, 4}, {25, 15, 4}};
  pages.reserve(marks.size());
  for (const Mark& mark : marks) pages.push_back(samples::make_page(small_page(1, mark)));
  const fs::path file = dir / "book.tif";
  samples::save_multipage_tiff(pages, file, kDpi, Encoding::tiff_g4);

  const auto refs = expand_pages(one_file(PageSource::Kind::tiff, file), Limits{});
  ASSERT_EQ(refs.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(fmt::format("page {}", i + 1));
    EXPECT_EQ(refs[i].page_in_file, i);
    EXPECT_EQ(refs[i].pages_in_file, 3u);
    const PageInfo info = probe_page(refs[i], {}, {});
    EXPECT_NEAR(info.width_mm, 40, 0.5);
    EXPECT_DOUBLE_EQ(info.dpi, kDpi);
    expect_mark(open_page(SourcePage{refs[i], info}, 1.0, {}), marks[i], kDpi);
  }
}

TEST(Ingest, PdfPagesHaveTheirSizeInPointsAndRenderAtTheFrameResolution) {
  test::TempDir dir;
  PageSpec landscape = small_page(1, {10, 10, 6});
  landscape.width_mm = 60;
  landscape.height_mm = 40;
  PageSpec portrait = small_page(3, {20, 30, 6});
  portrait.width_mm = 40;
  portrait.height_mm = 60;
  const fs::path file = dir / "report.pdf";
  samples::save_pdf({landscape, portrait}, file);

  const auto refs = expand_pages(one_file(PageSource::Kind::pdf, file), Limits{});
  ASSERT_EQ(refs.size(), 2u);
  const std::vector<PageSpec> specs = {landscape, portrait};
  for (std::size_t i = 0; i < refs.size(); ++i) {
    SCOPED_TRACE(fmt::format("page {}", i + 1));
    EXPECT_EQ(refs[i].format, SourceFormat::pdf);
    EXPECT_EQ(refs[i].page_in_file, i);
    const PageInfo info = probe_page(refs[i], with_dpi(300, true), {});
    EXPECT_EQ(info.width_px, static_cast<std::uint32_t>(px(specs[i].width_mm, 72)));
    EXPECT_NEAR(info.width_mm, specs[i].width_mm, 0.5);
    EXPECT_NEAR(info.height_mm, specs[i].height_mm, 0.5);
    EXPECT_DOUBLE_EQ(info.dpi, 72);   // points
    EXPECT_FALSE(info.dpi_from_job);  // a PDF's page size is physical; force_dpi does not apply
    EXPECT_EQ(info.bands, 3);

    // 200 dpi: scale is output pixels per point.
    const VImage image = open_page(SourcePage{refs[i], info}, kDpi / 72, {});
    EXPECT_NEAR(image.width(), specs[i].width_mm * kDpi / 25.4, 1.0);
    EXPECT_NEAR(image.height(), specs[i].height_mm * kDpi / 25.4, 1.0);
    EXPECT_EQ(image.bands(), 3);
    EXPECT_EQ(image.format(), VIPS_FORMAT_UCHAR);
    expect_mark(image, specs[i].marks[0], kDpi);
  }
}

TEST(Ingest, JpegShrinksOnLoadOnlyWhenTheFrameNeedsHalfOrLess) {
  test::TempDir dir;
  const PageSpec spec = small_page(1, {20, 10, 8});
  const fs::path file = write_page(dir, "page", Encoding::jpeg, spec);
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  const SourcePage page{ref, probe_page(ref, {}, {})};
  EXPECT_EQ(open_page(page, 0.6, {}).width(), 315);
  const VImage quarter = open_page(page, 0.25, {});
  EXPECT_NEAR(quarter.width(), 315 / 4.0, 1.0);
  expect_mark(quarter, spec.marks[0], kDpi / 4);
}

// A contract for the raster stage: pages stream top to bottom once, so a 90/180/270 degree
// rotation of a full-size page must work on a copy in memory.
TEST(Ingest, OpenPageIsSequentialSoRotationsNeedTheWholePage) {
  test::TempDir dir;
  PageSpec tall = small_page(1, {5, 200, 10});
  tall.height_mm = 250;  // 1969 lines: more than libvips keeps behind a sequential read
  const fs::path file = write_page(dir, "tall", Encoding::png, tall);
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  const SourcePage page{ref, probe_page(ref, {}, {})};
  EXPECT_THROW((void)open_page(page, 1.0, {}).rot90().avg(), vips::VError);
  vips_error_clear();
  const VImage rotated = open_page(page, 1.0, {}).copy_memory().rot90();
  EXPECT_EQ(rotated.width(), px(250));
  const auto box = dark_box(rotated);
  ASSERT_TRUE(box.has_value());
  EXPECT_NEAR(box->left, px(250) - px(200) - px(10), 1.0);  // clockwise: y becomes x from right
  EXPECT_NEAR(box->top, px(5), 1.0);
}

// --- ordering, lists, globs, ranges ---------------------------------------------------------

// What libvips 8.14 reports for files without a resolution; declares_resolution() in
// ingest.cpp relies on it.
TEST(Ingest, NoResolutionAsLibvipsReportsIt) {
  test::TempDir dir;
  struct Case {
    Encoding encoding;
    double xres_without;  // pixels per mm
  };
  for (const Case& c : {Case{Encoding::tiff_lzw, 1.0}, Case{Encoding::jpeg, 72 / 25.4},
                        Case{Encoding::png, 2.834}, Case{Encoding::jp2, 1.0}}) {
    SCOPED_TRACE(samples::to_string(c.encoding));
    const VImage without =
        VImage::new_from_file(write_page(dir, "without", c.encoding, small_page(), false).c_str());
    EXPECT_NEAR(without.xres(), c.xres_without, 1e-3);
    EXPECT_EQ(without.get_typeof("resolution-unit"), 0u);
    const VImage with = VImage::new_from_file(write_page(dir, "with", c.encoding).c_str());
    const bool unit_reported = c.encoding == Encoding::tiff_lzw || c.encoding == Encoding::jpeg;
    EXPECT_EQ(with.get_typeof("resolution-unit") != 0, unit_reported);
  }
}

TEST(Ingest, NoResolutionNeedsTheJobDpi) {
  test::TempDir dir;
  for (Encoding encoding :
       {Encoding::tiff_lzw, Encoding::tiff_g4, Encoding::jpeg, Encoding::png, Encoding::jp2}) {
    SCOPED_TRACE(samples::to_string(encoding));
    const fs::path file = write_page(dir, std::string("nores-") + samples::to_string(encoding),
                                     encoding, small_page(), false);
    const PageRef ref = expand_pages(list_of({file}), {}).at(0);
    const Error error = expect_input_error([&] { probe_page(ref, {}, {}); });
    EXPECT_EQ(std::string(error.what()),
              file.string() +
                  " (page 1): no usable resolution in the file (found none); set dpi in the job");

    const PageInfo info = probe_page(ref, with_dpi(150), {});
    EXPECT_DOUBLE_EQ(info.dpi, 150);
    EXPECT_TRUE(info.dpi_from_job);
    EXPECT_DOUBLE_EQ(info.width_mm, 315 * 25.4 / 150);
  }
}

TEST(Ingest, ImplausibleDeclaredResolutionIsNotUsed) {
  test::TempDir dir;
  PageSpec spec = small_page();
  spec.dpi = 30;
  const fs::path file = write_page(dir, "coarse", Encoding::tiff_none, spec);
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  const Error error = expect_input_error([&] { probe_page(ref, {}, {}); });
  EXPECT_EQ(std::string(error.what()),
            file.string() +
                " (page 1): no usable resolution in the file (found 30 dpi); set dpi in the job");
  const PageInfo info = probe_page(ref, with_dpi(150), {});  // 47 x 35 px: 8.0 x 5.9 mm
  EXPECT_DOUBLE_EQ(info.dpi, 150);
  EXPECT_TRUE(info.dpi_from_job);
}

// tiffinfo shows such a file's resolution; with ResolutionUnit 1 (no unit) it is only the
// pixels' aspect, and the message says what was found rather than "none".
TEST(Ingest, ATiffResolutionWithoutAUnitIsNamedNotUsed) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "unitless", Encoding::tiff_lzw);
  {
    const std::unique_ptr<TIFF, void (*)(TIFF*)> tiff(TIFFOpen(file.c_str(), "r+"), TIFFClose);
    ASSERT_TRUE(tiff);
    ASSERT_EQ(TIFFSetField(tiff.get(), TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE), 1);
    ASSERT_EQ(TIFFRewriteDirectory(tiff.get()), 1);
  }
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  EXPECT_EQ(std::string(expect_input_error([&] { probe_page(ref, {}, {}); }).what()),
            file.string() +
                " (page 1): no usable resolution in the file (found 200 x 200 with "
                "ResolutionUnit 1, no unit); set dpi in the job");
  EXPECT_DOUBLE_EQ(probe_page(ref, with_dpi(300), {}).dpi, 300);
}

// A gAMA chunk says how the PNG's samples encode light (filmed through the profile it implies:
// IccPages.APngGammaChunkIsHonouredAsBrowsersDoWithoutAProfile). Gamma 0, outside the range
// libpng accepts, says nothing: libpng only warns and the page would film as sRGB. Refused at
// planning, naming the page.
TEST(Ingest, APngGammaNoPageIsEncodedWithIsRefusedAtPlanning) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "gamma0", Encoding::png);
  samples::edit_file(file, [](std::string& bytes) {
    samples::add_png_chunk(bytes, "gAMA", std::string(4, '\0'));
  });
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  EXPECT_EQ(std::string(expect_input_error([&] { probe_page(ref, {}, {}); }).what()),
            file.string() +
                " (page 1): the PNG's gAMA chunk gives gamma 0, which no page is encoded with; "
                "what tones the page has cannot be told");
}

// libvips reads no resolution from a JP2; its header's resolution boxes give it: the capture
// resolution (resc, the scan's) before the display one (resd). Without either the job's dpi is
// needed (NoResolutionNeedsTheJobDpi).
TEST(Ingest, AJpeg2000ResolutionBoxGivesThePageItsSize) {
  test::TempDir dir;
  const auto probed = [&](const std::string& stem,
                          const std::vector<std::pair<std::string, std::uint16_t>>& boxes) {
    const fs::path file = write_page(dir, stem, Encoding::jp2, small_page(), false);
    samples::edit_file(file, [&](std::string& bytes) {
      for (const auto& [type, per_m] : boxes)
        samples::add_jp2_resolution(bytes, type, per_m, per_m);
    });
    return probe_page(expand_pages(list_of({file}), {}).at(0), with_dpi(150), {});
  };
  // 11811 px/m is 300.0 dpi, 7874 px/m 200.0 dpi.
  const PageInfo capture = probed("resc", {{"resc", 11811}});
  EXPECT_DOUBLE_EQ(capture.dpi, 300);
  EXPECT_FALSE(capture.dpi_from_job);
  EXPECT_NEAR(capture.width_mm, 315 * 25.4 / 300, 0.01);
  EXPECT_DOUBLE_EQ(probed("resd", {{"resd", 7874}}).dpi, 200);
  EXPECT_DOUBLE_EQ(probed("both", {{"resd", 7874}, {"resc", 11811}}).dpi, 300);
  EXPECT_TRUE(probed("none", {}).dpi_from_job);
}

// An sYCC JP2 (colr: enumerated colour space 18) comes from libvips 8.14 as its Y, Cb, Cr
// samples taken for R, G, B: white paper would be filmed a pink grey. Refused at planning.
TEST(Ingest, AnSyccJpeg2000IsRefusedNotFilmedInFalseTones) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "sycc", Encoding::jp2, small_page(3));
  samples::edit_file(file, [](std::string& bytes) {
    samples::set_jp2_colour(bytes, std::string("\x01\x00\x00\x00\x00\x00\x12", 7));
  });
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  EXPECT_EQ(std::string(expect_input_error([&] { probe_page(ref, {}, {}); }).what()),
            file.string() +
                " (page 1): the JPEG 2000 file's colour space is sYCC (its colr box says "
                "enumerated colour space 18), which the decoder passes on as if it were RGB; the "
                "page would be filmed in false tones: save it as sRGB or greyscale");
}

TEST(Ingest, DeclaredResolutionWinsUnlessForced) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "p", Encoding::png);
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  const PageInfo declared = probe_page(ref, with_dpi(100), {});
  EXPECT_DOUBLE_EQ(declared.dpi, kDpi);  // PNG stores 7874 px/m; tidied back to 200
  EXPECT_FALSE(declared.dpi_from_job);

  const PageInfo forced = probe_page(ref, with_dpi(100, true), {});
  EXPECT_DOUBLE_EQ(forced.dpi, 100);
  EXPECT_TRUE(forced.dpi_from_job);
  EXPECT_DOUBLE_EQ(forced.width_mm, 315 * 25.4 / 100);
  EXPECT_DOUBLE_EQ(forced.height_mm, 236 * 25.4 / 100);
}

// --- damaged and unsupported files ----------------------------------------------------------

TEST(Ingest, RandomBytesNamedTifAreRefused) {
  test::TempDir dir;
  std::mt19937 random(42);
  std::string bytes(4096, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  bytes.replace(0, 4, "RAND");
  const fs::path file = dir / "p1.tif";
  write_bytes(file, bytes);
  const Error error = expect_input_error([&] { read_completely(file); });
  EXPECT_EQ(std::string(error.what()), file.string() +
                                           ": unsupported file type (unknown); filmwriter reads "
                                           "TIFF, JPEG, PNG, JPEG 2000 and PDF");
}

TEST(Ingest, TruncatedTiffIsAnError) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "p1", Encoding::tiff_lzw);
  const std::string bytes = read_bytes(file);
  write_bytes(file, bytes.substr(0, bytes.size() / 2));
  const Error error = expect_input_error([&] { read_completely(file); });
  EXPECT_THAT(error.what(), StartsWith(file.string() + ": cannot decode: "));
}

TEST(Ingest, TruncatedJpegFailsTheFullDecode) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "p1", Encoding::jpeg);
  const std::string bytes = read_bytes(file);
  write_bytes(file, bytes.substr(0, bytes.size() / 2));
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);
  const SourcePage page{ref, probe_page(ref, {}, {})};  // the header is intact
  const Error error = expect_input_error([&] { verify_decodes(page, {}); });
  EXPECT_EQ(std::string(error.what()),
            file.string() + " (page 1): cannot decode: VipsJpeg: Premature end of input file");
  // open_page is lazy: the damage shows when the pixels are pulled.
  EXPECT_THROW((void)open_page(page, 1.0, {}).avg(), vips::VError);
  vips_error_clear();
}

TEST(Ingest, PngWithADamagedImageChunkFailsTheFullDecode) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "p1", Encoding::png);
  std::string bytes = read_bytes(file);
  const std::size_t idat = bytes.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  bytes[idat + 40] = static_cast<char>(bytes[idat + 40] ^ 0x55);
  write_bytes(file, bytes);
  const Error error = expect_input_error([&] { read_completely(file); });
  EXPECT_THAT(error.what(), StartsWith(file.string() + " (page 1): cannot decode: "));
}

TEST(Ingest, UnsupportedTypesAreRefusedByContentNotName) {
  test::TempDir dir;
  const VImage page = samples::make_page(small_page(3));
  const fs::path gif = dir / "scan.gif";
  page.gifsave(gif.c_str());
  const fs::path ppm = dir / "scan.ppm";
  page.ppmsave(ppm.c_str());
  const fs::path svg = dir / "scan.svg";
  test::write_text(svg,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">"
                   "<rect width=\"10\" height=\"10\"/></svg>\n");

  struct Case {
    fs::path file;
    const char* found;
  };
  const fs::path txt = dir / "readme.txt";
  test::write_text(txt, "扫描说明: pages 1-40\n");
  for (const Case& c :
       {Case{gif, "GIF"}, Case{ppm, "PNM"}, Case{svg, "XML/SVG"}, Case{txt, "text"}}) {
    const fs::path renamed =
        c.file.parent_path() /
        (c.file.stem().string() + "-" + c.file.extension().string().substr(1) + ".tif");
    fs::copy_file(c.file, renamed);
    for (const fs::path& file : {c.file, renamed}) {
      SCOPED_TRACE(file.string());
      const Error error = expect_input_error([&] { read_completely(file); });
      EXPECT_EQ(std::string(error.what()),
                fmt::format("{}: unsupported file type ({}); filmwriter reads TIFF, JPEG, PNG, "
                            "JPEG 2000 and PDF",
                            file.string(), c.found));
    }
  }

  // Second line of defence: libvips itself refuses the loaders init_vips() blocked.
  // And it generates no machine code at run time (Orc; see init_vips).
  EXPECT_FALSE(vips_vector_isenabled());
  EXPECT_THROW((void)VImage::new_from_file(gif.c_str()).avg(), vips::VError);
  vips_error_clear();
  EXPECT_THROW((void)VImage::new_from_file(svg.c_str()).avg(), vips::VError);
  vips_error_clear();
  EXPECT_THROW((void)VImage::new_from_file(ppm.c_str()).avg(), vips::VError);
  vips_error_clear();
  EXPECT_NO_THROW((void)VImage::new_from_file(write_page(dir, "ok", Encoding::png).c_str()).avg());
}

// A float page's white is 1.0 to most writers and 255 to libvips, a 32-bit integer page's any
// of three: filmed as they came, a 0-1 grey float page was a black frame, its greys lost.
// Refused at the header, naming the page; a CIELAB page (L* 100 is white) is filmed in any
// sample format.
TEST(Ingest, SamplesWhoseWhiteTheFileDoesNotDefineAreRefused) {
  test::TempDir dir;
  const VImage page = samples::make_page(small_page());
  const auto tiff = [&](const std::string& stem, const VImage& image) {
    fs::path file = dir / (stem + ".tif");
    image.tiffsave(file.c_str(),
                   VImage::option()->set("xres", kDpi / 25.4)->set("yres", kDpi / 25.4));
    return file;
  };
  const VImage grey = page.copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
  const fs::path unit_float = tiff("float", (grey / 255.0).cast(VIPS_FORMAT_FLOAT));
  const fs::path wide = tiff("uint32", (grey * 16843009.0).cast(VIPS_FORMAT_UINT));
  const fs::path lab = tiff("lab", page.colourspace(VIPS_INTERPRETATION_LAB));
  ASSERT_EQ(VImage::new_from_file(lab.c_str()).format(), VIPS_FORMAT_FLOAT);
  struct Case {
    fs::path file;
    const char* what;
  };
  for (const Case& c :
       {Case{unit_float,
             "32-bit floating-point samples, whose white the file does not define "
             "(1.0 or 255)"},
        Case{wide,
             "32-bit integer samples, whose white the file does not define (255, 65535 "
             "or 4294967295)"}}) {
    SCOPED_TRACE(c.file.string());
    const PageRef ref = expand_pages(list_of({c.file}), {}).at(0);
    EXPECT_EQ(std::string(expect_input_error([&] { probe_page(ref, {}, {}); }).what()),
              c.file.string() + " (page 1): the page has " + c.what +
                  "; filmwriter films 1- to 16-bit integer samples: save the page with 8 or 16 "
                  "bits");
  }
  const PageRef lab_ref = expand_pages(list_of({lab}), {}).at(0);
  const SourcePage lab_page{lab_ref, probe_page(lab_ref, {}, {})};
  expect_mark(open_page(lab_page, 1.0, {}).colourspace(VIPS_INTERPRETATION_B_W),
              small_page().marks[0], kDpi);
}

// --- limits ---------------------------------------------------------------------------------

TEST(Ingest, PixelAndFileSizeLimits) {
  test::TempDir dir;
  const fs::path file = write_page(dir, "p1", Encoding::tiff_none);
  const PageRef ref = expand_pages(list_of({file}), {}).at(0);

  Limits few_pixels;
  few_pixels.max_page_pixels = 1000;
  EXPECT_EQ(std::string(expect_input_error([&] { probe_page(ref, {}, few_pixels); }).what()),
            file.string() +
                " (page 1): the page is 315 x 236 = 74340 pixels, more than the limit of 1000 "
                "(job key limits.max_page_pixels)");

  Limits small_files;
  small_files.max_file_bytes = 100;
  const auto size = fs::file_size(file);
  EXPECT_EQ(
      std::string(expect_input_error([&] { expand_pages(list_of({file}), small_files); }).what()),
      fmt::format("{}: the file is {} bytes, more than the limit of 100 bytes (job key "
                  "limits.max_file_mb)",
                  file.string(), size));

  // A PDF page is checked at the size it is rendered to.
  const fs::path pdf = dir / "big.pdf";
  samples::save_pdf({small_page()}, pdf);
  const PageRef pdf_ref = expand_pages(list_of({pdf}), {}).at(0);
  Limits pdf_limits;
  pdf_limits.max_page_pixels = 20000;  // 113 x 85 at 72 dpi passes
  const SourcePage pdf_page{pdf_ref, probe_page(pdf_ref, {}, pdf_limits)};
  EXPECT_THAT(expect_input_error([&] { open_page(pdf_page, 4.0, pdf_limits); }).what(),
              HasSubstr("more than the limit of 20000"));
}

// 8-bit pixels whose file will say `dpi`.
vips::VImage at_dpi(const vips::VImage& pixels, double dpi) {
  return pixels.cast(VIPS_FORMAT_UCHAR)
      .copy(vips::VImage::option()->set("xres", dpi / 25.4)->set("yres", dpi / 25.4));
}

// A page smaller than any real one at its resolution: a 1 x 1 px placeholder at 300 dpi, or a
// thumbnail given the masters' dpi by the job, is refused naming its size; limits.min_page_mm
// moves the floor (0: none). Its place in the document is kept, so on_error decides.
TEST(Ingest, APageSmallerThanAnyPageIsRefusedNamingItsSize) {
  test::TempDir dir;
  const fs::path dot = dir / "dot.png";
  at_dpi(vips::VImage::black(1, 1).invert(), 300).write_to_file(dot.c_str());
  const PageRef dot_ref = expand_pages(list_of({dot}), {}).at(0);
  EXPECT_EQ(std::string(expect_input_error([&] { probe_page(dot_ref, {}, {}); }).what()),
            dot.string() +
                " (page 1): the page is 1 x 1 px, 0.1 x 0.1 mm at 300 dpi: smaller than any page "
                "(at least 5 mm a side; job key limits.min_page_mm): a placeholder or a "
                "thumbnail instead of the scan?");

  // A thumbnail of 50 x 40 px whose file says 72 dpi, given the job's 300 dpi (force_dpi).
  const fs::path thumb = dir / "thumb.png";
  at_dpi(vips::VImage::black(50, 40), 72).write_to_file(thumb.c_str());
  const PageRef thumb_ref = expand_pages(list_of({thumb}), {}).at(0);
  EXPECT_THAT(expect_input_error([&] { probe_page(thumb_ref, with_dpi(300, true), {}); }).what(),
              HasSubstr(": the page is 50 x 40 px, 4.2 x 3.4 mm at 300 dpi (the job's dpi): "
                        "smaller than any page"));
  // At the 72 dpi it declares it is 17.6 x 14.1 mm: a page (the dpi floor is not this test's).
  Limits no_floor;
  no_floor.min_page_mm = 0;
  EXPECT_EQ(probe_page(dot_ref, {}, no_floor).width_px, 1u);
  EXPECT_EQ(probe_page(thumb_ref, with_dpi(300, true), no_floor).width_px, 50u);
  // A real page is untouched by the floor.
  const fs::path page = write_page(dir, "p1", Encoding::png);
  EXPECT_GT(probe_page(expand_pages(list_of({page}), {}).at(0), {}, {}).width_mm, 5.0);
}

// --- failure policies -----------------------------------------------------------------------

}  // namespace
}  // namespace fw::ingest_decode_test
