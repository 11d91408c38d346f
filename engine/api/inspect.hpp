// `filmwriter inspect`: vault inspections of master reels (catalog/inspection.hpp) in the
// catalog and job named as verify names a job (api/catalog_target.hpp, CatalogNames). With a
// job named (JOB or --job), each operation is about that job's reels only; without, about every
// job in the catalog.
#pragma once

#include <string>
#include <vector>

#include "api/catalog_target.hpp"
#include "catalog/inspection.hpp"

namespace fw::api {

// `inspect add`: records `inspection` (its job_id is the named job's; "" when none is named,
// and the reel id must then name exactly one job's reel). Returns the stored record.
Inspection record_inspection(const CatalogNames& names, Inspection inspection);

// `inspect correct`: a corrected record in place of #id. Returns the new record.
Inspection correct_inspection_record(const CatalogNames& names, long long id,
                                     const InspectionChange& change, const std::string& reason);

// `inspect withdraw`: record #id withdrawn with `reason`. Returns it.
Inspection withdraw_inspection_record(const CatalogNames& names, long long id,
                                      const std::string& reason);

// `inspect due`: the named job's reels (every job's without one) whose last inspection is
// more than `months` before `as_of` (YYYY-MM-DD; "" for today, local time), as
// inspections_due orders them. Error(usage) naming --as-of or --months when they are wrong.
struct DueInspections {
  std::string as_of;  // the day judged from (today when the request said none)
  int months = 24;
  std::vector<DueReel> reels;
};
DueInspections reels_due_for_inspection(const CatalogNames& names, int months,
                                        const std::string& as_of = "");

// `inspect list`: the named job's records (every job's, in the catalog's job order, without
// one), of `reel` only unless it is "", current ones only unless `history`.
std::vector<Inspection> inspection_records(const CatalogNames& names, const std::string& reel = "",
                                           bool history = false);

}  // namespace fw::api
