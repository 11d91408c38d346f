#include "catalog/index.hpp"

#include <fmt/format.h>

#include <iterator>

#include "film/separation.hpp"

namespace fw {

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

std::string IndexRow::separation() const {
  return to_string(separation_of_address(address));
}

const char* const kIndexHeader =
    "frame,kind,document_id,page,address,blip,source_file,source_page,source_sha256,"
    "frame_sha256,separation,orientation,calibration";

namespace {

void append_csv(std::string& out, const IndexRow& r) {
  fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.frame,
                 csv_field(r.kind), csv_field(r.document_id), r.page, csv_field(r.address), r.blip,
                 csv_field(r.source_file), r.source_page, r.source_sha256, r.frame_sha256,
                 r.separation(), r.orientation, csv_field(r.calibration));
}

}  // namespace

std::string to_csv(const std::vector<IndexRow>& rows) {
  std::string out = std::string(kIndexHeader) + "\n";
  for (const auto& r : rows) append_csv(out, r);
  return out;
}

ReelIndex::ReelIndex(const std::filesystem::path& reel_dir) : dir_(reel_dir) {
  std::filesystem::create_directories(dir_);
  file_.emplace(dir_ / "index.csv");
  pending_ = std::string(kIndexHeader) + "\n";
}

void ReelIndex::add(const IndexRow& row) {
  append_csv(pending_, row);
  ++rows_;
  // A few dozen rows per write: one system call per frame would cost more than the row.
  if (pending_.size() >= 16384) flush();
}

void ReelIndex::flush() {
  sha256_.update(pending_);
  file_->write(pending_);
  pending_.clear();
}

void ReelIndex::write(const std::vector<std::filesystem::path>& files,
                      const std::map<std::filesystem::path, std::string>& known_sha256) {
  if (file_) {
    flush();
    file_->commit();
    file_.reset();
    index_sha256_ = sha256_.hex();
  }
  // Two spaces between digest and name: the format `sha256sum -c` reads.
  std::string manifest = index_sha256_ + "  index.csv\n";
  for (const auto& file : files) {
    const auto known = known_sha256.find(file);
    manifest += (known != known_sha256.end() ? known->second : sha256_file(dir_ / file)) + "  " +
                file.generic_string() + "\n";
  }
  write_file_atomic(dir_ / "manifest.sha256", manifest);
}

}  // namespace fw
