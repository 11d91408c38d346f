// Finding frames in the catalog (engine/catalog) on SQLite and PostgreSQL: by document, title,
// source file, checksum, metadata and free text, readers that never see half a batch, reels and
// failed jobs as they are; CSV export and the catalog query API (engine/api/catalog_query).
#include "catalog/catalog.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/catalog_query.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/export.hpp"
#include "catalog/index.hpp"
#include "catalog/inspection.hpp"
#include "catalog/journal.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/catalog_fixture.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace fw::catalog_find_test {
namespace {

using test::filled;
using test::row;
using test::sample_job;

// The tests named *On run on SQLite and on PostgreSQL (tests/support/pg_server.hpp).
class CatalogOn : public test::CatalogBackend {};
class CatalogExportOn : public test::CatalogBackend {};
FW_INSTANTIATE_BACKENDS(Catalog, CatalogOn);
FW_INSTANTIATE_BACKENDS(Catalog, CatalogExportOn);
// Every find that names a document, a file or a checksum goes through an index, not a scan of
// the frames table (a collection has millions of frames). SQLite's plans: PostgreSQL chooses by
// its statistics, and on a few rows scans.
TEST(Catalog, FindByDocumentFileOrChecksumUsesAnIndex) {
  test::TempDir dir;
  Catalog catalog(dir / "catalog.sqlite");
  catalog.start_job(sample_job(dir.path()));
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, "D001", 1), {}, {}},
                               {"nlc-1", "R0001", row(2, "D002", 1), {}, {}}});
  auto plan_of = [&](const FrameQuery& q) {
    std::string text;
    for (const auto& step : catalog.explain_find(q)) text += step + "\n";
    return text;
  };
  auto expect_indexed = [&](const FrameQuery& q, const std::string& index, const char* what) {
    const std::string plan = plan_of(q);
    EXPECT_NE(plan.find("USING INDEX " + index), std::string::npos) << what << ":\n" << plan;
    EXPECT_EQ(plan.find("SCAN f"), std::string::npos) << what << ": scans the frames\n" << plan;
  };
  FrameQuery by_document;
  by_document.document_id = "D002";
  expect_indexed(by_document, "documents_by_id", "document id");
  EXPECT_NE(plan_of(by_document).find("frames_by_document"), std::string::npos);
  FrameQuery by_checksum;
  by_checksum.sha256 = std::string(64, 'b');
  expect_indexed(by_checksum, "frames_by_source", "checksum");
  EXPECT_NE(plan_of(by_checksum).find("frames_by_frame"), std::string::npos);
  FrameQuery by_file;
  by_file.source_file = "scans/D002.tif";
  expect_indexed(by_file, "frames_by_source_name", "source file");
  EXPECT_EQ(catalog.find(by_file).size(), 1u);
  FrameQuery by_title;
  by_title.title = "集注";
  expect_indexed(by_title, "frames_by_document", "title");
  // The answers are the same as before the indexes.
  EXPECT_EQ(catalog.find(by_document).size(), 1u);
  EXPECT_EQ(catalog.find(by_checksum).size(), 2u);
  EXPECT_EQ(catalog.find(by_title).size(), 2u);
}

TEST_P(CatalogOn, ReadersNeverSeeHalfABatchWhileAJobWrites) {
  test::TempDir dir;
  const std::string file = catalog_at(dir / "catalog.sqlite");
  Catalog writer(file);
  writer.start_job(sample_job(dir.path()));
  writer.reel_loaded("nlc-1", "R0001", 1, 30.5);
  constexpr std::uint32_t kBatch = 25, kBatches = 40;
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, torn{0};
  std::thread reader([&] {
    Catalog catalog(file);  // its own connection, as `catalog find` during a job
    std::size_t last = 0;
    while (!done.load()) {
      const std::size_t seen = catalog.frames("nlc-1").size();
      if (seen % kBatch != 0 || seen < last) ++torn;
      last = seen;
      ++reads;
    }
  });
  // The reader's connection is up and reading before the first batch: on a loaded machine
  // its set-up could otherwise outlast every write, and it would read nothing.
  while (reads.load() == 0) std::this_thread::yield();
  for (std::uint32_t b = 0; b < kBatches; ++b) {
    std::vector<CatalogFrame> batch;
    for (std::uint32_t i = 1; i <= kBatch; ++i) {
      const std::uint32_t frame = b * kBatch + i;
      batch.push_back({"nlc-1", "R0001", row(frame, "D001", frame), {}, {}});
    }
    writer.add_frames("nlc-1", batch);
  }
  done.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(writer.frames("nlc-1").size(), kBatch * kBatches);
}

