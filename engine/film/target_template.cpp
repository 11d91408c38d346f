// Target templates: profiles/targets/<set>/<kind>.toml read (load_template, every key checked,
// file and line in every message), found for a frame and cached per file version.
#include "film/target_template.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace fw {
namespace {

class TemplateReader {
 public:
  TemplateReader(std::string file, const toml::table& table)
      : file_(std::move(file)), table_(table) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& key,
                         std::string_view expected) const {
    std::ostringstream got;
    if (node.is_string()) {
      got << nlohmann::json(node.as_string()->get()).dump();
    } else if (node.is_table()) {
      got << "a table";
    } else {
      got << toml::node_view<const toml::node>{&node};
    }
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}: expected {}, got {}", file_,
                                            node.source().begin.line, key, expected, got.str()));
  }

  [[noreturn]] void missing(const toml::table& table, const std::string& key,
                            std::string_view expected) const {
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}: expected {}, got nothing", file_,
                                            table.source().begin.line, key, expected));
  }

  void only(const toml::table& table, const std::string& prefix,
            std::initializer_list<std::string_view> keys) const {
    for (auto&& [key, node] : table) {
      if (std::find(keys.begin(), keys.end(), key.str()) == keys.end()) {
        throw Error(ErrorKind::job, fmt::format("{}:{}: {}{}: unknown key", file_,
                                                key.source().begin.line, prefix, key.str()));
      }
    }
  }

  double number(const toml::table& table, const std::string& prefix, std::string_view key,
                std::optional<double> fallback, double lowest = 0) const {
    const std::string name = prefix + std::string(key);
    const std::string expected = fmt::format("a number >= {}", lowest);
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (fallback) return *fallback;
      missing(table, name, expected);
    }
    if (!node->is_number() || *node->value<double>() < lowest) fail(*node, name, expected);
    return *node->value<double>();
  }

  std::string text(const toml::table& table, const std::string& prefix, std::string_view key,
                   std::optional<std::string> fallback) const {
    const std::string name = prefix + std::string(key);
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (fallback) return *fallback;
      missing(table, name, "a string");
    }
    if (!node->is_string()) fail(*node, name, "a string");
    return node->as_string()->get();
  }

  const toml::table* table(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(*node, std::string(key), "a table");
    return node->as_table();
  }

  const std::string& file() const { return file_; }
  const toml::table& root() const { return table_; }

 private:
  std::string file_;
  const toml::table& table_;
};

}  // namespace

namespace target_detail {

std::shared_ptr<const TargetTemplate> cached_template(const std::filesystem::path& file) {
  static std::mutex mutex;
  static std::map<std::string, std::pair<std::string, std::shared_ptr<const TargetTemplate>>> cache;
  std::error_code error;
  const auto stamp = std::filesystem::last_write_time(file, error);
  const auto size = std::filesystem::file_size(file, error);
  const std::string version =
      error ? std::string() : fmt::format("{}:{}", stamp.time_since_epoch().count(), size);
  {
    const std::lock_guard lock(mutex);
    const auto found = cache.find(file.string());
    if (!version.empty() && found != cache.end() && found->second.first == version) {
      return found->second.second;
    }
  }
  auto loaded = std::make_shared<const TargetTemplate>(load_template(file));
  const std::lock_guard lock(mutex);
  cache[file.string()] = {version, loaded};
  return loaded;
}

}  // namespace target_detail

using target_detail::cached_template;

std::filesystem::path template_file(const std::filesystem::path& profiles_dir,
                                    const std::string& set, FrameKind kind) {
  return profiles_dir / "targets" / set / (std::string(to_string(kind)) + ".toml");
}

std::filesystem::path frame_template_file(const Job& job, const Plan& plan,
                                          const PlannedFrame& frame) {
  const std::filesystem::path profiles =
      plan.profiles_dir.empty() ? default_profiles_dir() : plan.profiles_dir;
  // `targets = "none"` plans no start, title, TOC or end targets; the frames it still films
  // come from the standard set: substitutes (they stand for pages), a reel's data targets (they
  // say how to decode it) and a fiche's header (the sheet's eye-legible title strip).
  const std::string set = job.targets == "none" ? std::string("standard") : job.targets;
  if (frame.kind != FrameKind::substitute) return template_file(profiles, set, frame.kind);
  const std::string name = frame.target.empty() ? job.substitute_target : frame.target;
  return profiles / "targets" / set / (name + ".toml");
}

std::uint32_t toc_entries_per_frame(const Job& job, const std::filesystem::path& profiles_dir) {
  const std::filesystem::path profiles =
      profiles_dir.empty() ? default_profiles_dir() : profiles_dir;
  const std::string set = job.targets.empty() || job.targets == "none" ? "standard" : job.targets;
  const std::filesystem::path file = template_file(profiles, set, FrameKind::toc_target);
  if (!std::filesystem::exists(file)) return kTocEntriesPerFrame;
  const std::uint32_t entries = cached_template(file)->entries_per_frame;
  return entries > 0 ? entries : kTocEntriesPerFrame;
}

