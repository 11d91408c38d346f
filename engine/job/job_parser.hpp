// The job file's reader, shared by its files: job_parser.cpp (the job's own keys and tables,
// the typed reads and the walk over a table) and job_documents.cpp ([[documents]]: pages,
// metadata, substitutes, the table of contents). Private to engine/job. The file is read with
// base's TOML reader (base/toml_reader.hpp), so every message reads
// "FILE:LINE: KEY: expected WHAT, got WHAT" and an unknown key is refused with "did you mean".
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.hpp"
#include "base/toml_reader.hpp"
#include "job/job_rules.hpp"
#include "model/job.hpp"

namespace fw::job_detail {

namespace fs = std::filesystem;

// Free key = value text: strings as they are, numbers printed naturally (2.5, 4).
std::optional<std::string> scalar_text(const TomlValue& value, bool accept_boolean);
// "N", "N-M" or "N-"; 1-based, inclusive.
std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_page_range(std::string_view text);
fs::path resolve(const fs::path& base_dir, const std::string& text);

// Reads one job file. Walks every table in file order so that the first problem in the file
// is the one reported, and every key is either known or an error.
class JobParser {
 public:
  JobParser(std::string name, fs::path base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {}

  Job parse(const TomlTable& root);

 private:
  using Rule = TomlTable::Rule;

  [[noreturn]] void fail(std::uint32_t line, const std::string& key,
                         const std::string& message) const;
  void check_version(const TomlTable& root) const;
  // A path in the job, resolved against the job file's folder.
  fs::path read_path(const TomlValue& value, std::string_view what) const;
  // A string drawn on film that must say something (a title, the operator's name).
  std::string read_title(const TomlValue& value, std::string_view what = "a title") const;
  // A string drawn on film that may be empty (the institution, a substitution note): no
  // control character but a line break, no U+FFFD.
  std::string read_drawn_text(const TomlValue& value, std::string_view what) const;
  std::string read_document_id(const TomlValue& value) const;
  std::string read_name(const TomlValue& value, std::string_view what = "a name") const;
  template <typename Value>
  Value read_word(const TomlValue& value, std::optional<Value> (*parse)(std::string_view),
                  const char* words) const {
    const std::string expected = std::string("one of ") + words;
    const std::string text = value.string(expected);
    const auto parsed = parse(text);
    if (!parsed) value.fail(expected);
    return *parsed;
  }
  // The keys a document inherits from the job and may override.
  void add_settings_rules(std::vector<Rule>& rules, PageSettingsOverride& settings,
                          std::optional<std::uint32_t>& force_dpi_line) const;
  Limits read_limits(const TomlValue& value) const;
  void read_recorder(const TomlValue& value, Job& job) const;
  // `calibration = "none"` (raw code values) or `calibration = "NAME"` is short for a
  // [calibration] table with only a profile.
  std::string read_calibration_profile(const TomlValue& value) const;
  void read_calibration(const TomlValue& value, Job& job) const;
  // [data]: files = "masters" | "none", place = "document" | "reel-end", bits_per_module,
  // module_px, group_data, group_parity (docs/data-frames.md).
  void read_data(const TomlValue& value, Job& job) const;
  void read_documents(const TomlValue& value, Job& job);
  void read_document(const TomlTable& table, Document& document);
  PageSource read_pages(const TomlValue& value) const;
  std::vector<std::string> read_file_list(const TomlValue& value) const;
  // A TOML date (2026-11-25) or the same as a string.
  std::string read_date(const TomlValue& value) const;
  std::vector<DeclaredSubstitute> read_substitutes(const TomlValue& value) const;
  // `toc = "toc/D001.csv"` (a CSV or TSV file beside the job) or `[[documents.toc]]` tables.
  std::vector<TocEntry> read_toc(const TomlValue& value, const std::string& document_key) const;
  std::vector<std::pair<std::string, std::string>> read_metadata(const TomlValue& value) const;

  std::string name_;
  fs::path base_dir_;
  std::vector<std::optional<std::uint32_t>> document_force_dpi_lines_;
};

}  // namespace fw::job_detail
