// Tables of contents: a CSV or TSV file read into entries (UTF-8; GBK/GB18030 and UTF-16
// recognised and refused with advice), and the checks every table of contents passes.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/csv.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"
#include "base/unicode.hpp"
#include "core/error.hpp"
#include "job/job.hpp"
#include "job/job_rules.hpp"

namespace fw {

namespace fs = std::filesystem;
using job_detail::drawn_text_fault;
using job_detail::has_control_character;
using job_detail::has_replacement_character;
using job_detail::quote_blank;
using job_detail::without_replacement_character;

namespace {

std::string trimmed(std::string text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && space(text.back())) text.pop_back();
  std::size_t first = 0;
  while (first < text.size() && space(text[first])) ++first;
  return text.substr(first);
}

// A quoted field's line break as the file writes it: a CSV saved with Windows line ends
// (unix2dos, WPS, LibreOffice's CRLF option) has CR LF inside a two-line cell too, and a CR
// is a control character no title may hold. The line break is text; its CR is the file's.
std::string with_lf_line_breaks(const std::string& field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\r' && i + 1 < field.size() && field[i + 1] == '\n') continue;
    out += field[i];
  }
  return out;
}

std::string lower_ascii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// A header's column as the reader knows it: title, page and level in any ASCII case, or the
// names Chinese cataloguers give them (题名/标题, 页码/页, 级别/层级); any other name is a
// metadata key, kept as written.
std::string column_name(const std::string& name) {
  const std::string lower = lower_ascii(name);
  if (lower == "title" || name == "题名" || name == "标题") return "title";
  if (lower == "page" || name == "页码" || name == "页") return "page";
  if (lower == "level" || name == "级别" || name == "层级") return "level";
  return name;
}

}  // namespace

std::vector<TocEntry> read_toc_file(const fs::path& file, const std::string& shown,
                                    const std::string& key) {
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error& e) {
    throw Error(ErrorKind::job, fmt::format("{}: cannot read the table of contents ({}): {}", shown,
                                            key, e.what()));
  }
  if (const std::string reason = not_utf8_reason(text); !reason.empty()) {
    const std::size_t at = std::min(invalid_utf8_at(text), text.size());
    const auto line = static_cast<std::uint32_t>(
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}.toc: the file is {}; save it as UTF-8",
                                            shown, line, key, reason));
  }
  const std::string first_line = text.substr(0, text.find('\n'));
  const char separator =
      shown.ends_with(".tsv") || first_line.find('\t') != std::string::npos ? '\t' : ',';
  // RFC 4180 records (base/csv.hpp); the reader skips a byte order mark and blank lines.
  const std::vector<CsvRecord> records = read_csv(text, shown, separator, ErrorKind::job);
  // Columns: a header row names them; without one they are title, page, level.
  std::vector<std::string> columns = {"title", "page", "level"};
  std::size_t first = 0;
  if (!records.empty()) {
    std::vector<std::string> names;
    for (const std::string& field : records[0].fields) names.push_back(column_name(trimmed(field)));
    if (std::find(names.begin(), names.end(), "title") != names.end()) {
      columns = names;
      first = 1;
      // Two columns of one name would keep one value of the two (the catalog and the export
      // hold an entry's metadata by key): the second would be lost without a word.
      // Two spellings of one name (저자 as syllables and as jamo) are one name: a reader sees it
      // twice in the header, and the catalog would hold two keys that read alike.
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const auto earlier = std::find_if(
            columns.begin(), columns.begin() + c,
            [&](const std::string& name) { return canonically_equal(name, columns[c]); });
        if (!columns[c].empty() && earlier != columns.begin() + c) {
          const auto first_column = static_cast<std::size_t>(earlier - columns.begin());
          const std::string first_name = trimmed(records[0].fields[first_column]);
          const std::string name = trimmed(records[0].fields[c]);
          const std::string spellings =
              first_name == name || columns[first_column] == columns[c]
                  ? ""
                  : fmt::format(", two Unicode spellings of one name ({})",
                                spelling_difference(first_name, name));
          throw Error(ErrorKind::job,
                      fmt::format("{}:{}: {}.toc: the header names one column twice: {} (column "
                                  "{}) and {} (column {}){}; give each column a name of its own",
                                  shown, records[0].line, key, quote(first_name), first_column + 1,
                                  quote(name), c + 1, spellings));
        }
      }
      if (std::find(columns.begin(), columns.end(), "page") == columns.end()) {
        throw Error(ErrorKind::job,
                    fmt::format("{}:{}: {}.toc: the header names no page column (columns: "
                                "title, page, level)",
                                shown, records[0].line, key));
      }
    }
  }
  std::vector<TocEntry> toc;
  for (std::size_t r = first; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    TocEntry entry;
    entry.key = fmt::format("{}.toc[{}]", key, toc.size() + 1);
    entry.origin = fmt::format("{}:{}", shown, record.line);
    const auto fail = [&](const std::string& column, const std::string& message) {
      throw Error(ErrorKind::job, fmt::format("{}: {}{}{}: {}", entry.origin, entry.key,
                                              column.empty() ? "" : ".", column, message));
    };
    if (record.fields.size() > columns.size()) {
      fail("", fmt::format("expected at most {} columns ({}), got {}", columns.size(),
                           fmt::join(columns, ", "), record.fields.size()));
    }
    bool has_page = false;
    for (std::size_t c = 0; c < record.fields.size(); ++c) {
      const std::string value = trimmed(with_lf_line_breaks(record.fields[c]));
      const std::string& column = columns[c];
      if (column == "title") {
        entry.title = value;
      } else if (column == "page" || column == "level") {
        std::uint32_t number = 0;
        const auto [end, error] =
            std::from_chars(value.data(), value.data() + value.size(), number);
        const bool whole =
            !value.empty() && error == std::errc() && end == value.data() + value.size();
        if (column == "page") {
          if (!whole || number == 0) {
            fail("page",
                 "expected a page number (1-based within the document), got " + quote(value));
          }
          entry.page = number;
          has_page = true;
        } else if (!value.empty()) {
          if (!whole || number < 1 || number > 3) {
            fail("level", "expected an integer 1–3, got " + quote(value));
          }
          entry.level = static_cast<int>(number);
        }
      } else if (!value.empty()) {
        // A value under a column the header does not name would be kept under no key.
        if (column.empty()) {
          fail("", fmt::format("column {} holds {} but the header gives it no name", c + 1,
                               quote(value)));
        }
        entry.metadata.emplace_back(column, value);
      }
    }
    if (!has_page)
      fail("page", "expected a page number (1-based within the document), got nothing");
    toc.push_back(std::move(entry));
  }
  return toc;
}

