// The SQLite catalog and the journal: schema migration, readers during writes, replay of a
// torn journal, find and export through the API (api/catalog_query.hpp), and the CLI's find /
// export / check on Chinese titles.
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
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

// The tests named *On run on SQLite and on PostgreSQL (tests/support/pg_server.hpp).
class CatalogOn : public test::CatalogBackend {};
class CatalogExportOn : public test::CatalogBackend {};
class CatalogCliOn : public test::CatalogBackend {};
FW_INSTANTIATE_BACKENDS(Catalog, CatalogOn);
FW_INSTANTIATE_BACKENDS(Catalog, CatalogExportOn);
FW_INSTANTIATE_BACKENDS(Catalog, CatalogCliOn);

CatalogJob sample_job(const std::filesystem::path& dir) {
  CatalogJob job;
  job.id = "nlc-1";
  job.title = "善本古籍 第一批";
  job.dir = dir;
  job.plan_sha256 = std::string(64, 'a');
  job.format = "16mm-comic-30m";
  job.documents = {{"D001", "论语集注 卷一", {{"作者", "朱熹"}}, {"scans/d1/p1.png"}, {}},
                   {"D002", "孟子集注 卷二", {}, {"scans/d2.tif"}, {}}};
  return job;
}

IndexRow row(std::uint32_t frame, const std::string& document, std::uint32_t page) {
  return {frame,
          "page",
          document,
          page,
          fmt::format("R0001-{}-{:04}", document, page),
          "page",
          "scans/" + document + ".tif",
          page,
          std::string(64, 'b'),
          fmt::format("{:064}", frame),
          1,
          "none"};
}

TEST(ReelIndex, RowsGoToDiskAsTheyComeAndIndexCsvAppearsWhole) {
  test::TempDir dir;
  const auto reel = dir / "R0001";
  std::vector<IndexRow> rows;
  for (std::uint32_t f = 1; f <= 300; ++f) rows.push_back(row(f, "D001", f));
  {
    ReelIndex index(reel);
    for (const auto& r : rows) index.add(r);
    EXPECT_EQ(index.size(), 300u);
    // Nothing at index.csv before the reel closes; the rows are already in its temporary.
    EXPECT_FALSE(std::filesystem::exists(reel / "index.csv"));
    ASSERT_TRUE(std::filesystem::exists(reel / "index.csv.tmp"));
    EXPECT_GT(std::filesystem::file_size(reel / "index.csv.tmp"), 40000u);
    write_file_atomic(reel / "film.bin", "film");
    index.write({"film.bin"});
    EXPECT_FALSE(std::filesystem::exists(reel / "index.csv.tmp"));
    const std::string csv = read_file(reel / "index.csv");
    EXPECT_EQ(csv, to_csv(rows));
    const std::string manifest = read_file(reel / "manifest.sha256");
    EXPECT_EQ(manifest,
              sha256_hex({reinterpret_cast<const std::uint8_t*>(csv.data()), csv.size()}) +
                  "  index.csv\n" + sha256_file(reel / "film.bin") + "  film.bin\n");
    // Again after a failure: the same index, the manifest rewritten.
    index.write({});
    EXPECT_EQ(read_file(reel / "index.csv"), csv);
    EXPECT_EQ(read_file(reel / "manifest.sha256"), manifest.substr(0, manifest.find('\n') + 1));
  }
  // A reel dropped before it closed leaves neither index.csv nor its temporary.
  {
    const auto other = dir / "R0002";
    ReelIndex index(other);
    index.add(rows.front());
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "R0002" / "index.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "R0002" / "index.csv.tmp"));
}

TEST_P(CatalogOn, MigratesAVersionOneCatalogKeepingItsFrames) {
  test::TempDir dir;
  const std::string file = catalog_at(dir / "catalog.sqlite");
  {
    Catalog old(file, 1);
    EXPECT_EQ(old.schema_version(), 1);
  }
  // Rows as the first schema stored them: no frame kind, no events table.
  const char* v1_rows = R"sql(
INSERT INTO jobs(id, title, dir, plan_sha256, format, status) VALUES ('old', '旧 job', '/x', 'p', 'f', 'done');
INSERT INTO documents(job_id, id, title) VALUES ('old', 'D1', '周易 卷三');
INSERT INTO reels(job_id, id, attempt, status, format) VALUES ('old', 'R0001', 1, 'complete', 'f');
INSERT INTO frames(job_id, reel_id, attempt, frame, address, blip, document_id, page, source_file,
  source_page, source_sha256, frame_sha256) VALUES ('old', 'R0001', 1, 1, 'R0001-D1-0001', 'document',
  'D1', 1, 'a.tif', 1, 's', 'f');)sql";
  exec(file, v1_rows);

  Catalog current(file);
  EXPECT_EQ(current.schema_version(), Catalog::latest_version());
  EXPECT_EQ(Catalog::latest_version(), 8);
  FrameQuery query;
  query.title = "周易";
  const auto found = current.find(query);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].row.kind, "page");  // the column migration 2 added, with its default
  EXPECT_EQ(found[0].row.address, "R0001-D1-0001");
  current.add_event("old", "note", "events exist after the migration");
  // Migration 4's indexes serve the old rows: by document id, source file name and path tail.
  FrameQuery by_document;
  by_document.document_id = "D1";
  EXPECT_EQ(current.find(by_document).size(), 1u);
  FrameQuery by_file;
  by_file.source_file = "a.tif";
  EXPECT_EQ(current.find(by_file).size(), 1u);
}

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
}

