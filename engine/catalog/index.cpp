#include "catalog/index.hpp"

#include <fmt/format.h>

#include <charconv>
#include <iterator>

#include "base/csv.hpp"
#include "core/error.hpp"

#include "film/separation_geometry.hpp"

namespace fw {

std::string IndexRow::separation() const {
  return to_string(separation_of_address(address));
}

bool IndexRow::begins_page() const {
  const Separation filter = separation_of_address(address);
  return (kind == "page" || kind == "substitute") &&
         (filter == Separation::none || filter == Separation::red) &&
         section_of_address(address) == 0;
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

std::uint32_t csv_number(const std::string& value, const std::string& where, const char* column) {
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size()) {
    throw Error(ErrorKind::input,
                fmt::format("{}: {}: expected a number, got \"{}\"", where, column, value));
  }
  return n;
}

}  // namespace

std::vector<IndexRow> read_index(const std::filesystem::path& file) {
  const std::string text = read_file(file);
  std::vector<IndexRow> rows;
  CsvReader reader(text, file.string());
  while (const auto record = reader.next()) {
    if (record->line == 1) continue;  // the header
    const std::vector<std::string>& r = record->fields;
    const std::string where = fmt::format("{}:{}", file.string(), record->line);
    if (r.size() < 10) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: expected 10 columns, got {}", where, r.size()));
    }
    IndexRow row;
    row.frame = csv_number(r[0], where, "frame");
    row.kind = r[1];
    row.document_id = r[2];
    row.page = csv_number(r[3], where, "page");
    row.address = r[4];
    row.blip = r[5];
    row.source_file = r[6];
    row.source_page = csv_number(r[7], where, "source_page");
    row.source_sha256 = r[8];
    row.frame_sha256 = r[9];
    // r[10], the separation, follows from the address (IndexRow::separation).
    if (r.size() > 11) row.orientation = csv_number(r[11], where, "orientation");
    if (r.size() > 12) row.calibration = r[12];
    rows.push_back(std::move(row));
  }
  return rows;
}

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
