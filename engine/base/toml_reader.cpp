#include "base/toml_reader.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "base/error.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"

namespace fw {
namespace toml_detail {

struct Source {
  std::string file;
  std::string text;  // what was parsed: numbers are read back as written from it
  toml::table root;
};

}  // namespace toml_detail

namespace {

const toml::node& node_of(const void* node) {
  return *static_cast<const toml::node*>(node);
}

const toml::table& table_of(const void* table) {
  return *static_cast<const toml::table*>(table);
}

std::uint32_t line_of(const toml::node& node) {
  return static_cast<std::uint32_t>(node.source().begin.line);
}

std::string join_key(const std::string& prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
}

// As TOML writes it: 70, 17.0, true, [ 2.0, 1.0 ], 2026-11-25.
std::string as_written(const toml::node& node) {
  if (const auto* text = node.as_string()) return quote(text->get());
  if (node.is_table()) return "a table";
  std::ostringstream out;
  out << toml::node_view<const toml::node>{&node};
  return out.str();
}

[[noreturn]] void throw_at(const std::string& file, std::uint32_t line, std::string_view key,
                           std::string_view message) {
  throw Error(ErrorKind::job, fmt::format("{}:{}: {}: {}", file, line, key, message));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// NumberRange

bool NumberRange::contains(double value) const {
  if (!(value <= high)) return false;  // also NaN
  return low_excluded ? value > low : value >= low;
}

std::string NumberRange::number() const {
  if (high == kNone) return fmt::format("a number {} {}", low_excluded ? ">" : ">=", low);
  return fmt::format("a number {}–{}", low, high);
}

std::string NumberRange::integer() const {
  if (high == kNone) return fmt::format("an integer {} {}", low_excluded ? ">" : ">=", low);
  return fmt::format("an integer {}–{}", low, high);
}

// ---------------------------------------------------------------------------------------
// TomlValue

TomlValue::TomlValue(std::shared_ptr<const toml_detail::Source> source, const void* node,
                     std::string key, std::uint32_t line)
    : source_(std::move(source)), node_(node), key_(std::move(key)), line_(line) {}

std::uint32_t TomlValue::line() const {
  const std::uint32_t own = line_of(node_of(node_));
  return own != 0 ? own : line_;
}

std::optional<std::string> TomlValue::number_as_written() const {
  const toml::node& node = node_of(node_);
  const toml::source_region& region = node.source();
  if (!node.is_number() || region.begin.line == 0 || region.end.line != region.begin.line ||
      region.end.column <= region.begin.column) {
    return std::nullopt;
  }
  // toml++ counts lines from 1 and columns in code points from 1, the end one past the value,
  // and does not count a byte order mark.
  const std::string_view text = source_->text;
  std::size_t at = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  for (std::uint32_t line = 1; line < region.begin.line; ++line) {
    at = text.find('\n', at);
    if (at == std::string_view::npos) return std::nullopt;
    ++at;
  }
  const auto advance = [&](std::size_t from, std::uint32_t code_points) {
    for (; code_points > 0 && from < text.size(); --code_points) {
      ++from;
      while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;
    }
    return from;
  };
  const std::size_t begin = advance(at, region.begin.column - 1);
  const std::size_t end = advance(begin, region.end.column - region.begin.column);
  return std::string(text.substr(begin, end - begin));
}

const std::string& TomlValue::file() const {
  return source_->file;
}

bool TomlValue::is_string() const {
  return node_of(node_).is_string();
}
bool TomlValue::is_integer() const {
  return node_of(node_).is_integer();
}
bool TomlValue::is_number() const {
  return node_of(node_).is_number();
}
bool TomlValue::is_boolean() const {
  return node_of(node_).is_boolean();
}
bool TomlValue::is_table() const {
  return node_of(node_).is_table();
}
bool TomlValue::is_array() const {
  return node_of(node_).is_array();
}
bool TomlValue::is_date() const {
  return node_of(node_).is_date();
}

std::optional<std::string> TomlValue::as_string() const {
  if (const auto* text = node_of(node_).as_string()) return text->get();
  return std::nullopt;
}

std::optional<std::int64_t> TomlValue::as_integer() const {
  if (const auto* integer = node_of(node_).as_integer()) return integer->get();
  return std::nullopt;
}

std::optional<double> TomlValue::as_number() const {
  const toml::node& node = node_of(node_);
  if (const auto* integer = node.as_integer()) return static_cast<double>(integer->get());
  if (const auto* floating = node.as_floating_point()) return floating->get();
  return std::nullopt;
}

std::optional<TomlValue::Date> TomlValue::as_date() const {
  if (const auto* date = node_of(node_).as_date()) {
    const toml::date& d = date->get();
    return Date{d.year, d.month, d.day};
  }
  return std::nullopt;
}

std::string TomlValue::written() const {
  return as_written(node_of(node_));
}

std::string TomlValue::described() const {
  const toml::node& node = node_of(node_);
  switch (node.type()) {
    case toml::node_type::string:
      return quote(node.as_string()->get());  // the quotes say it is a string
    case toml::node_type::integer:
      return "an integer " + as_written(node);
    case toml::node_type::floating_point:
      return "a number " + as_written(node);
    case toml::node_type::boolean:
      return "a boolean " + as_written(node);
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

void TomlValue::fail(std::string_view expected) const {
  fail(expected, written());
}

void TomlValue::fail_type(std::string_view expected) const {
  fail(expected, described());
}

void TomlValue::fail(std::string_view expected, std::string_view got) const {
  fail_message(fmt::format("expected {}, got {}", expected, got));
}

void TomlValue::fail_message(std::string_view message) const {
  throw_at(source_->file, line(), key_, message);
}

std::string TomlValue::string(std::string_view expected) const {
  const auto* text = node_of(node_).as_string();
  if (!text) fail_type(expected);
  return text->get();
}

std::string TomlValue::text(std::string_view expected) const {
  std::string value = string(expected);
  if (value.empty()) fail(expected, "an empty string");
  return value;
}

double TomlValue::number(const NumberRange& range) const {
  const auto value = as_number();
  if (!value) fail_type(range.number());
  if (!range.contains(*value)) fail(range.number());
  return *value;
}

std::int64_t TomlValue::integer(const NumberRange& range) const {
  const auto value = as_integer();
  if (!value) fail_type(range.integer());
  if (!range.contains(static_cast<double>(*value))) fail(range.integer());
  return *value;
}

bool TomlValue::boolean() const {
  const auto* value = node_of(node_).as_boolean();
  if (!value) fail_type("true or false");
  return value->get();
}

TomlTable TomlValue::table(std::string_view expected) const {
  if (!is_table()) fail_type(expected);
  return TomlTable(source_, node_of(node_).as_table(), key_);
}

std::vector<TomlValue> TomlValue::array(std::string_view expected, bool non_empty) const {
  const auto* array = node_of(node_).as_array();
  if (!array) fail_type(expected);
  if (non_empty && array->empty()) fail(expected, "an empty array");
  std::vector<TomlValue> elements;
  elements.reserve(array->size());
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::node* element = array->get(index);
    const std::uint32_t line = line_of(*element);
    elements.push_back(TomlValue(source_, element, fmt::format("{}[{}]", key_, index + 1),
                                 line != 0 ? line : this->line()));
  }
  return elements;
}

std::size_t TomlValue::word_index(std::span<const std::string_view> words,
                                  std::string_view expected) const {
  const std::string listed =
      expected.empty() ? fmt::format("one of {}", fmt::join(words, ", ")) : std::string(expected);
  const std::string value = string(listed);
  const auto found = std::find(words.begin(), words.end(), value);
  if (found == words.end()) fail(listed);
  return static_cast<std::size_t>(found - words.begin());
}

// ---------------------------------------------------------------------------------------
// TomlTable

TomlTable::TomlTable(std::shared_ptr<const toml_detail::Source> source, const void* table,
                     std::string key)
    : source_(std::move(source)), table_(table), key_(std::move(key)) {}

std::uint32_t TomlTable::line() const {
  // The top level starts at line 1 even when the file opens with comments.
  return std::max<std::uint32_t>(1, line_of(table_of(table_)));
}

const std::string& TomlTable::file() const {
  return source_->file;
}

bool TomlTable::empty() const {
  return table_of(table_).empty();
}

TomlValue TomlTable::entry(const void* key, const void* node) const {
  const auto& name = *static_cast<const toml::key*>(key);
  return TomlValue(source_, node, join_key(key_, name.str()),
                   static_cast<std::uint32_t>(name.source().begin.line));
}

bool TomlTable::has(std::string_view name) const {
  return table_of(table_).contains(name);
}

std::optional<TomlValue> TomlTable::get(std::string_view name) const {
  const toml::table& table = table_of(table_);
  const auto found = table.find(name);
  if (found == table.end()) return std::nullopt;
  return entry(&found->first, &found->second);
}

TomlValue TomlTable::require(std::string_view name, std::string_view expected) const {
  if (auto value = get(name)) return *std::move(value);
  fail(name, fmt::format("{} (required)", expected), "nothing");
}

std::vector<TomlValue> TomlTable::entries() const {
  std::vector<std::pair<const toml::key*, const toml::node*>> found;
  for (const auto& [key, node] : table_of(table_)) found.emplace_back(&key, &node);
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  std::vector<TomlValue> values;
  values.reserve(found.size());
  for (const auto& [key, node] : found) values.push_back(entry(key, node));
  return values;
}

std::string_view TomlTable::name_of(const TomlValue& entry) const {
  std::string_view key = entry.key();
  return key_.empty() ? key : key.substr(key_.size() + 1);
}

void TomlTable::fail_unknown(const TomlValue& entry,
                             std::span<const std::string_view> known) const {
  // The key's own line: a table's entry may begin lines below its name.
  const std::uint32_t line = entry.line_ != 0 ? entry.line_ : entry.line();
  throw_at(source_->file, line, entry.key(), unknown_key_message(name_of(entry), known));
}

void TomlTable::only(std::span<const std::string_view> known) const {
  for (const TomlValue& value : entries()) {
    if (std::find(known.begin(), known.end(), name_of(value)) == known.end()) {
      fail_unknown(value, known);
    }
  }
}

void TomlTable::read(std::span<const Rule> rules) const {
  for (const TomlValue& value : entries()) {
    const std::string_view name = name_of(value);
    const auto rule = std::find_if(rules.begin(), rules.end(),
                                   [&](const Rule& candidate) { return candidate.name == name; });
    if (rule == rules.end()) {
      std::vector<std::string_view> known;
      for (const Rule& r : rules) known.push_back(r.name);
      fail_unknown(value, known);
    }
    rule->read(value);
  }
}

double TomlTable::number(std::string_view name, const NumberRange& range) const {
  return require(name, range.number()).number(range);
}

double TomlTable::number_or(std::string_view name, const NumberRange& range,
                            double fallback) const {
  const auto value = get(name);
  return value ? value->number(range) : fallback;
}

std::int64_t TomlTable::integer(std::string_view name, const NumberRange& range) const {
  return require(name, range.integer()).integer(range);
}

std::string TomlTable::text(std::string_view name, std::string_view expected) const {
  return require(name, expected).text(expected);
}

std::string TomlTable::string_or(std::string_view name, std::string_view fallback,
                                 std::string_view expected) const {
  const auto value = get(name);
  return value ? value->string(expected) : std::string(fallback);
}

void TomlTable::fail(std::string_view name, std::string_view expected, std::string_view got) const {
  throw_at(source_->file, line(), join_key(key_, name),
           fmt::format("expected {}, got {}", expected, got));
}

// ---------------------------------------------------------------------------------------
// TomlDocument

TomlDocument::TomlDocument(std::shared_ptr<const toml_detail::Source> source)
    : source_(std::move(source)) {}

void TomlDocument::check_utf8(std::string_view text, const std::string& file) {
  const std::string reason = not_utf8_reason(text);
  if (reason.empty()) return;
  const std::size_t at = std::min(invalid_utf8_at(text), text.size());
  const auto line = static_cast<std::uint32_t>(
      1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  throw Error(ErrorKind::job,
              fmt::format("{}:{}: the file is {}; save it as UTF-8", file, line, reason));
}

TomlDocument TomlDocument::parse(std::string_view text, std::string file,
                                 const SyntaxErrorText& syntax_error) {
  auto source = std::make_shared<toml_detail::Source>();
  source->file = std::move(file);
  check_utf8(text, source->file);
  try {
    source->root = toml::parse(text, std::string_view(source->file));
    source->text = text;
  } catch (const toml::parse_error& error) {
    const auto line = static_cast<std::uint32_t>(error.source().begin.line);
    const std::string said = syntax_error ? syntax_error(line, error.description())
                                          : fmt::format("syntax error: {}", error.description());
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}", source->file, line, said));
  }
  return TomlDocument(std::move(source));
}

TomlDocument TomlDocument::load(const std::filesystem::path& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& error) {
    throw Error(ErrorKind::job, error.what());
  }
  return parse(text, path.string());
}

TomlTable TomlDocument::root() const {
  return TomlTable(source_, &source_->root, "");
}

}  // namespace fw
