// Vault inspections of master reels (母片库核查): acetate decay (A-D strip level), density
// drift and damage, recorded in the catalog (table `inspections`, schema version 3) so that
// `filmwriter inspect due` can say which reels are due and the QC report can show a reel's
// history. A-D strip levels follow IPI: 0 good, 1 onset, 1.5 autocatalytic point,
// 2 degrading (freeze or copy), 3 critical
// (docs/micrographics.md#qc-to-automate-and-vault-inspection).
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace fw {

struct Inspection {
  std::string job_id;
  std::string reel;
  std::string date;  // YYYY-MM-DD
  double ad_strip = 0;
  std::vector<double> densities;  // densitometer readings, D
  std::string notes;
  // Read side: when it was entered (UTC, "2026-11-25T10:00:00Z"), and whether that was before
  // the job's current run started, i.e. the record is about an earlier filming of the reel id
  // (the job was run again with --overwrite since).
  std::string recorded_at;
  bool earlier_filming = false;
};

// Validates (date, A-D level 0–3 in steps of 0.5, densities 0–5, the reel exists in the
// catalog; when `job_id` is empty the reel id must name exactly one job's reel) and stores it.
// Throws Error(usage) naming the bad reading, Error(job) for an unknown reel.
Inspection add_inspection(const Catalog& catalog, Inspection inspection);

// By reel, then oldest first; an empty `reel` gives every reel of the job.
std::vector<Inspection> list_inspections(const Catalog& catalog, const std::string& job_id,
                                         const std::string& reel = {});

struct DueReel {
  std::string job_id;
  std::string reel;
  std::string last;  // date of the last inspection, or of filming when never inspected
  bool inspected = false;
  double last_ad_strip = 0;
};
// Complete reels whose last inspection (or filming, when never inspected) is more than
// `months` before `today` (YYYY-MM-DD). Inspections of an earlier filming do not count: the
// reel on the shelf is the one filmed last.
std::vector<DueReel> inspections_due(const Catalog& catalog, int months, const std::string& today);

// A job's inspection records, kept across a run that rebuilds the job's catalog rows.
// Catalog::start_job (a new run, --overwrite) and sync_job (--resume) delete the job's row,
// and SQLite's ON DELETE CASCADE takes the inspections with it; but an inspection is about the
// physical reel in the vault, not about the run's bookkeeping. Read them before the rebuild,
// restore() after it: the records come back unchanged (id, date, readings, notes,
// recorded_at), so those entered before the new run show as of an earlier filming.
class KeptInspections {
 public:
  KeptInspections(const Catalog& catalog, const std::string& job_id);
  // Puts back the kept records that are missing; returns how many. Idempotent.
  std::size_t restore() const;
  std::size_t size() const { return kept_.size(); }

 private:
  std::filesystem::path file_;
  std::vector<std::pair<long long, Inspection>> kept_;  // row id, record
};

// "2026-11-25": throws Error(usage) naming `what` when not a real calendar date.
void check_date(const std::string& date, const std::string& what);

}  // namespace fw
