// The job file's reader (job/job_parser.hpp): the job's own keys and tables, the typed reads
// every key goes through, and the walk that finds each key's rule in file order.
#include "job/job_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "core/error.hpp"
#include "film/format_toml.hpp"
#include "job/job.hpp"

namespace fw::job_detail {
namespace {

bool source_before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

}  // namespace

std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return quote(node.as_string()->get());  // the quotes say it is a string
    case toml::node_type::integer:
      return fmt::format("an integer {}", node.as_integer()->get());
    case toml::node_type::floating_point:
      return "a number " + format_number(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "a boolean true" : "a boolean false";
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

std::optional<double> number_of(const toml::node& node) {
  if (const auto* integer = node.as_integer()) return static_cast<double>(integer->get());
  if (const auto* floating = node.as_floating_point()) return floating->get();
  return std::nullopt;
}

std::optional<std::string> scalar_text(const toml::node& node, bool accept_boolean) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return std::to_string(integer->get());
  if (const auto* floating = node.as_floating_point()) return format_number(floating->get());
  if (const auto* boolean = node.as_boolean(); boolean && accept_boolean) {
    return boolean->get() ? "true" : "false";
  }
  return std::nullopt;
}

std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(
    const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return source_before(a.first->source().begin, b.first->source().begin);
  });
  return entries;
}

std::string join_key(const std::string& prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_page_range(std::string_view text) {
  auto read_page = [](std::string_view digits) -> std::optional<std::uint32_t> {
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        value == 0) {
      return std::nullopt;
    }
    return value;
  };
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    const auto page = read_page(text);
    if (!page) return std::nullopt;
    return std::pair{*page, *page};
  }
  const auto first = read_page(text.substr(0, dash));
  if (!first) return std::nullopt;
  const auto rest = text.substr(dash + 1);
  if (rest.empty()) return std::pair{*first, std::uint32_t{0}};
  const auto last = read_page(rest);
  if (!last || *last < *first) return std::nullopt;
  return std::pair{*first, *last};
}

fs::path resolve(const fs::path& base_dir, const std::string& text) {
  return (base_dir / fs::path(text)).lexically_normal();
}

Job JobParser::parse(const toml::table& root) {
  Job job;
  job.base_dir = base_dir_;
  check_version(root);

  PageSettingsOverride defaults;
  std::optional<std::uint32_t> force_dpi_line;
  const toml::node* documents = nullptr;
  std::vector<Rule> rules = {
      {"version", [](const toml::node&, const std::string&) {}},  // checked first
      {"id",
       [&](const toml::node& node, const std::string& key) {
         job.id = read_name(node, key, "a job id");
         // The id names the job's output folder, its lock and reel folders: short enough
         // for any file system with room for what is added to it.
         if (job.id.size() > kMaxIdCharacters) {
           fail_expected(node, key,
                         fmt::format("a job id of at most {} characters", kMaxIdCharacters),
                         quote_start(job.id));
         }
       }},
      {"title",
       [&](const toml::node& node, const std::string& key) { job.title = read_title(node, key); }},
      {"institution",
       [&](const toml::node& node, const std::string& key) {
         job.institution = read_string(node, key, "a string");
       }},
      {"site",
       [&](const toml::node& node, const std::string& key) {
         const auto text = node.value<std::string>();
         if (!text || !is_site(*text)) {
           fail_expected(node, key, site_rule(), text ? quote_start(*text) : describe(node));
         }
         job.site = *text;
       }},
      {"output",
       [&](const toml::node& node, const std::string& key) {
         job.output = read_path(node, key, "a folder path");
       }},
      {"catalog",
       [&](const toml::node& node, const std::string& key) {
         // A postgresql:// URL (a catalog several hosts share) is kept as written; a
         // path is relative to the job file.
         const auto text = node.value<std::string>();
         const bool url =
             text && (text->rfind("postgresql://", 0) == 0 || text->rfind("postgres://", 0) == 0);
         job.catalog = url ? fs::path(*text) : read_path(node, key, "a catalog file path or URL");
       }},
      {"format",
       [&](const toml::node& node, const std::string& key) {
         // A name in profiles/formats/, or the format itself as a [format] table.
         if (const toml::table* table = node.as_table()) {
           job.format = "inline";
           job.inline_format = format_from_table(*table, job.format, name_, key + ".");
           return;
         }
         job.format = read_name(node, key, "a film format name or a [format] table");
         job.format_origin = fmt::format("{}:{}: {}", name_, node.source().begin.line, key);
       }},
      {"targets",
       [&](const toml::node& node, const std::string& key) {
         job.targets = read_name(node, key, "a target set in profiles/targets/ or \"none\"");
       }},
      {"polarity",
       [&](const toml::node& node, const std::string& key) {
         job.polarity = read_word(node, key, polarity_from, kPolarityWords);
       }},
      {"substitute_target",
       [&](const toml::node& node, const std::string& key) {
         job.substitute_target =
             read_name(node, key, "a substitution target template in profiles/targets/");
       }},
      {"fonts",
       [&](const toml::node& node, const std::string& key) {
         job.fonts = read_text(node, key, "a font set name in fonts/ or a font-set file path");
       }},
      {"filming_date", [&](const toml::node& node,
                           const std::string& key) { job.filming_date = read_date(node, key); }},
      {"threads",
       [&](const toml::node& node, const std::string& key) {
         job.threads = static_cast<unsigned>(read_integer(node, key, kThreads));
       }},
      {"limits", [&](const toml::node& node,
                     const std::string& key) { job.limits = read_limits(node, key); }},
      {"recorder",
       [&](const toml::node& node, const std::string& key) { read_recorder(node, key, job); }},
      {"calibration",
       [&](const toml::node& node, const std::string& key) { read_calibration(node, key, job); }},
      {"data_frames", [&](const toml::node& node,
                          const std::string& key) { job.data.masters = read_bool(node, key); }},
      {"data", [&](const toml::node& node, const std::string& key) { read_data(node, key, job); }},
      {"documents", [&](const toml::node& node, const std::string&) { documents = &node; }},
  };
  add_settings_rules(rules, defaults, force_dpi_line);
  walk(root, "", rules);

  require(root, "id", std::string("a job id of ") + kNameRule, root);
  require(root, "title", "a non-empty string", root);
  if (job.output.empty()) job.output = resolve(base_dir_, "out");
  job.defaults = with_overrides(PageSettings{}, defaults);

  if (!documents) fail(root, "documents", "expected at least one [[documents]] table, got none");
  read_documents(*documents, job);

  for (std::size_t index = 0; index < job.documents.size(); ++index) {
    const Document& document = job.documents[index];
    const PageSettings settings = settings_for(job, document);
    if (settings.force_dpi && !settings.dpi) {
      const bool own = document.overrides.force_dpi.has_value();
      const std::uint32_t line = own ? *document_force_dpi_lines_[index] : *force_dpi_line;
      fail(line, own ? document.key + ".force_dpi" : "force_dpi",
           "expected dpi to be set when force_dpi = true, got no dpi");
    }
  }
  return job;
}