TEST_P(CatalogOn, FindsByDocumentTitleSourceAndChecksum) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  catalog.start_job(sample_job(dir.path()));
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, "D001", 1), {}, {}},
                               {"nlc-1", "R0001", row(2, "D001", 2), {}, {}},
                               {"nlc-1", "R0001", row(3, "D002", 1), {}, {}}});
  FrameQuery by_title;
  by_title.title = "孟子";
  ASSERT_EQ(catalog.find(by_title).size(), 1u);
  EXPECT_EQ(catalog.find(by_title)[0].title, "孟子集注 卷二");
  by_title.title = "集注";
  EXPECT_EQ(catalog.find(by_title).size(), 3u);
  by_title.title = "100%";  // LIKE wildcards are taken literally
  EXPECT_TRUE(catalog.find(by_title).empty());
  FrameQuery by_source;
  by_source.source_file = "D001.tif";
  EXPECT_EQ(catalog.find(by_source).size(), 2u);
  FrameQuery by_frame;
  by_frame.sha256 = fmt::format("{:064}", 3);
  ASSERT_EQ(catalog.find(by_frame).size(), 1u);
  EXPECT_EQ(catalog.find(by_frame)[0].row.document_id, "D002");
  EXPECT_EQ(catalog.documents("nlc-1")[0].metadata.at(0).second, "朱熹");

  // A path's trailing components are taken literally too: `_` is not any character.
  IndexRow deeper = row(4, "D002", 2);
  deeper.source_file = "in/scans/D003.tif";
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", deeper, {}, {}}});
  by_source.source_file = "scans/D003.tif";
  EXPECT_EQ(catalog.find(by_source).size(), 1u);
  by_source.source_file = "s_ans/D003.tif";
  EXPECT_TRUE(catalog.find(by_source).empty());
}

