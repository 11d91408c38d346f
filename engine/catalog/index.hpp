// What a job leaves behind: plan.json, and per reel index.csv and manifest.sha256.
// Index and manifest are written atomically (see write_file_atomic): a crash leaves the
// previous version or the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

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
  // "R", "G" or "B" for a colour page's separation frame, else "": read from the address
  // ("R0001-D001-0003-G"), so that the journal's and the catalog's copies of a row, which
  // keep the address, give the same index.csv without a field of their own.
  std::string separation() const;
};

// Index columns, in order (the first line of index.csv).
extern const char* const kIndexHeader;

// Collects a reel's rows as frames are accepted and writes the reel's files. A row is kept as
// its index.csv line only (~250 bytes): a reel of 10,000 frames would otherwise hold twice
// that per frame until it closes.
class ReelIndex {
 public:
  explicit ReelIndex(std::filesystem::path reel_dir);
  void add(const IndexRow& row);
  // Writes index.csv, then manifest.sha256 covering index.csv and `files` (relative to
  // the reel folder), so that `cd R0001 && sha256sum -c manifest.sha256` passes. Files in
  // `known_sha256` (the driver hashed the bytes as it wrote them) are not read again.
  void write(const std::vector<std::filesystem::path>& files,
             const std::map<std::filesystem::path, std::string>& known_sha256 = {}) const;
  std::size_t size() const { return rows_; }  // rows added
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string csv_;  // index.csv as it stands
  std::size_t rows_ = 0;
};

std::string to_csv(const std::vector<IndexRow>& rows);
// RFC 4180: the value, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& value);

}  // namespace fw