void JobParser::fail(std::uint32_t line, const std::string& key, const std::string& message) const {
  throw Error(ErrorKind::job, fmt::format("{}:{}: {}: {}", name_, line, key, message));
}

void JobParser::fail(const toml::node& node, const std::string& key,
                     const std::string& message) const {
  fail(node.source().begin.line, key, message);
}

void JobParser::fail_expected(const toml::node& node, const std::string& key,
                              const std::string& expected, const std::string& found) const {
  fail(node, key, "expected " + expected + ", got " + found);
}

void JobParser::check_version(const toml::table& root) const {
  const toml::node* version = root.get("version");
  if (!version) fail(root, "version", "expected 1 (required), got nothing");
  const auto* integer = version->as_integer();
  if (!integer) fail_expected(*version, "version", "1", describe(*version));
  if (integer->get() != 1) {
    fail_expected(*version, "version", "1", fmt::format("{}", integer->get()));
  }
}

void JobParser::walk(const toml::table& table, const std::string& prefix,
                     const std::vector<Rule>& rules) const {
  for (const auto& [key, node] : in_file_order(table)) {
    const std::string_view name = key->str();
    const auto rule = std::find_if(rules.begin(), rules.end(),
                                   [&](const Rule& candidate) { return candidate.name == name; });
    if (rule == rules.end()) {
      fail(key->source().begin.line, join_key(prefix, name), unknown_key_message(name, rules));
    }
    rule->handle(*node, join_key(prefix, name));
  }
}

std::string JobParser::unknown_key_message(std::string_view name, const std::vector<Rule>& rules) {
  std::vector<std::string_view> names;
  names.reserve(rules.size());
  for (const Rule& rule : rules) names.push_back(rule.name);
  return fw::unknown_key_message(name, names);
}

void JobParser::require(const toml::table& table, std::string_view name,
                        const std::string& expected, const toml::node& place,
                        const std::string& prefix) const {
  if (!table.contains(name)) {
    fail(place, join_key(prefix, name), "expected " + expected + " (required), got nothing");
  }
}

std::string JobParser::read_string(const toml::node& node, const std::string& key,
                                   const std::string& expected) const {
  const auto* text = node.as_string();
  if (!text) fail_expected(node, key, expected, describe(node));
  return text->get();
}