// A document id is found whatever Unicode spelling the question and the catalog use, as long
// as the two are canonically equivalent (equal in NFC): 가 stored as jamo (a macOS folder name)
// and asked for as the syllable an IME types, ガ the other way round, and 豈 stored as the
// compatibility ideograph U+F900 of a KS X 1001 conversion, asked for as U+8C48, which neither
// the query's NFC nor its NFD spells. A fullwidth look-alike is not the same id.
TEST_P(CatalogOn, FindsADocumentByIdInAnyCanonicallyEquivalentSpelling) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  const std::string hangul_nfd = "\u1100\u1161-01";
  const std::string kana_nfc = "\u30AC\u30A4\u30C9";
  const std::string compatibility = "\uF900\u5C71\u96C6";
  CatalogJob job = sample_job(dir.path());
  job.documents = {{hangul_nfd, "문집", {}, {}, {}},
                   {kana_nfc, "案内", {}, {}, {}},
                   {compatibility, "豈山集", {}, {}, {}},
                   {"\uFF24\uFF2F\uFF23", "ＤＯＣ", {}, {}, {}},
                   {"DOC", "DOC", {}, {}, {}},
                   {"\u212A-01", "Kelvin", {}, {}, {}}};
  catalog.start_job(job);
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, hangul_nfd, 1), {}, {}},
                               {"nlc-1", "R0001", row(2, hangul_nfd, 2), {}, {}},
                               {"nlc-1", "R0001", row(3, kana_nfc, 1), {}, {}},
                               {"nlc-1", "R0001", row(4, compatibility, 1), {}, {}},
                               {"nlc-1", "R0001", row(5, "\uFF24\uFF2F\uFF23", 1), {}, {}},
                               {"nlc-1", "R0001", row(6, "DOC", 1), {}, {}},
                               {"nlc-1", "R0001", row(7, "\u212A-01", 1), {}, {}}});
  // A second job stored 가 as the syllable: a question without a job finds both spellings.
  CatalogJob other = sample_job(dir.path());
  other.id = "nlc-2";
  other.documents = {{"\uAC00-01", "문집", {}, {}, {}}};
  catalog.start_job(other);
  catalog.reel_loaded("nlc-2", "R0001", 1, 30.5);
  catalog.add_frames("nlc-2", {{"nlc-2", "R0001", row(1, "\uAC00-01", 1), {}, {}}});

  const auto found = [&](const std::string& id, const std::string& job_id = "") {
    FrameQuery q;
    q.document_id = id;
    q.job_id = job_id;
    std::vector<std::string> hits;
    for (const CatalogFrame& f : catalog.find(q)) {
      hits.push_back(fmt::format("{} {} {}", f.job_id, f.row.frame, f.row.document_id));
    }
    return hits;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(found("\uAC00-01", "nlc-1"),
              ElementsAre("nlc-1 1 " + hangul_nfd, "nlc-1 2 " + hangul_nfd));
  EXPECT_THAT(found(hangul_nfd),
              ElementsAre("nlc-1 1 " + hangul_nfd, "nlc-1 2 " + hangul_nfd, "nlc-2 1 \uAC00-01"));
  EXPECT_THAT(found("\u30AB\u3099\u30A4\u30C9"), ElementsAre("nlc-1 3 " + kana_nfc));
  EXPECT_THAT(found("\u8C48\u5C71\u96C6"), ElementsAre("nlc-1 4 " + compatibility));
  EXPECT_THAT(found(compatibility), ElementsAre("nlc-1 4 " + compatibility));
  EXPECT_THAT(found("DOC"), ElementsAre("nlc-1 6 DOC"));
  // ASCII has one spelling, but for K, ';' and '`': U+212A KELVIN SIGN is K in NFC.
  EXPECT_THAT(found("K-01"), ElementsAre("nlc-1 7 \u212A-01"));
  EXPECT_THAT(found("\u30AB\u309B\u30A4\u30C9"), ElementsAre());  // the spacing dakuten

  // A TOC entry whose page is not on film yet is answered by --title with --document alone,
  // in either spelling too (Catalog::find_toc).
  CatalogJob unfilmed = sample_job(dir.path());
  unfilmed.id = "nlc-3";
  unfilmed.documents = {{hangul_nfd, "문집", {}, {}, {{"\uC11C\uBB38", 1, 1, {}}}}};
  catalog.start_job(unfilmed);
  FrameQuery toc_query;
  toc_query.title = "\uC11C\uBB38";
  toc_query.job_id = "nlc-3";
  toc_query.document_id = "\uAC00-01";
  const std::vector<CatalogTocPlace> places = catalog.find_toc(toc_query);
  ASSERT_EQ(places.size(), 1u);
  EXPECT_EQ(places[0].document_id, hangul_nfd);
  EXPECT_EQ(places[0].reel_id, "");
}

std::vector<std::uint32_t> frame_numbers(const std::vector<CatalogFrame>& frames) {
  std::vector<std::uint32_t> out;
  out.reserve(frames.size());
  for (const auto& f : frames) out.push_back(f.row.frame);
  return out;
}

TEST_P(CatalogOn, FindsByMetadataAndFreeTextInAnyScript) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  filled(catalog, dir.path());
  FrameQuery q;
  q.metadata = {parse_meta_query("作者=朱熹")};
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{3, 4, 5}));
  q.metadata = {parse_meta_query("索书号=01234")};  // any part of the value
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{3, 4}));
  q.metadata = {parse_meta_query("作者=朱熹"), parse_meta_query("版本=明刻")};  // every pair
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{5}));
  q.metadata = {parse_meta_query("版本=善")};  // the value of another key does not count
  EXPECT_TRUE(catalog.find(q).empty());
  q.metadata = {parse_meta_query("TITLE=lunyu")};  // ASCII case aside
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{3, 4}));

  FrameQuery text;
  text.text = "明刻本";  // a metadata value
  EXPECT_EQ(frame_numbers(catalog.find(text)), (std::vector<std::uint32_t>{5}));
  text.text = "集注\u3000朱熹";  // every word, in the title or a value; an ideographic space
  EXPECT_EQ(frame_numbers(catalog.find(text)), (std::vector<std::uint32_t>{3, 4, 5}));
  text.text = "卷一 善";
  EXPECT_EQ(frame_numbers(catalog.find(text)), (std::vector<std::uint32_t>{3, 4}));
  text.text = "卷一 明刻本";
  EXPECT_TRUE(catalog.find(text).empty());
  text.text = "作者";  // keys are not values
  EXPECT_TRUE(catalog.find(text).empty());

  try {
    parse_meta_query("朱熹");
    FAIL() << "a --meta without KEY= was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--meta: expected KEY=VALUE (e.g. 作者=朱熹), got \"朱熹\"");
  }
}

