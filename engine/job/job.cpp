#include "job/job.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <map>
#include <string_view>
#include <tuple>

#include "base/files.hpp"
#include "base/strings.hpp"
#include "core/error.hpp"
#include "film/format_toml.hpp"
#include "ingest/ingest.hpp"
#include "job/bare_keys.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;

// Value rules shared by the job file and the command-line flags, so both say the same.
struct NumberRange {
  double low;
  double high;
};
constexpr NumberRange kReduction{7, 50};
constexpr NumberRange kDpi{50, 4800};
constexpr NumberRange kThreads{0, 256};
constexpr NumberRange kThreshold{0, 255};
constexpr std::int64_t kMaxFileMegabytes = 16 * 1024 * 1024;  // 16 TiB; keeps bytes in range

constexpr const char* kNameRule = "letters, digits, '.', '_' or '-'";
constexpr const char* kImageModeWords = "bitonal, grey (or gray), colour (or color)";
constexpr const char* kPolarityWords = "negative, positive";
constexpr const char* kFailurePolicyWords = "fail, skip-document, substitute";
constexpr const char* kColourRouteWords = "film, separations";

std::string format_number(double value) {
  return fmt::format("{}", value);
}

std::string expected_number(NumberRange range) {
  return fmt::format("a number {}–{}", range.low, range.high);
}

std::string expected_integer(NumberRange range) {
  return fmt::format("an integer {}–{}", range.low, range.high);
}

bool in_range(double value, NumberRange range) {
  return value >= range.low && value <= range.high;  // false for NaN
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// A name that can become a folder or file name without surprises.
bool is_safe_name(std::string_view text) {
  if (text.empty() || text == "." || text == "..") return false;
  return std::all_of(text.begin(), text.end(), is_name_char);
}

// A document id names the document on film (frame addresses), in the catalog and as a folder
// (restore writes <out>/<job>/<document>/): one path component of at most kMaxIdCharacters
// characters (any script), without separators or control characters, not starting with '.'
// or a space.
constexpr std::size_t kMaxIdCharacters = 64;
constexpr const char* kDocumentIdRule =
    "a document id of 1 to 64 characters without '/', '\\', control characters or a leading "
    "'.' or space";

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool is_document_id(std::string_view id) {
  if (id.empty() || code_points(id) > kMaxIdCharacters || id.front() == '.' || id.front() == ' ' ||
      id.back() == ' ') {
    return false;
  }
  return std::none_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '/' || c == '\\' || u < 0x20 || u == 0x7f;
  });
}

// What a message shows of a long text: its start.
std::string quote_start(std::string_view text) {
  if (code_points(text) <= 40) return quote(text);
  std::size_t end = 0;
  for (std::size_t n = 0; end < text.size() && n < 40; ++n) {
    ++end;
    while (end < text.size() && (text[end] & 0xC0) == 0x80) ++end;
  }
  return quote(text.substr(0, end)) + fmt::format(" ... ({} characters)", code_points(text));
}

// Text drawn on film (titles, metadata) holds no control character but a line break or a tab:
// nothing draws U+0000 or an escape, and a frame cannot be corrected after exposure.
bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f;
  });
}

// A title is drawn on film: it must show something, not only spaces.
bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

std::optional<ImageMode> image_mode_from(std::string_view word) {
  if (word == "bitonal") return ImageMode::bitonal;
  if (word == "grey" || word == "gray") return ImageMode::grey;
  if (word == "colour" || word == "color") return ImageMode::colour;
  return std::nullopt;
}

std::optional<Polarity> polarity_from(std::string_view word) {
  if (word == "negative") return Polarity::negative;
  if (word == "positive") return Polarity::positive;
  return std::nullopt;
}

std::optional<ColourRoute> colour_route_from(std::string_view word) {
  if (word == "film") return ColourRoute::film;
  if (word == "separations") return ColourRoute::separations;
  return std::nullopt;
}

std::optional<bool> data_files_from(std::string_view word) {
  if (word == "masters") return true;
  if (word == "none") return false;
  return std::nullopt;
}

std::optional<DataPlacement> data_place_from(std::string_view word) {
  if (word == "document") return DataPlacement::document;
  if (word == "reel-end") return DataPlacement::reel_end;
  return std::nullopt;
}

std::optional<FailurePolicy> failure_policy_from(std::string_view word) {
  if (word == "fail") return FailurePolicy::fail;
  if (word == "skip-document") return FailurePolicy::skip_document;
  if (word == "substitute") return FailurePolicy::substitute;
  return std::nullopt;
}

// What a node holds, for "got ..." when the type is wrong.
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

