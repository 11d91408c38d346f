// A full disk under the catalog (issue 25): the SQLite catalog's folder fills up after a byte
// budget drawn from a seeded RNG (tests/fault/enospc_shim.c, preloaded into the CLI), while the
// job's output has room. The catalog is a record about the film and never costs film
// (docs/operations.md, "Catalog queries"): a convert whose catalog fills before its first frame
// stops before any film, one whose catalog fills later films every frame into the journal, index
// and manifest. Either way it exits 8 naming the catalog and "No space left on device"; the
// catalog stays an intact database of whole transactions; and with the space back, what the
// message and the docs say to run (`convert --resume`, `catalog rebuild`) leaves the catalog
// linking every frame as an uninterrupted run's does. A rebuild or a migrate into a catalog
// whose disk fills fails the same way and, run again with room, writes the same rows.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "samples/samples.hpp"
#include "support/full_disk.hpp"
#include "support/test_support.hpp"

namespace fw::catalog_full_test {
namespace {

namespace fs = std::filesystem;

// Bytes no run comes near: the shim counts what is written, and never runs out.
constexpr long long kRoom = 1LL << 40;

// 8 small pages in 2 documents on reels of 35 mm (short-reel): two reels, the tiff driver.
class CatalogFull : public ::testing::Test {
 protected:
  void SetUp() override {
    FW_SKIP_WITHOUT_ENOSPC_SHIM();
    test::copy_profiles_with_short_reel(dir / "profiles");
    // The filming date fixed: plan.json records it (a test that runs across midnight UTC).
    std::string toml = R"(version = 1
id = "full"
title = "catalog full"
format = "short-reel"
threads = 2
targets = "none"
filming_date = 2026-11-25
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 50
compression = "none"
)";
    for (int d = 1; d <= 2; ++d) {
      const std::string id = fmt::format("D{:03}", d);
      fs::create_directories(dir / "scans" / id);
      for (int p = 1; p <= 4; ++p) {
        samples::PageSpec spec{
            105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, id + " p" + std::to_string(p)};
        samples::save_page(samples::make_page(spec), dir / "scans" / id / fmt::format("p{}.png", p),
                           samples::Encoding::png, 100);
      }
      toml += fmt::format(
          "[[documents]]\nid = \"{0}\"\ntitle = \"{0}\"\npages = {{ dir = \"scans/{0}\" }}\n", id);
    }
    test::write_text(dir / "job.toml", toml);
  }

  std::vector<std::string> convert_args(const fs::path& out, const fs::path& catalog,
                                        const std::string& id = "full") const {
    return {"convert",    (dir / "job.toml").string(),
            "--out",      out.string(),
            "--profiles", (dir / "profiles").string(),
            "--catalog",  catalog.string(),
            "--id",       id};
  }

  // The rows that link job `id` to its film, one a line, as SQLite reads the file (its WAL
  // included): the job, its documents, its reels with their index and manifest checksums,
  // every frame, its TOC; not the times they were written, nor the job's folder (each round
  // films into its own). Opened read-only, so that reading neither recovers nor checkpoints.
  static std::string rows_of(const fs::path& catalog, const std::string& id) {
    sqlite3* db = nullptr;
    std::string out;
    if (sqlite3_open_v2(catalog.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      out = fmt::format("(cannot open: {})", db ? sqlite3_errmsg(db) : "out of memory");
    }
    for (const char* sql : {
             "SELECT 'job', id, title, institution, plan_sha256, format, status, run, "
             "attempt_base FROM jobs WHERE id = ?1",
             "SELECT 'document', id, title, metadata, source_files FROM documents WHERE job_id = "
             "?1 ORDER BY id",
             "SELECT 'reel', id, attempt, status, format, film_length_m, frames, film_used_m, "
             "index_sha256, manifest_sha256, run, superseded_at FROM reels WHERE job_id = ?1 "
             "ORDER BY id, attempt",
             "SELECT 'frame', reel_id, attempt, frame, address, blip, document_id, page, "
             "source_file, source_page, source_sha256, frame_sha256, kind, orientation, "
             "calibration FROM frames WHERE job_id = ?1 ORDER BY reel_id, attempt, frame",
             "SELECT 'toc', document_id, entry, title, page, level, metadata FROM toc WHERE "
             "job_id = ?1 ORDER BY document_id, entry",
         }) {
      if (!out.empty() && out.front() == '(') break;
      sqlite3_stmt* select = nullptr;
      if (sqlite3_prepare_v2(db, sql, -1, &select, nullptr) != SQLITE_OK) {
        out += fmt::format("(cannot read: {})\n", sqlite3_errmsg(db));
        continue;
      }
      sqlite3_bind_text(select, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      int rc = SQLITE_ROW;
      while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(select); ++c) {
          const auto* text = sqlite3_column_text(select, c);
          out += (c == 0 ? "" : "|") + std::string(text ? reinterpret_cast<const char*>(text) : "");
        }
        out += "\n";
      }
      if (rc != SQLITE_DONE) out += fmt::format("(cannot read: {})\n", sqlite3_errmsg(db));
      sqlite3_finalize(select);
    }
    sqlite3_close(db);
    return out;
  }