// A title or a value in a cased script beyond ASCII is found in either case, on both catalogs:
// SQLite's own LIKE and PostgreSQL's ILIKE in a database of LC_CTYPE C (the test server's,
// initdb --no-locale) lowercase ASCII letters only.
TEST_P(CatalogOn, FindsTitlesAndValuesInEitherCaseBeyondAscii) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  CatalogJob job = sample_job(dir.path());
  job.documents = {{"D001", "Über die Natur", {{"Autor", "ΑΡΙΣΤΟΤΕΛΗΣ"}}, {"scans/d1.tif"}, {}},
                   {"D002", "Война и мир", {{"Autor", "Лев Толстой"}}, {"scans/d2.tif"}, {}}};
  catalog.start_job(job);
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, "D001", 1), {}, {}},
                               {"nlc-1", "R0001", row(2, "D002", 1), {}, {}}});
  FrameQuery q;
  q.title = "über die";
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{1}));
  q.title = "ВОЙНА";
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{2}));
  q.title = "uber";  // a letter and its accented one are different letters
  EXPECT_TRUE(catalog.find(q).empty());
  FrameQuery meta;
  meta.metadata = {parse_meta_query("Autor=αριστοτέλης")};
  EXPECT_TRUE(catalog.find(meta).empty());  // έ is not Ε: the accent is part of the letter
  meta.metadata = {parse_meta_query("Autor=αριστοτελης")};
  EXPECT_EQ(frame_numbers(catalog.find(meta)), (std::vector<std::uint32_t>{1}));
  FrameQuery text;
  text.text = "ТОЛСТОЙ мир";
  EXPECT_EQ(frame_numbers(catalog.find(text)), (std::vector<std::uint32_t>{2}));
  text.text = "50%";  // a wildcard of LIKE is a plain character in what is looked for
  EXPECT_TRUE(catalog.find(text).empty());
}

TEST_P(CatalogOn, ChecksumsMatchInEitherCase) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  filled(catalog, dir.path());
  FrameQuery q;
  q.sha256 = std::string(64, 'B');  // the sources' checksum, pasted in upper case
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{3, 4, 5}));
  q.sha256 = fmt::format("{:064}", 4);
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{4}));
  EXPECT_EQ(normalize_sha256("ABCDEF" + std::string(58, '0')), "abcdef" + std::string(58, '0'));
  try {
    normalize_sha256("xyz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_STREQ(e.what(), "--sha256: expected hexadecimal digits, got \"xyz\"");
  }
  try {
    normalize_sha256("ABCD");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--sha256: expected 64 hexadecimal digits, got 4 in \"ABCD\"");
  }
}

// Start, technical and end targets are the reel's: a question about a document does not
// answer with them, and `find` shows them as the reel's.
TEST_P(CatalogOn, ReelTargetsBelongToTheirReelNotToTheFirstDocument) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  filled(catalog, dir.path());
  FrameQuery q;
  q.document_id = "D001";
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{3, 4}));
  q = {};
  q.title = "论语";
  EXPECT_EQ(frame_numbers(catalog.find(q)), (std::vector<std::uint32_t>{3, 4}));
  catalog.reel_closed("nlc-1", {"nlc-1", "R0001", 1, "complete", 6, 1.0, "", "", {}, 1, ""});
  EXPECT_EQ(describe_frames(catalog.frames("nlc-1")),
            (std::vector<std::string>{
                "nlc-1 R0001 frames 1-2: reel targets (start-target, technical-target) "
                "(R0001-0001 .. R0001-0002)",
                "nlc-1 R0001 frames 3-4: document D001 \"论语集注 卷一\" pages 1-2 "
                "(R0001-D001-0001 .. R0001-D001-0002)",
                "nlc-1 R0001 frames 5-5: document D002 \"孟子集注 卷二\" pages 1-1 "
                "(R0001-D002-0001 .. R0001-D002-0001)",
                "nlc-1 R0001 frames 6-6: reel targets (end-target) (R0001-0006 .. R0001-0006)"}));
  // The index keeps the planner's document column (catalog check compares it), the catalog's
  // answers do not use it.
  const auto frames = catalog.frames("nlc-1");
  EXPECT_EQ(frames[0].row.document_id, "D001");
  EXPECT_TRUE(frames[0].reel_target());
  EXPECT_EQ(frames[0].title, "");
}

