// `filmwriter catalog export --format toc-csv`: the upload package of a TOC database (目次库):
// per document its table of contents with each entry's reel and frame address, the entry's
// page as a small JPEG (目次图像) to show beside it, and the document's MODS record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace fw {

// The columns of toc.csv, in order.
extern const char* const kTocColumns;

struct TocPackage {
  std::size_t entries = 0;
  std::size_t images = 0;
  std::size_t records = 0;  // MODS records: one per document of the job
  // Entries whose page image could not be made (source file gone, not on film): named, and
  // their row written with an empty image column.
  std::vector<std::string> warnings;
};

// Writes `dir`/toc.csv (UTF-8, one row per entry of every document of `job_id`, kTocColumns
// then one column per entry metadata key in the order they first appear) and
// `dir`/images/<job>/<document>/<entry>.jpg: the entry page's source image, upright, scaled
// down to at most `image_px` on its longer side; and `dir`/mods/<job>/<document>.xml, each
// document's MODS record (mets/mets.hpp mods_record_xml, the record of the reels' METS
// packages), which toc.csv's mods column names. Files are written atomically.
TocPackage export_toc_package(const Catalog& catalog, const std::string& job_id,
                              const std::filesystem::path& dir, int image_px = 1024);

}  // namespace fw
