#include "api/catalog_target.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "api/settings.hpp"
#include "catalog/catalog.hpp"
#include "catalog/journal.hpp"
#include "core/error.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

// The job output folder `named` means (itself, or the one job under an --out folder), or "".
fs::path job_output(const fs::path& named) {
  std::error_code ec;
  if (!fs::is_directory(named, ec)) return {};
  if (fs::is_regular_file(named / "journal.jsonl", ec)) return named;
  const auto jobs = jobs_in_output(named);
  return jobs.size() == 1 ? jobs.front() : fs::path();
}

}  // namespace

CatalogTarget locate_catalog(const CatalogNames& names, bool job_in_catalog) {
  const fs::path& named = names.named;
  const fs::path& catalog_flag = names.catalog;
  const std::string& job_id_flag = names.job;
  CatalogTarget target;
  std::string how;
  if (named.empty()) {
    target.catalog_file =
        catalog_flag.empty() ? default_catalog("out/catalog.sqlite") : catalog_flag;
    target.job_id = job_id_flag;
    how = !catalog_flag.empty() ? "--catalog"
          : std::getenv("FILMWRITER_CATALOG")
              ? "FILMWRITER_CATALOG"
              : "the default catalog (name the job, or give --catalog)";
  } else {
    JobRequest flags;
    flags.catalog = catalog_flag;
    const JobRequest request = locate_job(named, flags);  // lists the jobs of an --out folder
    const fs::path output = job_output(named);
    if (!output.empty()) {
      const JournalState journal = read_journal(output / "journal.jsonl");
      target.job_id = journal.job_id;
      if (!catalog_flag.empty()) {
        target.catalog_file = catalog_flag;
      } else if (journal.start.contains("catalog")) {
        target.catalog_file = journal.start.at("catalog").get<std::string>();
      } else {
        target.catalog_file = resolve(request).catalog_file;
      }
    } else {
      const JobSettings settings = resolve(request);
      target.catalog_file = settings.catalog_file;
      target.job_id = settings.job.id;
    }
    how = catalog_flag.empty() ? fmt::format("the catalog of job {}", target.job_id) : "--catalog";
    if (!job_id_flag.empty() && job_id_flag != target.job_id) {
      throw Error(ErrorKind::usage, fmt::format("--job {}: {} names job {}", job_id_flag,
                                                named.string(), target.job_id));
    }
  }
  std::error_code ec;
  // A server's catalog is there once the server answers (Catalog's constructor says if not).
  if (!is_catalog_url(target.catalog_file) && !fs::is_regular_file(target.catalog_file, ec)) {
    throw Error(ErrorKind::usage,
                fmt::format("{} does not exist ({}){}", target.catalog_file.string(), how,
                            named.empty() ? "" : ": has the job been converted?"));
  }
  if (!named.empty() && job_in_catalog) {
    const Catalog catalog(target.catalog_file);
    bool found = false;
    for (const auto& job : catalog.jobs()) found = found || job.id == target.job_id;
    if (!found) {
      throw Error(ErrorKind::usage,
                  fmt::format("job {} is not in the catalog {}: has it been converted?",
                              target.job_id, catalog.location()));
    }
  }
  return target;
}

}  // namespace fw::api
