// Page counts that are right (issue 25): a TIFF's pages counted by libtiff in one walk along
// its chain of directories and cross-checked against libvips, a PDF's by poppler without
// libvips's cap at 10,000; a broken or looping chain is an input error naming the last good
// page, never a shorter document filmed with exit 0. Pages are tiny and written here with
// libtiff (or as a hand-made PDF), so 10,000 of them take a moment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tiffio.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "ingest/ingest.hpp"
#include "support/test_support.hpp"

namespace fw::page_count_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// `pages` pages of 8 x 8 grey pixels at 300 dpi; returns each page's IFD offset.
std::vector<std::uint64_t> write_tiny_tiff(const fs::path& file, int pages) {
  TIFF* tiff = TIFFOpen(file.c_str(), "w");
  if (!tiff) throw std::runtime_error("cannot write " + file.string());
  std::vector<std::uint8_t> row(8);
  for (int page = 0; page < pages; ++page) {
    TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 8);
    TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 8);
    TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, 8);
    TIFFSetField(tiff, TIFFTAG_XRESOLUTION, 300.0);
    TIFFSetField(tiff, TIFFTAG_YRESOLUTION, 300.0);
    TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    for (std::uint32_t y = 0; y < 8; ++y) {
      std::fill(row.begin(), row.end(), static_cast<std::uint8_t>(page * 7 + y));
      TIFFWriteScanline(tiff, row.data(), y, 0);
    }
    TIFFWriteDirectory(tiff);
  }
  TIFFClose(tiff);
  std::vector<std::uint64_t> offsets;
  tiff = TIFFOpen(file.c_str(), "r");
  do {
    offsets.push_back(TIFFCurrentDirOffset(tiff));
  } while (TIFFReadDirectory(tiff) == 1);
  TIFFClose(tiff);
  return offsets;
}

PageSource whole_tiff(const fs::path& file) {
  PageSource source;
  source.kind = PageSource::Kind::tiff;
  source.paths = {file};
  return source;
}

// The tests' 8 x 8 px pages (0.7 mm at 300 dpi: small, so that 10,000 of them are quick) are
// under the page-size floor on purpose.
Limits tiny_pages() {
  Limits limits;
  limits.min_page_mm = 0;
  return limits;
}

TEST(PageCount, ATiffOfTenThousandPagesHasTenThousandPages) {
  test::TempDir dir;
  write_tiny_tiff(dir / "big.tif", 10000);
  const std::vector<PageRef> pages = expand_pages(whole_tiff(dir / "big.tif"), Limits{});
  ASSERT_EQ(pages.size(), 10000u);
  EXPECT_EQ(pages.back().page_in_file, 9999u);
  EXPECT_EQ(pages.back().pages_in_file, 10000u);
  // The last page probes as itself (libtiff's walk, not libvips's cap).
  const PageInfo last = probe_page(pages.back(), PageSettings{}, tiny_pages());
  EXPECT_EQ(last.width_px, 8u);
  EXPECT_DOUBLE_EQ(last.dpi, 300);
}

TEST(PageCount, APdfOfTenThousandPagesHasTenThousandPages) {
  test::TempDir dir;
  test::write_pdf(dir / "big.pdf", 10000);
  PageSource source = whole_tiff(dir / "big.pdf");
  source.kind = PageSource::Kind::pdf;
  const std::vector<PageRef> pages = expand_pages(source, Limits{});
  ASSERT_EQ(pages.size(), 10000u);
  EXPECT_EQ(pages.back().pages_in_file, 10000u);
}

// libvips's own words were "cannot decode: pdfload: pages out of range", for a range nobody
// gave.
TEST(PageCount, APdfWithoutPagesIsRefusedSayingSo) {
  test::TempDir dir;
  test::write_pdf(dir / "empty.pdf", 0);
  PageSource source = whole_tiff(dir / "empty.pdf");
  source.kind = PageSource::Kind::pdf;
  try {
    (void)expand_pages(source, Limits{});
    FAIL() << "a PDF without pages was listed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(std::string(e.what()), (dir / "empty.pdf").string() + ": the PDF has no pages");
  }
}

