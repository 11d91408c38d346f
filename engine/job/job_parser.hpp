// The job file's reader, shared by its files: job_parser.cpp (the job's own keys and tables,
// the typed reads and the walk over a table) and job_documents.cpp ([[documents]]: pages,
// metadata, substitutes, the table of contents). Private to engine/job: toml++ types.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "base/strings.hpp"
#include "job/job_rules.hpp"
#include "model/job.hpp"

namespace fw::job_detail {

namespace fs = std::filesystem;

// What a node holds, for "got ..." when the type is wrong.
std::string describe(const toml::node& node);
std::optional<double> number_of(const toml::node& node);
// Free key = value text: strings as they are, numbers printed naturally (2.5, 4).
std::optional<std::string> scalar_text(const toml::node& node, bool accept_boolean);
// Entries of a table in the order they appear in the file (toml++ keeps them sorted by key).
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& table);
std::string join_key(const std::string& prefix, std::string_view name);
// "N", "N-M" or "N-"; 1-based, inclusive.
std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_page_range(std::string_view text);
fs::path resolve(const fs::path& base_dir, const std::string& text);

// Reads one job file. Walks every table in file order so that the first problem in the file
// is the one reported, and every key is either known or an error.
class JobParser {
 public:
  JobParser(std::string name, fs::path base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {}

  Job parse(const toml::table& root);

 private:
  using Handler = std::function<void(const toml::node&, const std::string&)>;
  struct Rule {
    std::string_view name;
    Handler handle;
  };

  [[noreturn]] void fail(std::uint32_t line, const std::string& key,
                         const std::string& message) const;
  [[noreturn]] void fail(const toml::node& node, const std::string& key,
                         const std::string& message) const;
  [[noreturn]] void fail_expected(const toml::node& node, const std::string& key,
                                  const std::string& expected, const std::string& found) const;
  void check_version(const toml::table& root) const;
  // Calls each key's rule in file order; an unknown key is an error with a suggestion.
  void walk(const toml::table& table, const std::string& prefix,
            const std::vector<Rule>& rules) const;
  static std::string unknown_key_message(std::string_view name, const std::vector<Rule>& rules);
  void require(const toml::table& table, std::string_view name, const std::string& expected,
               const toml::node& place, const std::string& prefix = "") const;
  std::string read_string(const toml::node& node, const std::string& key,
                          const std::string& expected) const;
  // A path in the job, resolved against the job file's folder.
  fs::path read_path(const toml::node& node, const std::string& key, const char* what) const;
  std::string read_text(const toml::node& node, const std::string& key,
                        const std::string& expected = "a non-empty string") const;
  std::string read_title(const toml::node& node, const std::string& key) const;
  std::string read_document_id(const toml::node& node, const std::string& key) const;
  std::string read_name(const toml::node& node, const std::string& key,
                        const std::string& what = "a name") const;
  double read_number(const toml::node& node, const std::string& key, NumberRange range) const;
  std::int64_t read_integer(const toml::node& node, const std::string& key,
                            NumberRange range) const;
  bool read_bool(const toml::node& node, const std::string& key) const;
  template <typename Value>
  Value read_word(const toml::node& node, const std::string& key,
                  std::optional<Value> (*parse)(std::string_view), const char* words) const {
    const std::string expected = std::string("one of ") + words;
    const std::string text = read_string(node, key, expected);
    const auto value = parse(text);
    if (!value) fail_expected(node, key, expected, quote(text));
    return *value;
  }
  const toml::table& read_table(const toml::node& node, const std::string& key,
                                const std::string& expected = "a table") const;
  // The keys a document inherits from the job and may override.
  void add_settings_rules(std::vector<Rule>& rules, PageSettingsOverride& settings,
                          std::optional<std::uint32_t>& force_dpi_line) const;
  Limits read_limits(const toml::node& node, const std::string& prefix) const;
  void read_recorder(const toml::node& node, const std::string& prefix, Job& job) const;
  // `calibration = "none"` (raw code values) or `calibration = "NAME"` is short for a
  // [calibration] table with only a profile.
  std::string read_calibration_profile(const toml::node& value, const std::string& key) const;
  void read_calibration(const toml::node& node, const std::string& prefix, Job& job) const;
  // [data]: files = "masters" | "none", place = "document" | "reel-end", bits_per_module,
  // module_px, group_data, group_parity (docs/data-frames.md).
  void read_data(const toml::node& node, const std::string& prefix, Job& job) const;
  void read_documents(const toml::node& node, Job& job);
  void read_document(const toml::table& table, Document& document);
  PageSource read_pages(const toml::node& node, const std::string& prefix) const;
  std::vector<std::string> read_file_list(const toml::node& node, const std::string& key) const;
  // A TOML date (2026-11-25) or the same as a string.
  std::string read_date(const toml::node& node, const std::string& key) const;
  std::vector<DeclaredSubstitute> read_substitutes(const toml::node& node,
                                                   const std::string& prefix) const;
  // `toc = "toc/D001.csv"` (a CSV or TSV file beside the job) or `[[documents.toc]]` tables.
  std::vector<TocEntry> read_toc(const toml::node& node, const std::string& prefix,
                                 const std::string& document_key) const;
  std::vector<std::pair<std::string, std::string>> read_metadata(const toml::node& node,
                                                                 const std::string& key) const;

  std::string name_;
  fs::path base_dir_;
  std::vector<std::optional<std::uint32_t>> document_force_dpi_lines_;
};

}  // namespace fw::job_detail
