// The job file's reader (job/job_parser.hpp): the job's own keys and tables, the typed reads
// every key goes through, and the walk that finds each key's rule in file order.
#include "job/job_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <type_traits>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "base/utc.hpp"
#include "core/error.hpp"
#include "film/format_toml.hpp"
#include "job/job.hpp"

namespace fw::job_detail {

std::optional<std::string> scalar_text(const TomlValue& value, bool accept_boolean) {
  if (auto text = value.as_string()) return text;
  if (const auto integer = value.as_integer()) return std::to_string(*integer);
  if (const auto number = value.as_number()) return format_number(*number);  // a float
  if (value.is_boolean() && accept_boolean) return value.boolean() ? "true" : "false";
  return std::nullopt;
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

Job JobParser::parse(const TomlTable& root) {
  Job job;
  job.base_dir = base_dir_;
  check_version(root);

  PageSettingsOverride defaults;
  std::optional<std::uint32_t> force_dpi_line;
  std::optional<TomlValue> documents;
  std::vector<Rule> rules = {
      {"version", [](const TomlValue&) {}},  // checked first
      {"id",
       [&](const TomlValue& value) {
         job.id = read_name(value, "a job id");
         // The id names the job's output folder, its lock and reel folders: short enough
         // for any file system with room for what is added to it.
         if (job.id.size() > kMaxIdCharacters) {
           value.fail(fmt::format("a job id of at most {} characters", kMaxIdCharacters),
                      quote_start(job.id));
         }
       }},
      {"title", [&](const TomlValue& value) { job.title = read_title(value); }},
      {"institution",
       [&](const TomlValue& value) { job.institution = read_drawn_text(value, "an institution"); }},
      {"operator",
       [&](const TomlValue& value) {
         job.operator_name = read_title(value, "an operator's name");
       }},
      {"site",
       [&](const TomlValue& value) {
         const auto text = value.as_string();
         if (!text) value.fail_type(site_rule());
         if (!is_site(*text)) value.fail(site_rule(), quote_start(*text));
         job.site = *text;
       }},
      {"output", [&](const TomlValue& value) { job.output = read_path(value, "a folder path"); }},
      {"catalog",
       [&](const TomlValue& value) {
         // A postgresql:// URL (a catalog several hosts share) is kept as written; a
         // path is relative to the job file.
         const auto text = value.as_string();
         const bool url =
             text && (text->rfind("postgresql://", 0) == 0 || text->rfind("postgres://", 0) == 0);
         job.catalog = url ? fs::path(*text) : read_path(value, "a catalog file path or URL");
       }},
      {"format",
       [&](const TomlValue& value) {
         // A name in profiles/formats/, or the format itself as a [format] table.
         if (value.is_table()) {
           job.format = "inline";
           job.inline_format = format_from_table(value.table(), job.format);
           return;
         }
         job.format = read_name(value, "a film format name or a [format] table");
         job.format_origin = fmt::format("{}:{}: {}", name_, value.line(), value.key());
       }},
      {"targets",
       [&](const TomlValue& value) {
         job.targets = read_name(value, "a target set in profiles/targets/ or \"none\"");
       }},
      {"reel_contents", [&](const TomlValue& value) { job.reel_contents = value.boolean(); }},
      {"polarity",
       [&](const TomlValue& value) {
         job.polarity = read_word(value, polarity_from, kPolarityWords);
       }},
      {"substitute_target",
       [&](const TomlValue& value) {
         job.substitute_target =
             read_name(value, "a substitution target template in profiles/targets/");
       }},
      {"fonts",
       [&](const TomlValue& value) {
         job.fonts = value.text("a font set name in fonts/ or a font-set file path");
       }},
      {"filming_date", [&](const TomlValue& value) { job.filming_date = read_date(value); }},
      {"threads",
       [&](const TomlValue& value) {
         job.threads = static_cast<unsigned>(value.integer(kThreads));
       }},
      {"limits", [&](const TomlValue& value) { job.limits = read_limits(value); }},
      {"recorder", [&](const TomlValue& value) { read_recorder(value, job); }},
      {"calibration", [&](const TomlValue& value) { read_calibration(value, job); }},
      {"data_frames", [&](const TomlValue& value) { job.data.masters = value.boolean(); }},
      {"data", [&](const TomlValue& value) { read_data(value, job); }},
      {"checksums",
       [&](const TomlValue& value) {
         // One manifest or bag, or a list of them, relative to the job file.
         const std::string what = "a checksum manifest file or BagIt bag folder";
         if (value.is_array()) {
           for (const TomlValue& item : value.array("a list of " + what + "s", true)) {
             job.checksums.push_back(read_path(item, what).string());
           }
         } else {
           job.checksums.push_back(read_path(value, what).string());
         }
       }},
      {"documents", [&](const TomlValue& value) { documents = value; }},
  };
  add_settings_rules(rules, defaults, force_dpi_line);
  root.read(rules);

  root.require("id", std::string("a job id of ") + kNameRule);
  root.require("title", "a non-empty string");
  if (job.output.empty()) job.output = resolve(base_dir_, "out");
  job.defaults = with_overrides(PageSettings{}, defaults);

  if (!documents) root.fail("documents", "at least one [[documents]] table", "none");
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

void JobParser::check_version(const TomlTable& root) const {
  const TomlValue version = root.require("version", "1");
  const auto integer = version.as_integer();
  if (!integer) version.fail_type("1");
  if (*integer != 1) version.fail("1");
}

fs::path JobParser::read_path(const TomlValue& value, std::string_view what) const {
  return resolve(base_dir_, value.text(what));
}

std::string JobParser::read_drawn_text(const TomlValue& value, std::string_view what) const {
  std::string text = value.string("a string");
  if (const auto fault = drawn_text_fault(text, what, true)) value.fail(fault->expected);
  return text;
}

std::string JobParser::read_title(const TomlValue& value, std::string_view what) const {
  std::string text = value.text();
  if (const auto fault = drawn_text_fault(text, what)) {
    if (fault->blank) value.fail(fault->expected, quote_blank(text));
    value.fail(fault->expected);
  }
  return text;
}

std::string JobParser::read_document_id(const TomlValue& value) const {
  std::string text = value.string(kDocumentIdRule);
  if (!is_document_id(text)) value.fail(kDocumentIdRule, quote_start(text));
  return text;
}

std::string JobParser::read_name(const TomlValue& value, std::string_view what) const {
  const std::string expected = std::string(what) + " of " + kNameRule;
  std::string text = value.string(expected);
  if (!is_safe_name(text)) value.fail(expected);
  return text;
}

void JobParser::add_settings_rules(std::vector<Rule>& rules, PageSettingsOverride& settings,
                                   std::optional<std::uint32_t>& force_dpi_line) const {
  rules.push_back({"reduction",
                   [&](const TomlValue& value) { settings.reduction = value.number(kReduction); }});
  rules.push_back({"mode", [&](const TomlValue& value) {
                     settings.mode = read_word(value, image_mode_from, kImageModeWords);
                   }});
  rules.push_back({"dpi", [&](const TomlValue& value) { settings.dpi = value.number(kDpi); }});
  rules.push_back({"force_dpi", [&](const TomlValue& value) {
                     settings.force_dpi = value.boolean();
                     force_dpi_line = value.line();
                   }});
  rules.push_back({"rotate", [&](const TomlValue& value) {
                     const std::string expected = "one of 0, 90, 180, 270";
                     const auto degrees = value.as_integer();
                     if (!degrees) value.fail_type(expected);
                     if (*degrees != 0 && *degrees != 90 && *degrees != 180 && *degrees != 270) {
                       value.fail(expected);
                     }
                     settings.rotate = static_cast<int>(*degrees);
                   }});
  rules.push_back({"threshold", [&](const TomlValue& value) {
                     settings.threshold = static_cast<int>(value.integer(kThreshold));
                   }});
  rules.push_back({"on_error", [&](const TomlValue& value) {
                     settings.on_error = read_word(value, failure_policy_from, kFailurePolicyWords);
                   }});
  rules.push_back({"colour_route", [&](const TomlValue& value) {
                     settings.colour_route = read_word(value, colour_route_from, kColourRouteWords);
                   }});
  rules.push_back({"oversize", [&](const TomlValue& value) {
                     settings.oversize = read_word(value, oversize_policy_from, kOversizeWords);
                   }});
  rules.push_back({"section_overlap_mm", [&](const TomlValue& value) {
                     settings.section_overlap_mm = value.number(NumberRange::between(0, 100));
                   }});
}

Limits JobParser::read_limits(const TomlValue& value) const {
  Limits limits;
  value.table().read({
      {"max_page_pixels",
       [&](const TomlValue& pixels) {
         const auto integer = pixels.as_integer();
         if (!integer) pixels.fail_type("a positive integer");
         if (*integer < 1) pixels.fail("a positive integer");
         limits.max_page_pixels = static_cast<std::uint64_t>(*integer);
       }},
      {"max_file_mb",
       [&](const TomlValue& megabytes) {
         const auto mb =
             megabytes.integer(NumberRange::between(1, static_cast<double>(kMaxFileMegabytes)));
         limits.max_file_bytes = static_cast<std::uint64_t>(mb) << 20;
       }},
      {"min_page_mm",
       [&](const TomlValue& millimetres) {
         limits.min_page_mm = millimetres.number(NumberRange::between(0, 100));
       }},
  });
  return limits;
}

void JobParser::read_recorder(const TomlValue& value, Job& job) const {
  value.table().read({
      {"driver", [&](const TomlValue& driver) { job.driver = read_name(driver, "a driver name"); }},
      {"options",
       [&](const TomlValue& options) {
         const TomlTable table = options.table();
         for (const TomlValue& option : table.entries()) {
           const auto text = scalar_text(option, true);
           if (!text) option.fail_type("a string, number or boolean");
           job.driver_options[std::string(table.name_of(option))] = *text;
         }
       }},
  });
}

std::string JobParser::read_calibration_profile(const TomlValue& value) const {
  const std::string text = value.text("a calibration profile name, a .toml file or none");
  // A file is relative to the job; a name is looked up in profiles/calibration/.
  return text.ends_with(".toml") ? resolve(base_dir_, text).string() : text;
}

void JobParser::read_calibration(const TomlValue& value, Job& job) const {
  job.calibration.line = value.line();
  if (value.is_string()) {
    job.calibration.profile = read_calibration_profile(value);
    return;
  }
  const TomlTable table = value.table();
  table.read({
      {"profile",
       [&](const TomlValue& profile) {
         job.calibration.profile = read_calibration_profile(profile);
       }},
      {"document_class",
       [&](const TomlValue& document_class) {
         job.calibration.document_class = read_name(document_class, "a document class");
       }},
      {"tone",
       [&](const TomlValue& tone) {
         job.calibration.tone = tone.number(NumberRange::between(0.2, 5));
       }},
  });
  table.require("profile", "a calibration profile name, a .toml file or none");
}

void JobParser::read_data(const TomlValue& value, Job& job) const {
  const TomlTable table = value.table();
  DataFramesChoice& data = job.data;
  data.masters = true;  // a [data] table asks for data frames unless it says files = "none"
  const auto count = [](auto& field, double low, double high) {
    return [&field, low, high](const TomlValue& v) {
      field = static_cast<std::remove_reference_t<decltype(field)>>(
          v.integer(NumberRange::between(low, high)));
    };
  };
  table.read({
      {"files",
       [&](const TomlValue& files) {
         data.masters = read_word(files, data_files_from, "masters, none");
       }},
      {"place",
       [&](const TomlValue& place) {
         data.place = read_word(place, data_place_from, "document, reel-end");
       }},
      {"bits_per_module", count(data.bits_per_module, 1, 2)},
      {"module_px", count(data.module_px, 1, 16)},
      {"group_data", count(data.group_data, 1, 200)},
      {"group_parity", count(data.group_parity, 0, 55)},
  });
}

std::string JobParser::read_date(const TomlValue& value) const {
  // It is filmed on the targets: a day the calendar has, or the job is refused.
  const std::string expected = "a date YYYY-MM-DD from 1900 on";
  std::string text;
  if (const auto date = value.as_date()) {
    text = fmt::format("{:04}-{:02}-{:02}", date->year, date->month, date->day);
  } else {
    text = value.string(expected);
  }
  if (!is_calendar_date(text)) value.fail(expected);
  return text;
}

}  // namespace fw::job_detail
