// What a job leaves behind: plan.json, and per reel index.csv and manifest.sha256.
// Index and manifest are written atomically (see write_file_atomic): a crash leaves the
// previous version or the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "hal/recorder.hpp"

namespace fw {

struct IndexRow {
  std::uint32_t frame = 0;  // 1-based within the reel
  std::string kind;         // "page", "substitute"
  std::string document_id;
  std::uint32_t page = 0;  // 1-based within the document
  std::string address;
  std::string blip;  // "page", "document", "batch"
  std::string source_file;
  std::uint32_t source_page = 0;  // 1-based page within the source file
  std::string source_sha256;
  std::string frame_sha256;  // of the code values exactly as sent to the recorder
  // The source page's EXIF/TIFF orientation (1-8, 1 = upright as stored) that ingest applied
  // before the job's `rotate`; 1 for targets.
  std::uint32_t orientation = 1;
  // The density calibration the frame's code values went through: "NAME sha256:XXXXXXXX"
  // (the profile and the first 8 hex digits of its file's sha256), or "none" (raw code values).
  std::string calibration;
  // A substitute frame: why it stands for its page (for the run's log; not in index.csv).
  std::string substitute_reason{};
  // "R", "G" or "B" for a colour page's separation frame, else "": read from the address
  // ("R0001-D001-0003-G"), so that the journal's and the catalog's copies of a row, which
  // keep the address, give the same index.csv without a field of their own.
  std::string separation() const;
  // Whether a document's page begins at this frame (film/plan.hpp begins_page): a page or
  // substitute, not a colour page's G or B separation, not a section after a page's overview.
  bool begins_page() const;
};

// Index columns, in order (the first line of index.csv).
extern const char* const kIndexHeader;

// Collects a reel's rows as frames are accepted and writes the reel's files. Rows go to disk
// as they come (index.csv's temporary beside it, hashed on the way): a reel's index costs no
// memory however long the reel, and nothing is at index.csv until write().
class ReelIndex {
 public:
  explicit ReelIndex(const std::filesystem::path& reel_dir);
  void add(const IndexRow& row);
  // Puts index.csv in place, then writes manifest.sha256 covering index.csv and `files`
  // (relative to the reel folder), so that `cd R0001 && sha256sum -c manifest.sha256` passes.
  // Files in `known_sha256` (the driver hashed the bytes as it wrote them) are not read again.
  // Called again (a failure after index.csv was in place), it writes the manifest only.
  void write(const std::vector<std::filesystem::path>& files,
             const std::map<std::filesystem::path, std::string>& known_sha256 = {});
  std::size_t size() const { return rows_; }  // rows added
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void flush();
  std::filesystem::path dir_;
  std::optional<AtomicFile> file_;  // index.csv until it is committed
  Sha256 sha256_;
  std::string index_sha256_;  // once committed
  std::string pending_;       // rows not yet written
  std::size_t rows_ = 0;
};

std::string to_csv(const std::vector<IndexRow>& rows);
// Reads index.csv back, as ReelIndex and to_csv write it (RFC 4180), in file order. Files
// written before the separation, orientation and calibration columns existed (10 columns) are
// read too, those fields left at their defaults. Throws Error(input) naming the file and line
// of a row it cannot read (base/csv.hpp's reader: the line a row starts on).
std::vector<IndexRow> read_index(const std::filesystem::path& file);

}  // namespace fw