// Free key = value text: strings as they are, numbers printed naturally (2.5, 4).
std::optional<std::string> scalar_text(const toml::node& node, bool accept_boolean) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return std::to_string(integer->get());
  if (const auto* floating = node.as_floating_point()) return format_number(floating->get());
  if (const auto* boolean = node.as_boolean(); boolean && accept_boolean) {
    return boolean->get() ? "true" : "false";
  }
  return std::nullopt;
}

bool source_before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

// Entries of a table in the order they appear in the file (toml++ keeps them sorted by key).
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

// "N", "N-M" or "N-"; 1-based, inclusive.
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

// Reads one job file. Walks every table in file order so that the first problem in the file
// is the one reported, and every key is either known or an error.
class JobParser {
 public:
  JobParser(std::string name, fs::path base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {}

  Job parse(const toml::table& root) {
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
        {"title", [&](const toml::node& node,
                      const std::string& key) { job.title = read_title(node, key); }},
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
        {"data",
         [&](const toml::node& node, const std::string& key) { read_data(node, key, job); }},
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

 private:
  using Handler = std::function<void(const toml::node&, const std::string&)>;
  struct Rule {
    std::string_view name;
    Handler handle;
  };

  [[noreturn]] void fail(std::uint32_t line, const std::string& key,
                         const std::string& message) const {
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}: {}", name_, line, key, message));
  }
  [[noreturn]] void fail(const toml::node& node, const std::string& key,
                         const std::string& message) const {
    fail(node.source().begin.line, key, message);
  }
  [[noreturn]] void fail_expected(const toml::node& node, const std::string& key,
                                  const std::string& expected, const std::string& found) const {
    fail(node, key, "expected " + expected + ", got " + found);
  }

  void check_version(const toml::table& root) const {
    const toml::node* version = root.get("version");
    if (!version) fail(root, "version", "expected 1 (required), got nothing");
    const auto* integer = version->as_integer();
    if (!integer) fail_expected(*version, "version", "1", describe(*version));
    if (integer->get() != 1) {
      fail_expected(*version, "version", "1", fmt::format("{}", integer->get()));
    }
  }

  // Calls each key's rule in file order; an unknown key is an error with a suggestion.
  void walk(const toml::table& table, const std::string& prefix,
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

  static std::string unknown_key_message(std::string_view name, const std::vector<Rule>& rules) {
    std::vector<std::string_view> names;
    for (const Rule& rule : rules) names.push_back(rule.name);
    return fw::unknown_key_message(name, names);
  }

  void require(const toml::table& table, std::string_view name, const std::string& expected,
               const toml::node& place, const std::string& prefix = "") const {
    if (!table.contains(name)) {
      fail(place, join_key(prefix, name), "expected " + expected + " (required), got nothing");
    }
  }

  std::string read_string(const toml::node& node, const std::string& key,
                          const std::string& expected) const {
    const auto* text = node.as_string();
    if (!text) fail_expected(node, key, expected, describe(node));
    return text->get();
  }

  // A path in the job, resolved against the job file's folder.
  fs::path read_path(const toml::node& node, const std::string& key, const char* what) const {
    return resolve(base_dir_, read_text(node, key, what));
  }

  std::string read_text(const toml::node& node, const std::string& key,
                        const std::string& expected = "a non-empty string") const {
    std::string text = read_string(node, key, expected);
    if (text.empty()) fail_expected(node, key, expected, "an empty string");
    return text;
  }

  std::string read_title(const toml::node& node, const std::string& key) const {
    std::string text = read_text(node, key);
    if (is_blank(text)) fail_expected(node, key, "a title with a visible character", quote(text));
    if (has_control_character(text)) {
      fail_expected(node, key, "a title without control characters", quote(text));
    }
    return text;
  }

  std::string read_document_id(const toml::node& node, const std::string& key) const {
    std::string text = read_string(node, key, kDocumentIdRule);
    if (!is_document_id(text)) fail_expected(node, key, kDocumentIdRule, quote_start(text));
    return text;
  }

  std::string read_name(const toml::node& node, const std::string& key,
                        const std::string& what = "a name") const {
    const std::string expected = what + " of " + kNameRule;
    std::string text = read_string(node, key, expected);
    if (!is_safe_name(text)) fail_expected(node, key, expected, quote(text));
    return text;
  }

  double read_number(const toml::node& node, const std::string& key, NumberRange range) const {
    const auto value = number_of(node);
    if (!value) fail_expected(node, key, expected_number(range), describe(node));
    if (!in_range(*value, range)) {
      fail_expected(node, key, expected_number(range), format_number(*value));
    }
    return *value;
  }

  std::int64_t read_integer(const toml::node& node, const std::string& key,
                            NumberRange range) const {
    const auto* integer = node.as_integer();
    if (!integer) fail_expected(node, key, expected_integer(range), describe(node));
    if (!in_range(static_cast<double>(integer->get()), range)) {
      fail_expected(node, key, expected_integer(range), fmt::format("{}", integer->get()));
    }
    return integer->get();
  }

  bool read_bool(const toml::node& node, const std::string& key) const {
    const auto* boolean = node.as_boolean();
    if (!boolean) fail_expected(node, key, "true or false", describe(node));
    return boolean->get();
  }

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
                                const std::string& expected = "a table") const {
    const auto* table = node.as_table();
    if (!table) fail_expected(node, key, expected, describe(node));
    return *table;
  }

  // The keys a document inherits from the job and may override.
  void add_settings_rules(std::vector<Rule>& rules, PageSettingsOverride& settings,
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

  Limits read_limits(const toml::node& node, const std::string& prefix) const {
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

  void read_recorder(const toml::node& node, const std::string& prefix, Job& job) const {
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

  // `calibration = "none"` (raw code values) or `calibration = "NAME"` is short for a
  // [calibration] table with only a profile.
  std::string read_calibration_profile(const toml::node& value, const std::string& key) const {
    const std::string text =
        read_text(value, key, "a calibration profile name, a .toml file or none");
    // A file is relative to the job; a name is looked up in profiles/calibration/.
    return text.ends_with(".toml") ? resolve(base_dir_, text).string() : text;
  }

  void read_calibration(const toml::node& node, const std::string& prefix, Job& job) const {
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

  // [data]: files = "masters" | "none", place = "document" | "reel-end", bits_per_module,
  // module_px, group_data, group_parity (docs/data-frames.md).
  void read_data(const toml::node& node, const std::string& prefix, Job& job) const {
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

  void read_documents(const toml::node& node, Job& job) {
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

  void read_document(const toml::table& table, Document& document) {
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
        {"data_frames",
         [&](const toml::node& node, const std::string& key) {
           document.data_frames = read_bool(node, key);
         }},
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

  PageSource read_pages(const toml::node& node, const std::string& prefix) const {
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

  std::vector<std::string> read_file_list(const toml::node& node, const std::string& key) const {
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

  // A TOML date (2026-11-25) or the same as a string.
  std::string read_date(const toml::node& node, const std::string& key) const {
    const std::string expected = "a date YYYY-MM-DD";
    if (const auto* date = node.as_date()) {
      const toml::date& d = date->get();
      return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
    }
    const std::string text = read_string(node, key, expected);
    unsigned year = 0, month = 0, day = 0;
    char tail = 0;
    if (text.size() != 10 ||
        std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &year, &month, &day, &tail) != 3 || month < 1 ||
        month > 12 || day < 1 || day > 31) {
      fail_expected(node, key, expected, quote(text));
    }
    return text;
  }

  std::vector<DeclaredSubstitute> read_substitutes(const toml::node& node,
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
               {"insert",
                [&](const toml::node& value, const std::string& key) {
                  substitute.insert = read_bool(value, key);
                }},
           });
      require(table, "page", "a page number (1-based)", table, substitute.key);
      require(table, "target", "a template name such as \"page-missing\"", table, substitute.key);
      substitutes.push_back(std::move(substitute));
    }
    return substitutes;
  }

  // `toc = "toc/D001.csv"` (a CSV or TSV file beside the job) or `[[documents.toc]]` tables.
  std::vector<TocEntry> read_toc(const toml::node& node, const std::string& prefix,
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

  std::vector<std::pair<std::string, std::string>> read_metadata(const toml::node& node,
                                                                 const std::string& key) const {
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

  std::string name_;
  fs::path base_dir_;
  std::vector<std::optional<std::uint32_t>> document_force_dpi_lines_;
};

[[noreturn]] void fail_flag(const std::string& flag, const std::string& expected,
                            const std::string& found) {
  throw Error(ErrorKind::usage, flag + ": expected " + expected + ", got " + found);
}

// One-line mode names the job after the scans folder; other characters become '-', one per
// character (not per UTF-8 byte).
std::string sanitised_id(const std::string& name) {
  std::string id;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto byte = static_cast<unsigned char>(name[i]);
    if (is_name_char(name[i])) {
      id += name[i];
    } else if ((byte & 0xC0) != 0x80) {
      id += '-';  // a lead byte or ASCII; continuation bytes belong to the same character
    }
  }
  if (!is_safe_name(id)) id = "job";  // only "." or ".." can fail here
  return id;
}

}  // namespace

ImageMode parse_image_mode(const std::string& text) {
  if (const auto mode = image_mode_from(text)) return *mode;
  throw Error(ErrorKind::usage,
              std::string("expected one of ") + kImageModeWords + ", got " + quote(text));
}

Polarity parse_polarity(const std::string& text) {
  if (const auto polarity = polarity_from(text)) return *polarity;
  throw Error(ErrorKind::usage,
              std::string("expected one of ") + kPolarityWords + ", got " + quote(text));
}

FailurePolicy parse_failure_policy(const std::string& text) {
  if (const auto policy = failure_policy_from(text)) return *policy;
  throw Error(ErrorKind::usage,
              std::string("expected one of ") + kFailurePolicyWords + ", got " + quote(text));
}

Job parse_job(const std::string& toml_text, const std::string& name,
              const std::filesystem::path& base_dir) {
  toml::table root;
  try {
    const std::string text = job_detail::quote_unicode_bare_keys(toml_text);
    root = toml::parse(std::string_view(text), std::string_view(name));
  } catch (const toml::parse_error& error) {
    const auto line = static_cast<std::size_t>(error.source().begin.line);
    const std::string description =
        job_detail::describe_parse_error(toml_text, line, error.description());
    // A key defined twice is not a syntax error as an operator reads it; the rest are.
    const bool rewritten = description != error.description();
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}{}", name, line,
                                            rewritten ? "" : "syntax error: ", description));
  }
  return JobParser(name, fs::absolute(base_dir).lexically_normal()).parse(root);
}

Job load_job(const std::filesystem::path& file) {
  std::error_code error;
  if (fs::is_directory(file, error)) {
    throw Error(ErrorKind::job, file.string() + ": expected a job file, got a folder");
  }
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error& read_error) {
    throw Error(ErrorKind::job, read_error.what());
  }
  const fs::path absolute = fs::absolute(file).lexically_normal();
  Job job = parse_job(text, file.string(), absolute.parent_path());
  job.file = absolute;
  return job;
}

void apply_overrides(Job& job, const JobOverrides& overrides) {
  if (overrides.output) {
    if (overrides.output->empty()) fail_flag("--out", "a folder path", "an empty path");
    job.output = fs::absolute(*overrides.output).lexically_normal();
  }
  if (overrides.driver) {
    if (!is_safe_name(*overrides.driver)) {
      fail_flag("--driver", std::string("a driver name of ") + kNameRule, quote(*overrides.driver));
    }
    job.driver = *overrides.driver;
  }
  if (overrides.threads) {
    if (!in_range(*overrides.threads, kThreads)) {
      fail_flag("--threads", expected_integer(kThreads), std::to_string(*overrides.threads));
    }
    job.threads = *overrides.threads;
  }
  if (overrides.format) {
    if (!is_safe_name(*overrides.format)) {
      fail_flag("--format", std::string("a film format name of ") + kNameRule,
                quote(*overrides.format));
    }
    job.format = *overrides.format;
    job.format_origin = "--format";
    job.inline_format.reset();  // the flag names a profile, which replaces the job's own
  }
  if (overrides.reduction) {
    if (!in_range(*overrides.reduction, kReduction)) {
      fail_flag("--reduction", expected_number(kReduction), format_number(*overrides.reduction));
    }
    job.defaults.reduction = *overrides.reduction;
    job.reduction_flag = "--reduction";
  }
  if (overrides.mode) job.defaults.mode = *overrides.mode;
  if (overrides.polarity) job.polarity = *overrides.polarity;
  if (overrides.dpi) {
    if (!in_range(*overrides.dpi, kDpi)) {
      fail_flag("--dpi", expected_number(kDpi), format_number(*overrides.dpi));
    }
    job.defaults.dpi = *overrides.dpi;
  }
  if (overrides.id) {
    if (!is_safe_name(*overrides.id) || overrides.id->size() > kMaxIdCharacters) {
      fail_flag("--id", fmt::format("a job id of at most {} {}", kMaxIdCharacters, kNameRule),
                quote_start(*overrides.id));
    }
    job.id = *overrides.id;
  }
  if (overrides.site) {
    if (!is_site(*overrides.site)) fail_flag("--site", site_rule(), quote_start(*overrides.site));
    job.site = *overrides.site;
  }
  if (overrides.title) {
    if (is_blank(*overrides.title)) {
      fail_flag("--title", "a title with a visible character", quote(*overrides.title));
    }
    job.title = *overrides.title;
  }
  if (overrides.calibration) {
    if (overrides.calibration->empty()) {
      fail_flag("--calibration", "a calibration profile name, a .toml file or none",
                "an empty string");
    }
    // The flag replaces the whole choice: its class and tone are the profile's own.
    job.calibration = {};
    job.calibration.profile = overrides.calibration->ends_with(".toml")
                                  ? fs::absolute(*overrides.calibration).lexically_normal().string()
                                  : *overrides.calibration;
  }
  for (const auto& [key, value] : overrides.driver_options) {
    if (key.empty())
      fail_flag("--driver-option", "KEY=VALUE with a non-empty KEY", quote("=" + value));
    job.driver_options[key] = value;
  }
}

Job job_from_directory(const std::filesystem::path& scans, const JobOverrides& overrides) {
  std::error_code error;
  const auto status = fs::status(scans, error);
  if (!fs::exists(status)) throw Error(ErrorKind::input, scans.string() + ": no such folder");
  if (!fs::is_directory(status)) {
    throw Error(ErrorKind::input, scans.string() + ": expected a folder of scans, got a file");
  }
  fs::path folder = fs::absolute(scans).lexically_normal();
  if (!folder.has_filename() && folder.has_parent_path()) folder = folder.parent_path();
  const std::string folder_name = folder.filename().string();

  std::vector<std::string> subfolders;
  std::string loose_file;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (is_os_junk(name)) continue;  // .DS_Store, Thumbs.db ... are no pages
    if (entry.is_directory()) {
      subfolders.push_back(name);
    } else if (loose_file.empty() || natural_less(name, loose_file)) {
      loose_file = name;
    }
  }
  std::sort(subfolders.begin(), subfolders.end(), natural_less);
  // Pages beside document folders would belong to no document: refuse rather than leave
  // them off the film unnoticed.
  if (!subfolders.empty() && !loose_file.empty()) {
    throw Error(ErrorKind::input,
                (folder / loose_file).string() +
                    ": a file beside document folders belongs to no document; move it into "
                    "a document folder or write a job file");
  }

  Job job;
  job.base_dir = fs::current_path();
  job.sources_root = folder.parent_path();
  job.id = sanitised_id(folder_name);
  job.title = folder_name.empty() ? job.id : folder_name;
  job.output = (job.base_dir / "out").lexically_normal();
  auto add_document = [&](const std::string& name, const fs::path& pages) {
    if (!is_document_id(name)) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: the folder's name {} cannot be a document id ({}); rename the "
                              "folder or write a job file",
                              pages.string(), quote_start(name), kDocumentIdRule));
    }
    Document document;
    document.id = name;
    document.title = name;
    document.pages.kind = PageSource::Kind::directory;
    document.pages.paths = {pages.string()};
    document.key = fmt::format("documents[{}]", job.documents.size() + 1);
    job.documents.push_back(std::move(document));
  };
  if (subfolders.empty()) {
    add_document(job.title, folder);
  } else {
    for (const std::string& name : subfolders) add_document(name, folder / name);
  }
  apply_overrides(job, overrides);
  return job;
}

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

