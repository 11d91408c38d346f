// The job file's [[documents]] tables (job/job_parser.hpp): each document's keys, its pages,
// metadata, declared substitutes and table of contents.
#include <map>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "core/error.hpp"
#include "job/job.hpp"
#include "job/job_parser.hpp"

namespace fw::job_detail {

void JobParser::read_documents(const toml::node& node, Job& job) {
  const auto* documents = node.as_array();
  if (!documents) {
    fail_expected(node, "documents", "an array of tables ([[documents]])", describe(node));
  }
  if (documents->empty()) {
    fail_expected(node, "documents", "at least one [[documents]] table", "an empty array");
  }
  std::map<std::string, std::string> keys_by_id;
  for (std::size_t index = 0; index < documents->size(); ++index) {
    const toml::node& element = *documents->get(index);
    Document document;
    document.key = fmt::format("documents[{}]", index + 1);
    read_document(read_table(element, document.key), document);
    const auto [existing, inserted] = keys_by_id.emplace(document.id, document.key);
    if (!inserted) {
      const toml::node& id_node = *element.as_table()->get("id");
      fail_expected(id_node, document.key + ".id", "a unique document id",
                    quote(document.id) + " again (first used by " + existing->second + ")");
    }
    job.documents.push_back(std::move(document));
  }
}

void JobParser::read_document(const toml::table& table, Document& document) {
  const std::string& prefix = document.key;
  std::optional<std::uint32_t> force_dpi_line;
  std::vector<Rule> rules = {
      {"id", [&](const toml::node& node,
                 const std::string& key) { document.id = read_document_id(node, key); }},
      {"title", [&](const toml::node& node,
                    const std::string& key) { document.title = read_title(node, key); }},
      {"pages", [&](const toml::node& node,
                    const std::string& key) { document.pages = read_pages(node, key); }},
      {"metadata", [&](const toml::node& node,
                       const std::string& key) { document.metadata = read_metadata(node, key); }},
      {"substitute_target",
       [&](const toml::node& node, const std::string& key) {
         document.substitute_target =
             read_name(node, key, "a substitution target template in profiles/targets/");
       }},
      {"substitute",
       [&](const toml::node& node, const std::string& key) {
         document.substitutes = read_substitutes(node, key);
       }},
      {"data_frames", [&](const toml::node& node,
                          const std::string& key) { document.data_frames = read_bool(node, key); }},
      {"toc", [&](const toml::node& node,
                  const std::string& key) { document.toc = read_toc(node, key, document.key); }},
  };
  add_settings_rules(rules, document.overrides, force_dpi_line);
  walk(table, prefix, rules);
  check_toc(document.toc);
  require(table, "id", "a non-empty string", table, prefix);
  require(table, "title", "a non-empty string", table, prefix);
  require(table, "pages", "a table such as { dir = \"scans\" }", table, prefix);
  document_force_dpi_lines_.push_back(force_dpi_line);
}

PageSource JobParser::read_pages(const toml::node& node, const std::string& prefix) const {
  static constexpr const char* kKinds = "dir, glob, files, tiff, pdf";
  const toml::table& table = read_table(node, prefix, "a table such as { dir = \"scans\" }");
  PageSource source;
  std::vector<std::string> kinds;
  const toml::node* range = nullptr;
  auto set_kind = [&](PageSource::Kind kind, const std::string& key) {
    source.kind = kind;
    kinds.push_back(key.substr(key.rfind('.') + 1));
  };
  // A source named by one path (a folder, a pattern, a file).
  const auto one_path = [&](PageSource::Kind kind, const char* what) {
    return [&, kind, what](const toml::node& value, const std::string& key) {
      set_kind(kind, key);
      source.paths = {read_path(value, key, what).string()};
    };
  };
  walk(table, prefix,
       {
           {"dir", one_path(PageSource::Kind::directory, "a folder path")},
           {"glob", one_path(PageSource::Kind::glob, "a file pattern")},
           {"files",
            [&](const toml::node& value, const std::string& key) {
              set_kind(PageSource::Kind::list, key);
              source.paths = read_file_list(value, key);
            }},
           {"tiff", one_path(PageSource::Kind::tiff, "a file path")},
           {"pdf", one_path(PageSource::Kind::pdf, "a file path")},
           {"range", [&](const toml::node& value, const std::string&) { range = &value; }},
       });
  if (kinds.empty()) fail_expected(table, prefix, std::string("one of ") + kKinds, "none");
  if (kinds.size() > 1) {
    std::string found;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      found += (i == 0 ? "" : i + 1 == kinds.size() ? " and " : ", ") + kinds[i];
    }
    fail_expected(table, prefix, std::string("exactly one of ") + kKinds, found);
  }
  if (range) {
    const std::string key = prefix + ".range";
    if (source.kind != PageSource::Kind::tiff && source.kind != PageSource::Kind::pdf) {
      fail_expected(*range, key, "a range only with tiff or pdf", "it with " + kinds.front());
    }
    const std::string expected = "a page range \"N\", \"N-M\" or \"N-\" (first page is 1)";
    std::optional<std::pair<std::uint32_t, std::uint32_t>> pages;
    if (const auto* text = range->as_string()) {
      pages = parse_page_range(text->get());
      if (!pages) fail_expected(*range, key, expected, quote(text->get()));
    } else if (const auto* integer = range->as_integer()) {
      if (integer->get() >= 1 && integer->get() <= UINT32_MAX) {
        const auto page = static_cast<std::uint32_t>(integer->get());
        pages = std::pair{page, page};
      } else {
        fail_expected(*range, key, expected, fmt::format("{}", integer->get()));
      }
    } else {
      fail_expected(*range, key, expected, describe(*range));
    }
    source.first_page = pages->first;
    source.last_page = pages->second;
  }
  return source;
}

