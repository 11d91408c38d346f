// The catalog through the real CLI on SQLite and PostgreSQL: find, export and check a job with
// Chinese titles, jobs named as verify names them, a failed attempt kept with its reason, and a
// catalog migrated either way with every row of every table.
#include "catalog/catalog.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

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
#include "support/engine_api.hpp"
#include "support/pg_server.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"
#include "support/toc_catalog.hpp"

namespace fw::catalog_cli_test {
namespace {

class CatalogCliOn : public test::CatalogBackend {};
FW_INSTANTIATE_BACKENDS(Catalog, CatalogCliOn);

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
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml"));
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
  // An index edited or cut short: the line, the frame and the columns that differ.
  const std::filesystem::path index_file = dir / "out" / "cat" / "R0001" / "index.csv";
  std::string edited = index;
  const std::size_t third = edited.find("\n3,");
  ASSERT_NE(third, std::string::npos);
  edited.replace(edited.find(",D00", third), 4, ",X00");
  test::write_text(index_file, edited);
  check = test::run_cli({"catalog", "check", "--catalog", catalog});
  EXPECT_EQ(check.exit_code, 5);
  EXPECT_THAT(check.out, ::testing::HasSubstr("index.csv does not match the catalog's " +
                                              std::to_string(rows - 1) +
                                              " frames: line 4 (frame 3): document_id \"X00"));
  test::write_text(index_file, index.substr(0, third + 30));
  check = test::run_cli({"catalog", "check", "--catalog", catalog});
  EXPECT_THAT(check.out, ::testing::HasSubstr(": line 4 (frame 3): cut short, "));
  test::write_text(index_file, index.substr(0, third + 1));
  check = test::run_cli({"catalog", "check", "--catalog", catalog});
  EXPECT_THAT(check.out, ::testing::HasSubstr(": it ends after 2 frame row(s)"));
}

// The operator a job's declaration names is the job's in the catalog: `catalog find --operator`
// lists every frame of their jobs (the declaration too), export carries the name, and a
// catalog written before schema 9 gets it back from the journal with `catalog rebuild`.
TEST_P(CatalogCliOn, FindsWhatAnOperatorFilmedAndRebuildRestoresTheName) {
  test::TempDir dir;
  samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, "p1"};
  samples::save_page(samples::make_page(spec), dir / "p1.png", samples::Encoding::png, 100);
  const auto job = [&](const std::string& id, const std::string& keys) {
    std::filesystem::path file = dir / (id + ".toml");
    test::write_text(file, test::small_tiff_job(id, "目录 test", keys, "论语集注 卷一",
                                                "{ files = [\"p1.png\"] }"));
    return file;
  };
  ASSERT_NO_THROW(test::convert_job(job("declared", "operator = \"李华\"\n")));
  ASSERT_NO_THROW(test::convert_job(job("undeclared", "")));
  const std::string catalog = catalog_at(dir / "out" / "catalog.sqlite");

  auto find = test::run_cli({"catalog", "find", "--catalog", catalog, "--operator", "李华"});
  ASSERT_EQ(find.exit_code, 0) << find.err;
  EXPECT_THAT(find.out, ::testing::HasSubstr("declared R0001 frames 1-2: reel targets"));
  EXPECT_THAT(find.out, ::testing::HasSubstr(": document D001 \"论语集注 卷一\" pages 1-1"));
  EXPECT_THAT(find.out, ::testing::HasSubstr("reel targets (declaration, technical-target, "
                                             "end-target) (R0001-DECL .. R0001-END)"));
  EXPECT_THAT(find.out, ::testing::Not(::testing::HasSubstr("undeclared"))) << find.out;
  find = test::run_cli({"catalog", "find", "--catalog", catalog, "--operator", "李"});
  EXPECT_EQ(find.exit_code, 0) << find.err;
  EXPECT_THAT(find.out, ::testing::HasSubstr("no frame matches"));
  // Narrowed like any other filter.
  find = test::run_cli(
      {"catalog", "find", "--catalog", catalog, "--operator", "李华", "--document", "D001"});
  EXPECT_THAT(find.out, ::testing::HasSubstr("declared R0001 frames"));
  EXPECT_THAT(find.out, ::testing::Not(::testing::HasSubstr("reel targets"))) << find.out;