// A page filmed as a substitute is found where it stands, said not to be on film: a librarian
// asking for the file or the document is not sent to a frame that does not show it.
TEST_P(CatalogOn, ASubstitutedPageIsFoundAsNotOnFilm) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  catalog.start_job(sample_job(dir.path()));
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  std::vector<CatalogFrame> frames;
  for (std::uint32_t page = 1; page <= 4; ++page) {
    IndexRow r = row(page, "D001", page);
    if (page == 2 || page == 4) {
      r.kind = "substitute";
      r.source_sha256.clear();
    }
    frames.push_back({"nlc-1", "R0001", r, {}, {}});
  }
  catalog.add_frames("nlc-1", frames);
  catalog.reel_closed("nlc-1", {"nlc-1", "R0001", 1, "complete", 4, 1.0, "", "", {}, 1, ""});
  FrameQuery q;
  q.document_id = "D001";
  EXPECT_EQ(describe_frames(catalog.find(q)),
            std::vector<std::string>{"nlc-1 R0001 frames 1-4: document D001 \"论语集注 卷一\" "
                                     "pages 1-4 (pages 2, 4 filmed as substitutes, not on film) "
                                     "(R0001-D001-0001 .. R0001-D001-0004)"});
  q = {};
  q.sha256 = fmt::format("{:064}", 2);  // the frame's
  EXPECT_EQ(describe_frames(catalog.find(q)),
            std::vector<std::string>{"nlc-1 R0001 frames 2-2: document D001 \"论语集注 卷一\" "
                                     "pages 2-2 (page 2 filmed as a substitute, not on film) "
                                     "(R0001-D001-0002 .. R0001-D001-0002)"});
}

// A job that failed or was interrupted leaves its reel `exposing`: it is shown as incomplete
// wherever the catalog answers (reels, find, export).
TEST_P(CatalogOn, AFailedJobsReelIsShownIncomplete) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  filled(catalog, dir.path());
  EXPECT_EQ(catalog.reels("nlc-1").at(0).status, "exposing");  // still running
  for (const char* status : {"failed", "interrupted"}) {
    catalog.set_job_status("nlc-1", status);
    EXPECT_EQ(catalog.reels("nlc-1").at(0).status, "incomplete") << status;
    FrameQuery q;
    q.document_id = "D002";
    const auto found = catalog.find(q);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].reel_status, "incomplete");
    EXPECT_EQ(describe_frames(found).at(0),
              "nlc-1 R0001 frames 5-5: document D002 \"孟子集注 卷二\" pages 1-1 "
              "(R0001-D002-0001 .. R0001-D002-0001) [reel incomplete]");
  }
  const std::string csv = export_csv(catalog, "nlc-1");
  EXPECT_NE(csv.find(",incomplete,"), std::string::npos) << csv;
  EXPECT_EQ(nlohmann::json::parse(export_json(catalog, ""))["jobs"][0]["reels"][0]["status"],
            "incomplete");
}

TEST_P(CatalogExportOn, CsvHasMetadataColumnsAndAnOptionalByteOrderMark) {
  test::TempDir dir;
  Catalog catalog(catalog_at(dir / "catalog.sqlite"));
  filled(catalog, dir.path());
  catalog.reel_closed("nlc-1", {"nlc-1", "R0001", 1, "complete", 6, 1.0, "", "", {}, 1, ""});
  const std::string csv = export_csv(catalog, "nlc-1");
  const std::string header = std::string(kExportColumns) + ",作者,索书号,metadata.title,版本\n";
  ASSERT_EQ(csv.substr(0, header.size()), header);
  EXPECT_NE(csv.find(",D001,论语集注 卷一,1,scans/D001.tif,1," + std::string(64, 'b') + "," +
                     fmt::format("{:064}", 3) + ",complete,朱熹,善 01234,Lunyu,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",complete,朱熹 撰,,,明刻本\n"), std::string::npos) << csv;
  // A reel target has no document, title or metadata.
  EXPECT_NE(csv.find("nlc-1,R0001,1,R0001-0001,page,start-target,,,0,,0,," +
                     fmt::format("{:064}", 1) + ",complete,,,,\n"),
            std::string::npos)
      << csv;
  const std::string bom = export_csv(catalog, "nlc-1", CsvOptions{true});
  EXPECT_EQ(bom, "\xEF\xBB\xBF" + csv);
}

// api/catalog_query.hpp: what `catalog find` and `catalog export` ask, through the API.
class CatalogQueryApi : public ::testing::Test {
 protected:
  void SetUp() override {
    Catalog catalog(file());
    catalog.start_job(sample_job(dir.path()));
    catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
    catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, "D001", 1), {}, {}},
                                 {"nlc-1", "R0001", row(2, "D001", 2), {}, {}},
                                 {"nlc-1", "R0001", row(3, "D002", 1), {}, {}}});
  }
  std::filesystem::path file() const { return dir / "catalog.sqlite"; }
  api::CatalogNames names() const { return {"", file(), ""}; }
  // The usage error a request makes, or "no error".
  template <typename Call>
  static std::string usage(Call call) {
    try {
      call();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
      return e.what();
    }
    return "no error";
  }

  test::TempDir dir;
};

