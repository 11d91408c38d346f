// Which catalog (and which job in it) `filmwriter catalog` and `filmwriter inspect` work on,
// named as `verify` and `convert --resume` name a job (api/settings.hpp, locate_job): a job
// file, the job's output folder, an --out folder holding one job, or a scans folder of a
// one-line conversion. The catalog is the one convert used: --catalog, else the job's
// `catalog` key, else <output>/catalog.sqlite (resolve()); for a job's output folder, the
// catalog its journal recorded when the job started, so that a moved or archived job file is
// not needed years later in the vault.
#pragma once

#include <filesystem>
#include <string>

namespace fw::api {

// Which catalog and job a question is about, as locate_catalog takes them.
struct CatalogNames {
  std::filesystem::path named;    // JOB: a job's output folder or job file ("" for none)
  std::filesystem::path catalog;  // --catalog ("" for none)
  std::string job;                // --job ("" for none)
};

struct CatalogTarget {
  std::filesystem::path catalog_file;
  std::string job_id;  // "" when no job was named: every job in the catalog
};

// Without a JOB (names.named empty): --catalog, else FILMWRITER_CATALOG, else
// out/catalog.sqlite. A catalog is a file path or a postgresql:// URL.
// Throws Error(usage) when the catalog file does not exist (naming it and how it was chosen),
// when JOB's job is not in it, or when --job names another job than JOB.
// `catalog check` passes job_in_catalog = false: a job missing from its catalog is what it
// reports, not a usage error.
CatalogTarget locate_catalog(const CatalogNames& names, bool job_in_catalog = true);

}  // namespace fw::api