std::vector<std::string> JobParser::read_file_list(const toml::node& node,
                                                   const std::string& key) const {
  const auto* array = node.as_array();
  if (!array) fail_expected(node, key, "an array of file paths", describe(node));
  if (array->empty()) fail_expected(node, key, "an array of file paths", "an empty array");
  std::vector<std::string> paths;
  paths.reserve(array->size());
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::node& element = *array->get(index);
    const std::string element_key = fmt::format("{}[{}]", key, index + 1);
    paths.push_back(read_path(element, element_key, "a file path").string());
  }
  return paths;
}

std::vector<DeclaredSubstitute> JobParser::read_substitutes(const toml::node& node,
                                                            const std::string& prefix) const {
  const auto* array = node.as_array();
  const std::string expected = "an array of tables ([[" + prefix + "]])";
  if (!array) fail_expected(node, prefix, expected, describe(node));
  std::vector<DeclaredSubstitute> substitutes;
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::node& element = *array->get(index);
    DeclaredSubstitute substitute;
    substitute.key = fmt::format("{}[{}]", prefix, index + 1);
    const toml::table& table = read_table(element, substitute.key);
    walk(table, substitute.key,
         {
             {"page",
              [&](const toml::node& value, const std::string& key) {
                substitute.page = static_cast<std::uint32_t>(
                    read_integer(value, key, {1, static_cast<double>(UINT32_MAX)}));
              }},
             {"target",
              [&](const toml::node& value, const std::string& key) {
                substitute.target =
                    read_name(value, key, "a substitution target template in profiles/targets/");
              }},
             {"note",
              [&](const toml::node& value, const std::string& key) {
                substitute.note = read_string(value, key, "a string");
              }},
             {"insert", [&](const toml::node& value,
                            const std::string& key) { substitute.insert = read_bool(value, key); }},
         });
    require(table, "page", "a page number (1-based)", table, substitute.key);
    require(table, "target", "a template name such as \"page-missing\"", table, substitute.key);
    substitutes.push_back(std::move(substitute));
  }
  return substitutes;
}

std::vector<TocEntry> JobParser::read_toc(const toml::node& node, const std::string& prefix,
                                          const std::string& document_key) const {
  if (node.is_string()) {
    const std::string written = read_text(node, prefix, "a CSV/TSV file path");
    const fs::path path = resolve(base_dir_, written);
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
      fail_expected(node, prefix, "a CSV/TSV file", quote(written) + " (no such file)");
    }
    return read_toc_file(path, written, document_key);
  }
  const auto* array = node.as_array();
  const std::string expected = "a CSV/TSV file path or an array of tables ([[" + prefix + "]])";
  if (!array) fail_expected(node, prefix, expected, describe(node));
  std::vector<TocEntry> toc;
  for (std::size_t index = 0; index < array->size(); ++index) {
    const toml::node& element = *array->get(index);
    TocEntry entry;
    entry.key = fmt::format("{}[{}]", prefix, index + 1);
    const toml::table& table = read_table(element, entry.key);
    entry.origin = fmt::format("{}:{}", name_, table.source().begin.line);
    walk(table, entry.key,
         {
             {"title", [&](const toml::node& value,
                           const std::string& key) { entry.title = read_title(value, key); }},
             {"page",
              [&](const toml::node& value, const std::string& key) {
                entry.page = static_cast<std::uint32_t>(
                    read_integer(value, key, {1, static_cast<double>(UINT32_MAX)}));
              }},
             {"level",
              [&](const toml::node& value, const std::string& key) {
                entry.level = static_cast<int>(read_integer(value, key, {1, 3}));
              }},
             {"metadata",
              [&](const toml::node& value, const std::string& key) {
                entry.metadata = read_metadata(value, key);
              }},
         });
    require(table, "title", "a non-empty string", table, entry.key);
    require(table, "page", "a page number (1-based within the document)", table, entry.key);
    toc.push_back(std::move(entry));
  }
  return toc;
}

std::vector<std::pair<std::string, std::string>> JobParser::read_metadata(
    const toml::node& node, const std::string& key) const {
  std::vector<std::pair<std::string, std::string>> metadata;
  for (const auto& [name, value] : in_file_order(read_table(node, key))) {
    const auto text = scalar_text(*value, false);
    if (!text) {
      fail_expected(*value, join_key(key, name->str()), "a string or number", describe(*value));
    }
    if (has_control_character(*text)) {
      fail_expected(*value, join_key(key, name->str()), "a value without control characters",
                    quote(*text));
    }
    metadata.emplace_back(std::string(name->str()), *text);
  }
  return metadata;
}

}  // namespace fw::job_detail