void check_toc(const std::vector<TocEntry>& toc) {
  int previous_level = 0;
  std::map<std::tuple<std::string, std::uint32_t, int>, const TocEntry*> seen;
  for (const TocEntry& entry : toc) {
    const auto fail = [&](std::string_view column, const std::string& message) {
      throw Error(ErrorKind::job,
                  fmt::format("{}: {}.{}: {}", entry.origin, entry.key, column, message));
    };
    if (trimmed(entry.title).empty()) {
      fail("title", "expected a non-empty title, got " + quote(entry.title));
    }
    // Drawn on the TOC frames: nothing draws a control character, and film cannot be mended.
    if (const auto fault = drawn_text_fault(entry.title, "a title")) {
      fail("title", "expected " + fault->expected + ", got " +
                        (fault->blank ? quote_blank(entry.title) : quote(entry.title)));
    }
    // Kept in the catalog, toc.csv and the JSON export: a control character there is no
    // text a reader or a library system can take (the job file's own reader refuses it too).
    for (const auto& [name, value] : entry.metadata) {
      if (has_control_character(name) || has_control_character(value)) {
        fail("metadata." + name, "expected a key and value without control characters, got " +
                                     quote(name) + " = " + quote(value));
      }
      if (has_replacement_character(name) || has_replacement_character(value)) {
        fail("metadata." + name, "expected " + without_replacement_character("a key and value") +
                                     ", got " + quote(name) + " = " + quote(value));
      }
    }
    if (entry.level > previous_level + 1) {
      fail("level", previous_level == 0
                        ? fmt::format("expected level 1 for the first entry, got {}", entry.level)
                        : fmt::format("level {} skips level {} (the entry before is level {})",
                                      entry.level, previous_level + 1, previous_level));
    }
    previous_level = entry.level;
    // Titles in NFC: two spellings of one title (가 as a syllable and as jamo) read alike on the
    // TOC frames and in the catalog.
    const auto [existing, inserted] =
        seen.emplace(std::tuple{nfc(entry.title), entry.page, entry.level}, &entry);
    if (!inserted) {
      const TocEntry& first = *existing->second;
      const std::string spelling =
          first.title == entry.title
              ? ""
              : fmt::format(", as {} in another Unicode spelling: {}", quote(first.title),
                            spelling_difference(first.title, entry.title));
      fail("title", fmt::format("duplicate entry {} page {} (first at {}, {}{})",
                                quote(entry.title), entry.page, first.origin, first.key, spelling));
    }
  }
}

}  // namespace fw
