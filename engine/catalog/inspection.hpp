// Vault inspections of master reels (母片库核查): acetate decay (A-D strip level), density
// drift and damage, recorded in the catalog (table `inspections`, schema version 3) so that
// `filmwriter inspect due` can say which reels are due and the QC report can show a reel's
// history. A-D strip levels follow IPI: 0 good, 1 onset, 1.5 autocatalytic point,
// 2 degrading (freeze or copy), 3 critical
// (docs/micrographics.md#qc-to-automate-and-vault-inspection).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace fw {

struct Inspection {
  long long id = 0;  // the record's number (`inspect list` shows it as #ID)
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
  // A record is never changed or deleted (schema version 6): it is `current`, or `corrected`
  // (by the record `corrected_by`, which `corrects` it) or `withdrawn`, with the `reason` and
  // when (`changed_at`, UTC). Only current records count (inspect due, the report).
  std::string status = "current";
  long long corrects = 0;
  long long corrected_by = 0;
  std::string reason;
  std::string changed_at;
};

// Today's date where the operator is (local time), YYYY-MM-DD.
std::string local_today();

// Validates (date: a real one, not after `today` and not before the reel was filmed, i.e.
// loaded, in local time; A-D level 0–3 in steps of 0.5; densities 0–5; the reel exists in the
// catalog; when `job_id` is empty the reel id must name exactly one job's reel) and stores it.
// Throws Error(usage) naming the bad reading (and, for the date, the reel, job and dates),
// Error(job) for an unknown reel.
Inspection add_inspection(const Catalog& catalog, Inspection inspection,
                          const std::string& today = local_today());

// What a correction changes; the rest is taken from the corrected record.
struct InspectionChange {
  std::optional<std::string> date;
  std::optional<double> ad_strip;
  std::optional<std::vector<double>> densities;
  std::optional<std::string> notes;
};

// Stores a new record (validated as add_inspection) in place of current record `id`, which is
// kept, marked corrected with `reason`. Returns the new record. Error(usage) when the reason is
// empty, when `id` is not a current record of this filming (naming what it is), or when the
// change changes nothing.
Inspection correct_inspection(const Catalog& catalog, long long id, const InspectionChange& change,
                              const std::string& reason, const std::string& today = local_today());

// Marks current record `id` withdrawn with `reason` (kept in the history). Returns it.
Inspection withdraw_inspection(const Catalog& catalog, long long id, const std::string& reason);

// By reel, then oldest first; an empty `reel` gives every reel of the job. Current records
// only, unless `history`: then corrected and withdrawn ones too.
std::vector<Inspection> list_inspections(const Catalog& catalog, const std::string& job_id,
                                         const std::string& reel = {}, bool history = false);

struct DueReel {
  std::string job_id;
  std::string reel;
  std::string last;  // date of the last inspection, or of filming when never inspected
  bool inspected = false;
  double last_ad_strip = 0;
};
// Complete reels whose last inspection (or filming, when never inspected) is more than
// `months` before `today` (YYYY-MM-DD). Inspections of an earlier filming do not count: the
// reel on the shelf is the one filmed last; nor do corrected or withdrawn records, or records
// dated after `today`.
std::vector<DueReel> inspections_due(const Catalog& catalog, int months, const std::string& today);

// A job's inspection records, kept across a run that rebuilds the job's catalog rows. Since
// catalog schema 7 neither Catalog::start_job (a new run, --overwrite) nor sync_job (--resume)
// deletes the job's row, so the records stay; this guards them all the same (an inspection is
// about the physical reel in the vault, not about the run's bookkeeping): read them before
// the rebuild, restore() after it, and any record missing comes back unchanged (id, date,
// readings, notes, recorded_at); those entered before a new run show as of an earlier filming.
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

// "#3 qc R0001 2026-11-25: A-D strip 1, densities [1.08, 1.1], notes: ... (corrects #2)", then
// " (earlier filming: the job was run again since)", " [corrected by #4 on TIME: REASON]" or
// " [withdrawn on TIME: REASON]" as they apply.
std::string describe_inspection(const Inspection& inspection);
// "qc R0001: last inspected 2026-11-25 (A-D strip 1)" or "qc R0001: never inspected, filmed
// 2026-11-25".
std::string describe_due(const DueReel& due);
// A record's number as `inspect list` shows it: "3" or "#3"; Error(usage) naming ID otherwise.
long long parse_inspection_id(const std::string& text);

// "1.05,1.08 1.10" (commas or spaces): throws Error(usage) naming --densities and the bad item.
std::vector<double> parse_densities(const std::string& text);

// "2026-11-25": throws Error(usage) naming `what` when not a real calendar date.
void check_date(const std::string& date, const std::string& what);

}  // namespace fw
