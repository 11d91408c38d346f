// Where pages come from (engine/ingest): folders, globs and lists in natural order, page ranges,
// missing and empty sources, the operating system's files that are not pages, and the source
// files' hashes computed once for all threads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "ingest/ingest.hpp"
#include "samples/samples.hpp"
#include "support/ingest_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::ingest_sources_test {
namespace {

namespace fs = std::filesystem;
using samples::Encoding;
using ::testing::HasSubstr;
using vips::VImage;

using test::expect_input_error;
using test::kDpi;
using test::list_of;
using test::one_file;
using test::small_page;
using test::write_page;

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
  order.reserve(refs.size());
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
  names.reserve(refs.size());
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
  pages.reserve(5);
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
  // A link whose scan was moved away (or whose share is not mounted) says where it points.
  const fs::path dangling = dir / "p2.tif";
  fs::create_symlink("../moved/p2.tif", dangling);
  EXPECT_EQ(std::string(expect_input_error([&] { expand_pages(list_of({dangling}), {}); }).what()),
            dangling.string() + ": is a symbolic link to ../moved/p2.tif, which does not exist");

  const fs::path pdf = dir / "report.pdf";
  samples::save_pdf({small_page()}, pdf);
  EXPECT_EQ(std::string(expect_input_error([&] {
                          expand_pages(one_file(PageSource::Kind::tiff, pdf), {});
                        }).what()),
            pdf.string() + ": expected a TIFF file, found PDF");
}

// --- resolution -----------------------------------------------------------------------------

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
}  // namespace fw::ingest_sources_test