  // PRAGMA integrity_check as SQLite reads the file, read-only: "ok", or what is wrong.
  static std::string integrity_of(const fs::path& catalog) {
    if (!fs::exists(catalog)) return "(no file)";
    sqlite3* db = nullptr;
    std::string result;
    sqlite3_stmt* check = nullptr;
    if (sqlite3_open_v2(catalog.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check, nullptr) != SQLITE_OK) {
      result = db ? sqlite3_errmsg(db) : "cannot open";
    } else {
      while (sqlite3_step(check) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(check, 0);
        result += (result.empty() ? "" : "\n") +
                  std::string(text ? reinterpret_cast<const char*>(text) : "");
      }
      if (result.empty()) result = sqlite3_errmsg(db);
    }
    sqlite3_finalize(check);
    sqlite3_close(db);
    return result;
  }

  // The folder the catalog says job `id` is filmed in.
  static std::string job_dir_in(const fs::path& catalog, const std::string& id) {
    sqlite3* db = nullptr;
    sqlite3_stmt* select = nullptr;
    std::string dir;
    if (sqlite3_open_v2(catalog.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT dir FROM jobs WHERE id = ?1", -1, &select, nullptr) ==
            SQLITE_OK) {
      sqlite3_bind_text(select, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(select) == SQLITE_ROW) {
        dir = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
      }
    }
    sqlite3_finalize(select);
    sqlite3_close(db);
    return dir;
  }

  // The journal's frame records, one a line, as written.
  static std::string journaled_frames(const fs::path& job_dir) {
    std::istringstream lines(test::slurp(job_dir / "journal.jsonl"));
    std::string out;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\"event\":\"frame\"") != std::string::npos) out += line + "\n";
    }
    return out;
  }

  // The whole film and its records, as the uninterrupted run left them: the journal's frames
  // and its end, each reel's index and manifest, and every file the manifest names with its
  // checksum.
  void expect_film_of_reference(const fs::path& job_dir, const std::string& context) const {
    const auto reference = dir / "ref" / "full";
    EXPECT_EQ(journaled_frames(job_dir), journaled_frames(reference)) << context;
    EXPECT_NE(test::slurp(job_dir / "journal.jsonl").find("\"event\":\"finished\""),
              std::string::npos)
        << context << ": the journal does not say the job finished";
    for (const char* reel : {"R0001", "R0002"}) {
      EXPECT_EQ(test::slurp(job_dir / reel / "index.csv"),
                test::slurp(reference / reel / "index.csv"))
          << context << " " << reel;
      const std::string manifest = test::slurp(job_dir / reel / "manifest.sha256");
      EXPECT_EQ(manifest, test::slurp(reference / reel / "manifest.sha256"))
          << context << " " << reel;
      std::istringstream lines(manifest);
      for (std::string digest, name; lines >> digest >> name;) {
        EXPECT_EQ(sha256_file(job_dir / reel / name), digest)
            << context << " " << reel << "/" << name;
      }
    }
  }

  // The catalog's storage error as the docs promise it: exit 8, the file, the full disk.
  static void expect_full_catalog_named(const test::CliResult& run, const fs::path& catalog,
                                        const std::string& context) {
    EXPECT_EQ(run.exit_code, 8) << context << "\n" << run.err;
    EXPECT_NE(run.err.find("catalog " + catalog.string() + ": No space left on device"),
              std::string::npos)
        << context << ": the message does not name the catalog's full disk\n"
        << run.err;
    EXPECT_EQ(run.err.find("internal error"), std::string::npos) << context << run.err;
  }

  test::TempDir dir;
};

