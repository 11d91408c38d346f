// The job file's [[documents]] tables (job/job_parser.hpp): each document's keys, its pages,
// metadata, declared substitutes and table of contents.
#include <map>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "base/unicode.hpp"
#include "core/error.hpp"
#include "job/job.hpp"
#include "job/job_parser.hpp"

namespace fw::job_detail {

void JobParser::read_documents(const TomlValue& value, Job& job) {
  const std::vector<TomlValue> documents = value.array("an array of tables ([[documents]])");
  if (documents.empty()) value.fail("at least one [[documents]] table", "an empty array");
  // The documents by their ids in NFC (base/unicode.hpp): an id is filmed on the title target
  // and keys the catalog, so two spellings of one text (가 as U+AC00 or as the jamo U+1100
  // U+1161 a macOS folder name gives, ガ or カ with a combining dakuten, 豈 U+F900 from a
  // KS X 1001 conversion or U+8C48) would be two documents that read the same on film and in
  // every listing. Compatibility ideographs count: NFC maps them, and a reader of the film sees
  // one ideograph. Compatibility equivalents (fullwidth ＡＢ and AB) do not: they look different.
  // The ids are kept as written; they may name the scans' folders.
  struct FirstUse {
    std::string id;
    std::string key;
    std::uint32_t line = 0;
  };
  std::map<std::string, FirstUse> first_uses;
  for (const TomlValue& element : documents) {
    Document document;
    document.key = element.key();  // documents[1], ...
    const TomlTable table = element.table();
    read_document(table, document);
    const TomlValue id = *table.get("id");
    const auto [existing, inserted] =
        first_uses.emplace(nfc(document.id), FirstUse{document.id, document.key, id.line()});
    if (!inserted) {
      const FirstUse& first = existing->second;
      if (first.id == document.id) {
        id.fail("a unique document id",
                quote(document.id) + " again (first used by " + first.key + ")");
      }
      id.fail("a unique document id",
              fmt::format("{}, which is {} of {} ({}:{}) in another Unicode spelling ({}): the "
                          "two read the same on film and in the catalog",
                          quote(document.id), quote(first.id), first.key, name_, first.line,
                          spelling_difference(first.id, document.id)));
    }
    job.documents.push_back(std::move(document));
  }
}

void JobParser::read_document(const TomlTable& table, Document& document) {
  std::optional<std::uint32_t> force_dpi_line;
  std::vector<Rule> rules = {
      {"id", [&](const TomlValue& value) { document.id = read_document_id(value); }},
      {"title", [&](const TomlValue& value) { document.title = read_title(value); }},
      {"pages", [&](const TomlValue& value) { document.pages = read_pages(value); }},
      {"metadata", [&](const TomlValue& value) { document.metadata = read_metadata(value); }},
      {"substitute_target",
       [&](const TomlValue& value) {
         document.substitute_target =
             read_name(value, "a substitution target template in profiles/targets/");
       }},
      {"substitute",
       [&](const TomlValue& value) { document.substitutes = read_substitutes(value); }},
      {"data_frames", [&](const TomlValue& value) { document.data_frames = value.boolean(); }},
      {"toc", [&](const TomlValue& value) { document.toc = read_toc(value, document.key); }},
  };
  add_settings_rules(rules, document.overrides, force_dpi_line);
  table.read(rules);
  check_toc(document.toc);
  table.require("id", "a non-empty string");
  table.require("title", "a non-empty string");
  table.require("pages", "a table such as { dir = \"scans\" }");
  document_force_dpi_lines_.push_back(force_dpi_line);
}

PageSource JobParser::read_pages(const TomlValue& value) const {
  static constexpr const char* kKinds = "dir, glob, files, tiff, pdf";
  const TomlTable table = value.table("a table such as { dir = \"scans\" }");
  PageSource source;
  std::vector<std::string> kinds;
  std::optional<TomlValue> range;
  auto set_kind = [&](PageSource::Kind kind, const TomlValue& path) {
    source.kind = kind;
    kinds.emplace_back(table.name_of(path));
  };
  // A source named by one path (a folder, a pattern, a file).
  const auto one_path = [&](PageSource::Kind kind, const char* what) {
    return [&, kind, what](const TomlValue& path) {
      set_kind(kind, path);
      source.paths = {read_path(path, what).string()};
    };
  };
  table.read({
      {"dir", one_path(PageSource::Kind::directory, "a folder path")},
      {"glob", one_path(PageSource::Kind::glob, "a file pattern")},
      {"files",
       [&](const TomlValue& files) {
         set_kind(PageSource::Kind::list, files);
         source.paths = read_file_list(files);
       }},
      {"tiff", one_path(PageSource::Kind::tiff, "a file path")},
      {"pdf", one_path(PageSource::Kind::pdf, "a file path")},
      {"range", [&](const TomlValue& pages) { range = pages; }},
  });
  if (kinds.empty()) value.fail(std::string("one of ") + kKinds, "none");
  if (kinds.size() > 1) {
    std::string found;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      found += (i == 0 ? "" : i + 1 == kinds.size() ? " and " : ", ") + kinds[i];
    }
    value.fail(std::string("exactly one of ") + kKinds, found);
  }
  if (range) {
    if (source.kind != PageSource::Kind::tiff && source.kind != PageSource::Kind::pdf) {
      range->fail("a range only with tiff or pdf", "it with " + kinds.front());
    }
    const std::string expected = "a page range \"N\", \"N-M\" or \"N-\" (first page is 1)";
    std::optional<std::pair<std::uint32_t, std::uint32_t>> pages;
    if (const auto text = range->as_string()) {
      pages = parse_page_range(*text);
      if (!pages) range->fail(expected);
    } else if (const auto integer = range->as_integer()) {
      if (*integer < 1 || *integer > UINT32_MAX) range->fail(expected);
      const auto page = static_cast<std::uint32_t>(*integer);
      pages = std::pair{page, page};
    } else {
      range->fail_type(expected);
    }
    source.first_page = pages->first;
    source.last_page = pages->second;
  }
  return source;
}