fs::path JobParser::read_path(const toml::node& node, const std::string& key,
                              const char* what) const {
  return resolve(base_dir_, read_text(node, key, what));
}

std::string JobParser::read_text(const toml::node& node, const std::string& key,
                                 const std::string& expected) const {
  std::string text = read_string(node, key, expected);
  if (text.empty()) fail_expected(node, key, expected, "an empty string");
  return text;
}

std::string JobParser::read_title(const toml::node& node, const std::string& key) const {
  std::string text = read_text(node, key);
  if (is_blank(text)) fail_expected(node, key, "a title with a visible character", quote(text));
  if (has_control_character(text)) {
    fail_expected(node, key, "a title without control characters", quote(text));
  }
  return text;
}

std::string JobParser::read_document_id(const toml::node& node, const std::string& key) const {
  std::string text = read_string(node, key, kDocumentIdRule);
  if (!is_document_id(text)) fail_expected(node, key, kDocumentIdRule, quote_start(text));
  return text;
}

std::string JobParser::read_name(const toml::node& node, const std::string& key,
                                 const std::string& what) const {
  const std::string expected = what + " of " + kNameRule;
  std::string text = read_string(node, key, expected);
  if (!is_safe_name(text)) fail_expected(node, key, expected, quote(text));
  return text;
}

double JobParser::read_number(const toml::node& node, const std::string& key,
                              NumberRange range) const {
  const auto value = number_of(node);
  if (!value) fail_expected(node, key, expected_number(range), describe(node));
  if (!in_range(*value, range)) {
    fail_expected(node, key, expected_number(range), format_number(*value));
  }
  return *value;
}

std::int64_t JobParser::read_integer(const toml::node& node, const std::string& key,
                                     NumberRange range) const {
  const auto* integer = node.as_integer();
  if (!integer) fail_expected(node, key, expected_integer(range), describe(node));
  if (!in_range(static_cast<double>(integer->get()), range)) {
    fail_expected(node, key, expected_integer(range), fmt::format("{}", integer->get()));
  }
  return integer->get();
}

bool JobParser::read_bool(const toml::node& node, const std::string& key) const {
  const auto* boolean = node.as_boolean();
  if (!boolean) fail_expected(node, key, "true or false", describe(node));
  return boolean->get();
}

const toml::table& JobParser::read_table(const toml::node& node, const std::string& key,
                                         const std::string& expected) const {
  const auto* table = node.as_table();
  if (!table) fail_expected(node, key, expected, describe(node));
  return *table;
}

void JobParser::add_settings_rules(std::vector<Rule>& rules, PageSettingsOverride& settings,
                                   std::optional<std::uint32_t>& force_dpi_line) const {
  rules.push_back({"reduction", [&](const toml::node& node, const std::string& key) {
                     settings.reduction = read_number(node, key, kReduction);
                   }});
  rules.push_back({"mode", [&](const toml::node& node, const std::string& key) {
                     settings.mode = read_word(node, key, image_mode_from, kImageModeWords);
                   }});
  rules.push_back({"dpi", [&](const toml::node& node, const std::string& key) {
                     settings.dpi = read_number(node, key, kDpi);
                   }});
  rules.push_back({"force_dpi", [&](const toml::node& node, const std::string& key) {
                     settings.force_dpi = read_bool(node, key);
                     force_dpi_line = node.source().begin.line;
                   }});
  rules.push_back({"rotate", [&](const toml::node& node, const std::string& key) {
                     const std::string expected = "one of 0, 90, 180, 270";
                     const auto* integer = node.as_integer();
                     if (!integer) fail_expected(node, key, expected, describe(node));
                     const std::int64_t degrees = integer->get();
                     if (degrees != 0 && degrees != 90 && degrees != 180 && degrees != 270) {
                       fail_expected(node, key, expected, fmt::format("{}", degrees));
                     }
                     settings.rotate = static_cast<int>(degrees);
                   }});
  rules.push_back({"threshold", [&](const toml::node& node, const std::string& key) {
                     settings.threshold = static_cast<int>(read_integer(node, key, kThreshold));
                   }});
  rules.push_back({"on_error", [&](const toml::node& node, const std::string& key) {
                     settings.on_error =
                         read_word(node, key, failure_policy_from, kFailurePolicyWords);
                   }});
  rules.push_back({"colour_route", [&](const toml::node& node, const std::string& key) {
                     settings.colour_route =
                         read_word(node, key, colour_route_from, kColourRouteWords);
                   }});
}

