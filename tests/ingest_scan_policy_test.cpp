// The scan policy for pages that fail to decode (engine/ingest): fail naming the document, skip
// the document after decoding every page, or substitute the failed pages, every bad file of a
// folder reported in one run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "ingest/ingest.hpp"
#include "samples/samples.hpp"
#include "support/ingest_fixture.hpp"
#include "support/test_support.hpp"

namespace fw::ingest_scan_policy_test {
namespace {

namespace fs = std::filesystem;
using samples::Encoding;

using test::expect_input_error;
using test::kDpi;
using test::list_of;
using test::one_file;
using test::read_bytes;
using test::small_page;
using test::write_bytes;
using test::write_page;

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
  const PageRef nores_ref{
      .file = nores.string(), .page_in_file = 0, .pages_in_file = 1, .format = SourceFormat::tiff};
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

// A text file in a scans folder (a readme, the supplier's list of pages) is no page: filmed as
// a missing page it would give the document a page it never had, and renumber the pages after
// it. It is left out under every policy, and warned of; named in a list, it is an error.
TEST(Ingest, TextInAFolderIsLeftOutNotFilmedAsAMissingPage) {
  test::TempDir dir;
  const fs::path scans = dir / "scans";
  fs::create_directories(scans);
  for (const char* name : {"p1", "p3"}) {
    samples::save_page(samples::make_page(small_page()), scans / (std::string(name) + ".png"),
                       Encoding::png, kDpi);
  }
  const fs::path text = scans / "p2.txt";
  test::write_text(text, "扫描说明: 第2页缺失 (page 2 was never scanned)\n");
  for (const FailurePolicy policy :
       {FailurePolicy::fail, FailurePolicy::substitute, FailurePolicy::skip_document}) {
    for (const auto& pages : {one_file(PageSource::Kind::directory, scans),
                              one_file(PageSource::Kind::glob, scans / "*")}) {
      Job job;
      job.documents = {document_of("D001", 0, pages, policy)};
      const auto scanned = scan_documents(job);
      ASSERT_EQ(scanned.size(), 1u);
      EXPECT_FALSE(scanned[0].skipped);
      ASSERT_EQ(scanned[0].pages.size(), 2u);
      EXPECT_EQ(scanned[0].pages[1].ref.file, (scans / "p3.png").string());
      EXPECT_TRUE(scanned[0].substitutes.empty());
      EXPECT_EQ(scanned[0].left_out, std::vector<std::string>{text.string()});
    }
  }
  Job listed;
  listed.documents = {
      document_of("D001", 0, list_of({scans / "p1.png", text}), FailurePolicy::fail)};
  EXPECT_EQ(std::string(expect_input_error([&] { scan_documents(listed); }).what()),
            "document D001 (documents[1]): " + text.string() +
                ": unsupported file type (text); filmwriter reads TIFF, JPEG, PNG, JPEG 2000 "
                "and PDF");

  // The operator is told, and the plan has the document's two pages.
  const test::CliResult plan =
      test::run_cli({"plan", scans.string(), "--dpi", "200", "--out", (dir / "out").string()});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_THAT(plan.err,
              ::testing::HasSubstr("filmwriter: warning: document scans: " + text.string() +
                                   " is text, not a page file: not filmed"));
  EXPECT_THAT(plan.out, ::testing::HasSubstr("(2 pages, 0 substitutes"));

  // A folder of text only has no pages.
  const fs::path notes = dir / "notes";
  fs::create_directories(notes);
  test::write_text(notes / "readme.txt", "nothing here yet\n");
  Job empty;
  empty.documents = {
      document_of("D001", 0, one_file(PageSource::Kind::directory, notes), FailurePolicy::fail)};
  EXPECT_EQ(std::string(expect_input_error([&] { scan_documents(empty); }).what()),
            "document D001 (documents[1]): " + notes.string() +
                ": no page files in the folder, only text (" + (notes / "readme.txt").string() +
                ")");
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

}  // namespace
}  // namespace fw::ingest_scan_policy_test
