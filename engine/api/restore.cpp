#include "api/restore.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/files.hpp"
#include "catalog/catalog.hpp"
#include "core/error.hpp"

namespace fw::api {

bool RestoreResult::ok() const {
  return report.all_recovered() && std::none_of(catalog.begin(), catalog.end(),
                                                [](const auto& c) { return c != "catalogued"; });
}

std::string RestoreResult::text() const {
  std::string out = report.text();
  for (std::size_t i = 0; i < catalog.size() && i < report.files.size(); ++i) {
    const data::RestoredFile& f = report.files[i];
    out += fmt::format("  catalog: {} {}\n", report.shown(f), catalog[i]);
  }
  return out;
}

RestoreResult restore(const RestoreRequest& request) {
  std::filesystem::create_directories(request.out);
  RestoreResult result;
  if (request.film.empty()) throw Error(ErrorKind::usage, "restore: no folder or image given");
  result.report = data::restore_paths(request.film, request.out);
  if (result.report.files.empty()) {
    std::vector<std::string> names;
    for (const auto& path : request.film) names.push_back(path.string());
    throw Error(ErrorKind::input, fmt::format("restore: no data frame in {} ({} image(s))",
                                              fmt::join(names, ", "), result.report.images));
  }
  nlohmann::json json = result.report.json();
  if (!request.catalog.empty()) {
    if (!is_catalog_url(request.catalog) && !std::filesystem::is_regular_file(request.catalog)) {
      throw Error(ErrorKind::input, "restore: no catalog at " + request.catalog.string());
    }
    const Catalog catalog(request.catalog);
    for (std::size_t i = 0; i < result.report.files.size(); ++i) {
      const data::RestoredFile& f = result.report.files[i];
      FrameQuery query;
      query.sha256 = f.sha256;
      query.job_id = f.job;
      const auto frames = catalog.find(query);
      const bool listed = std::any_of(frames.begin(), frames.end(), [&](const CatalogFrame& c) {
        return c.row.kind == "data" && c.row.document_id == f.document &&
               c.row.source_sha256 == f.sha256;
      });
      result.catalog.emplace_back(listed ? "catalogued" : "not in the catalog");
      if (i < json["files"].size()) json["files"][i]["catalog"] = result.catalog.back();
    }
  }
  // An earlier restore into OUT wrote its files beside these (none is ever written over), and
  // its report is what says where each came from: kept, not replaced.
  const std::filesystem::path report = request.out / "restore.json";
  if (std::filesystem::exists(report)) result.earlier_report = keep_aside(report);
  write_file_atomic(report, json.dump(2) + "\n");
  return result;
}

}  // namespace fw::api