std::vector<std::string> JobParser::read_file_list(const TomlValue& value) const {
  const std::vector<TomlValue> files = value.array("an array of file paths", true);
  std::vector<std::string> paths;
  paths.reserve(files.size());
  for (const TomlValue& file : files) paths.push_back(read_path(file, "a file path").string());
  return paths;
}

std::vector<DeclaredSubstitute> JobParser::read_substitutes(const TomlValue& value) const {
  const std::string expected = "an array of tables ([[" + value.key() + "]])";
  std::vector<DeclaredSubstitute> substitutes;
  for (const TomlValue& element : value.array(expected)) {
    DeclaredSubstitute substitute;
    substitute.key = element.key();
    const TomlTable table = element.table();
    table.read({
        {"page",
         [&](const TomlValue& page) {
           substitute.page = static_cast<std::uint32_t>(
               page.integer(NumberRange::between(1, static_cast<double>(UINT32_MAX))));
         }},
        {"target",
         [&](const TomlValue& target) {
           substitute.target =
               read_name(target, "a substitution target template in profiles/targets/");
         }},
        {"note", [&](const TomlValue& note) { substitute.note = read_drawn_text(note, "a note"); }},
        {"insert", [&](const TomlValue& insert) { substitute.insert = insert.boolean(); }},
    });
    table.require("page", "a page number (1-based)");
    table.require("target", "a template name such as \"page-missing\"");
    substitutes.push_back(std::move(substitute));
  }
  return substitutes;
}

std::vector<TocEntry> JobParser::read_toc(const TomlValue& value,
                                          const std::string& document_key) const {
  if (value.is_string()) {
    const std::string written = value.text("a CSV/TSV file path");
    const fs::path path = resolve(base_dir_, written);
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
      value.fail("a CSV/TSV file", quote(written) + " (no such file)");
    }
    return read_toc_file(path, written, document_key);
  }
  const std::string expected =
      "a CSV/TSV file path or an array of tables ([[" + value.key() + "]])";
  std::vector<TocEntry> toc;
  for (const TomlValue& element : value.array(expected)) {
    TocEntry entry;
    entry.key = element.key();
    const TomlTable table = element.table();
    entry.origin = fmt::format("{}:{}", name_, table.line());
    table.read({
        {"title", [&](const TomlValue& title) { entry.title = read_title(title); }},
        {"page",
         [&](const TomlValue& page) {
           entry.page = static_cast<std::uint32_t>(
               page.integer(NumberRange::between(1, static_cast<double>(UINT32_MAX))));
         }},
        {"level",
         [&](const TomlValue& level) {
           entry.level = static_cast<int>(level.integer(NumberRange::between(1, 3)));
         }},
        {"metadata", [&](const TomlValue& metadata) { entry.metadata = read_metadata(metadata); }},
    });
    table.require("title", "a non-empty string");
    table.require("page", "a page number (1-based within the document)");
    toc.push_back(std::move(entry));
  }
  return toc;
}

std::vector<std::pair<std::string, std::string>> JobParser::read_metadata(
    const TomlValue& value) const {
  const TomlTable table = value.table();
  std::vector<std::pair<std::string, std::string>> metadata;
  // TOML refuses a key given twice byte for byte; two spellings of one key (저자 as syllables
  // and as jamo) would be two fields drawn alike on the title target.
  std::map<std::string, std::pair<std::string, std::uint32_t>> first_keys;
  for (const TomlValue& entry : table.entries()) {
    const std::string_view key = table.name_of(entry);
    const auto [first, inserted] =
        first_keys.emplace(nfc(key), std::pair{std::string(key), entry.line()});
    if (!inserted) {
      entry.fail("a metadata key of its own",
                 fmt::format("{}, which is {} ({}:{}) in another Unicode spelling ({})", quote(key),
                             quote(first->second.first), name_, first->second.second,
                             spelling_difference(first->second.first, key)));
    }
    // The key is drawn beside its value on the title target ("作者: 朱熹") and names it in
    // mets.xml and the catalog.
    if (is_blank(key)) entry.fail("a metadata key with a visible character", quote_blank(key));
    if (has_control_character(key)) entry.fail("a key without control characters", quote(key));
    if (has_replacement_character(key)) {
      entry.fail(without_replacement_character("a key"), quote(key));
    }
    // Numbers are kept as written: 版本 = 2.0 is filmed "2.0", not the "2" of its value.
    auto text = entry.number_as_written();
    if (!text) text = scalar_text(entry, false);
    if (!text) entry.fail_type("a string or number");
    // A value is drawn after its key: "作者 = \"\"" would film "作者:" and a reader could not
    // tell a field left unfilled from one with nothing to say.
    if (const auto fault = drawn_text_fault(*text, "a value")) {
      if (fault->blank) {
        entry.fail(fault->expected + " (leave the key out when there is nothing to say)",
                   quote_blank(*text));
      }
      entry.fail(fault->expected, quote(*text));
    }
    metadata.emplace_back(std::string(key), *text);
  }
  return metadata;
}

}  // namespace fw::job_detail