TEST(PageCount, ATiffCutInItsFourthPageIsRefusedNamingTheLastGoodPage) {
  test::TempDir dir;
  const std::vector<std::uint64_t> ifd = write_tiny_tiff(dir / "cut.tif", 5);
  ASSERT_EQ(ifd.size(), 5u);
  fs::resize_file(dir / "cut.tif", ifd[3] + 6);  // inside the fourth page's directory
  try {
    expand_pages(whole_tiff(dir / "cut.tif"), Limits{});
    FAIL() << "a cut TIFF was read as a shorter one";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_THAT(e.what(), HasSubstr("cut.tif: the TIFF's chain of pages is broken after page 3"));
  }
  // Through the CLI: exit 3 (input), nothing filmed.
  test::write_text(dir / "job.toml",
                   "version = 1\nid = \"cut\"\ntitle = \"t\"\n[[documents]]\nid = \"D1\"\n"
                   "title = \"d\"\npages = { tiff = \"cut.tif\" }\n");
  const auto run = test::run_cli({"convert", (dir / "job.toml").string(), "--dry-run"});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr("is broken after page 3"));
}

// Scanners and image editors store a thumbnail or a pyramid of reduced-resolution copies, or a
// transparency mask, as further IFDs of the page's TIFF. libvips counts them as pages, and
// each was filmed as one more page of the document (a pyramidal TIFF of one page: 5 frames).
TEST(PageCount, ThumbnailsPyramidLevelsAndMasksOfATiffAreNotPages) {
  test::TempDir dir;
  const fs::path file = dir / "book.tif";
  struct Ifd {
    std::uint32_t size;
    std::uint8_t value;
    std::uint32_t subfile_type;  // NewSubfileType (254)
  };
  const std::vector<Ifd> ifds = {{8, 10, 0},
                                 {4, 200, FILETYPE_REDUCEDIMAGE},
                                 {8, 20, FILETYPE_PAGE},
                                 {8, 255, FILETYPE_MASK},
                                 {8, 30, 0},
                                 {2, 201, FILETYPE_REDUCEDIMAGE | FILETYPE_PAGE}};
  TIFF* tiff = TIFFOpen(file.c_str(), "w");
  ASSERT_TRUE(tiff);
  for (const Ifd& ifd : ifds) {
    TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, ifd.subfile_type);
    TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, ifd.size);
    TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, ifd.size);
    TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, ifd.size);
    TIFFSetField(tiff, TIFFTAG_XRESOLUTION, 300.0);
    TIFFSetField(tiff, TIFFTAG_YRESOLUTION, 300.0);
    TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    std::vector<std::uint8_t> row(ifd.size, ifd.value);
    for (std::uint32_t y = 0; y < ifd.size; ++y) TIFFWriteScanline(tiff, row.data(), y, 0);
    TIFFWriteDirectory(tiff);
  }
  TIFFClose(tiff);

  const std::vector<PageRef> pages = expand_pages(whole_tiff(file), {});
  ASSERT_EQ(pages.size(), 3u);
  const std::uint8_t values[] = {10, 20, 30};
  for (std::uint32_t i = 0; i < pages.size(); ++i) {
    SCOPED_TRACE(fmt::format("page {}", i + 1));
    EXPECT_EQ(pages[i].page_in_file, i);
    EXPECT_EQ(pages[i].pages_in_file, 3u);
    const SourcePage page{pages[i], probe_page(pages[i], {}, tiny_pages())};
    EXPECT_EQ(page.info.width_px, 8u);
    const vips::VImage image = open_page(page, 1.0, {}).copy_memory();  // read once, in order
    EXPECT_EQ(image.width(), 8);
    EXPECT_EQ(image.min(), values[i]);
    EXPECT_EQ(image.max(), values[i]);
  }
  // A range counts pages, not IFDs.
  PageSource third = whole_tiff(file);
  third.first_page = 3;
  EXPECT_EQ(expand_pages(third, {}).size(), 1u);
}

TEST(PageCount, ATiffWhoseChainLoopsIsRefused) {
  test::TempDir dir;
  const std::vector<std::uint64_t> ifd = write_tiny_tiff(dir / "loop.tif", 4);
  ASSERT_EQ(ifd.size(), 4u);
  // The last directory's "next" points back at the second: classic little-endian TIFF, a
  // 2-byte entry count, 12 bytes an entry, then the 4-byte offset of the next directory.
  std::fstream file(dir / "loop.tif", std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(ifd[3]));
  std::uint16_t entries = 0;
  file.read(reinterpret_cast<char*>(&entries), 2);
  const auto next = static_cast<std::uint32_t>(ifd[1]);
  file.seekp(static_cast<std::streamoff>(ifd[3] + 2 + 12 * std::uint64_t{entries}));
  file.write(reinterpret_cast<const char*>(&next), 4);
  file.close();
  try {
    expand_pages(whole_tiff(dir / "loop.tif"), Limits{});
    FAIL() << "a looping TIFF was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_THAT(e.what(), HasSubstr("loop.tif: the TIFF's chain of pages loops back after page 4"));
  }
}

}  // namespace
}  // namespace fw::page_count_test