TargetTemplate load_template(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    throw Error(ErrorKind::job, fmt::format("{}:{}: syntax error: {}", file.string(),
                                            error.source().begin.line, error.description()));
  }
  const TemplateReader reader(file.string(), root);
  reader.only(root, "",
              {"border_mm", "flow_gap_mm", "entries_per_frame", "text", "chart", "wedge", "patches",
               "scale", "symbol"});
  TargetTemplate target;
  target.file = file;
  target.border_mm = reader.number(root, "", "border_mm", 0.0);
  if (root.contains("flow_gap_mm"))
    target.flow_gap_mm = reader.number(root, "", "flow_gap_mm", 0.0);
  if (const toml::node* entries = root.get("entries_per_frame")) {
    constexpr std::int64_t kMostEntries = 200;
    const std::optional<std::int64_t> value = entries->value_exact<std::int64_t>();
    if (!value || *value < 1 || *value > kMostEntries) {
      reader.fail(*entries, "entries_per_frame", "a whole number from 1 to 200");
    }
    target.entries_per_frame = static_cast<std::uint32_t>(*value);
  }
  if (const toml::node* texts = root.get("text")) {
    const toml::array* array = texts->as_array();
    if (array == nullptr) reader.fail(*texts, "text", "an array of tables ([[text]])");
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string prefix = fmt::format("text[{}].", i + 1);
      const toml::table* table = (*array)[i].as_table();
      if (table == nullptr) reader.fail((*array)[i], prefix, "a table");
      reader.only(*table, prefix,
                  {"text", "top_mm", "size_mm", "align", "left_mm", "width_mm", "vertical",
                   "height_mm", "language"});
      TargetText text;
      text.text = reader.text(*table, prefix, "text", std::nullopt);
      text.top_mm = reader.number(*table, prefix, "top_mm", std::nullopt);
      text.size_mm = reader.number(*table, prefix, "size_mm", std::nullopt, 0.1);
      text.align = reader.text(*table, prefix, "align", std::string("centre"));
      if (text.align != "start" && text.align != "centre" && text.align != "end") {
        reader.fail(*table->get("align"), prefix + "align", R"("start", "centre" or "end")");
      }
      text.left_mm = reader.number(*table, prefix, "left_mm", 20.0);
      text.width_mm = reader.number(*table, prefix, "width_mm", 0.0);
      text.height_mm = reader.number(*table, prefix, "height_mm", 0.0);
      text.language = reader.text(*table, prefix, "language", std::string("zh-Hans"));
      if (const toml::node* vertical = table->get("vertical")) {
        if (!vertical->is_boolean()) reader.fail(*vertical, prefix + "vertical", "true or false");
        text.vertical = *vertical->value<bool>();
      }
      target.texts.push_back(std::move(text));
    }
  }
  if (const toml::table* chart = reader.table("chart")) {
    target.technical = true;
    reader.only(*chart, "chart.",
                {"top_mm", "frequencies_lp_per_mm", "group_height_mm", "nyquist_share"});
    target.chart.top_mm = reader.number(*chart, "chart.", "top_mm", std::nullopt);
    target.chart.group_height_mm = reader.number(*chart, "chart.", "group_height_mm", 6.0, 1);
    target.chart.nyquist_share = reader.number(*chart, "chart.", "nyquist_share", 0.8, 0.1);
    const toml::node* list = chart->get("frequencies_lp_per_mm");
    constexpr std::string_view expected = "an array of frequencies > 0 in lp/mm";
    if (list == nullptr) reader.missing(*chart, "chart.frequencies_lp_per_mm", expected);
    if (!list->is_array() || list->as_array()->empty()) {
      reader.fail(*list, "chart.frequencies_lp_per_mm", expected);
    }
    for (const toml::node& value : *list->as_array()) {
      if (!value.is_number() || !(*value.value<double>() > 0)) {
        reader.fail(value, "chart.frequencies_lp_per_mm", expected);
      }
      target.chart.frequencies.push_back(*value.value<double>());
    }
  }
  if (const toml::table* wedge = reader.table("wedge")) {
    reader.only(*wedge, "wedge.", {"top_mm", "steps", "height_mm"});
    target.wedge.top_mm = reader.number(*wedge, "wedge.", "top_mm", std::nullopt);
    target.wedge.steps =
        static_cast<std::uint32_t>(reader.number(*wedge, "wedge.", "steps", 11.0, 2));
    target.wedge.height_mm = reader.number(*wedge, "wedge.", "height_mm", 12.0, 1);
  }
  if (const toml::table* patches = reader.table("patches")) {
    reader.only(*patches, "patches.", {"top_mm", "size_mm"});
    target.patches.top_mm = reader.number(*patches, "patches.", "top_mm", std::nullopt);
    target.patches.size_mm = reader.number(*patches, "patches.", "size_mm", 30.0, 1);
  }
  if (const toml::table* scale = reader.table("scale")) {
    reader.only(*scale, "scale.", {"top_mm", "length_mm"});
    target.scale.top_mm = reader.number(*scale, "scale.", "top_mm", std::nullopt);
    target.scale.length_mm = reader.number(*scale, "scale.", "length_mm", 100.0, 10);
  }
  if (const toml::table* symbol = reader.table("symbol")) {
    reader.only(*symbol, "symbol.", {"top_mm", "width_mm"});
    target.symbol.on = true;
    target.symbol.top_mm = reader.number(*symbol, "symbol.", "top_mm", std::nullopt);
    target.symbol.width_mm = reader.number(*symbol, "symbol.", "width_mm", 120.0, 10);
  }
  if (target.technical &&
      (!reader.table("wedge") || !reader.table("patches") || !reader.table("scale"))) {
    throw Error(ErrorKind::job, fmt::format("{}: a technical target needs [chart], [wedge], "
                                            "[patches] and [scale] tables",
                                            file.string()));
  }
  return target;
}

}  // namespace fw
