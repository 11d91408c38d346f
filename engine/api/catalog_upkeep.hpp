// The catalog kept true to the film: `filmwriter catalog rebuild` writes it again from the
// reels' own records (each job's journal.jsonl, index.csv and manifest.sha256, which stay the
// source of truth), and `catalog check` compares catalog and disk both ways.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "api/catalog_target.hpp"
#include "catalog/catalog.hpp"
#include "hal/registry.hpp"

namespace fw::api {

struct RebuiltJob {
  std::string job_id;
  std::filesystem::path dir;
  std::filesystem::path catalog;  // as written to (a URL's password removed)
  std::size_t reels = 0;
  std::size_t frames = 0;
  bool finished = false;
  std::size_t inspections = 0;  // vault inspection records the catalog kept through it
};

struct RebuildResult {
  std::vector<RebuiltJob> jobs;
  // A damaged SQLite catalog moved out of the way (to set_aside) before a new one was written.
  std::filesystem::path damaged, set_aside;
  std::string damage;
};

// Rebuilds the catalog rows of the job in `named` (a job's output folder) or of every job in
// an --out folder, each with the settings its journal recorded (the job file must still be
// readable: the catalog keeps titles and metadata the journal does not). The catalog is
// `catalog_flag`, else the one each journal recorded. Each job is rebuilt under its lock
// (Error(busy) while a convert runs it). Every reel's mets.xml is written again.
RebuildResult rebuild_catalog(const std::filesystem::path& named,
                              const std::filesystem::path& catalog_flag,
                              const hal::Registry& drivers);

// `catalog check` both ways: the catalog against each reel's index and manifest (check_job),
// and the disk against the catalog: each job folder's journal (its reels and frames, finished
// or not) against the catalog's rows, and job folders in the output folders (the named one,
// the catalog's own folder, the known jobs' parents) whose journal names this catalog but
// whose job the catalog does not hold. Returns one line per problem, and the reels checked.
// Where the catalog's current rows of `job` disagree with its journal: a journaled reel the
// catalog lacks or holds with another frame count, a finished job not done in the catalog.
// One line per problem, each naming the `catalog rebuild` that mends it; empty when they agree.
std::vector<std::string> compare_with_journal(const Catalog& catalog, const CatalogJob& job,
                                              const JournalState& journal);

struct CatalogCheck {
  std::vector<std::string> problems;
  std::size_t reels = 0;
  std::size_t jobs_on_disk = 0;
};
CatalogCheck check_catalog(const CatalogTarget& target, const std::filesystem::path& named);

}  // namespace fw::api
