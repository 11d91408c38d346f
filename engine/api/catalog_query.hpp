// `catalog find` and `catalog export`: questions to the catalog that convert keeps, and its
// frames written out for other systems. The catalog and the job are named as verify names a
// job (api/catalog_target.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api/catalog_target.hpp"
#include "catalog/catalog.hpp"
#include "mets/toc_export.hpp"

namespace fw::api {

// One line per run of consecutive frames of one document, or of a reel's targets, on a reel
// (catalog/export.hpp, describe_frames); a title is also looked for among the documents' TOC
// entries (describe_toc). `meta` holds KEY=VALUE metadata queries (--meta). Throws
// Error(usage) when the query names nothing to look for, before the catalog is looked up.
std::vector<std::string> find_in_catalog(const CatalogNames& names, FrameQuery query,
                                         const std::vector<std::string>& meta);

struct CatalogExportRequest {
  std::string format = "csv";     // csv, json, mets (a package per reel) or toc-csv
  std::filesystem::path output;   // csv, json: write this file ("": the text is returned)
  std::filesystem::path out_dir;  // mets: DIR/R0001/mets.xml ... ("": each reel's own folder);
                                  // toc-csv: the package's folder (required)
  bool bom = false;               // csv: a UTF-8 byte order mark first
  bool all_attempts = false;      // csv, json: spoiled and superseded reels too
};

struct CatalogExport {
  std::string text;                          // csv, json without an output file
  std::vector<std::filesystem::path> files;  // mets: the packages written
  std::optional<TocPackage> toc;             // toc-csv: what the package holds
  std::filesystem::path toc_csv;             // toc-csv: its toc.csv
};

// Writes (or returns) the export. Throws Error(usage) naming the flag when the request does
// not fit its format, or when --format mets is not told which of several jobs to export.
CatalogExport export_catalog(const CatalogNames& names, const CatalogExportRequest& request);

}  // namespace fw::api
