#include "api/catalog_query.hpp"

#include <fmt/format.h>

#include "api/catalog_target.hpp"
#include "base/files.hpp"
#include "catalog/export.hpp"
#include "core/error.hpp"
#include "mets/mets.hpp"

namespace fw::api {
namespace {

// --format mets: one package per reel, a folder each, so no single output file or stdout.
CatalogExport export_mets_packages(const CatalogNames& names, const CatalogExportRequest& request) {
  if (!request.output.empty()) {
    throw Error(ErrorKind::usage,
                "-o/--output: not with --format mets (one mets.xml per reel); give --out DIR, or "
                "nothing to rewrite each reel's own R0001/mets.xml");
  }
  if (request.all_attempts) {
    throw Error(ErrorKind::usage, "--all-attempts: not with --format mets (the reels on film)");
  }
  if (request.bom) throw Error(ErrorKind::usage, "--bom: only for --format csv");
  const auto t = locate_catalog(names);
  const Catalog catalog(t.catalog_file);
  std::string job_id = t.job_id;
  if (job_id.empty()) {
    const auto jobs = catalog.jobs();
    if (jobs.size() != 1) {
      throw Error(ErrorKind::usage,
                  fmt::format("--format mets: name the job (--job ID or its folder); {} holds {} "
                              "jobs",
                              t.catalog_file.string(), jobs.size()));
    }
    job_id = jobs.front().id;
  }
  CatalogExport result;
  result.files = export_mets(catalog, job_id, request.out_dir);
  return result;
}

// The TOC database's upload package: a folder with toc.csv, the entries' page images and each
// document's MODS record.
CatalogExport export_toc(const CatalogNames& names, const CatalogExportRequest& request) {
  if (request.out_dir.empty()) {
    throw Error(ErrorKind::usage, "--format toc-csv: give --out DIR (the package's folder)");
  }
  if (!request.output.empty()) {
    throw Error(ErrorKind::usage,
                "--output: not with --format toc-csv (it writes a folder: --out)");
  }
  const auto t = locate_catalog(names);
  const Catalog catalog(t.catalog_file);
  CatalogExport result;
  result.toc = export_toc_package(catalog, t.job_id, request.out_dir);
  result.toc_csv = request.out_dir / "toc.csv";
  return result;
}

}  // namespace

std::vector<std::string> find_in_catalog(const CatalogNames& names, FrameQuery query,
                                         const std::vector<std::string>& meta) {
  auto& q = query;
  for (const auto& kv : meta) q.metadata.push_back(parse_meta_query(kv));
  if (q.document_id.empty() && q.title.empty() && q.source_file.empty() && q.sha256.empty() &&
      q.metadata.empty() && q.text.empty() && q.operator_name.empty()) {
    throw Error(ErrorKind::usage,
                "catalog find: give at least one of --document, --title, --meta, --text, "
                "--source, --sha256, --operator");
  }
  const auto t = locate_catalog(names);
  q.job_id = t.job_id;
  const Catalog catalog(t.catalog_file);
  auto lines = describe_frames(catalog.find(q));
  // A title is also looked for among the documents' TOC entries (chapters), narrowed by the
  // other filters as the documents are, answered with the entry's frames and the blips a
  // reader counts from the reel start to reach it.
  if (!q.title.empty()) {
    for (auto& line : describe_toc(catalog.find_toc(q))) lines.push_back(line);
  }
  return lines;
}

CatalogExport export_catalog(const CatalogNames& names, const CatalogExportRequest& request) {
  if (request.format == "mets") return export_mets_packages(names, request);
  if (request.format == "toc-csv") return export_toc(names, request);
  if (request.format != "csv" && request.format != "json") {
    throw Error(ErrorKind::usage,
                "--format: expected csv, json, mets or toc-csv, got \"" + request.format + "\"");
  }
  if (!request.out_dir.empty()) {
    throw Error(ErrorKind::usage,
                "--out: only for --format mets or toc-csv (csv and json: -o FILE)");
  }
  if (request.bom && request.format != "csv") {
    throw Error(ErrorKind::usage, "--bom: only for --format csv");
  }
  const auto t = locate_catalog(names);
  const Catalog catalog(t.catalog_file);
  CatalogExport result;
  result.text = request.format == "csv"
                    ? export_csv(catalog, t.job_id, {request.bom, request.all_attempts})
                    : export_json(catalog, t.job_id, request.all_attempts);
  if (!request.output.empty()) {
    write_file_atomic(request.output, result.text);
    result.text.clear();
  }
  return result;
}

}  // namespace fw::api