TEST_F(CatalogFull,
       AtRandomPointsOfAConvertTheFilmGoesOnAndTheCatalogCatchesUpAsAnUninterruptedRun) {
  // The uninterrupted run, and how many bytes it writes into a new catalog's folder.
  fs::create_directories(dir / "refcat");
  const auto reference_catalog = dir / "refcat" / "catalog.sqlite";
  const auto reference = test::run_cli_on_full_disk(convert_args(dir / "ref", reference_catalog),
                                                    dir / "refcat", kRoom, true);
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const long long new_total = test::written_under(reference.err);
  const std::string expected = rows_of(reference_catalog, "full");
  ASSERT_NE(expected.find("\nframe|R0002|1|4|"), std::string::npos) << expected;
  // An archive's catalog is seldom new: half the rounds film into one that holds another job,
  // whose rows must come through untouched.
  const auto seeded_catalog = dir / "seedcat" / "catalog.sqlite";
  ASSERT_EQ(test::run_cli(convert_args(dir / "seed", seeded_catalog, "other")).exit_code, 0);
  const std::string other = rows_of(seeded_catalog, "other");
  fs::copy(dir / "seedcat", dir / "countcat");
  const auto counted =
      test::run_cli_on_full_disk(convert_args(dir / "count", dir / "countcat" / "catalog.sqlite"),
                                 dir / "countcat", kRoom, true);
  ASSERT_EQ(counted.exit_code, 0) << counted.err;
  ASSERT_EQ(rows_of(dir / "countcat" / "catalog.sqlite", "full"), expected);
  const long long seeded_total = test::written_under(counted.err);
  ASSERT_GT(new_total, 0) << reference.err;
  ASSERT_GT(seeded_total, 0) << counted.err;

  std::mt19937_64 random(2514);
  std::cerr << "catalog full, the rounds (in " << dir.path().string() << "):\n";
  for (int i = 0; i < 10; ++i) {
    const bool seeded = i % 2 == 1;
    const long long total = seeded ? seeded_total : new_total;
    // Round 1: not a byte for an existing catalog, whose shared-memory index (-shm) then finds
    // no room: SQLite says "disk I/O error" there, not "full".
    const long long budget =
        i == 1 ? 0 : std::uniform_int_distribution<long long>(0, total - 1)(random);
    const auto out = dir / fmt::format("run{}", i);
    const auto folder = dir / fmt::format("cat{}", i);
    if (seeded) {
      fs::copy(dir / "seedcat", folder);
    } else {
      fs::create_directories(folder);
    }
    const auto catalog = folder / "catalog.sqlite";
    const std::string context = fmt::format("round {} ({} catalog, {} of {} bytes)", i,
                                            seeded ? "a seeded" : "a new", budget, total);
    const auto full = test::run_cli_on_full_disk(convert_args(out, catalog), folder, budget);
    const auto spent = test::budget_spent_at(full.err);
    const bool film = !journaled_frames(out / "full").empty();
    if (full.exit_code == 0) {
      // Only SQLite's checkpoint as the catalog closed found no room: every transaction is
      // whole in its write-ahead log, which the next reader reads.
      EXPECT_EQ(rows_of(catalog, "full"), expected) << context << "\n" << full.err;
    } else {
      expect_full_catalog_named(full, catalog, context);
      EXPECT_TRUE(spent) << context << ": exit " << full.exit_code << " without a full disk\n"
                         << full.err;
      if (film) {
        EXPECT_NE(full.err.find("fell behind"), std::string::npos) << context << full.err;
        EXPECT_NE(full.err.find("filmwriter catalog rebuild " + (out / "full").string()),
                  std::string::npos)
            << context << full.err;
      }
    }
    // The film is never cut short by its catalog: none of it (the catalog filled before the
    // first frame), or all of it, journaled as the uninterrupted run.
    if (film) {
      expect_film_of_reference(out / "full", context);
    } else {
      EXPECT_FALSE(fs::exists(out / "full" / "R0001")) << context;
    }
    EXPECT_EQ(integrity_of(catalog), "ok") << context;
    if (seeded) {
      EXPECT_EQ(rows_of(catalog, "other"), other) << context;
    }
    // The catalog's own check reads it: it agrees with the disk, or says what is behind.
    const auto checked =
        test::run_cli({"catalog", "check", (out / "full").string(), "--catalog", catalog.string()});
    EXPECT_TRUE(checked.exit_code == 0 || checked.exit_code == 5)
        << context << ": catalog check exit " << checked.exit_code << "\n"
        << checked.out << checked.err;

    // The space back: a finished film's catalog is brought up by what the message says
    // (`catalog rebuild`) or by a queue's retry (`convert --resume`); a job stopped before its
    // film resumes.
    const bool rebuild = film && (i / 2) % 2 == 0;
    // What the round covered, in the log whatever happens next.
    std::cerr << fmt::format("  {}: exit {}, {}, the disk full at {}; then {}\n", context,
                             full.exit_code, film ? "the whole film" : "no film",
                             spent ? fs::relative(*spent, dir.path()).string() : "(never)",
                             rebuild ? "rebuild" : "resume");
    auto resume = convert_args(out, catalog);
    resume.emplace_back("--resume");
    const auto again = test::run_cli(
        rebuild ? std::vector<std::string>{"catalog", "rebuild", (out / "full").string()} : resume);
    ASSERT_EQ(again.exit_code, 0) << context << (rebuild ? ": rebuild\n" : ": resume\n")
                                  << again.err;
    EXPECT_EQ(rows_of(catalog, "full"), expected) << context;
    EXPECT_EQ(job_dir_in(catalog, "full"), fs::absolute(out / "full").lexically_normal().string())
        << context;
    if (seeded) {
      EXPECT_EQ(rows_of(catalog, "other"), other) << context;
    }
    expect_film_of_reference(out / "full", context);
    const auto ok =
        test::run_cli({"catalog", "check", (out / "full").string(), "--catalog", catalog.string()});
    EXPECT_EQ(ok.exit_code, 0) << context << "\n" << ok.out << ok.err;
    EXPECT_NE(ok.out.find("OK: 2 reel(s)"), std::string::npos) << context << ok.out;
  }
}

