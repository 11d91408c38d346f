// The catalog several recorder hosts share, on a real PostgreSQL server (tests/support/
// pg_server.hpp): writers in several processes at once, a server stopped in the middle of a
// job, a SQLite catalog migrated to it, a schema newer than the program refused.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <set>
#include <thread>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/catalog.hpp"
#include "catalog/database.hpp"
#include "catalog/export.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/pg_server.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"
#include "support/toc_catalog.hpp"

namespace fw::pg_catalog_test {
namespace {

using namespace std::chrono_literals;

IndexRow frame_row(std::uint32_t frame, const std::string& reel, const std::string& job) {
  return {frame,
          "page",
          "D001",
          frame,
          fmt::format("{}-D001-{:04}", reel, frame),
          "page",
          fmt::format("scans/{}/p{}.tif", job, frame),
          1,
          std::string(64, 'b'),
          sha256_hex(fmt::format("{} {} {}", job, reel, frame)),
          1,
          "none"};
}

CatalogJob writer_job(const std::string& id) {
  CatalogJob job;
  job.id = id;
  job.title = "并发 " + id;
  job.dir = "/shared/out/" + id;
  job.plan_sha256 = std::string(64, 'a');
  job.format = "16mm-comic-30m";
  job.documents = {{"D001", "论语集注 " + id, {}, {}, {}}};
  return job;
}

// Four processes, as four recorder hosts would, open one new catalog at the same moment (the
// schema is created once) and each films 200 frames of its own job on two reels, in batches
// of 32 as convert writes them. Every frame is there exactly once, with its checksum.
TEST(PgCatalog, FourWritersAtOnceRecordEveryFrameExactlyOnce) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  constexpr int kWriters = 4;
  constexpr std::uint32_t kFrames = 200, kBatch = 32;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        const std::string id = fmt::format("host{}-job", w);
        Catalog catalog(url);
        catalog.start_job(writer_job(id));
        for (const std::string reel : {"R0001", "R0002"}) {
          catalog.reel_loaded(id, reel, 1, 30.5);
          std::vector<CatalogFrame> batch;
          for (std::uint32_t f = 1; f <= kFrames / 2; ++f) {
            batch.push_back({id, reel, frame_row(f, reel, id), {}, {}});
            if (batch.size() == kBatch || f == kFrames / 2) {
              catalog.add_frames(id, batch);
              batch.clear();
            }
          }
          catalog.reel_closed(id, {id, reel, 1, "complete", kFrames / 2, 1.0, "", "", {}, 1, ""});
        }
        catalog.set_job_status(id, "done");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed";
  }
  const Catalog catalog(url);
  EXPECT_EQ(catalog.schema_version(), Catalog::latest_version());
  EXPECT_EQ(catalog.jobs().size(), static_cast<std::size_t>(kWriters));
  const auto frames = catalog.frames();
  EXPECT_EQ(frames.size(), kWriters * kFrames);
  std::set<std::string> seen;
  for (const auto& f : frames) {
    EXPECT_EQ(f.row.frame_sha256,
              sha256_hex(fmt::format("{} {} {}", f.job_id, f.reel_id, f.row.frame)))
        << f.job_id << " " << f.reel_id << " " << f.row.frame;
    EXPECT_TRUE(seen.insert(f.job_id + "/" + f.reel_id + "/" + std::to_string(f.row.frame)).second)
        << "twice: " << f.job_id << " " << f.reel_id << " " << f.row.frame;
  }
  for (const auto& reel : catalog.reels()) {
    EXPECT_EQ(reel.status, "complete");
    EXPECT_EQ(reel.frames, kFrames / 2);
  }
}

// Starts the CLI without waiting; its output goes to `log`.
pid_t start_cli(const std::vector<std::string>& args, const std::filesystem::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stdout);
    std::freopen(log.c_str(), "a", stderr);
    std::vector<char*> argv{const_cast<char*>(FW_CLI)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(FW_CLI, argv.data());
    _exit(127);
  }
  return pid;
}

