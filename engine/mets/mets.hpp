// A reel's library package: <reel>/mets.xml beside index.csv, a METS 1.12 document with MODS 3.7
// descriptive metadata per document and PREMIS 3.0 events (the sources' fixity check, filming,
// verification, vault inspections). Written by convert when a reel closes, rewritten by verify
// (its verdict) and by `filmwriter catalog export --format mets`, all through write_reel_mets.
// What is mapped to what: docs/operations.md#the-reels-mets-package. The schemas the tests validate
// it against (the subset used, after the official versions): profiles/schemas/.
//
// libxml2 writes the XML; this header does not expose it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/index.hpp"

namespace fw {

class Catalog;

// One entry of a document's table of contents: the logical structMap nests the document's
// pages under it, from its first page to the page before the next entry. `level` is 1–3 (a
// level-2 entry sits inside the level-1 entry before it).
struct MetsTocDivision {
  std::string title;
  int level = 1;
  std::uint32_t first_page = 1;  // 1-based page of the document
};

struct MetsDocument {
  std::string id;
  std::string title;
  std::vector<std::pair<std::string, std::string>> metadata;  // in job-file order
  // The document's table of contents (目次), as the job gave it; empty when it has none.
  std::vector<MetsTocDivision> toc;
};

// A PREMIS agent: software (filmwriter), the recorder, the institution.
struct MetsAgent {
  std::string id;    // "filmwriter", "recorder", "institution": the local identifier value
  std::string name;  // "filmwriter", "recorder driver sim", the institution's name
  std::string type;  // software | hardware | organization
  std::string version;
};

// A PREMIS event about the reel.
struct MetsEvent {
  std::string type;       // fixity check | filming | verification | inspection
  std::string date_time;  // ISO 8601: "2026-12-04" or "2026-12-05T01:30:00Z"
  std::string detail;     // what was done, with what settings
  std::string outcome;    // complete | incomplete | pass | fail | "A-D strip 1" ...
  std::vector<std::string> outcome_notes;
  std::vector<std::string> agents;  // MetsAgent ids, in the role of executing the event
};

struct MetsPackage {
  std::string job_id;
  std::string job_title;
  std::string institution;
  std::string format;  // the film format's name
  std::string reel_id;
  bool fiche = false;  // a microfiche sheet (F0001), not a roll (R0001)
  std::uint32_t attempt = 1;
  std::string reel_status;  // complete | incomplete | exposing
  double film_used_m = 0;
  std::string index_sha256;             // of index.csv ("" when not known yet)
  std::string manifest_sha256;          // of manifest.sha256
  std::string created;                  // metsHdr CREATEDATE, UTC "2026-12-05T01:30:00Z"
  std::vector<MetsDocument> documents;  // those with a frame on the reel, in job order
  std::vector<IndexRow> frames;         // the reel's index.csv rows, in frame order
  std::vector<MetsAgent> agents;
  std::vector<MetsEvent> events;
};

// The package as UTF-8 XML. Throws Error(input) naming the document and field when a value
// cannot be written in XML 1.0 (invalid UTF-8, a control character).
std::string mets_xml(const MetsPackage& package);

// One document's MODS 3.7 record on its own, mods:mods the root element: the record the reel's
// METS package carries in the document's dmdSec, written by the same code (the toc-csv upload
// package's mods/<job>/<document>.xml). `fiche`: physicalDescription/form is microfiche. Throws
// Error(input) like mets_xml, naming the job and document.
std::string mods_record_xml(const std::string& job_id, const MetsDocument& document, bool fiche);

// The package of a reel from what filmwriter keeps: the catalog (job, documents, reel,
// frames, inspections), the job folder's journal.jsonl (the filming date and recorder) and
// qc.json (verify's verdict, when verify ran). `rows`: the reel's index rows when the caller
// has them (convert reads the reel's own index.csv, so that a reel's package costs the reel's
// rows, not the job's); nullopt: the catalog's frames of the reel. Throws Error(job) when the
// catalog does not hold the job or the reel.
MetsPackage reel_package(const Catalog& catalog, const std::string& job_id,
                         const std::string& reel_id,
                         std::optional<std::vector<IndexRow>> rows = std::nullopt);

// Writes <reel_dir>/mets.xml (atomically) for the reel, from reel_package(). `from_index`:
// take the rows from <reel_dir>/index.csv instead of the catalog. Returns the file.
std::filesystem::path write_reel_mets(const Catalog& catalog, const std::string& job_id,
                                      const std::string& reel_id,
                                      const std::filesystem::path& reel_dir,
                                      bool from_index = false);

// `catalog export --format mets`: every current reel of the job (spoiled ones aside), each to
// <out_dir>/<reel>/mets.xml, or with an empty `out_dir` to the reel's own folder (the file
// convert wrote, rewritten). Returns the files written.
std::vector<std::filesystem::path> export_mets(const Catalog& catalog, const std::string& job_id,
                                               const std::filesystem::path& out_dir = {});

// What the convert event in journal.jsonl's "start" record says of the filming, read back by
// reel_package: {"date": ..., "driver": ...}. Kept here so writer and reader agree.
extern const char* const kMetsFilmingKey;  // "filming"

}  // namespace fw
