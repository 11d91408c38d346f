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
#include <vector>

#include <fmt/format.h>

#include "base/toml_reader.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

// A number >= `lowest`, or `fallback` when the key is absent (required when there is none).
double number(const TomlTable& table, std::string_view key, std::optional<double> fallback,
              double lowest = 0) {
  const NumberRange range = NumberRange::at_least(lowest);
  if (!table.has(key) && fallback) return *fallback;
  return table.number(key, range);
}

std::string text(const TomlTable& table, std::string_view key, std::string_view fallback) {
  return table.string_or(key, fallback);
}

std::optional<TomlTable> table(const TomlTable& root, std::string_view key) {
  const auto value = root.get(key);
  if (!value) return std::nullopt;
  return value->table();
}

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

Vertical vertical_of(const TargetText& block, double page_height_mm) {
  return {block.vertical,
          block.height_mm > 0 ? block.height_mm : std::max(1.0, page_height_mm - 20 - block.top_mm),
          block.language};
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

TargetEntries target_entries(const Job& job, const std::filesystem::path& profiles_dir) {
  const std::filesystem::path profiles =
      profiles_dir.empty() ? default_profiles_dir() : profiles_dir;
  const std::string set = job.targets.empty() || job.targets == "none" ? "standard" : job.targets;
  const auto entries = [&](FrameKind kind, std::uint32_t otherwise) {
    const std::filesystem::path file = template_file(profiles, set, kind);
    if (!std::filesystem::exists(file)) return otherwise;
    const std::uint32_t listed = cached_template(file)->entries_per_frame;
    return listed > 0 ? listed : otherwise;
  };
  TargetEntries out;
  if (has_toc(job)) out.toc = entries(FrameKind::toc_target, kTocEntriesPerFrame);
  if (job.reel_contents) {
    out.reel_contents = entries(FrameKind::reel_contents, kReelContentsEntriesPerFrame);
  }
  return out;
}

TargetTemplate load_template(const std::filesystem::path& file) {
  const TomlDocument document = TomlDocument::load(file);
  const TomlTable root = document.root();
  root.only({"border_mm", "flow_gap_mm", "entries_per_frame", "text", "chart", "wedge", "patches",
             "scale", "symbol"});
  TargetTemplate target;
  target.file = file;
  target.border_mm = number(root, "border_mm", 0.0);
  if (root.has("flow_gap_mm")) target.flow_gap_mm = number(root, "flow_gap_mm", 0.0);
  if (const auto entries = root.get("entries_per_frame")) {
    constexpr double kMostEntries = 200;
    target.entries_per_frame =
        static_cast<std::uint32_t>(entries->integer(NumberRange::between(1, kMostEntries)));
  }
  if (const auto texts = root.get("text")) {
    for (const TomlValue& element : texts->array("an array of tables ([[text]])")) {
      const TomlTable table = element.table();
      table.only({"text", "top_mm", "size_mm", "align", "left_mm", "width_mm", "vertical",
                  "height_mm", "language"});
      TargetText text_entry;
      text_entry.text = table.require("text", "a string").string();
      text_entry.top_mm = number(table, "top_mm", std::nullopt);
      text_entry.size_mm = number(table, "size_mm", std::nullopt, 0.1);
      if (const auto align = table.get("align")) {
        text_entry.align = align->word<std::string_view>(
            {{"start", "start"}, {"centre", "centre"}, {"end", "end"}},
            R"("start", "centre" or "end")");
      }
      text_entry.left_mm = number(table, "left_mm", 20.0);
      text_entry.width_mm = number(table, "width_mm", 0.0);
      text_entry.height_mm = number(table, "height_mm", 0.0);
      text_entry.language = text(table, "language", "zh-Hans");
      if (const auto vertical = table.get("vertical")) text_entry.vertical = vertical->boolean();
      target.texts.push_back(std::move(text_entry));
    }
  }
  if (const auto chart = table(root, "chart")) {
    target.technical = true;
    chart->only({"top_mm", "frequencies_lp_per_mm", "group_height_mm", "nyquist_share"});
    target.chart.top_mm = number(*chart, "top_mm", std::nullopt);
    target.chart.group_height_mm = number(*chart, "group_height_mm", 6.0, 1);
    target.chart.nyquist_share = number(*chart, "nyquist_share", 0.8, 0.1);
    constexpr std::string_view expected = "an array of frequencies > 0 in lp/mm";
    const TomlValue list = chart->require("frequencies_lp_per_mm", expected);
    for (const TomlValue& value : list.array(expected, true)) {
      target.chart.frequencies.push_back(value.number(NumberRange::above(0)));
    }
  }
  if (const auto wedge = table(root, "wedge")) {
    wedge->only({"top_mm", "steps", "height_mm"});
    target.wedge.top_mm = number(*wedge, "top_mm", std::nullopt);
    target.wedge.steps = static_cast<std::uint32_t>(number(*wedge, "steps", 11.0, 2));
    target.wedge.height_mm = number(*wedge, "height_mm", 12.0, 1);
  }
  if (const auto patches = table(root, "patches")) {
    patches->only({"top_mm", "size_mm"});
    target.patches.top_mm = number(*patches, "top_mm", std::nullopt);
    target.patches.size_mm = number(*patches, "size_mm", 30.0, 1);
  }
  if (const auto scale = table(root, "scale")) {
    scale->only({"top_mm", "length_mm"});
    target.scale.top_mm = number(*scale, "top_mm", std::nullopt);
    target.scale.length_mm = number(*scale, "length_mm", 100.0, 10);
  }
  if (const auto symbol = table(root, "symbol")) {
    symbol->only({"top_mm", "width_mm"});
    target.symbol.on = true;
    target.symbol.top_mm = number(*symbol, "top_mm", std::nullopt);
    target.symbol.width_mm = number(*symbol, "width_mm", 120.0, 10);
  }
  // A technical target's chart comes with the wedge, patches and scale it is judged beside.
  if (target.technical) {
    std::vector<std::string_view> missing;
    for (const std::string_view name : {"wedge", "patches", "scale"}) {
      if (!root.has(name)) missing.push_back(name);
    }
    if (!missing.empty()) {
      root.get("chart")->fail("[wedge], [patches] and [scale] tables beside it",
                              fmt::format("no [{}]", fmt::join(missing, "], [")));
    }
  }
  return target;
}

}  // namespace fw
