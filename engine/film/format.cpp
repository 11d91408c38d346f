#include "film/format.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace fw {
namespace {

constexpr std::string_view kFormatKeys[] = {
    "description",   "film_width_mm", "image_area_across_mm", "frame_length_mm",
    "frame_gap_mm",  "margin_mm",     "orientation",          "leader_m",
    "trailer_m",     "reel_length_m", "reel_lengths_m",       "min_reduction",
    "max_reduction",
};

std::filesystem::path formats_dir(const std::filesystem::path& profiles_dir) {
  return profiles_dir / "formats";
}

// A value as the operator wrote it, for "got ..." in messages.
std::string describe(const toml::node& node) {
  if (node.is_table()) return "a table";
  if (node.is_string()) return nlohmann::json(node.as_string()->get()).dump();
  std::ostringstream out;
  out << toml::node_view<const toml::node>{&node};
  return out.str();
}

// Reads one format file, checking every key; each failure names file:line: key.
class FormatReader {
 public:
  FormatReader(std::filesystem::path file, const toml::table& table)
      : file_(std::move(file)), table_(table) {}

  [[noreturn]] void fail_at(const toml::source_region& where, std::string_view key,
                            std::string_view expected, std::string_view got) const {
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}: expected {}, got {}", file_.string(),
                                            where.begin.line, key, expected, got));
  }

  [[noreturn]] void fail(std::string_view key, std::string_view expected) const {
    const toml::node* node = table_.get(key);
    fail_at(node->source(), key, expected, describe(*node));
  }

  void reject_unknown_keys() const {
    for (auto&& [key, node] : table_) {
      const bool known = std::find(std::begin(kFormatKeys), std::end(kFormatKeys), key.str()) !=
                         std::end(kFormatKeys);
      if (!known) {
        fail_at(key.source(), key.str(), "a format key", "an unknown key");
      }
    }
  }

  const toml::node& require(std::string_view key, std::string_view expected) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      throw Error(ErrorKind::job,
                  fmt::format("{}: {}: expected {}, got nothing (the key is missing)",
                              file_.string(), key, expected));
    }
    return *node;
  }

  double number(std::string_view key, std::string_view expected) const {
    const toml::node& node = require(key, expected);
    if (!node.is_number()) fail(key, expected);
    return *node.value<double>();
  }

  double at_least(std::string_view key, double lowest) const {
    const std::string expected = fmt::format("a number >= {}", lowest);
    const double value = number(key, expected);
    if (value < lowest) fail(key, expected);
    return value;
  }

  double positive(std::string_view key) const {
    constexpr std::string_view expected = "a number > 0";
    const double value = number(key, expected);
    if (!(value > 0)) fail(key, expected);
    return value;
  }

  std::string text(std::string_view key) const {
    constexpr std::string_view expected = "a non-empty string";
    const toml::node& node = require(key, expected);
    if (!node.is_string() || node.as_string()->get().empty()) fail(key, expected);
    return node.as_string()->get();
  }

  Orientation orientation(std::string_view key) const {
    constexpr std::string_view expected = R"("comic" or "cine")";
    const toml::node& node = require(key, expected);
    if (node.is_string()) {
      const std::string& word = node.as_string()->get();
      if (word == "comic") return Orientation::comic;
      if (word == "cine") return Orientation::cine;
    }
    fail(key, expected);
  }

  std::vector<double> lengths(std::string_view key, double shortest) const {
    const std::string expected = fmt::format("a non-empty array of lengths > {} m", shortest);
    const toml::node& node = require(key, expected);
    const toml::array* array = node.as_array();
    if (array == nullptr || array->empty()) fail(key, expected);
    std::vector<double> values;
    for (const toml::node& element : *array) {
      if (!element.is_number() || !(*element.value<double>() > shortest)) {
        fail_at(element.source(), key, expected, describe(element));
      }
      values.push_back(*element.value<double>());
    }
    return values;
  }

 private:
  std::filesystem::path file_;
  const toml::table& table_;
};

