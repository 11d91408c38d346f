// Vault inspections of master reels (母片库核查): acetate decay (A-D strip level), density
// drift and damage, recorded in the catalog (table `inspections`, schema version 3) so that
// `filmwriter inspect due` can say which reels are due and the QC report can show a reel's
// history. A-D strip levels follow IPI: 0 good, 1 onset, 1.5 autocatalytic point,
// 2 degrading (freeze or copy), 3 critical (MICROGRAPHICS.md section 7.4).
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
};

// Validates (date, A-D level 0–3 in steps of 0.5, densities 0–5, the reel exists in the
// catalog; when `job_id` is empty the reel id must name exactly one job's reel) and stores it.
// Throws Error(usage) naming the bad reading, Error(job) for an unknown reel.
Inspection add_inspection(const Catalog& catalog, Inspection inspection);

// Oldest first; an empty `reel` gives every reel of the job.
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
// `months` before `today` (YYYY-MM-DD).
std::vector<DueReel> inspections_due(const Catalog& catalog, int months, const std::string& today);

// "2026-11-25": throws Error(usage) naming `what` when not a real calendar date.
void check_date(const std::string& date, const std::string& what);

}  // namespace fw
