// The SQLite catalog and the journal: schema migration, readers during writes, replay of a
// torn journal, and the CLI's find / export / check on Chinese titles.
#include "catalog/catalog.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/index.hpp"
#include "catalog/journal.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

CatalogJob sample_job(const std::filesystem::path& dir) {
  CatalogJob job;
  job.id = "nlc-1";
  job.title = "善本古籍 第一批";
  job.dir = dir;
  job.plan_sha256 = std::string(64, 'a');
  job.format = "16mm-comic-30m";
  job.documents = {{"D001", "论语集注 卷一", {{"作者", "朱熹"}}, {"scans/d1/p1.png"}},
                   {"D002", "孟子集注 卷二", {}, {"scans/d2.tif"}}};
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

TEST(Catalog, MigratesAVersionOneCatalogKeepingItsFrames) {
  test::TempDir dir;
  const auto file = dir / "catalog.sqlite";
  {
    Catalog old(file, 1);
    EXPECT_EQ(old.schema_version(), 1);
  }
  // Rows as the first schema stored them: no frame kind, no events table.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const char* v1_rows = R"sql(
INSERT INTO jobs(id, title, dir, plan_sha256, format, status) VALUES ('old', '旧 job', '/x', 'p', 'f', 'done');
INSERT INTO documents(job_id, id, title) VALUES ('old', 'D1', '周易 卷三');
INSERT INTO reels(job_id, id, attempt, status, format) VALUES ('old', 'R0001', 1, 'complete', 'f');
INSERT INTO frames(job_id, reel_id, attempt, frame, address, blip, document_id, page, source_file,
  source_page, source_sha256, frame_sha256) VALUES ('old', 'R0001', 1, 1, 'R0001-D1-0001', 'document',
  'D1', 1, 'a.tif', 1, 's', 'f');)sql";
  ASSERT_EQ(sqlite3_exec(db, v1_rows, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  Catalog current(file);
  EXPECT_EQ(current.schema_version(), Catalog::latest_version());
  EXPECT_EQ(Catalog::latest_version(), 5);
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
// the frames table (a collection has millions of frames).
TEST(Catalog, FindByDocumentFileOrChecksumUsesAnIndex) {
  test::TempDir dir;
  Catalog catalog(dir / "catalog.sqlite");
  catalog.start_job(sample_job(dir.path()));
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, "D001", 1), {}},
                               {"nlc-1", "R0001", row(2, "D002", 1), {}}});
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

TEST(Catalog, ReadersNeverSeeHalfABatchWhileAJobWrites) {
  test::TempDir dir;
  const auto file = dir / "catalog.sqlite";
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
      batch.push_back({"nlc-1", "R0001", row(frame, "D001", frame), {}});
    }
    writer.add_frames("nlc-1", batch);
  }
  done.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(writer.frames("nlc-1").size(), kBatch * kBatches);
}

TEST(Catalog, FindsByDocumentTitleSourceAndChecksum) {
  test::TempDir dir;
  Catalog catalog(dir / "catalog.sqlite");
  catalog.start_job(sample_job(dir.path()));
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", row(1, "D001", 1), {}},
                               {"nlc-1", "R0001", row(2, "D001", 2), {}},
                               {"nlc-1", "R0001", row(3, "D002", 1), {}}});
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

// The real CLI: a small job with Chinese titles, then find, export and check.
TEST(CatalogCli, FindExportAndCheckAJobWithChineseTitles) {
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
  const std::string catalog = (dir / "out" / "catalog.sqlite").string();

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

}  // namespace
}  // namespace fw