// A job of two documents with Chinese metadata on one reel: start and technical targets, two
// pages of D001, one of D002, the end target.
Catalog& filled(Catalog& catalog, const std::filesystem::path& dir) {
  CatalogJob job = sample_job(dir);
  job.documents[0].metadata = {{"作者", "朱熹"}, {"索书号", "善 01234"}, {"title", "Lunyu"}};
  job.documents[1].metadata = {{"作者", "朱熹 撰"}, {"版本", "明刻本"}};
  catalog.start_job(job);
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  auto target = [](std::uint32_t frame, const char* kind) {
    IndexRow r = row(frame, "D001", 0);
    r.kind = kind;
    r.address = fmt::format("R0001-{:04}", frame);
    r.source_file.clear();
    r.source_sha256.clear();
    return r;
  };
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", target(1, "start-target"), {}, {}},
                               {"nlc-1", "R0001", target(2, "technical-target"), {}, {}},
                               {"nlc-1", "R0001", row(3, "D001", 1), {}, {}},
                               {"nlc-1", "R0001", row(4, "D001", 2), {}, {}},
                               {"nlc-1", "R0001", row(5, "D002", 1), {}, {}},
                               {"nlc-1", "R0001", target(6, "end-target"), {}, {}}});
  return catalog;
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
            "--sha256");
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

// A resume rebuilds the job's rows from the journal: when the job started and when each reel
// was loaded are kept (an inspection is checked against the day its reel was filmed).
TEST_P(CatalogOn, ResumeKeepsWhenTheJobStartedAndTheReelWasLoaded) {
  test::TempDir dir;
  const std::string file = catalog_at(dir / "catalog.sqlite");
  Catalog catalog(file);
  filled(catalog, dir.path());
  exec(file,
       "UPDATE jobs SET started_at = '2025-01-02T03:04:05Z'; UPDATE reels SET "
       "loaded_at = '2025-01-03T03:04:05Z'");
  JournalState journal;
  journal.job_id = "nlc-1";
  JournalReel reel;
  reel.id = "R0001";
  reel.rows = {row(1, "D001", 1)};
  journal.reels.push_back(reel);
  catalog.sync_job(sample_job(dir.path()), journal);
  EXPECT_EQ(column(file, "SELECT started_at FROM jobs"),
            std::vector<std::string>{"2025-01-02T03:04:05Z"});
  EXPECT_EQ(column(file, "SELECT loaded_at FROM reels"),
            std::vector<std::string>{"2025-01-03T03:04:05Z"});
}