// One record of a CSV/TSV file: its fields and the line it starts on.
struct TocRecord {
  std::vector<std::string> fields;
  std::uint32_t line = 0;
};

// RFC 4180 records: fields in double quotes may hold the separator, quotes ("") and line
// breaks; CR LF ends a line like LF. Blank lines are skipped.
std::vector<TocRecord> split_records(std::string_view text, char separator,
                                     const std::string& shown) {
  std::vector<TocRecord> records;
  TocRecord record;
  std::string field;
  std::uint32_t line = 1;
  record.line = 1;
  bool quoted = false, field_started = false;
  const auto end_record = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (!blank) records.push_back(std::move(record));
    record = {};
    record.line = line;
    field_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == separator) {
      record.fields.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) {
    throw Error(ErrorKind::job, fmt::format("{}:{}: a quoted field is not closed (a \" is missing)",
                                            shown, record.line));
  }
  if (!field.empty() || !record.fields.empty()) end_record();
  return records;
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
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // spreadsheets write a BOM
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
  std::vector<TocRecord> records = split_records(text, separator, shown);
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
    const TocRecord& record = records[r];
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

bool is_site(std::string_view text) {
  const auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  return !text.empty() && text.size() <= kMaxSiteCharacters && alnum(text.front()) &&
         alnum(text.back()) &&
         std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-'; });
}

std::string site_rule() {
  return fmt::format(
      "a site of 1 to {} ASCII letters, digits and '-', beginning and ending with a letter or "
      "digit (e.g. \"NLC-B2\")",
      kMaxSiteCharacters);
}

}  // namespace fw