// The database goes away in the middle of a job: the job stops with an error naming the
// catalog and the lost connection (the film and the journal are as far as they got); once the
// server is back, --resume films the rest, and the catalog holds every frame exactly once,
// as index.csv does.
TEST(PgCatalog, AServerStoppedMidJobStopsItClearlyAndResumeRecordsEveryFrameOnce) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  test::TempDir dir;
  test::copy_profiles_with_test_recorder(dir / "profiles");
  std::filesystem::create_directories(dir / "scans");
  // convert writes the catalog in batches of 32 frames: the server stops after the first.
  constexpr std::uint32_t kPages = 48;
  for (std::uint32_t p = 1; p <= kPages; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{:02}.png", p),
                       samples::Encoding::png, 100);
  }
  // The simulated recorder at its real write rate: a few frames a second, so that the job is
  // still running when the server stops.
  test::write_text(dir / "job.toml", R"(version = 1
id = "outage"
title = "断线 test"
dpi = 100
targets = "none"
catalog = ")" + url + R"("
[recorder]
driver = "sim"
[recorder.options]
recorder = "sim-test"
film_output = "false"
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { dir = "scans" }
)");
  const std::vector<std::string> convert = {"convert", (dir / "job.toml").string(), "--profiles",
                                            (dir / "profiles").string()};
  const pid_t job = start_cli(convert, dir / "convert.log");
  // Once the first batch is in the catalog, stop the server.
  bool started = false;
  for (int i = 0; i < 600 && !started; ++i) {
    std::this_thread::sleep_for(50ms);
    try {
      started = !Catalog(url).frames("outage").empty();
    } catch (const Error&) {
    }
  }
  ASSERT_TRUE(started) << read_file(dir / "convert.log");
  server->stop();
  int status = 0;
  ASSERT_EQ(waitpid(job, &status, 0), job);
  const std::string log = read_file(dir / "convert.log");
  server->start();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0) << log;
  EXPECT_NE(log.find("internal error: catalog " + url +
                     ": server closed the connection "
                     "unexpectedly"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("(the connection to the server is lost)"), std::string::npos) << log;
  const std::size_t before = Catalog(url).frames("outage").size();
  EXPECT_LT(before, kPages) << "the job ended before the server stopped:\n" << log;

  std::vector<std::string> resume = convert;
  resume.emplace_back("--resume");
  const auto resumed = test::run_cli(resume);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  const Catalog catalog(url);
  const auto frames = catalog.frames("outage");
  EXPECT_EQ(frames.size(), kPages);
  std::set<std::uint32_t> numbers;
  for (const auto& f : frames) numbers.insert(f.row.frame);
  EXPECT_EQ(numbers.size(), kPages);
  EXPECT_EQ(*numbers.rbegin(), kPages);
  EXPECT_EQ(read_file(dir / "out" / "outage" / "R0001" / "index.csv"), to_csv([&] {
              std::vector<IndexRow> rows;
              rows.reserve(frames.size());
              for (const auto& f : frames) rows.push_back(f.row);
              return rows;
            }()));
  const auto check = test::run_cli({"catalog", "check", "--catalog", url});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// Two recorder hosts at two sites (two processes at once: one given --site, the other
// FILMWRITER_SITE) film jobs numbered alike into one catalog: their reels are NLC-B2-R0001 and
// NLC-B3-R0001, in the catalog, the reel folders, plan.json and the journal, and the start
// target's frame carries its site. The second site filming a job id the first site's reels
// already hold is refused (exit 2), the first site's reels untouched.
TEST(PgCatalog, TwoSitesFilmingIntoOneCatalogGetReelIdsOfTheirOwn) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  test::TempDir dir;
  std::filesystem::create_directories(dir / "scans");
  for (std::uint32_t p = 1; p <= 3; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{}.png", p),
                       samples::Encoding::png, 100);
  }
  const auto job_file = [&](const std::string& id) {
    const auto file = dir / (id + ".toml");
    test::write_text(file, R"(version = 1
id = ")" + id + R"("
title = "两馆 test"
dpi = 100
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 50
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { dir = "scans" }
)");
    return file.string();
  };
  const auto host = [&](const std::string& id, const std::string& out) {
    return std::vector<std::string>{"convert", job_file(id), "--catalog",
                                    url,       "--out",      (dir / out).string()};
  };
  auto b2 = host("batch-1", "outB2");
  b2.insert(b2.end(), {"--site", "NLC-B2"});
  const pid_t first = start_cli(b2, dir / "b2.log");
  setenv("FILMWRITER_SITE", "NLC-B3", 1);
  const pid_t second = start_cli(host("batch-2", "outB3"), dir / "b3.log");
  unsetenv("FILMWRITER_SITE");
  for (const auto& [pid, log] : {std::pair{first, "b2.log"}, std::pair{second, "b3.log"}}) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(dir / log);
  }
  const auto reel_ids = [&](const std::string& job) {
    std::vector<std::string> ids;
    for (const auto& reel : Catalog(url).reels(job)) ids.push_back(reel.reel_id);
    return ids;
  };
  EXPECT_EQ(reel_ids("batch-1"), std::vector<std::string>{"NLC-B2-R0001"});
  EXPECT_EQ(reel_ids("batch-2"), std::vector<std::string>{"NLC-B3-R0001"});
  // Frame addresses begin with the reel's label (R0001-D001-0001, as printed on the frames of
  // the reel in hand); reel id and address are unique across the catalog.
  std::set<std::string> frames;
  for (const auto& f : Catalog(url).frames()) {
    EXPECT_EQ(f.reel_id, f.job_id == "batch-1" ? "NLC-B2-R0001" : "NLC-B3-R0001");
    EXPECT_EQ(f.row.address.rfind("R0001-", 0), 0u) << f.job_id << " " << f.row.address;
    EXPECT_TRUE(frames.insert(f.reel_id + " " + f.row.address).second)
        << "twice: " << f.reel_id << " " << f.row.address;
  }
  // On disk: the reel's folder and index, the plan, the start target's frame.
  const auto reel_dir = dir / "outB2" / "batch-1" / "NLC-B2-R0001";
  const auto rows = test::read_csv(reel_dir / "index.csv");
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(frames.size(), 2 * (rows.size() - 1));  // the header row aside
  EXPECT_EQ(rows[1][1], "start-target");
  EXPECT_EQ(rows[1][4], "R0001-START");
  const std::string plan = read_file(dir / "outB2" / "batch-1" / "plan.json");
  EXPECT_NE(plan.find(R"("site": "NLC-B2")"), std::string::npos);
  EXPECT_NE(plan.find(R"("id": "NLC-B2-R0001")"), std::string::npos);
  EXPECT_NE(read_file(dir / "outB3" / "batch-2" / "journal.jsonl").find(R"("site":"NLC-B3")"),
            std::string::npos);
  // The same job without a site: the start target's frame differs (the site's line is drawn
  // on it); every page frame is the same.
  auto plain = host("batch-1", "plain");
  plain.emplace_back("--catalog");
  plain.push_back((dir / "plain.sqlite").string());
  plain.erase(plain.begin() + 2, plain.begin() + 4);  // the first --catalog URL
  const auto unsited = test::run_cli(plain);
  ASSERT_EQ(unsited.exit_code, 0) << unsited.err;
  const auto plain_rows = test::read_csv(dir / "plain" / "batch-1" / "R0001" / "index.csv");
  ASSERT_EQ(plain_rows.size(), rows.size());
  EXPECT_EQ(plain_rows[1][4], "R0001-START");
  EXPECT_NE(plain_rows[1][9], rows[1][9]) << "the start target's frame_sha256";
  for (std::size_t r = 2; r < rows.size(); ++r) {
    if (rows[r][1] == "page") {
      EXPECT_EQ(plain_rows[r][9], rows[r][9]) << "frame " << r;
    }
  }
  // A job resumed on a host of another site keeps its own: nothing to resume, the plan the
  // same (with NLC-B9's reel ids it would have changed).
  setenv("FILMWRITER_SITE", "NLC-B9", 1);
  auto again = host("batch-2", "outB3");
  again.emplace_back("--resume");
  const auto resumed = test::run_cli(again);
  unsetenv("FILMWRITER_SITE");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("nothing to resume"), std::string::npos) << resumed.out;
  EXPECT_EQ(reel_ids("batch-2"), std::vector<std::string>{"NLC-B3-R0001"});
  // Site NLC-B3 filming job batch-1, which site NLC-B2 filmed into this catalog: refused.
  setenv("FILMWRITER_SITE", "NLC-B3", 1);
  const auto clash = test::run_cli(host("batch-1", "outB3"));
  unsetenv("FILMWRITER_SITE");
  EXPECT_EQ(clash.exit_code, 2) << clash.err;
  EXPECT_NE(clash.err.find("job batch-1 in this catalog was filmed by site NLC-B2 (reel "
                           "NLC-B2-R0001), and this run films as site NLC-B3"),
            std::string::npos)
      << clash.err;
  const auto kept = Catalog(url).reels("batch-1");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].status, "complete");
  const auto check = test::run_cli({"catalog", "check", "--catalog", url});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// `catalog migrate` moves a SQLite catalog into an empty PostgreSQL one, counts checked;
