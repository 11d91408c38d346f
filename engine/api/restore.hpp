// `restore`: the files a job wrote as data frames, back from developed film (engine/data),
// each checked against the SHA-256 in its frame headers and, when a catalog is given, against
// the catalog's record of the job (the file's data frames listed under its job and document
// with that checksum).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/data_frames.hpp"

namespace fw::api {

struct RestoreRequest {
  // Developed-film images or scans, any names, any order: folders (searched recursively,
  // data::film_images) or image files; several reels of a job, or the job's folder.
  std::vector<std::filesystem::path> film;
  std::filesystem::path out;      // files go to OUT/DOCUMENT/NAME, the report to restore.json
  std::filesystem::path catalog;  // optional: the SQLite catalog to check the files against
};

struct RestoreResult {
  data::RestoreReport report;
  // Per restored file, when a catalog was given: "catalogued" (the catalog lists data frames of
  // this job and document with the file's SHA-256) or "not in the catalog".
  std::vector<std::string> catalog;
  // The report an earlier restore into the same OUT wrote, kept under a name of its own
  // (OUT/restore.1.json, restore.2.json, ...); empty when there was none.
  std::filesystem::path earlier_report;
  bool ok() const;  // every file recovered and, with a catalog, catalogued
  std::string text() const;
};

// Writes the files and OUT/restore.json (an earlier restore's report there is kept: see
// RestoreResult::earlier_report). Error(input) when the folders hold no data frame.
RestoreResult restore(const RestoreRequest& request);

}  // namespace fw::api
