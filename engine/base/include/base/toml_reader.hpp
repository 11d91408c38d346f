// Reading the TOML files people write (job files, formats, targets, font sets, calibrations,
// QC and sim profiles): every key is known or an error with a suggestion, every value is
// checked, and every message reads
//
//   FILE:LINE: KEY: expected WHAT, got WHAT WAS FOUND
//
// KEY is the full path (documents[2].reduction; arrays count from 1). A missing key is
// reported at the line of the table that should hold it (line 1 for the top level) as
// "expected WHAT (required), got nothing". What was found is said one way in every file:
// a value of the right type is shown as TOML writes it (70, 17.0, "24x", [ 1.0, 2.0 ]), a
// value of the wrong type is named with its type ("24x", an integer 1, a number 2.5,
// a boolean true, a table, an array, a date).
//
// Every failure is an Error(job). toml++ stays inside base: callers see these types only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fw {

// What a number must be, and how a message says so.
struct NumberRange {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_excluded = false;

  static constexpr NumberRange between(double low, double high) { return {low, high, false}; }
  static constexpr NumberRange at_least(double low) { return {low, kNone, false}; }
  static constexpr NumberRange above(double low) { return {low, kNone, true}; }

  bool contains(double value) const;  // false for NaN
  std::string number() const;         // "a number 7–50", "a number >= 0", "a number > 0"
  std::string integer() const;        // "an integer 0–255", "an integer >= 1"

 private:
  static constexpr double kNone = std::numeric_limits<double>::infinity();
};

namespace toml_detail {
struct Source;
}

class TomlTable;

class TomlValue {
 public:
  const std::string& key() const { return key_; }  // "documents[2].reduction"
  std::uint32_t line() const;
  const std::string& file() const;

  bool is_string() const;
  bool is_integer() const;
  bool is_number() const;  // integer or floating point
  bool is_boolean() const;
  bool is_table() const;
  bool is_array() const;
  bool is_date() const;

  // The value as it is, when it has that type.
  std::optional<std::string> as_string() const;
  std::optional<std::int64_t> as_integer() const;
  std::optional<double> as_number() const;
  struct Date {
    int year, month, day;
  };
  std::optional<Date> as_date() const;
  // A number as the file writes it (2.0, 1.10, 1e3, 0x1F, 1_000), where as_number() has only
  // its value (2, 1.1, 1000, 31, 1000); nullopt for anything else.
  std::optional<std::string> number_as_written() const;

  // Typed reads. Each throws "FILE:LINE: KEY: expected ..., got ...".
  std::string string(std::string_view expected = "a string") const;
  std::string text(std::string_view expected = "a non-empty string") const;  // not empty
  double number(const NumberRange& range) const;
  std::int64_t integer(const NumberRange& range) const;
  bool boolean() const;  // "true or false"
  TomlTable table(std::string_view expected = "a table") const;
  // The elements, keyed KEY[1], KEY[2], ...; `non_empty` refuses [] ("got an empty array").
  std::vector<TomlValue> array(std::string_view expected, bool non_empty = false) const;
  // A string among `words`; `expected` defaults to "one of a, b, c".
  template <typename Value>
  Value word(std::initializer_list<std::pair<std::string_view, Value>> words,
             std::string_view expected = {}) const {
    std::vector<std::string_view> names;
    for (const auto& entry : words) names.push_back(entry.first);
    return (words.begin() + word_index(names, expected))->second;
  }

  // What messages say was found (see the top of this file).
  std::string written() const;    // right type: 70, 17.0, "24x", [ 1.0, 2.0 ], a table
  std::string described() const;  // wrong type: an integer 70, "24x", a table, nothing
  [[noreturn]] void fail(std::string_view expected) const;       // got written()
  [[noreturn]] void fail_type(std::string_view expected) const;  // got described()
  [[noreturn]] void fail(std::string_view expected, std::string_view got) const;
  [[noreturn]] void fail_message(std::string_view message) const;  // FILE:LINE: KEY: message

 private:
  friend class TomlTable;
  friend class TomlDocument;
  TomlValue(std::shared_ptr<const toml_detail::Source> source, const void* node, std::string key,
            std::uint32_t line);
  std::size_t word_index(std::span<const std::string_view> words, std::string_view expected) const;