// the same questions get the same answers; a second migrate into it is refused.
TEST(PgCatalog, MigrateMovesASqliteCatalogWithItsCountsChecked) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  test::TempDir dir;
  const auto file = dir / "catalog.sqlite";
  {
    Catalog catalog(file);
    for (const std::string id : {"b-job", "a-job"}) {
      CatalogJob job = writer_job(id);
      job.documents.push_back({"D000", "孟子 " + id, {{"作者", "朱熹"}}, {"x.tif"}, {}});
      catalog.start_job(job);
      catalog.reel_loaded(id, "R0001", 1, 30.5);
      catalog.add_frames(id, {{id, "R0001", frame_row(1, "R0001", id), {}, {}},
                              {id, "R0001", frame_row(2, "R0001", id), {}, {}}});
      catalog.reel_closed(id, {id, "R0001", 1, "complete", 2, 0.5, "i", "m", {}, 1, ""});
      catalog.add_event(id, "note", "发");
    }
  }
  const auto moved = test::run_cli({"catalog", "migrate", "--from", file.string(), "--to", url});
  ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  EXPECT_NE(moved.out.find("frames: 4 row(s)\n"), std::string::npos) << moved.out;
  EXPECT_NE(moved.out.find("documents: 4 row(s)\n"), std::string::npos) << moved.out;
  EXPECT_NE(moved.out.find("OK: "), std::string::npos) << moved.out;
  const Catalog from(file);
  Catalog to(url);
  FrameQuery q;
  q.text = "论语";
  EXPECT_EQ(describe_frames(to.find(q)), describe_frames(from.find(q)));
  EXPECT_EQ(describe_frames(to.find(q)).size(), 2u);
  EXPECT_EQ(to.documents("a-job").at(1).id, "D000");  // in the order they were written
  EXPECT_EQ(to.reels("b-job").at(0).film_used_m, 0.5);
  to.add_event("a-job", "note", "the id sequence continues after the copied events");

  const auto again = test::run_cli({"catalog", "migrate", "--from", file.string(), "--to", url});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already holds 2 job(s)"), std::string::npos) << again.err;
}