FilmFormat read_format(const std::filesystem::path& file, const std::string& name) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    throw Error(ErrorKind::job, fmt::format("{}:{}: syntax error: {}", file.string(),
                                            error.source().begin.line, error.description()));
  }
  const FormatReader reader(file, table);
  reader.reject_unknown_keys();

  FilmFormat format;
  format.name = name;
  format.description = reader.text("description");
  format.film_width_mm = reader.positive("film_width_mm");
  format.image_area_across_mm = reader.positive("image_area_across_mm");
  if (format.image_area_across_mm > format.film_width_mm) {
    reader.fail("image_area_across_mm",
                fmt::format("at most film_width_mm ({})", format.film_width_mm));
  }
  format.frame_length_mm = reader.at_least("frame_length_mm", 0);
  format.frame_gap_mm = reader.at_least("frame_gap_mm", 0);
  format.margin_mm = reader.at_least("margin_mm", 0);
  if (2 * format.margin_mm >= format.image_area_across_mm) {
    reader.fail("margin_mm", fmt::format("less than half of image_area_across_mm ({})",
                                         format.image_area_across_mm / 2));
  }
  if (format.frame_length_mm > 0 && 2 * format.margin_mm >= format.frame_length_mm) {
    reader.fail("margin_mm",
                fmt::format("less than half of frame_length_mm ({})", format.frame_length_mm / 2));
  }
  format.orientation = reader.orientation("orientation");
  format.leader_m = reader.at_least("leader_m", 0);
  format.trailer_m = reader.at_least("trailer_m", 0);
  const double ends_m = format.leader_m + format.trailer_m;
  format.reel_length_m = reader.positive("reel_length_m");
  if (format.reel_length_m <= ends_m) {
    reader.fail("reel_length_m", fmt::format("more than leader_m + trailer_m ({} m)", ends_m));
  }
  format.reel_lengths_m = reader.lengths("reel_lengths_m", ends_m);
  format.min_reduction = reader.at_least("min_reduction", 1);
  format.max_reduction = reader.at_least("max_reduction", 1);
  if (format.max_reduction < format.min_reduction) {
    reader.fail("max_reduction", fmt::format("at least min_reduction ({})", format.min_reduction));
  }
  return format;
}

// Names are file stems; anything that could leave the formats folder is not a name.
bool plausible_name(const std::string& name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos;
}

std::vector<std::string> format_names(const std::filesystem::path& profiles_dir) {
  std::vector<std::string> names;
  std::error_code ignored;
  for (const auto& entry :
       std::filesystem::directory_iterator(formats_dir(profiles_dir), ignored)) {
    if (entry.path().extension() == ".toml" && entry.is_regular_file(ignored)) {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

const char* to_string(Orientation orientation) {
  switch (orientation) {
    case Orientation::comic:
      return "comic";
    case Orientation::cine:
      return "cine";
  }
  return "comic";
}

std::filesystem::path default_profiles_dir() {
  const char* from_environment = std::getenv("FILMWRITER_PROFILES");
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return FW_PROFILES_DIR;
}

FilmFormat load_format(const std::filesystem::path& profiles_dir, const std::string& name) {
  const std::filesystem::path file = formats_dir(profiles_dir) / (name + ".toml");
  std::error_code ignored;
  if (!plausible_name(name) || !std::filesystem::is_regular_file(file, ignored)) {
    const std::vector<std::string> known = format_names(profiles_dir);
    throw Error(ErrorKind::job,
                fmt::format("unknown film format \"{}\"; known formats in {}: {}", name,
                            formats_dir(profiles_dir).string(),
                            known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
  }
  return read_format(file, name);
}

std::vector<FilmFormat> list_formats(const std::filesystem::path& profiles_dir) {
  std::vector<FilmFormat> formats;
  for (const std::string& name : format_names(profiles_dir)) {
    formats.push_back(read_format(formats_dir(profiles_dir) / (name + ".toml"), name));
  }
  return formats;
}

}  // namespace fw