// The upkeep commands that write a catalog: a rebuild from the job's records, a migrate into a
// new file. Each fails on the full disk naming the catalog, leaves it intact, and run again with
// room writes the uninterrupted run's rows.
TEST_F(CatalogFull, ARebuildOrMigrateOnAFullDiskIsNamedAndRunAgainWritesTheSameRows) {
  const auto reference_catalog = dir / "refcat" / "catalog.sqlite";
  ASSERT_EQ(test::run_cli(convert_args(dir / "ref", reference_catalog)).exit_code, 0);
  const std::string expected = rows_of(reference_catalog, "full");
  const auto args = [&](const std::string& command, const fs::path& catalog) {
    return command == "rebuild"
               ? std::vector<std::string>{"catalog", "rebuild", (dir / "ref" / "full").string(),
                                          "--catalog", catalog.string()}
               : std::vector<std::string>{"catalog", "migrate",
                                          "--from",  reference_catalog.string(),
                                          "--to",    catalog.string()};
  };
  std::mt19937_64 random(2515);
  for (const std::string command : {"rebuild", "migrate"}) {
    fs::create_directories(dir / (command + "-count"));
    const auto counted =
        test::run_cli_on_full_disk(args(command, dir / (command + "-count") / "catalog.sqlite"),
                                   dir / (command + "-count"), kRoom, true);
    ASSERT_EQ(counted.exit_code, 0) << command << "\n" << counted.err;
    const long long total = test::written_under(counted.err);
    ASSERT_GT(total, 0) << counted.err;
    for (int i = 0; i < 2; ++i) {
      const long long budget = std::uniform_int_distribution<long long>(0, total - 1)(random);
      const auto folder = dir / fmt::format("{}{}", command, i);
      fs::create_directories(folder);
      const auto catalog = folder / "catalog.sqlite";
      const std::string context =
          fmt::format("{} with {} of {} bytes (in {})", command, budget, total, folder.string());
      const auto full = test::run_cli_on_full_disk(args(command, catalog), folder, budget);
      EXPECT_EQ(integrity_of(catalog), "ok") << context;
      if (full.exit_code != 0) {
        expect_full_catalog_named(full, catalog, context);
        const auto again = test::run_cli(args(command, catalog));
        ASSERT_EQ(again.exit_code, 0) << context << "\n" << again.out << again.err;
      }
      // (Exit 0: only SQLite's checkpoint as the catalog closed found no room.)
      EXPECT_EQ(rows_of(catalog, "full"), expected) << context << "\n" << full.err;
    }
  }
}

}  // namespace
}  // namespace fw::catalog_full_test
