// Page sources on real files generated in a temporary folder: every encoding, multi-page
// TIFF and PDF, ordering, ranges, resolution rules, damaged and unsupported files, limits,
// failure policies and source hashing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "ingest/ingest.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using samples::Encoding;
using samples::Mark;
using samples::PageSpec;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using vips::VImage;

constexpr double kDpi = 200;

// 40 x 30 mm at 200 dpi: 315 x 236 px, one 5 mm mark at (12.5, 7.5) mm = (98, 59) px.
PageSpec small_page(int bands = 1, Mark mark = {12.5, 7.5, 5}) {
  PageSpec spec;
  spec.width_mm = 40;
  spec.height_mm = 30;
  spec.dpi = kDpi;
  spec.bands = bands;
  spec.marks = {mark};
  return spec;
}

int px(double mm, double dpi = kDpi) {
  return static_cast<int>(std::lround(mm * dpi / 25.4));
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

PageSource list_of(const std::vector<fs::path>& files) {
  PageSource source;
  source.kind = PageSource::Kind::list;
  for (const auto& file : files) source.paths.push_back(file.string());
  return source;
}

PageSource one_file(PageSource::Kind kind, const fs::path& file, std::uint32_t first = 1,
                    std::uint32_t last = 0) {
  PageSource source;
  source.kind = kind;
  source.paths = {file};
  source.first_page = first;
  source.last_page = last;
  return source;
}

PageSettings with_dpi(std::optional<double> dpi, bool force = false) {
  PageSettings settings;
  settings.dpi = dpi;
  settings.force_dpi = force;
  return settings;
}

fs::path write_page(const test::TempDir& dir, const std::string& stem, Encoding encoding,
                    const PageSpec& spec = small_page(), bool with_resolution = true) {
  const fs::path file = dir / (stem + "." + extension(encoding));
  samples::save_page(samples::make_page(spec), file, encoding, spec.dpi, with_resolution);
  return file;
}

std::string read_bytes(const fs::path& file) {
  return read_file(file);
}

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
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

Error expect_input_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input) << error.what();
    return error;
  }
  ADD_FAILURE() << "expected an input error";
  return Error(ErrorKind::internal, "no error");
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

TEST(Ingest, NaturalOrder) {
  EXPECT_TRUE(natural_less("p2", "p10"));
  EXPECT_FALSE(natural_less("p10", "p2"));
  EXPECT_TRUE(natural_less("p1", "p1a"));
  EXPECT_TRUE(natural_less("p1a", "p2"));
  EXPECT_TRUE(natural_less("p1", "p01"));  // equal value: fewer leading zeros first
  EXPECT_TRUE(natural_less("p01", "p1a"));
  EXPECT_TRUE(natural_less("p9.tif", "p10.tif"));
  EXPECT_TRUE(natural_less("p99999999999999999999", "p100000000000000000000"));
  EXPECT_TRUE(natural_less("a", "a1"));
  EXPECT_TRUE(natural_less("P2", "p1"));  // bytes compare: no case folding
  EXPECT_FALSE(natural_less("p1", "p1"));

  std::vector<std::string> names = {"p10", "p2", "p1a", "p01", "p1", "p0", "q", "p", "p100"};
  std::sort(names.begin(), names.end(), natural_less);
  EXPECT_EQ(names,
            (std::vector<std::string>{"p", "p0", "p1", "p01", "p1a", "p2", "p10", "p100", "q"}));
}

TEST(Ingest, DirectoryIsReadInNaturalOrderWithEveryPageOfMultiPageFiles) {
  test::TempDir dir;
  const fs::path scans = dir / "scans";
  fs::create_directories(scans / "sub");
  for (const char* name : {"p10", "p2", "p1a", "p1"}) {
    samples::save_page(samples::make_page(small_page()), scans / (std::string(name) + ".png"),
                       Encoding::png, kDpi);
  }
  samples::save_multipage_tiff({samples::make_page(small_page()), samples::make_page(small_page())},
                               scans / "p3.tif", kDpi);
  samples::save_pdf({small_page(), small_page()}, scans / "p4.pdf");
  // Ignored: hidden files and subfolders.
  samples::save_page(samples::make_page(small_page()), scans / ".p0.png", Encoding::png, kDpi);
  samples::save_page(samples::make_page(small_page()), scans / "sub" / "p0.png", Encoding::png,
                     kDpi);

  const auto refs = expand_pages(one_file(PageSource::Kind::directory, scans), Limits{});
  std::vector<std::string> order;
  for (const auto& ref : refs) {
    order.push_back(fmt::format("{}#{}/{}", fs::path(ref.file).filename().string(),
                                ref.page_in_file + 1, ref.pages_in_file));
  }
  EXPECT_EQ(order,
            (std::vector<std::string>{"p1.png#1/1", "p1a.png#1/1", "p2.png#1/1", "p3.tif#1/2",
                                      "p3.tif#2/2", "p4.pdf#1/2", "p4.pdf#2/2", "p10.png#1/1"}));
}