// Schema 7: a job filmed again from the start (--overwrite) is its next run; the earlier run's
// reels and frames stay, superseded with the time, and answers come from the current run
// unless every attempt is asked for. A version 6 catalog upgrades with its reels current.
TEST_P(CatalogOn, AVersionSixCatalogUpgradesAndARunAgainKeepsTheEarlierRunSuperseded) {
  test::TempDir dir;
  const std::string file = catalog_at(dir / "catalog.sqlite");
  {
    Catalog old(file, 6);
    EXPECT_EQ(old.schema_version(), 6);
  }
  const char* v6_rows = R"sql(
INSERT INTO jobs(id, title, dir, plan_sha256, format, status) VALUES ('nlc-1', '善本', '/x', 'p', 'f', 'failed');
INSERT INTO documents(job_id, id, title) VALUES ('nlc-1', 'D001', '论语集注 卷一');
INSERT INTO reels(job_id, id, attempt, status, format) VALUES ('nlc-1', 'R0001', 1, 'exposing', 'f');
INSERT INTO frames(job_id, reel_id, attempt, frame, address, blip, document_id, page, source_file,
  source_page, source_sha256, frame_sha256) VALUES ('nlc-1', 'R0001', 1, 1, 'R0001-D001-0001',
  'document', 'D001', 1, 'a.tif', 1, 's', 'f');)sql";
  exec(file, v6_rows);

  Catalog catalog(file);
  EXPECT_EQ(catalog.schema_version(), 8);
  ASSERT_EQ(catalog.reels("nlc-1").size(), 1u);
  EXPECT_EQ(catalog.reels("nlc-1")[0].run, 1u);
  EXPECT_EQ(catalog.reels("nlc-1")[0].superseded_at, "");
  EXPECT_EQ(catalog.reels("nlc-1")[0].status, "incomplete");  // of the failed job
  ASSERT_EQ(catalog.frames("nlc-1").size(), 1u);

  // Filmed again from the start: run 2. Its reel R0001 is attempt 2 in the catalog (attempt 1
  // of run 2 in its journal).
  catalog.start_job(sample_job(dir.path()));
  EXPECT_TRUE(catalog.reels("nlc-1").empty());
  EXPECT_TRUE(catalog.frames("nlc-1").empty());
  const auto superseded = catalog.reels("nlc-1", true);
  ASSERT_EQ(superseded.size(), 1u);
  EXPECT_EQ(superseded[0].status, "superseded");
  EXPECT_EQ(superseded[0].attempt, 1u);
  EXPECT_EQ(superseded[0].superseded_at.size(), 20u) << superseded[0].superseded_at;  // UTC
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, "D001", 1), {}, {}},
                               {"nlc-1", "R0001", row(2, "D001", 2), {}, {}}});
  catalog.reel_closed("nlc-1", {"nlc-1", "R0001", 1, "complete", 2, 0.1, "", "", {}, 1, ""});
  const auto reels = catalog.reels("nlc-1");
  ASSERT_EQ(reels.size(), 1u);
  EXPECT_EQ(reels[0].attempt, 2u);
  EXPECT_EQ(reels[0].run, 2u);
  EXPECT_EQ(reels[0].status, "complete");

  FrameQuery query;
  query.document_id = "D001";
  EXPECT_EQ(describe_frames(catalog.find(query)),
            std::vector<std::string>{"nlc-1 R0001 frames 1-2: document D001 \"论语集注 卷一\" "
                                     "pages 1-2 (R0001-D001-0001 .. R0001-D001-0002)"});
  query.all_attempts = true;
  EXPECT_EQ(
      describe_frames(catalog.find(query)),
      (std::vector<std::string>{"nlc-1 R0001 frames 1-1: document D001 \"论语集注 卷一\" pages 1-1 "
                                "(R0001-D001-0001 .. R0001-D001-0001) [reel superseded]",
                                "nlc-1 R0001 frames 1-2: document D001 \"论语集注 卷一\" pages 1-2 "
                                "(R0001-D001-0001 .. R0001-D001-0002)"}));
  const auto json = nlohmann::json::parse(export_json(catalog, "nlc-1"));
  EXPECT_EQ(json["jobs"][0]["reels"].size(), 1u);
  EXPECT_EQ(json["jobs"][0]["frames"].size(), 2u);
  const auto every = nlohmann::json::parse(export_json(catalog, "nlc-1", true));
  ASSERT_EQ(every["jobs"][0]["reels"].size(), 2u);
  EXPECT_EQ(every["jobs"][0]["reels"][0]["status"], "superseded");
  EXPECT_EQ(every["jobs"][0]["reels"][0]["run"], 1);
  EXPECT_EQ(every["jobs"][0]["reels"][1]["superseded_at"], "");
  EXPECT_EQ(every["jobs"][0]["frames"].size(), 3u);
  EXPECT_NE(export_csv(catalog, "nlc-1", {false, true}).find(",superseded,"), std::string::npos);
  EXPECT_EQ(export_csv(catalog, "nlc-1").find(",superseded"), std::string::npos);

  // The run's events say what was superseded.
  EXPECT_EQ(column(file, "SELECT message FROM events WHERE kind = 'superseded'"),
            std::vector<std::string>{"run 2 filmed the job again from the start; run 1 (failed) "
                                     "is kept as superseded: R0001 attempt 1 (incomplete)"});
}