  std::shared_ptr<const toml_detail::Source> source_;
  const void* node_;  // a toml::node of source_'s document
  std::string key_;
  std::uint32_t line_;  // the key's line (a value or table may start below it)
};

class TomlTable {
 public:
  const std::string& key() const { return key_; }  // "" for the top level
  std::uint32_t line() const;
  const std::string& file() const;
  bool empty() const;

  bool has(std::string_view name) const;
  std::optional<TomlValue> get(std::string_view name) const;
  // The value, or "FILE:LINE: KEY: expected WHAT (required), got nothing".
  TomlValue require(std::string_view name, std::string_view expected) const;
  // Every entry, in the order written (toml++ keeps them sorted by key).
  std::vector<TomlValue> entries() const;
  // The last part of an entry's key: "reduction" of documents[2].reduction.
  std::string_view name_of(const TomlValue& entry) const;

  // Every key must be one of `known`: the first other one in file order is
  // "KEY: unknown key (did you mean "x"?)" or "(known keys: a, b)".
  void only(std::span<const std::string_view> known) const;
  void only(std::initializer_list<std::string_view> known) const {
    only(std::span<const std::string_view>(known.begin(), known.size()));
  }
  [[noreturn]] void fail_unknown(const TomlValue& entry,
                                 std::span<const std::string_view> known) const;

  // Reads each key in file order with its rule (so the first mistake in the file is the one
  // reported); a key without a rule is unknown.
  struct Rule {
    std::string_view name;
    std::function<void(const TomlValue&)> read;
  };
  void read(std::span<const Rule> rules) const;
  void read(std::initializer_list<Rule> rules) const {
    read(std::span<const Rule>(rules.begin(), rules.size()));
  }

  // Shorthands: required, or with a default when the key is absent.
  double number(std::string_view name, const NumberRange& range) const;
  double number_or(std::string_view name, const NumberRange& range, double fallback) const;
  std::int64_t integer(std::string_view name, const NumberRange& range) const;
  std::string text(std::string_view name, std::string_view expected = "a non-empty string") const;
  std::string string_or(std::string_view name, std::string_view fallback,
                        std::string_view expected = "a string") const;

  // "FILE:LINE: KEY.name: expected WHAT, got GOT" at the table's line: for what a key that is
  // absent, or the table as a whole, should have been.
  [[noreturn]] void fail(std::string_view name, std::string_view expected,
                         std::string_view got) const;

 private:
  friend class TomlValue;
  friend class TomlDocument;
  TomlTable(std::shared_ptr<const toml_detail::Source> source, const void* table, std::string key);
  TomlValue entry(const void* key, const void* node) const;

  std::shared_ptr<const toml_detail::Source> source_;
  const void* table_;  // a toml::table of source_'s document
  std::string key_;
};

class TomlDocument {
 public:
  // What a syntax error says after "FILE:LINE: ", given the line and toml++'s description;
  // without one it is "syntax error: DESCRIPTION".
  using SyntaxErrorText =
      std::function<std::string(std::uint32_t line, std::string_view description)>;

  // `file` names the text in messages. A syntax error is "FILE:LINE: syntax error: ...", or
  // "FILE:LINE: " and what `syntax_error` says (the job reader names a key defined twice as
  // the operator wrote it).
  static TomlDocument parse(std::string_view text, std::string file,
                            const SyntaxErrorText& syntax_error = {});
  // TOML is UTF-8, and toml++ says only "invalid utf-8 sequence": a text saved in GBK
  // (Notepad's "ANSI" on Chinese Windows) or UTF-16 (its "Unicode") is refused as
  // "FILE:LINE: the file is not UTF-8 (byte 0xB2); it looks like GBK/GB18030; save it as
  // UTF-8". parse() checks first; a reader that rewrites the text before parsing checks the
  // text as written.
  static void check_utf8(std::string_view text, const std::string& file);
  // Reads and parses `path`; a file that cannot be read is Error(job) too.
  static TomlDocument load(const std::filesystem::path& path);
  TomlTable root() const;

 private:
  explicit TomlDocument(std::shared_ptr<const toml_detail::Source> source);
  std::shared_ptr<const toml_detail::Source> source_;
};

}  // namespace fw