// `catalog find --title` with the other filters answers TOC entries on PostgreSQL as on SQLite
// (tests/toc_test.cpp, TocCatalog.TitleCombinesWithTheOtherFindFilters).
TEST(PgCatalog, TitleCombinesWithTheOtherFindFiltersForTocEntries) {
  FW_REQUIRE_PG(server);
  Catalog catalog(server->fresh_database());
  test::write_toc_job(catalog);
  test::expect_title_combines_with_filters(catalog);
}

// A catalog written by a newer filmwriter is refused, naming it and both versions; a URL's
// password never appears in a message.
TEST(PgCatalog, ANewerSchemaIsRefusedAndPasswordsAreNotShown) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  { Catalog catalog(url); }
  test::CatalogBackend::exec(url, "UPDATE filmwriter_schema SET version = 99");
  try {
    Catalog catalog(url);
    FAIL() << "a newer catalog was opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::job);
    EXPECT_NE(std::string(e.what()).find(
                  fmt::format("catalog {}: schema version 99 is newer than this filmwriter's ({})",
                              url, Catalog::latest_version())),
              std::string::npos)
        << e.what();
  }
  try {
    Catalog catalog("postgresql://filmwriter:s3cret@127.0.0.1:1/none?connect_timeout=2");
    FAIL() << "connected to nothing";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("catalog postgresql://filmwriter@127.0.0.1:1/none"),
              std::string::npos)
        << e.what();
  }
}