  const auto exported = nlohmann::json::parse(
      test::run_cli({"catalog", "export", "--catalog", catalog, "--format", "json"}).out);
  ASSERT_EQ(exported["jobs"].size(), 2u);
  EXPECT_EQ(exported["jobs"][0]["id"], "declared");
  EXPECT_EQ(exported["jobs"][0]["operator"], "李华");
  EXPECT_EQ(exported["jobs"][1]["operator"], "");

  // As a catalog migrated from before schema 9 holds the job: no name. The journal has it.
  exec(catalog, "UPDATE jobs SET operator_name = ''");
  EXPECT_THAT(test::run_cli({"catalog", "find", "--catalog", catalog, "--operator", "李华"}).out,
              ::testing::HasSubstr("no frame matches"));
  const auto rebuilt =
      test::run_cli({"catalog", "rebuild", (dir / "out").string(), "--catalog", catalog});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.out << rebuilt.err;
  EXPECT_EQ(column(catalog, "SELECT operator_name FROM jobs ORDER BY id"),
            (std::vector<std::string>{"李华", ""}));
  EXPECT_THAT(test::run_cli({"catalog", "find", "--catalog", catalog, "--operator", "李华"}).out,
              ::testing::HasSubstr("declared R0001 frames"));
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
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml"));
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
  api::JobRequest cat2;
  cat2.overrides.id = "cat2";
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", {}, cat2));
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
  const std::string good = test::cut_in_half(dir / "p2.jpg");
  test::write_text(dir / "job.toml",
                   test::small_tiff_job("redo", "重拍 test", "targets = \"none\"\n",
                                        "论语集注 卷一", "{ files = [\"p1.jpg\", \"p2.jpg\"] }"));
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
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", test::overwriting()));
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

// Something in every table of the catalog: job nlc-1 (targets and pages, its reel left
// exposing), job tq filmed twice (its TOC, 目次; run 1's reel superseded), events, and vault
// inspections current, corrected and withdrawn.
void fill_every_table(Catalog& catalog, const std::filesystem::path& dir) {
  test::filled(catalog, dir);
  test::write_toc_job(catalog);
  test::write_toc_job(catalog);
  catalog.add_event("tq", "note", "复核 目次");
  Inspection reading;
  reading.job_id = "tq";
  reading.reel = "R0001";
  reading.date = local_today();
  reading.ad_strip = 0.5;
  reading.densities = {1.25, 1.5};
  reading.notes = "醋酸 试纸";
  const Inspection first = add_inspection(catalog, reading);
  InspectionChange change;
  change.ad_strip = 1;
  correct_inspection(catalog, first.id, change, "typed 0.5 for 1");
  withdraw_inspection(catalog, add_inspection(catalog, reading).id, "wrong reel");
}

// Every row of every table of `catalog`, by table: the tables its database lists.
std::map<std::string, std::vector<std::string>> contents(const std::string& catalog) {
  std::map<std::string, std::vector<std::string>> out;
  for (const std::string& table : test::CatalogBackend::tables(catalog)) {
    out[table] = test::CatalogBackend::rows(catalog, table);
  }
  return out;
}

// What the CLI answers of `catalog`: find by title (TOC entries and documents), and the JSON
// export (every job, reel, frame, document and TOC entry).
std::vector<std::string> answers(const std::string& catalog) {
  std::vector<std::string> out;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"catalog", "find", "--catalog", catalog, "--title", "学而"},
        std::vector<std::string>{"catalog", "find", "--catalog", catalog, "--title", "论语",
                                 "--all-attempts"},
        std::vector<std::string>{"catalog", "export", "--catalog", catalog, "--format", "json",
                                 "--all-attempts"}}) {
    const auto answer = test::run_cli(args);
    EXPECT_EQ(answer.exit_code, 0) << answer.err;
    out.push_back(answer.out);
  }
  return out;
}