TEST(Journal, ReplayIgnoresATornLastLineAndRejectsAFrameOutOfOrder) {
  test::TempDir dir;
  const auto file = dir / "journal.jsonl";
  {
    Journal journal(file);
    journal.append({{"event", "start"}, {"job", "j"}, {"plan_sha256", "p"}, {"frames", 3}});
    journal.append({{"event", "reel_loaded"}, {"reel", "R0001"}, {"first_frame", 1}});
    journal.append(frame_record("R0001", 0, row(1, "D001", 1)));
  }
  std::string text = read_file(file);
  test::write_text(file, text + R"({"event":"frame","seq":1,"reel":"R00)");  // cut by a crash
  JournalState state = read_journal(file);
  EXPECT_EQ(state.next_sequence, 1u);
  ASSERT_NE(state.in_recorder(), nullptr);
  EXPECT_EQ(state.in_recorder()->rows.size(), 1u);
  {
    Journal journal(file);  // cuts the torn line before appending
    journal.append(frame_record("R0001", 1, row(2, "D001", 2)));
  }
  EXPECT_EQ(read_journal(file).next_sequence, 2u);

  test::write_text(file,
                   read_file(file) + frame_record("R0001", 5, row(3, "D001", 3)).dump() + "\n");
  try {
    read_journal(file);
    FAIL() << "a frame out of order was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("journal.jsonl:5: frame 3 of reel R0001 (sequence 5) out "
                                         "of order: expected sequence 2, frame 3"),
              std::string::npos)
        << e.what();
  }
}

// A number that is no frame number (too large, fractional, negative) in a damaged journal is an
// error at its line, never a cast (libFuzzer found 6.7e19 as a first_frame: undefined behaviour).
TEST(Journal, ANumberOutOfItsRangeIsAnErrorAtItsLine) {
  test::TempDir dir;
  const auto file = dir / "journal.jsonl";
  const std::string start = R"({"event":"start","job":"j","plan_sha256":"p","frames":3})";
  for (const char* first_frame : {"6.66667e19", "1.5", "-1", "4294967296"}) {
    test::write_text(file, start + "\n" +
                               R"({"event":"reel_loaded","reel":"R0001","first_frame":)" +
                               first_frame + "}\n");
    try {
      read_journal(file);
      ADD_FAILURE() << "first_frame " << first_frame << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("journal.jsonl:2: malformed record:"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("first_frame"), std::string::npos) << e.what();
    }
  }
}