Limits JobParser::read_limits(const toml::node& node, const std::string& prefix) const {
  Limits limits;
  walk(read_table(node, prefix), prefix,
       {
           {"max_page_pixels",
            [&](const toml::node& value, const std::string& key) {
              const auto* integer = value.as_integer();
              if (!integer || integer->get() < 1) {
                fail_expected(value, key, "a positive integer",
                              integer ? fmt::format("{}", integer->get()) : describe(value));
              }
              limits.max_page_pixels = static_cast<std::uint64_t>(integer->get());
            }},
           {"max_file_mb",
            [&](const toml::node& value, const std::string& key) {
              const auto megabytes =
                  read_integer(value, key, {1, static_cast<double>(kMaxFileMegabytes)});
              limits.max_file_bytes = static_cast<std::uint64_t>(megabytes) << 20;
            }},
       });
  return limits;
}

void JobParser::read_recorder(const toml::node& node, const std::string& prefix, Job& job) const {
  walk(read_table(node, prefix), prefix,
       {
           {"driver",
            [&](const toml::node& value, const std::string& key) {
              job.driver = read_name(value, key, "a driver name");
            }},
           {"options",
            [&](const toml::node& value, const std::string& key) {
              for (const auto& [option, option_node] : in_file_order(read_table(value, key))) {
                const auto text = scalar_text(*option_node, true);
                if (!text) {
                  fail_expected(*option_node, join_key(key, option->str()),
                                "a string, number or boolean", describe(*option_node));
                }
                job.driver_options[std::string(option->str())] = *text;
              }
            }},
       });
}

std::string JobParser::read_calibration_profile(const toml::node& value,
                                                const std::string& key) const {
  const std::string text =
      read_text(value, key, "a calibration profile name, a .toml file or none");
  // A file is relative to the job; a name is looked up in profiles/calibration/.
  return text.ends_with(".toml") ? resolve(base_dir_, text).string() : text;
}

void JobParser::read_calibration(const toml::node& node, const std::string& prefix,
                                 Job& job) const {
  job.calibration.line = static_cast<std::uint32_t>(node.source().begin.line);
  if (node.is_string()) {
    job.calibration.profile = read_calibration_profile(node, prefix);
    return;
  }
  const toml::table& table = read_table(node, prefix);
  walk(table, prefix,
       {
           {"profile",
            [&](const toml::node& value, const std::string& key) {
              job.calibration.profile = read_calibration_profile(value, key);
            }},
           {"document_class",
            [&](const toml::node& value, const std::string& key) {
              job.calibration.document_class = read_name(value, key, "a document class");
            }},
           {"tone",
            [&](const toml::node& value, const std::string& key) {
              job.calibration.tone = read_number(value, key, NumberRange{0.2, 5});
            }},
       });
  require(table, "profile", "a calibration profile name, a .toml file or none", table, prefix);
}

void JobParser::read_data(const toml::node& node, const std::string& prefix, Job& job) const {
  const toml::table& table = read_table(node, prefix);
  DataFramesChoice& data = job.data;
  data.masters = true;  // a [data] table asks for data frames unless it says files = "none"
  walk(table, prefix,
       {
           {"files",
            [&](const toml::node& value, const std::string& key) {
              data.masters = read_word(value, key, data_files_from, "masters, none");
            }},
           {"place",
            [&](const toml::node& value, const std::string& key) {
              data.place = read_word(value, key, data_place_from, "document, reel-end");
            }},
           {"bits_per_module",
            [&](const toml::node& value, const std::string& key) {
              data.bits_per_module = static_cast<int>(read_integer(value, key, {1, 2}));
            }},
           {"module_px",
            [&](const toml::node& value, const std::string& key) {
              data.module_px = static_cast<std::uint32_t>(read_integer(value, key, {1, 16}));
            }},
           {"group_data",
            [&](const toml::node& value, const std::string& key) {
              data.group_data = static_cast<std::uint32_t>(read_integer(value, key, {1, 200}));
            }},
           {"group_parity",
            [&](const toml::node& value, const std::string& key) {
              data.group_parity = static_cast<std::uint32_t>(read_integer(value, key, {0, 55}));
            }},
       });
}

std::string JobParser::read_date(const toml::node& node, const std::string& key) const {
  const std::string expected = "a date YYYY-MM-DD";
  if (const auto* date = node.as_date()) {
    const toml::date& d = date->get();
    return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
  }
  std::string text = read_string(node, key, expected);
  unsigned year = 0, month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 ||
      std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &year, &month, &day, &tail) != 3 || month < 1 ||
      month > 12 || day < 1 || day > 31) {
    fail_expected(node, key, expected, quote(text));
  }
  return text;
}

}  // namespace fw::job_detail
