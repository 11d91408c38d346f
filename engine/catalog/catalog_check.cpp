// `filmwriter catalog check`: a job's reels on disk against what the catalog recorded.
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <sstream>

#include "base/files.hpp"
#include "base/sha256.hpp"

namespace fw {

std::vector<std::string> check_job(const Catalog& catalog, const CatalogJob& job) {
  std::vector<std::string> problems;
  const auto frames = catalog.frames(job.id);
  for (const auto& reel : catalog.reels(job.id)) {
    if (reel.status == "spoiled" || reel.status == "superseded") continue;
    const auto dir = job.dir / reel.reel_id;
    const std::string where = fmt::format("job {} reel {}", job.id, reel.reel_id);
    std::vector<IndexRow> rows;
    for (const auto& f : frames) {
      if (f.reel_id == reel.reel_id) rows.push_back(f.row);
    }
    if (!std::filesystem::exists(dir / "index.csv")) {
      problems.push_back(where + ": " + (dir / "index.csv").string() + " is missing");
      continue;
    }
    const std::string index = read_file(dir / "index.csv");
    if (index != to_csv(rows)) {
      problems.push_back(
          fmt::format("{}: index.csv does not match the catalog's {} frames", where, rows.size()));
    }
    if (!reel.index_sha256.empty() && sha256_file(dir / "index.csv") != reel.index_sha256) {
      problems.push_back(where + ": index.csv changed since the reel was closed");
    }
    if (!std::filesystem::exists(dir / "manifest.sha256")) {
      problems.push_back(where + ": " + (dir / "manifest.sha256").string() + " is missing");
      continue;
    }
    if (!reel.manifest_sha256.empty() &&
        sha256_file(dir / "manifest.sha256") != reel.manifest_sha256) {
      problems.push_back(where + ": manifest.sha256 changed since the reel was closed");
    }
    std::istringstream manifest(read_file(dir / "manifest.sha256"));
    for (std::string digest, name; manifest >> digest >> name;) {
      if (!std::filesystem::exists(dir / name)) {
        problems.push_back(where + ": " + name + " (in the manifest) is missing");
      } else if (sha256_file(dir / name) != digest) {
        problems.push_back(where + ": " + name + " does not match its manifest checksum");
      }
    }
  }
  return problems;
}

}  // namespace fw
