#include "api/inspect.hpp"

#include "catalog/catalog.hpp"

namespace fw::api {

Inspection record_inspection(const CatalogNames& names, Inspection inspection) {
  const CatalogTarget t = locate_catalog(names);
  inspection.job_id = t.job_id;
  return add_inspection(Catalog(t.catalog_file), std::move(inspection));
}

Inspection correct_inspection_record(const CatalogNames& names, long long id,
                                     const InspectionChange& change, const std::string& reason) {
  return correct_inspection(Catalog(locate_catalog(names).catalog_file), id, change, reason);
}

Inspection withdraw_inspection_record(const CatalogNames& names, long long id,
                                      const std::string& reason) {
  return withdraw_inspection(Catalog(locate_catalog(names).catalog_file), id, reason);
}

DueInspections reels_due_for_inspection(const CatalogNames& names, int months,
                                        const std::string& as_of) {
  const CatalogTarget t = locate_catalog(names);
  DueInspections due;
  due.as_of = as_of.empty() ? local_today() : as_of;
  due.months = months;
  for (DueReel& reel : inspections_due(Catalog(t.catalog_file), months, due.as_of)) {
    if (t.job_id.empty() || reel.job_id == t.job_id) due.reels.push_back(std::move(reel));
  }
  return due;
}

std::vector<Inspection> inspection_records(const CatalogNames& names, const std::string& reel,
                                           bool history) {
  const CatalogTarget t = locate_catalog(names);
  const Catalog catalog(t.catalog_file);
  std::vector<Inspection> records;
  for (const auto& job : catalog.jobs()) {
    if (!t.job_id.empty() && job.id != t.job_id) continue;
    for (Inspection& i : list_inspections(catalog, job.id, reel, history)) {
      records.push_back(std::move(i));
    }
  }
  return records;
}

}  // namespace fw::api