// A connection whose own set-up fails after connecting (here a database whose search_path
// finds an ILIKE that raises before pg_catalog's) is refused and leaves no session open on the
// server: the queue's lease heartbeat opens its connection again at every tick after a
// failure, and would otherwise pile sessions up to the server's max_connections.
TEST(PgCatalog, AConnectionThatFailsAfterConnectingLeavesNoSessionOnTheServer) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  const std::string name = url.substr(url.find("///") + 3, url.find('?') - url.find("///") - 3);
  test::CatalogBackend::exec(url, fmt::format(R"(CREATE SCHEMA trap;
CREATE FUNCTION trap.refuse(text, text) RETURNS boolean LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'ILIKE refused'; END $$;
CREATE OPERATOR trap.~~* (LEFTARG = text, RIGHTARG = text, FUNCTION = trap.refuse);
ALTER DATABASE {} SET search_path = trap, pg_catalog)",
                                              name));
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      db::open(url, false);
      FAIL() << "the connection's set-up did not fail";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("ILIKE refused"), std::string::npos) << e.what();
    }
  }
  // The server process of a closed connection leaves pg_stat_activity shortly after.
  const std::string sessions =
      fmt::format("SELECT count(*) FROM pg_stat_activity WHERE datname = '{}'", name);
  std::vector<std::string> open_sessions;
  for (int wait = 0; wait < 100; ++wait) {
    open_sessions = test::CatalogBackend::column(server->url("postgres"), sessions);
    if (open_sessions == std::vector<std::string>{"0"}) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(open_sessions, std::vector<std::string>{"0"});
}

// --catalog with a password in the URL: the journal (on shared storage) keeps the URL without
// it, and later commands that find the catalog through the journal connect with it all the
// same (here the test server trusts its socket; a site's ~/.pgpass or PGPASSWORD supplies it).
TEST(PgCatalog, AUrlsPasswordStaysOutOfTheJournal) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  const std::string with_password =
      "postgresql://postgres:s3cret@" + url.substr(std::string("postgresql://").size());
  test::TempDir dir;
  samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, "p1"};
  samples::save_page(samples::make_page(spec), dir / "p1.png", samples::Encoding::png, 100);
  test::write_text(dir / "job.toml", test::small_tiff_job("pw", "口令 test", "", "论语集注 卷一",
                                                          "{ files = [\"p1.png\"] }"));
  const auto convert =
      test::run_cli({"convert", (dir / "job.toml").string(), "--catalog", with_password});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const std::string journal = read_file(dir / "out" / "pw" / "journal.jsonl");
  EXPECT_EQ(journal.find("s3cret"), std::string::npos) << journal;
  EXPECT_NE(journal.find("postgresql://postgres@"), std::string::npos) << journal;
  const auto find =
      test::run_cli({"catalog", "find", (dir / "out" / "pw").string(), "--title", "论语"});
  EXPECT_EQ(find.exit_code, 0) << find.err;
  EXPECT_NE(find.out.find("pw R0001 frames"), std::string::npos) << find.out;
}

}  // namespace
}  // namespace fw::pg_catalog_test