TEST_F(CatalogQueryApi, FindAsksForSomethingToLookForAndAnswersALinePerRunOfFrames) {
  // Asked before the catalog is looked for: a missing one is not the error.
  EXPECT_EQ(usage([&] {
              api::find_in_catalog({"", dir / "missing.sqlite", ""}, {}, {});
            }),
            "catalog find: give at least one of --document, --title, --meta, --text, --source, "
            "--sha256, --operator");
  EXPECT_EQ(
      usage([&] { api::find_in_catalog(names(), {}, {"no-equals-sign"}); }).starts_with("--meta"),
      true);
  const auto by_meta = api::find_in_catalog(names(), {}, {"作者=朱熹"});
  ASSERT_EQ(by_meta.size(), 1u);
  EXPECT_THAT(by_meta[0], ::testing::HasSubstr("nlc-1 R0001 frames 1-2: document D001"));
  FrameQuery by_title;
  by_title.title = "孟子";
  const auto lines = api::find_in_catalog(names(), by_title, {});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], ::testing::HasSubstr("document D002"));
  by_title.title = "no such title";
  EXPECT_TRUE(api::find_in_catalog(names(), by_title, {}).empty());
}

TEST_F(CatalogQueryApi, ExportWritesOrReturnsEachFormatAndRefusesFlagsThatDoNotFitIt) {
  api::CatalogExportRequest csv;
  const api::CatalogExport text = api::export_catalog(names(), csv);
  EXPECT_EQ(text.text, export_csv(Catalog(file()), ""));
  EXPECT_TRUE(text.files.empty());
  csv.output = dir / "frames.csv";
  EXPECT_TRUE(api::export_catalog(names(), csv).text.empty());
  EXPECT_EQ(read_file(csv.output), text.text);
  api::CatalogExportRequest json;
  json.format = "json";
  EXPECT_EQ(api::export_catalog(names(), json).text, export_json(Catalog(file()), ""));

  const auto refused = [&](auto edit) {
    api::CatalogExportRequest request;
    edit(request);
    return usage([&] { api::export_catalog(names(), request); });
  };
  EXPECT_EQ(refused([](auto& r) { r.format = "xml"; }),
            "--format: expected csv, json, mets or toc-csv, got \"xml\"");
  EXPECT_EQ(refused([](auto& r) { r.out_dir = "pkg"; }),
            "--out: only for --format mets or toc-csv (csv and json: -o FILE)");
  EXPECT_EQ(refused([](auto& r) { r.format = "json", r.bom = true; }),
            "--bom: only for --format csv");
  EXPECT_EQ(refused([](auto& r) {
              r.format = "mets", r.output = "x.xml";
            }).starts_with("-o/--output: not with --format mets"),
            true);
  EXPECT_EQ(refused([](auto& r) { r.format = "mets", r.all_attempts = true; }),
            "--all-attempts: not with --format mets (the reels on film)");
  EXPECT_EQ(refused([](auto& r) { r.format = "toc-csv"; }),
            "--format toc-csv: give --out DIR (the package's folder)");
  EXPECT_EQ(refused([](auto& r) { r.format = "toc-csv", r.out_dir = "pkg", r.output = "x"; }),
            "--output: not with --format toc-csv (it writes a folder: --out)");
}

}  // namespace
}  // namespace fw::catalog_find_test
