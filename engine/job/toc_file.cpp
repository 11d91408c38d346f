// Tables of contents: a CSV or TSV file read into entries (UTF-8; GBK/GB18030 recognised and
// refused with advice), and the checks every table of contents passes.
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
#include "core/error.hpp"
#include "job/job.hpp"
#include "job/job_rules.hpp"

namespace fw {

namespace fs = std::filesystem;
using job_detail::has_control_character;

namespace {

// The length of the UTF-8 sequence at `at`, or 0 when the bytes there are not valid UTF-8
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
      (length == 4 && (code < 0x10000 || code > 0x10FFFF))) {
    return 0;
  }
  return length;
}

// Whether `text` is GB18030 (GBK is its two-byte part): ASCII, two-byte sequences 81–FE with
// 40–7E or 80–FE, and four-byte sequences 81–FE 30–39 81–FE 30–39. Cataloguers' spreadsheets
// on Chinese Windows save CSV in GBK unless told otherwise.
bool decodes_as_gb18030(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char b = byte(i);
    if (b < 0x80) {
      ++i;
      continue;
    }
    if (b == 0x80 || b == 0xFF || i + 1 >= text.size()) return false;
    const unsigned char second = byte(i + 1);
    if ((second >= 0x40 && second <= 0x7E) || (second >= 0x80 && second <= 0xFE)) {
      i += 2;
      continue;
    }
    if (second >= 0x30 && second <= 0x39 && i + 3 < text.size() && byte(i + 2) >= 0x81 &&
        byte(i + 2) <= 0xFE && byte(i + 3) >= 0x30 && byte(i + 3) <= 0x39) {
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

std::string trimmed(std::string text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && space(text.back())) text.pop_back();
  std::size_t first = 0;
  while (first < text.size() && space(text[first])) ++first;
  return text.substr(first);
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
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_length(text, at);
    if (length > 0) {
      at += length;
      continue;
    }
    const auto line = static_cast<std::uint32_t>(
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    if (decodes_as_gb18030(text)) {
      throw Error(ErrorKind::job,
                  fmt::format("{}:{}: {}.toc: the file is not UTF-8 (byte 0x{:02X}); it looks "
                              "like GBK/GB18030; save it as UTF-8",
                              shown, line, key, static_cast<unsigned char>(text[at])));
    }
    throw Error(ErrorKind::job,
                fmt::format("{}:{}: {}.toc: the file is not UTF-8 (byte 0x{:02X}); save it as "
                            "UTF-8",
                            shown, line, key, static_cast<unsigned char>(text[at])));
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
      const std::string value = trimmed(record.fields[c]);
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
    const auto fail = [&](const char* column, const std::string& message) {
      throw Error(ErrorKind::job,
                  fmt::format("{}: {}.{}: {}", entry.origin, entry.key, column, message));
    };
    if (trimmed(entry.title).empty()) {
      fail("title", "expected a non-empty title, got " + quote(entry.title));
    }
    // Drawn on the TOC frames: nothing draws a control character, and film cannot be mended.
    if (has_control_character(entry.title)) {
      fail("title", "expected a title without control characters, got " + quote(entry.title));
    }
    if (entry.level > previous_level + 1) {
      fail("level", previous_level == 0
                        ? fmt::format("expected level 1 for the first entry, got {}", entry.level)
                        : fmt::format("level {} skips level {} (the entry before is level {})",
                                      entry.level, previous_level + 1, previous_level));
    }
    previous_level = entry.level;
    const auto [existing, inserted] =
        seen.emplace(std::tuple{entry.title, entry.page, entry.level}, &entry);
    if (!inserted) {
      fail("title", fmt::format("duplicate entry {} page {} (first at {}, {})", quote(entry.title),
                                entry.page, existing->second->origin, existing->second->key));
    }
  }
}

}  // namespace fw
