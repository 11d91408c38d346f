// `filmwriter catalog check`: a job's reels on disk against what the catalog recorded.
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <sstream>

#include "base/csv.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

// Where index.csv first differs from what the catalog holds, for the operator who has to find
// it: the line and frame, and each column that differs with both values.
std::string first_difference(const std::string& on_disk, const std::string& catalogued) {
  try {
    CsvReader disk(on_disk, "index.csv"), catalog(catalogued, "the catalog's index");
    std::vector<std::string> header;
    for (std::size_t record = 0;; ++record) {
      const auto a = disk.next();
      const auto b = catalog.next();
      if (!a && !b) return "";  // the same records, written differently
      if (record == 0 && b) header = b->fields;
      if (!a) return fmt::format("it ends after {} frame row(s)", record - 1);
      if (!b) return fmt::format("line {} is a row more than the catalog's", a->line);
      if (a->fields == b->fields) continue;
      std::vector<std::string> columns;
      for (std::size_t c = 0; c < std::max(a->fields.size(), b->fields.size()); ++c) {
        const std::string mine = c < a->fields.size() ? a->fields[c] : "(none)";
        const std::string theirs = c < b->fields.size() ? b->fields[c] : "(none)";
        if (mine == theirs) continue;
        if (columns.size() == 3) {
          columns.emplace_back("...");
          break;
        }
        columns.push_back(fmt::format(
            "{} \"{}\" (the catalog: \"{}\")",
            c < header.size() ? header[c] : fmt::format("column {}", c + 1), mine, theirs));
      }
      const std::string frame =
          record > 0 && !b->fields.empty() ? " (frame " + b->fields[0] + ")" : "";
      const std::string short_of =
          a->fields.size() < b->fields.size()
              ? fmt::format("cut short, {} of {} columns: ", a->fields.size(), b->fields.size())
              : "";
      return fmt::format("line {}{}: {}{}", a->line, frame, short_of, fmt::join(columns, "; "));
    }
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace

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
    if (const std::string catalogued = to_csv(rows); index != catalogued) {
      const std::string difference = first_difference(index, catalogued);
      problems.push_back(fmt::format("{}: index.csv does not match the catalog's {} frames{}",
                                     where, rows.size(),
                                     difference.empty() ? "" : ": " + difference));
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
