// The catalog is a record about the film, kept true to it: a catalog that is locked, damaged or
// lost never costs film, every such fault is named (exit 8) with what to do, `catalog check`
// compares catalog and disk both ways, and `catalog rebuild` writes it again from the jobs'
// own records (engine/api/catalog_upkeep.hpp).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "base/files.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/test_support.hpp"

namespace fw::catalog_upkeep_test {
namespace {

namespace fs = std::filesystem;

// Holds SQLite's write lock on a catalog, as a second process writing it would.
class CatalogLock {
 public:
  explicit CatalogLock(const fs::path& file) {
    EXPECT_EQ(sqlite3_open(file.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
  }
  ~CatalogLock() {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
  CatalogLock(const CatalogLock&) = delete;
  CatalogLock& operator=(const CatalogLock&) = delete;

 private:
  sqlite3* db_ = nullptr;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class CatalogUpkeep : public ::testing::Test {
 protected:
  void SetUp() override {
    test::copy_profiles_with_test_recorder(dir / "profiles");
    std::string toml = R"(version = 1
id = "keep"
title = "编目 test"
targets = "none"
)";
    toml += sim ? "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrecorder = \"sim-test\"\n"
                : "[recorder]\ndriver = \"tiff\"\n[recorder.options]\npitch_um = 50\n";
    for (int d = 1; d <= 2; ++d) {
      const std::string id = fmt::format("D{:03}", d);
      fs::create_directories(dir / "scans" / id);
      for (int p = 1; p <= 3; ++p) {
        samples::PageSpec spec{105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, id};
        samples::save_page(samples::make_page(spec), dir / "scans" / id / fmt::format("p{}.png", p),
                           samples::Encoding::png, 100);
      }
      toml += fmt::format(
          "[[documents]]\nid = \"{}\"\ntitle = \"卷{}\"\npages = {{ dir = \"scans/{}\" }}\n"
          "[documents.metadata]\n作者 = \"朱熹\"\n",
          id, d, id);
    }
    test::write_text(dir / "job.toml", toml);
  }

  std::vector<std::string> convert_args() const {
    return {"convert",    (dir / "job.toml").string(), "--out", (dir / "out").string(),
            "--profiles", (dir / "profiles").string()};
  }
  // What convert_args() runs, through the engine API: the set-ups, checked by what they leave.
  api::ConvertResult convert(const api::ConvertOptions& options = {}) const {
    return test::convert_job(dir / "job.toml", options,
                             test::job_flags(dir / "out", dir / "profiles"));
  }
  fs::path catalog() const { return dir / "out" / "catalog.sqlite"; }
  fs::path job_dir() const { return dir / "out" / "keep"; }

  test::TempDir dir;
  bool sim = false;
};

class CatalogUpkeepOnSim : public CatalogUpkeep {
 protected:
  void SetUp() override {
    sim = true;  // a frame takes the simulated recorder a fraction of a second
    CatalogUpkeep::SetUp();
    setenv("FILMWRITER_CATALOG_TIMEOUT", "2", 1);
  }
  void TearDown() override { unsetenv("FILMWRITER_CATALOG_TIMEOUT"); }
};

// Another process holds the catalog's lock from the job's first frame on: the job waits the
// bounded busy timeout, says that it waits, then films every frame into the journal, index and
// manifest, and exits 8 naming the catalog and the command that brings it up to date. A resume
// of the finished job (what a queue's retry runs) exposes nothing and catches the catalog up.
TEST_F(CatalogUpkeepOnSim, ALockedCatalogNeverCostsFilmAndAResumeCatchesItUp) {
  // Another job makes the catalog (a lock needs the file), then this one is filmed.
  auto other = convert_args();
  other.insert(other.end(), {"--id", "other"});
  ASSERT_EQ(test::run_cli(other).exit_code, 0);
  const auto args = convert_args();
  auto run = std::async(std::launch::async, [&] { return test::run_cli(args); });
  const fs::path journal = job_dir() / "journal.jsonl";
  // The lock is taken once the first frame is on film.
  std::unique_ptr<CatalogLock> lock;
  for (int i = 0; i < 20000 && !lock; ++i) {
    std::error_code ec;
    if (fs::exists(journal, ec) &&
        read_file(journal).find("\"event\":\"frame\"") != std::string::npos) {
      lock = std::make_unique<CatalogLock>(catalog());
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ASSERT_TRUE(lock);
  const auto result = run.get();
  lock.reset();
  EXPECT_EQ(result.exit_code, 8) << result.out << result.err;
  EXPECT_NE(result.err.find("catalog " + catalog().string() +
                            " is locked by another process; waiting up to 2 s"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("every frame is exposed and in the journal, index and manifest, but "
                            "the catalog " +
                            catalog().string() + " fell behind"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("filmwriter catalog rebuild " + job_dir().string()), std::string::npos)
      << result.err;
  // Every planned frame is on film and journaled; the journal says the job finished.
  const std::string text = read_file(journal);
  EXPECT_NE(text.find("\"event\":\"finished\""), std::string::npos);
  const auto index = test::read_csv(job_dir() / "R0001" / "index.csv");
  EXPECT_EQ(count_of(text, "\"event\":\"frame\""), index.size() - 1);
  EXPECT_EQ(index.size() - 1, 6u);  // six pages, no targets

  // The catalog fell behind, and check says so both ways, naming the command.
  auto check = test::run_cli({"catalog", "check", job_dir().string()});
  EXPECT_EQ(check.exit_code, 5) << check.out << check.err;
  EXPECT_NE(check.out.find("FAILED job keep reel R0001: the journal holds 6 frames, the catalog"),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("`filmwriter catalog rebuild " + job_dir().string() + "`"),
            std::string::npos);

  // The retry: nothing exposed again, the catalog brought up to the journal.
  const auto resume = test::run_cli({"convert", "--resume", job_dir().string()});
  EXPECT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_NE(resume.out.find("already finished"), std::string::npos) << resume.out;
  EXPECT_EQ(count_of(read_file(journal), "\"event\":\"frame\""), 6u);
  check = test::run_cli({"catalog", "check", job_dir().string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  const auto find = test::run_cli({"catalog", "find", job_dir().string(), "--title", "卷2"});
  EXPECT_NE(find.out.find("keep R0001 frames 4-6"), std::string::npos) << find.out;
  EXPECT_TRUE(fs::exists(job_dir() / "R0001" / "mets.xml"));
}

// A lock held before the job starts: the job stops before any film is exposed (exit 8, the
// catalog named), and runs once the lock is gone.
TEST_F(CatalogUpkeepOnSim, ACatalogLockedFromTheStartStopsTheJobBeforeAnyFilm) {
  ASSERT_NO_THROW(convert());
  auto first = convert_args();
  first.emplace_back("--overwrite");
  {
    const CatalogLock lock(catalog());
    const auto refused = test::run_cli(first);
    EXPECT_EQ(refused.exit_code, 8) << refused.err;
    EXPECT_NE(refused.err.find("catalog " + catalog().string() + ": database is locked"),
              std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("FILMWRITER_CATALOG_TIMEOUT"), std::string::npos);
    const std::string journal = read_file(job_dir() / "journal.jsonl");
    EXPECT_EQ(journal.find("\"event\":\"frame\""), std::string::npos) << journal;
  }
  EXPECT_NO_THROW(test::convert_job(job_dir(), test::resuming()));
  EXPECT_EQ(test::run_cli({"catalog", "check", job_dir().string()}).exit_code, 0);
}

// A damaged catalog file: every command names it, says it is damaged and how to rebuild it
// (exit 8, not "internal error"); `catalog rebuild` sets the file aside and writes the
// catalog again from the job's journal, index and manifest: the same frames as before.
TEST_F(CatalogUpkeep, ADamagedCatalogIsNamedAndRebuiltFromTheJobsOwnRecords) {
  ASSERT_NO_THROW(convert());
  const auto before =
      test::run_cli({"catalog", "export", "--catalog", catalog().string(), "--format", "csv"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  // A copy cut short, as a disk that failed mid-write leaves it.
  std::string bytes = read_file(catalog());
  for (std::size_t i = 100; i < bytes.size(); i += 7) bytes[i] = static_cast<char>(i);
  test::write_text(catalog(), bytes.substr(0, bytes.size() / 2));
  fs::remove(catalog().string() + "-wal");
  fs::remove(catalog().string() + "-shm");

  const auto find =
      test::run_cli({"catalog", "find", "--catalog", catalog().string(), "--title", "卷"});
  EXPECT_EQ(find.exit_code, 8) << find.err;
  EXPECT_NE(find.err.find("catalog " + catalog().string() + ": "), std::string::npos) << find.err;
  EXPECT_NE(find.err.find("the file is damaged or not a catalog"), std::string::npos) << find.err;
  EXPECT_NE(find.err.find("filmwriter catalog rebuild"), std::string::npos) << find.err;

  const auto rebuild = test::run_cli({"catalog", "rebuild", (dir / "out").string()});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.out << rebuild.err;
  EXPECT_NE(rebuild.out.find(catalog().string() + " was damaged"), std::string::npos)
      << rebuild.out;
  EXPECT_NE(rebuild.out.find("job keep (" + job_dir().string() +
                             "): 6 frames on 1 reel(s), done, rebuilt into " + catalog().string()),
            std::string::npos)
      << rebuild.out;
  std::size_t aside = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    const std::string name = entry.path().filename().string();
    aside += name.rfind("catalog.sqlite.damaged-", 0) == 0 && name.back() == 'Z';
  }
  EXPECT_EQ(aside, 1u);  // set aside, not deleted

  const auto after =
      test::run_cli({"catalog", "export", "--catalog", catalog().string(), "--format", "csv"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, before.out);
  const auto check = test::run_cli({"catalog", "check", (dir / "out").string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("OK: 1 reel(s)"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("the 1 job folder(s) on disk"), std::string::npos) << check.out;
}

// `catalog check` no longer says OK of a catalog that lost its rows while the reels sit on
// disk: an emptied catalog, and one whose reel rows were deleted, fail naming the job and the
// rebuild; a job folder gone from disk fails too.
TEST_F(CatalogUpkeep, CheckComparesCatalogAndDiskBothWays) {
  ASSERT_NO_THROW(convert());
  const std::string saved = read_file(catalog());
  fs::remove(catalog().string() + "-wal");
  fs::remove(catalog().string() + "-shm");

  // Reel rows deleted (an operator's cleanup gone wrong).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(catalog().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM reels", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto check = test::run_cli({"catalog", "check", "--catalog", catalog().string()});
  EXPECT_EQ(check.exit_code, 5) << check.out;
  EXPECT_NE(check.out.find("FAILED job keep reel R0001: in the journal (6 frames) but not in the "
                           "catalog"),
            std::string::npos)
      << check.out;

  // Truncated to nothing: SQLite opens it as a new, empty catalog.
  test::write_text(catalog(), "");
  check = test::run_cli({"catalog", "check", "--catalog", catalog().string()});
  EXPECT_EQ(check.exit_code, 5) << check.out;
  EXPECT_NE(check.out.find("FAILED job keep (" + job_dir().string() +
                           "): 6 frames on 1 reel(s) in its journal, but the catalog holds no "
                           "such job"),
            std::string::npos)
      << check.out;
  // Named by the job's folder, the same (not "has it been converted?").
  check = test::run_cli({"catalog", "check", job_dir().string()});
  EXPECT_EQ(check.exit_code, 5) << check.out << check.err;

  // The other way round: the catalog holds a job whose folder is gone.
  test::write_text(catalog(), saved);
  fs::rename(job_dir(), dir / "elsewhere");
  check = test::run_cli({"catalog", "check", "--catalog", catalog().string()});
  EXPECT_EQ(check.exit_code, 5) << check.out;
  EXPECT_NE(
      check.out.find("FAILED job keep: " + (job_dir() / "journal.jsonl").string() + " is missing"),
      std::string::npos)
      << check.out;
}

// The catalog's folder cannot be written: a storage error (exit 8) naming the file, before
// any film; not "internal error".
TEST_F(CatalogUpkeep, ACatalogThatCannotBeCreatedIsAStorageErrorNamingIt) {
  if (geteuid() == 0) {
    // root writes anywhere: a path through a regular file cannot be created by anyone.
    test::write_text(dir / "not-a-folder", "x");
  }
  const fs::path where = dir / "not-a-folder" / "catalog.sqlite";
  if (geteuid() != 0) {
    fs::create_directories(dir / "not-a-folder");
    fs::permissions(dir / "not-a-folder", fs::perms::owner_read | fs::perms::owner_exec);
  }
  auto args = convert_args();
  args.insert(args.end(), {"--catalog", where.string()});
  const auto result = test::run_cli(args);
  EXPECT_EQ(result.exit_code, 8) << result.err;
  EXPECT_NE(result.err.find((dir / "not-a-folder").string()), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(job_dir() / "R0001" / "index.csv"));
}

}  // namespace
}  // namespace fw::catalog_upkeep_test