// `catalog migrate` carries a catalog whole: SQLite into this backend's catalog, and that one
// into a new SQLite file (on PostgreSQL: both directions). Every row of every table the source's
// database lists arrives as it was (the TOC's 目次 entries too), and the CLI answers the same
// questions the same way on all three.
TEST_P(CatalogCliOn, MigrateCarriesEveryRowOfEveryTableEitherWay) {
  test::TempDir dir;
  const auto source = dir / "catalog.sqlite";
  {
    Catalog catalog(source);
    fill_every_table(catalog, dir.path());
  }
  const std::string middle = catalog_at(dir / "middle.sqlite");
  const auto back = dir / "back.sqlite";
  const auto there =
      test::run_cli({"catalog", "migrate", "--from", source.string(), "--to", middle});
  ASSERT_EQ(there.exit_code, 0) << there.out << there.err;
  EXPECT_NE(there.out.find("toc: 4 row(s)\n"), std::string::npos) << there.out;
  EXPECT_NE(there.out.find("inspections: 3 row(s)\n"), std::string::npos) << there.out;
  const auto home = test::run_cli({"catalog", "migrate", "--from", middle, "--to", back.string()});
  ASSERT_EQ(home.exit_code, 0) << home.out << home.err;

  const auto before = contents(source.string());
  // Every table holds rows, so a table migrate left behind would show below.
  for (const char* table :
       {"jobs", "documents", "reels", "frames", "events", "inspections", "toc"}) {
    EXPECT_EQ(before.count(table), 1u) << table;
  }
  for (const auto& [table, rows] : before) EXPECT_FALSE(rows.empty()) << table;
  for (const std::string& migrated : {middle, back.string()}) {
    const auto after = contents(migrated);
    EXPECT_EQ(test::CatalogBackend::tables(migrated), test::CatalogBackend::tables(source))
        << migrated;
    for (const auto& [table, rows] : before) {
      EXPECT_EQ(after.count(table) ? after.at(table) : std::vector<std::string>{}, rows)
          << "table " << table << " of " << migrated;
    }
  }

  const auto asked = answers(source.string());
  EXPECT_NE(asked[0].find("TOC entry 1 \"学而第一\""), std::string::npos) << asked[0];
  EXPECT_EQ(answers(middle), asked);
  EXPECT_EQ(answers(back.string()), asked);
  test::expect_title_combines_with_filters(Catalog(middle));
  test::expect_title_combines_with_filters(Catalog(back));
}

// A table of the source that migrate would not copy stops it, named, before anything is
// committed: one the program's schema has and its copy list lacks is a defect (exit 1), one
// only the source has (a site's own) is the operator's to move or drop (exit 2).
TEST_P(CatalogCliOn, MigrateRefusesToLeaveATableBehind) {
  test::TempDir dir;
  const std::string source = catalog_at(dir / "catalog.sqlite");
  {
    Catalog catalog(source);
    test::write_toc_job(catalog);
  }
  exec(source,
       "CREATE TABLE vault_notes(reel TEXT NOT NULL); "
       "INSERT INTO vault_notes(reel) VALUES ('R0001')");
  const auto target = dir / "target.sqlite";
  const auto own = test::run_cli({"catalog", "migrate", "--from", source, "--to", target.string()});
  EXPECT_EQ(own.exit_code, 2) << own.out << own.err;
  EXPECT_NE(own.err.find("catalog migrate: table vault_notes of " + source +
                         " is not a table of the filmwriter catalog"),
            std::string::npos)
      << own.err;
  EXPECT_EQ(own.out.find("OK"), std::string::npos) << own.out;
  EXPECT_TRUE(CatalogBackend::rows(target.string(), "jobs").empty());

  // The same table in the target's schema too: as if the copy list were behind the schema.
  exec(target.string(), "CREATE TABLE vault_notes(reel TEXT NOT NULL)");
  const auto behind =
      test::run_cli({"catalog", "migrate", "--from", source, "--to", target.string()});
  EXPECT_EQ(behind.exit_code, 1) << behind.out << behind.err;
  EXPECT_NE(behind.err.find("catalog migrate: table vault_notes of " + source +
                            " is not in migrate's copy list"),
            std::string::npos)
      << behind.err;
  EXPECT_TRUE(CatalogBackend::rows(target.string(), "jobs").empty());
  EXPECT_TRUE(CatalogBackend::rows(target.string(), "vault_notes").empty());

  // Without it the catalog moves; on PostgreSQL the shared queue's table, when it lives in the
  // catalog's database, is not the catalog's and stays where it is.
  exec(source, "DROP TABLE vault_notes");
  if (postgresql()) exec(source, "CREATE TABLE filmwriter_queue(id BIGSERIAL PRIMARY KEY)");
  const auto moved = dir / "moved.sqlite";
  const auto ok = test::run_cli({"catalog", "migrate", "--from", source, "--to", moved.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(CatalogBackend::rows(moved.string(), "toc").size(), 4u);
  const auto tables = CatalogBackend::tables(moved.string());
  EXPECT_EQ(std::count(tables.begin(), tables.end(), "filmwriter_queue"), 0) << ok.out;
}

}  // namespace
}  // namespace fw::catalog_cli_test
