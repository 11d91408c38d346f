// What the catalog keeps (engine/catalog): the reel index written as frames come, catalogs of
// earlier versions migrated, a resumed job's start and load times, a run again superseding the
// earlier, and the journal's replay of torn and bad lines.
#include "catalog/catalog.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

namespace fw::catalog_store_test {
namespace {

using test::filled;
using test::row;
using test::sample_job;

// The tests named *On run on SQLite and on PostgreSQL (tests/support/pg_server.hpp).
class CatalogStoreOn : public test::CatalogBackend {};
FW_INSTANTIATE_BACKENDS(Catalog, CatalogStoreOn);
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

TEST_P(CatalogStoreOn, MigratesAVersionOneCatalogKeepingItsFrames) {
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
  EXPECT_EQ(Catalog::latest_version(), 9);
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

// Schema 9: the operator who declared the filming is the job's, and a supervisor lists every
// frame of an operator's jobs, the name typed in any Unicode spelling (the catalog keeps it in
// NFC; here the query spells the Hangul as conjoining jamo, NFD).
TEST_P(CatalogStoreOn, FindsEveryFrameOfTheJobsAnOperatorDeclared) {
  test::TempDir dir;
  const std::string file = catalog_at(dir / "catalog.sqlite");
  Catalog catalog(file);
  filled(catalog, dir.path());  // job nlc-1, nobody declared
  CatalogJob declared = sample_job(dir.path());
  declared.id = "nlc-2";
  declared.operator_name = "\uAE40\uC601\uD76C";  // 김영희, precomposed syllables (NFC)
  catalog.start_job(declared);
  catalog.reel_loaded("nlc-2", "R0001", 1, 30.5);
  catalog.add_frames("nlc-2", {{"nlc-2", "R0001", row(1, "D001", 1), {}, {}},
                               {"nlc-2", "R0001", row(2, "D001", 2), {}, {}},
                               {"nlc-2", "R0001", row(3, "D002", 1), {}, {}}});
  FrameQuery query;
  query.operator_name = "\u1100\u1175\u11B7\u110B\u1167\u11BC\u1112\u1174";  // jamo (NFD)
  const auto found = catalog.find(query);
  ASSERT_EQ(found.size(), 3u);
  for (const auto& f : found) EXPECT_EQ(f.job_id, "nlc-2");
  query.operator_name = "\uAE40";  // a part of the name is not the operator
  EXPECT_TRUE(catalog.find(query).empty());
  const auto jobs = catalog.jobs();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].operator_name, "");
  EXPECT_EQ(jobs[1].operator_name, "\uAE40\uC601\uD76C");
}

// A resume rebuilds the job's rows from the journal: when the job started and when each reel
// was loaded are kept (an inspection is checked against the day its reel was filmed).
TEST_P(CatalogStoreOn, ResumeKeepsWhenTheJobStartedAndTheReelWasLoaded) {
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
TEST_P(CatalogStoreOn, AVersionSixCatalogUpgradesAndARunAgainKeepsTheEarlierRunSuperseded) {
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
  EXPECT_EQ(catalog.schema_version(), 9);
  ASSERT_EQ(catalog.jobs().size(), 1u);
  EXPECT_EQ(catalog.jobs()[0].operator_name, "");  // migration 9's default: nobody declared
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

}  // namespace
}  // namespace fw::catalog_store_test
