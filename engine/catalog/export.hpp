// What `filmwriter catalog find` and `catalog export` print: the catalog's answers as lines
// for an operator, CSV or JSON for other systems.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace fw {

// One line per run of consecutive frames of one document (or of the reel's own targets) on
// one reel: `nlc-1 R0001 frames 3-6: document D001 "论语集注 卷一" pages 1-4 (R0001-D001-0001 ..
// R0001-D001-0004)`, `nlc-1 R0001 frames 1-2: reel targets (start-target, technical-target)`,
// and ` [reel incomplete]` after a run on a reel that is not complete.
std::vector<std::string> describe_frames(const std::vector<CatalogFrame>& frames);

// One line per TOC entry: `nlc-1 R0001 frames 7-8: TOC entry 2 "篇一 学而" (level 2) of document
// D001 "论语集注 卷一" page 2 (R0001-D001-0002), blip 6 from the reel start`.
std::vector<std::string> describe_toc(const std::vector<CatalogTocPlace>& places);

struct CsvOptions {
  bool bom = false;  // a UTF-8 byte order mark first: spreadsheet programs then read UTF-8
  // Also the frames of spoiled reels and superseded runs (reel_status says which); by default
  // only the reels on the shelf, the current attempt of each.
  bool all_attempts = false;
};

// One row per frame: kExportColumns, then one column per metadata key of the exported
// documents, in the order they first appear (a key that is also a fixed column's name is
// "metadata.KEY"). A reel target's document_id, title and metadata are empty.
std::string export_csv(const Catalog& catalog, const std::string& job_id,
                       const CsvOptions& options = {});
extern const char* const kExportColumns;

// Jobs with their documents (metadata, source files), reels and frames; each reel with the run
// that filmed it and when a later run superseded it. `all_attempts` as in CsvOptions, and the
// superseded reels too.
std::string export_json(const Catalog& catalog, const std::string& job_id,
                        bool all_attempts = false);

}  // namespace fw