// The real CLI: a small job with Chinese titles, then find, export and check.
TEST_P(CatalogCliOn, FindExportAndCheckAJobWithChineseTitles) {
  test::TempDir dir;
  for (int p = 1; p <= 2; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), dir / fmt::format("p{}.png", p),
                       samples::Encoding::png, 100);
  }
  test::write_text(dir / "job.toml", R"(version = 1
id = "cat"
title = "目录 test"
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 50
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { files = ["p1.png"] }
[documents.metadata]
作者 = "朱熹"
[[documents]]
id = "D002"
title = "孟子集注, 卷二"
pages = { files = ["p2.png"] }
)");
  auto convert = test::run_cli({"convert", (dir / "job.toml").string()});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const std::string catalog = catalog_at(dir / "out" / "catalog.sqlite");

  auto find = test::run_cli({"catalog", "find", "--catalog", catalog, "--title", "孟子"});
  ASSERT_EQ(find.exit_code, 0) << find.err;
  EXPECT_NE(find.out.find("cat R0001 frames "), std::string::npos) << find.out;
  EXPECT_NE(find.out.find("document D002 \"孟子集注, 卷二\" pages 1-1"), std::string::npos)
      << find.out;
  EXPECT_EQ(find.out.find("D001"), std::string::npos) << find.out;

  auto csv = test::run_cli({"catalog", "export", "--catalog", catalog, "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("job_id,reel,frame,address,blip,kind,document_id,title,page,", 0), 0u);
  EXPECT_NE(csv.out.find(",D002,\"孟子集注, 卷二\",1,"), std::string::npos) << csv.out;

  auto json = test::run_cli({"catalog", "export", "--catalog", catalog, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto exported = nlohmann::json::parse(json.out);
  EXPECT_EQ(exported["jobs"][0]["title"], "目录 test");
  EXPECT_EQ(exported["jobs"][0]["documents"][0]["metadata"]["作者"], "朱熹");
  EXPECT_EQ(exported["jobs"][0]["reels"][0]["status"], "complete");
  const std::string index = read_file(dir / "out" / "cat" / "R0001" / "index.csv");
  std::size_t rows = 0;
  for (char c : index) rows += c == '\n';
  EXPECT_EQ(exported["jobs"][0]["frames"].size(), rows - 1);  // every index row, no more

  auto check = test::run_cli({"catalog", "check", "--catalog", catalog});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("OK: 1 reel(s)"), std::string::npos) << check.out;
  // A frame file damaged after the fact is a QC failure naming the reel and the file.
  test::write_text(dir / "out" / "cat" / "R0001" / "frames" / "F000001.tif", "damaged");
  check = test::run_cli({"catalog", "check", "--catalog", catalog});
  EXPECT_EQ(check.exit_code, 5);
  EXPECT_NE(check.out.find("FAILED job cat reel R0001: frames/F000001.tif does not match its "
                           "manifest checksum"),
            std::string::npos)
      << check.out;
}

// catalog and inspect name a job as verify does: the job's output folder, the --out folder
// holding it, or its job file; each finds the catalog convert used (here the job's `catalog`
// key, not <output>/catalog.sqlite).
TEST_P(CatalogCliOn, NamesTheJobAsVerifyDoes) {
  test::TempDir dir;
  samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, "p1"};
  samples::save_page(samples::make_page(spec), dir / "p1.png", samples::Encoding::png, 100);
  // On PostgreSQL the key names the test's database: a URL in a job file.
  test::write_text(dir / "job.toml", R"(version = 1
id = "cat"
title = "目录 test"
catalog = ")" + catalog_at("records/catalog.sqlite") +
                                         R"("
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 50
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { files = ["p1.png"] }
[documents.metadata]
作者 = "朱熹"
索书号 = "善 01234"
)");
  const auto convert = test::run_cli({"convert", (dir / "job.toml").string()});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const std::string job_out = (dir / "out" / "cat").string(), out = (dir / "out").string();
  EXPECT_EQ(std::filesystem::exists(dir / "records" / "catalog.sqlite"), !postgresql());

  std::string upper = sha256_file(dir / "p1.png");
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"catalog", "find", job_out, "--meta", "索书号=善"},
           {"catalog", "find", out, "--text", "朱熹 卷一"},
           {"catalog", "find", (dir / "job.toml").string(), "--sha256", upper}}) {
    const auto find = test::run_cli(args);
    EXPECT_EQ(find.exit_code, 0) << find.err;
    // The document's title target and its page; not the reel's start and technical targets.
    const std::string line = args[3] == "--sha256"
                                 ? "cat R0001 frames 4-4: document D001 \"论语集注 卷一\" pages "
                                   "1-1 (R0001-D001-0001 .. R0001-D001-0001)\n"
                                 : "cat R0001 frames 3-4: document D001 \"论语集注 卷一\" pages "
                                   "1-1 (R0001-D001-TITLE .. R0001-D001-0001)\n";
    EXPECT_EQ(find.out, line) << args[3];
    EXPECT_EQ(find.out.find("reel targets"), std::string::npos) << find.out;
  }
  const auto csv =
      test::run_cli({"catalog", "export", job_out, "--bom", "-o", (dir / "frames.csv").string()});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(read_file(dir / "frames.csv")
                .rfind("\xEF\xBB\xBF" + std::string(kExportColumns) + ",作者,索书号\n", 0),
            0u);

  // Inspections, by the job's output folder.
  const std::string today = local_today();
  auto inspect = [](std::vector<std::string> args) {
    args.insert(args.begin(), "inspect");
    return test::run_cli(args);
  };
  const auto add = inspect({"add", job_out, "R0001", "--date", today, "--ad-strip", "1"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(add.out, "recorded #1 cat R0001 " + today + ": A-D strip 1, densities []\n");
  const auto future = inspect({"add", job_out, "R0001", "--date", "2999-01-01", "--ad-strip", "1"});
  EXPECT_EQ(future.exit_code, 2);
  EXPECT_NE(
      future.err.find("--date: reel R0001 of job cat: 2999-01-01 is after today (" + today + ")"),
      std::string::npos)
      << future.err;
  const auto fixed =
      inspect({"correct", job_out, "#1", "--ad-strip", "0.5", "--reason", "misread"});
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(fixed.out,
            "recorded #2 cat R0001 " + today + ": A-D strip 0.5, densities [] (corrects #1)\n");
  const std::string later = fmt::format("{}-12-31", std::stoi(today.substr(0, 4)) + 2);
  const auto due = inspect({"due", out, "--as-of", later});
  EXPECT_EQ(due.exit_code, 7) << due.err;
  EXPECT_EQ(due.out, "cat R0001: last inspected " + today +
                         " (A-D strip 0.5)\n1 reel(s) due for inspection (exit 7)\n");
  const auto withdrawn = inspect({"withdraw", job_out, "2", "--reason", "wrong reel"});
  ASSERT_EQ(withdrawn.exit_code, 0) << withdrawn.err;
  EXPECT_EQ(inspect({"list", job_out}).out, "no inspection recorded\n");
  const auto history = inspect({"list", job_out, "R0001", "--history"}).out;
  EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 2) << history;
  EXPECT_NE(history.find("Z: wrong reel]\n"), std::string::npos) << history;

  // An --out folder holding two jobs: name one of them, as verify says.
  ASSERT_EQ(test::run_cli({"convert", (dir / "job.toml").string(), "--id", "cat2"}).exit_code, 0);
  const auto two = test::run_cli({"catalog", "find", out, "--title", "论语"});
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(
      two.err.find(out + " holds 2 jobs; name one of them:\n  " + job_out + "\n  " + out + "/cat2"),
      std::string::npos)
      << two.err;
  const auto other = test::run_cli({"catalog", "find", job_out, "--job", "cat2", "--title", "x"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("--job cat2: " + job_out + " names job cat"), std::string::npos)
      << other.err;
  const auto missing =
      test::run_cli({"inspect", "list", "--catalog", (dir / "nowhere.sqlite").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find((dir / "nowhere.sqlite").string() + " does not exist (--catalog)"),
            std::string::npos)
      << missing.err;
}

// A failed run stays in the catalog with its reason, and `convert --overwrite` keeps it there,
// superseded: find and export answer with the current run, --all-attempts with both.
TEST_P(CatalogCliOn, AFailedAttemptKeepsItsReasonAndStaysSupersededAfterOverwrite) {
  test::TempDir dir;
  for (int p = 1; p <= 2; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), dir / fmt::format("p{}.jpg", p),
                       samples::Encoding::jpeg, 100);
  }
  const std::string good = read_file(dir / "p2.jpg");
  test::write_text(dir / "p2.jpg", good.substr(0, good.size() / 2));
  test::write_text(dir / "job.toml", R"(version = 1
id = "redo"
title = "重拍 test"
targets = "none"
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 50
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { files = ["p1.jpg", "p2.jpg"] }
)");
  const auto failed = test::run_cli({"convert", (dir / "job.toml").string(), "--no-preflight"});
  ASSERT_EQ(failed.exit_code, 3) << failed.err;
  const std::string prefix = "filmwriter: input error: ";
  const auto at = failed.err.find(prefix);
  ASSERT_NE(at, std::string::npos) << failed.err;
  const std::string reason =
      failed.err.substr(at + prefix.size(), failed.err.find('\n', at) - at - prefix.size());
  EXPECT_NE(reason.find("cannot decode"), std::string::npos) << reason;

  const std::string catalog = catalog_at(dir / "out" / "catalog.sqlite");
  auto column = [&](const std::string& sql) { return CatalogBackend::column(catalog, sql); };
  EXPECT_EQ(column("SELECT message FROM events WHERE kind = 'failed'"),
            std::vector<std::string>{reason});

  test::write_text(dir / "p2.jpg", good);  // mended
  const auto again = test::run_cli({"convert", (dir / "job.toml").string(), "--overwrite"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  // Both runs' reels, the first superseded with the time; the failure's reason still there.
  EXPECT_EQ(
      column("SELECT id || ' attempt ' || attempt || ' run ' || run || ' ' || status || ' ' "
             "|| CASE WHEN superseded_at <> '' THEN 1 ELSE 0 END FROM reels ORDER BY attempt"),
      (std::vector<std::string>{"R0001 attempt 1 run 1 incomplete 1",
                                "R0001 attempt 2 run 2 complete 0"}));
  EXPECT_EQ(column("SELECT message FROM events WHERE kind = 'failed'"),
            std::vector<std::string>{reason});
  EXPECT_EQ(column("SELECT message FROM events WHERE kind = 'superseded'"),
            std::vector<std::string>{"run 2 filmed the job again from the start; run 1 (failed) is "
                                     "kept as superseded: R0001 attempt 1 (incomplete)"});

  const std::string job_out = (dir / "out" / "redo").string();
  const auto current = test::run_cli({"catalog", "find", job_out, "--document", "D001"});
  ASSERT_EQ(current.exit_code, 0) << current.err;
  EXPECT_EQ(current.out,
            "redo R0001 frames 1-2: document D001 \"论语集注 卷一\" pages 1-2 (R0001-D001-0001 .. "
            "R0001-D001-0002)\n");
  const auto every =
      test::run_cli({"catalog", "find", job_out, "--document", "D001", "--all-attempts"});
  ASSERT_EQ(every.exit_code, 0) << every.err;
  EXPECT_EQ(every.out,
            "redo R0001 frames 1-1: document D001 \"论语集注 卷一\" pages 1-1 (R0001-D001-0001 .. "
            "R0001-D001-0001) [reel superseded]\n"
            "redo R0001 frames 1-2: document D001 \"论语集注 卷一\" pages 1-2 (R0001-D001-0001 .. "
            "R0001-D001-0002)\n");
  const auto csv = test::run_cli({"catalog", "export", job_out});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 3) << csv.out;  // header + 2
  const auto all_csv = test::run_cli({"catalog", "export", job_out, "--all-attempts"});
  ASSERT_EQ(all_csv.exit_code, 0) << all_csv.err;
  EXPECT_EQ(std::count(all_csv.out.begin(), all_csv.out.end(), '\n'), 4) << all_csv.out;
  EXPECT_NE(all_csv.out.find(",superseded\n"), std::string::npos) << all_csv.out;
  // The superseded reel's files went with --overwrite; check looks at the current reels only.
  const auto check = test::run_cli({"catalog", "check", job_out});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace fw