TEST(Ingest, GlobMatchesInNaturalOrder) {
  test::TempDir dir;
  for (const char* name : {"p10", "p2", "p1"}) write_page(dir, name, Encoding::png);
  write_page(dir, "p3", Encoding::tiff_lzw);
  const auto refs = expand_pages(one_file(PageSource::Kind::glob, dir.path() / "p*.png"), Limits{});
  std::vector<std::string> names;
  for (const auto& ref : refs) names.push_back(fs::path(ref.file).filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"p1.png", "p2.png", "p10.png"}));

  const fs::path nothing = dir.path() / "*.jp2";
  const Error error = expect_input_error(
      [&] { expand_pages(one_file(PageSource::Kind::glob, nothing), Limits{}); });
  EXPECT_EQ(std::string(error.what()), nothing.string() + ": no files match the pattern");
}

TEST(Ingest, ListKeepsTheGivenOrder) {
  test::TempDir dir;
  const fs::path p10 = write_page(dir, "p10", Encoding::png);
  const fs::path p1 = write_page(dir, "p1", Encoding::jpeg);
  const auto refs = expand_pages(list_of({p10, p1}), Limits{});
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].file, p10);
  EXPECT_EQ(refs[1].file, p1);
}

TEST(Ingest, PageRanges) {
  test::TempDir dir;
  std::vector<VImage> pages;
  for (int i = 0; i < 5; ++i) pages.push_back(samples::make_page(small_page()));
  const fs::path file = dir / "five.tif";
  samples::save_multipage_tiff(pages, file, kDpi);

  auto pages_of = [&](std::uint32_t first, std::uint32_t last) {
    std::vector<std::uint32_t> numbers;
    for (const auto& ref : expand_pages(one_file(PageSource::Kind::tiff, file, first, last), {})) {
      EXPECT_EQ(ref.pages_in_file, 5u);
      numbers.push_back(ref.page_in_file + 1);
    }
    return numbers;
  };
  EXPECT_EQ(pages_of(1, 0), (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(pages_of(2, 4), (std::vector<std::uint32_t>{2, 3, 4}));
  EXPECT_EQ(pages_of(3, 0), (std::vector<std::uint32_t>{3, 4, 5}));
  EXPECT_EQ(pages_of(5, 5), (std::vector<std::uint32_t>{5}));

  Error beyond = expect_input_error([&] { pages_of(3, 9); });
  EXPECT_EQ(std::string(beyond.what()),
            file.string() + ": page range 3-9 but the file has 5 pages");
  Error start_beyond = expect_input_error([&] { pages_of(7, 0); });
  EXPECT_EQ(std::string(start_beyond.what()),
            file.string() + ": page range 7-end but the file has 5 pages");

  const fs::path pdf = dir / "two.pdf";
  samples::save_pdf({small_page(), small_page()}, pdf);
  EXPECT_EQ(expand_pages(one_file(PageSource::Kind::pdf, pdf, 2, 2), {}).at(0).page_in_file, 1u);
  Error pdf_beyond =
      expect_input_error([&] { expand_pages(one_file(PageSource::Kind::pdf, pdf, 1, 3), {}); });
  EXPECT_EQ(std::string(pdf_beyond.what()),
            pdf.string() + ": page range 1-3 but the file has 2 pages");
}

TEST(Ingest, MissingAndEmptySourcesAreErrors) {
  test::TempDir dir;
  const fs::path missing_folder = dir / "nowhere";
  EXPECT_EQ(std::string(expect_input_error([&] {
                          expand_pages(one_file(PageSource::Kind::directory, missing_folder), {});
                        }).what()),
            missing_folder.string() + ": no such folder");

  const fs::path empty = dir / "empty";
  fs::create_directories(empty / "only-a-subfolder");
  EXPECT_EQ(std::string(expect_input_error([&] {
                          expand_pages(one_file(PageSource::Kind::directory, empty), {});
                        }).what()),
            empty.string() + ": no page files in the folder (subfolders are not read)");

  const fs::path missing_file = dir / "p1.tif";
  EXPECT_EQ(
      std::string(expect_input_error([&] { expand_pages(list_of({missing_file}), {}); }).what()),
      missing_file.string() + ": no such file");

  const fs::path pdf = dir / "report.pdf";
  samples::save_pdf({small_page()}, pdf);
  EXPECT_EQ(std::string(expect_input_error([&] {
                          expand_pages(one_file(PageSource::Kind::tiff, pdf), {});
                        }).what()),
            pdf.string() + ": expected a TIFF file, found PDF");
}

// --- resolution -----------------------------------------------------------------------------

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
  const PageInfo info = probe_page(ref, with_dpi(300), {});
  EXPECT_DOUBLE_EQ(info.dpi, 300);
  EXPECT_TRUE(info.dpi_from_job);
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
  EXPECT_THAT(error.what(), StartsWith(file.string() + ": unsupported file type"));
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
  for (const Case& c : {Case{gif, "GIF"}, Case{ppm, "PNM"}, Case{svg, "XML/SVG"}}) {
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
  EXPECT_THROW((void)VImage::new_from_file(gif.c_str()).avg(), vips::VError);
  vips_error_clear();
  EXPECT_THROW((void)VImage::new_from_file(svg.c_str()).avg(), vips::VError);
  vips_error_clear();
  EXPECT_THROW((void)VImage::new_from_file(ppm.c_str()).avg(), vips::VError);
  vips_error_clear();
  EXPECT_NO_THROW((void)VImage::new_from_file(write_page(dir, "ok", Encoding::png).c_str()).avg());
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

// --- failure policies -----------------------------------------------------------------------

Document document_of(const std::string& id, std::size_t index, PageSource pages,
                     FailurePolicy policy) {
  Document document;
  document.id = id;
  document.title = id;
  document.key = fmt::format("documents[{}]", index + 1);
  document.pages = std::move(pages);
  document.overrides.on_error = policy;
  return document;
}

TEST(Ingest, ScanFailPolicyNamesTheDocument) {
  test::TempDir dir;
  const fs::path good = write_page(dir, "good", Encoding::png);
  const fs::path nores = write_page(dir, "nores", Encoding::png, small_page(), false);
  Job job;
  job.documents = {document_of("D001", 0, list_of({good}), FailurePolicy::fail),
                   document_of("D002", 1, list_of({good, nores}), FailurePolicy::fail)};
  const Error error = expect_input_error([&] { scan_documents(job); });
  EXPECT_EQ(std::string(error.what()),
            "document D002 (documents[2]): " + nores.string() +
                " (page 1): no usable resolution in the file (found none); set dpi in the job");

  job.documents[1].pages = list_of({dir / "missing.tif"});
  EXPECT_EQ(std::string(expect_input_error([&] { scan_documents(job); }).what()),
            "document D002 (documents[2]): " + (dir / "missing.tif").string() + ": no such file");
}

TEST(Ingest, ScanSkipDocumentDecodesEveryPageFirst) {
  test::TempDir dir;
  const fs::path good = write_page(dir, "good", Encoding::png);
  const fs::path damaged = write_page(dir, "damaged", Encoding::jpeg);
  const std::string bytes = read_bytes(damaged);
  write_bytes(damaged, bytes.substr(0, bytes.size() / 2));

  Job job;
  job.documents = {
      document_of("D001", 0, list_of({good, damaged}), FailurePolicy::skip_document),
      document_of("D002", 1, list_of({good, dir / "missing.png"}), FailurePolicy::skip_document),
      document_of("D003", 2, list_of({good, good}), FailurePolicy::skip_document)};
  const auto scanned = scan_documents(job);
  ASSERT_EQ(scanned.size(), 3u);

  EXPECT_TRUE(scanned[0].skipped);
  EXPECT_TRUE(scanned[0].pages.empty());
  EXPECT_EQ(scanned[0].skip_reason, damaged.string() +
                                        " (page 1): cannot decode: VipsJpeg: Premature end of "
                                        "input file");
  EXPECT_TRUE(scanned[1].skipped);
  EXPECT_EQ(scanned[1].skip_reason, (dir / "missing.png").string() + ": no such file");
  EXPECT_FALSE(scanned[2].skipped);
  EXPECT_EQ(scanned[2].pages.size(), 2u);
  for (std::size_t i = 0; i < scanned.size(); ++i) EXPECT_EQ(scanned[i].document, i);
}

TEST(Ingest, ScanSubstituteRecordsTheFailedPositions) {
  test::TempDir dir;
  const fs::path good = write_page(dir, "good", Encoding::png);
  const fs::path nores = write_page(dir, "nores", Encoding::tiff_lzw, small_page(), false);
  Job job;
  job.documents = {
      document_of("D001", 0, list_of({good, nores, good, nores}), FailurePolicy::substitute),
      document_of("D002", 1, one_file(PageSource::Kind::directory, dir / "gone"),
                  FailurePolicy::substitute)};
  const auto scanned = scan_documents(job);
  ASSERT_EQ(scanned.size(), 2u);

  const std::string reason =
      nores.string() +
      " (page 1): no usable resolution in the file (found none); set dpi in the job";
  EXPECT_FALSE(scanned[0].skipped);
  ASSERT_EQ(scanned[0].pages.size(), 2u);
  EXPECT_EQ(scanned[0].pages[0].ref.file, good);
  const PageRef nores_ref{nores.string(), 0, 1, SourceFormat::tiff};
  EXPECT_EQ(scanned[0].substitutes,
            (std::vector<FailedPage>{{1, reason, nores_ref}, {3, reason, nores_ref}}));

  EXPECT_TRUE(scanned[1].pages.empty());
  EXPECT_EQ(scanned[1].substitutes,
            (std::vector<FailedPage>{{0, (dir / "gone").string() + ": no such folder", {}}}));
}

// A folder of good scans with bad files among them: an empty file, a GIF renamed .jpg, and the
// OS's own files (never pages).
struct FolderWithBadFiles {
  fs::path scans, empty, gif;
  explicit FolderWithBadFiles(const test::TempDir& dir) : scans(dir / "scans") {
    fs::create_directories(scans);
    for (const char* name : {"p1", "p3", "p5"}) {
      samples::save_page(samples::make_page(small_page()), scans / (std::string(name) + ".png"),
                         Encoding::png, kDpi);
    }
    empty = scans / "p2.png";
    test::write_text(empty, "");
    gif = scans / "p4.jpg";
    test::write_text(gif, std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 13));
    for (const char* junk : {"Thumbs.db", "desktop.ini", ".DS_Store", "._p1.png", "EHTHUMBS.DB"}) {
      test::write_text(scans / junk, "not a page");
    }
  }
  std::string empty_reason() const { return empty.string() + ": the file is empty"; }
  std::string gif_reason() const {
    return gif.string() +
           ": unsupported file type (GIF); filmwriter reads TIFF, JPEG, PNG, JPEG 2000 and PDF";
  }
};

TEST(Ingest, SubstituteReplacesOnlyTheBadFilesOfAFolder) {
  test::TempDir dir;
  const FolderWithBadFiles folder(dir);
  Job job;
  job.documents = {document_of("D001", 0, one_file(PageSource::Kind::directory, folder.scans),
                               FailurePolicy::substitute)};
  const auto scanned = scan_documents(job);
  ASSERT_EQ(scanned.size(), 1u);
  std::vector<std::string> good;
  for (const SourcePage& page : scanned[0].pages) {
    good.push_back(fs::path(page.ref.file).filename().string());
  }
  EXPECT_EQ(good, (std::vector<std::string>{"p1.png", "p3.png", "p5.png"}));
  // Each bad file is one page where it stands, and names its file.
  ASSERT_EQ(scanned[0].substitutes.size(), 2u);
  EXPECT_EQ(scanned[0].substitutes[0].position, 1u);
  EXPECT_EQ(scanned[0].substitutes[0].reason, folder.empty_reason());
  EXPECT_EQ(scanned[0].substitutes[0].ref.file, folder.empty.string());
  EXPECT_EQ(scanned[0].substitutes[1].position, 3u);
  EXPECT_EQ(scanned[0].substitutes[1].reason, folder.gif_reason());
  EXPECT_EQ(scanned[0].substitutes[1].ref.file, folder.gif.string());
}

TEST(Ingest, EveryBadFileOfAFolderIsReportedInOneRun) {
  test::TempDir dir;
  const FolderWithBadFiles folder(dir);
  const PageSource source = one_file(PageSource::Kind::directory, folder.scans);
  EXPECT_EQ(std::string(expect_input_error([&] { expand_pages(source, {}); }).what()),
            "2 files cannot be read as pages:\n  " + folder.empty_reason() + "\n  " +
                folder.gif_reason());

  Job job;
  job.documents = {document_of("D001", 0, source, FailurePolicy::fail)};
  EXPECT_EQ(std::string(expect_input_error([&] { scan_documents(job); }).what()),
            "document D001 (documents[1]): 2 pages cannot be filmed:\n  " + folder.empty_reason() +
                "\n  " + folder.gif_reason());

  job.documents[0].overrides.on_error = FailurePolicy::skip_document;
  const auto skipped = scan_documents(job);
  EXPECT_TRUE(skipped[0].skipped);
  EXPECT_EQ(skipped[0].skip_reason,
            "2 pages cannot be filmed:\n  " + folder.empty_reason() + "\n  " + folder.gif_reason());

  // One bad file: its message alone, as before.
  fs::remove(folder.gif);
  EXPECT_EQ(std::string(expect_input_error([&] { expand_pages(source, {}); }).what()),
            folder.empty_reason());
}

TEST(Ingest, TheOperatingSystemsFilesAreNotPages) {
  for (const char* junk :
       {"Thumbs.db", "thumbs.db", "THUMBS.DB", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini",
        "Desktop.ini", ".DS_Store", "._p1.tif", ".directory", "Icon\r"}) {
    EXPECT_TRUE(is_os_junk(junk)) << junk;
  }
  for (const char* page : {"p1.tif", "Thumbs.db.tif", "desktop.ini.png", "Icon", "thumbs.png"}) {
    EXPECT_FALSE(is_os_junk(page)) << page;
  }

  test::TempDir dir;
  const fs::path scans = dir / "scans";
  fs::create_directories(scans);
  test::write_text(scans / "Thumbs.db", "x");
  test::write_text(scans / "desktop.ini", "x");
  EXPECT_EQ(std::string(expect_input_error([&] {
                          expand_pages(one_file(PageSource::Kind::directory, scans), {});
                        }).what()),
            scans.string() + ": no page files in the folder (subfolders are not read)");
  // A pattern leaves them out too.
  const fs::path pattern = dir / "pattern";
  fs::create_directories(pattern);
  samples::save_page(samples::make_page(small_page()), pattern / "p1.png", Encoding::png, kDpi);
  test::write_text(pattern / "Thumbs.db", "x");
  const auto refs = expand_pages(one_file(PageSource::Kind::glob, pattern / "*"), {});
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(fs::path(refs[0].file).filename(), "p1.png");
}

// --- hashes ---------------------------------------------------------------------------------

TEST(Ingest, SourceHashesHashEachFileOnceForAllThreads) {
  test::TempDir dir;
  test::write_text(dir / "abc.txt", "abc");
  const fs::path page = write_page(dir, "p1", Encoding::tiff_lzw);
  SourceHashes hashes;
  std::vector<std::string> abc(8), pages(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      abc[i] = hashes.get(dir / "abc.txt");
      pages[i] = hashes.get(page);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < 8; ++i) {
    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    EXPECT_EQ(abc[i], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(pages[i], sha256_file(page));
  }

  const fs::path missing = dir / "missing.tif";
  for (int attempt = 0; attempt < 2; ++attempt) {
    EXPECT_THAT(expect_input_error([&] { hashes.get(missing); }).what(),
                HasSubstr(missing.string()));
  }
}

TEST(Ingest, SourceHashesKeepOnlyTheLastFilesAndHashAnOlderOneAgain) {
  test::TempDir dir;
  SourceHashes hashes;
  const std::size_t files = SourceHashes::kKept + 44;
  for (std::size_t i = 0; i < files; ++i) {
    test::write_text(dir / fmt::format("f{}.txt", i), fmt::format("page {}", i));
    EXPECT_EQ(hashes.get(dir / fmt::format("f{}.txt", i)),
              sha256_file(dir / fmt::format("f{}.txt", i)));
  }
  EXPECT_EQ(hashes.kept(), SourceHashes::kKept);
  // The first file left the cache: it is read again, so a change since shows.
  test::write_text(dir / "f0.txt", "page 0, rescanned");
  EXPECT_EQ(hashes.get(dir / "f0.txt"), sha256_file(dir / "f0.txt"));
  // The last one is still held: the same answer without reading the file.
  std::filesystem::remove(dir / fmt::format("f{}.txt", files - 1));
  EXPECT_EQ(hashes.get(dir / fmt::format("f{}.txt", files - 1)).size(), 64u);
  EXPECT_EQ(hashes.kept(), SourceHashes::kKept);
}

}  // namespace
}  // namespace fw
