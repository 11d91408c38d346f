// profiles/qc/<name>.toml: the limits verify judges by.
#include <fmt/format.h>

#include <toml++/toml.h>

#include "core/error.hpp"
#include "qc/qc.hpp"

namespace fw {
namespace {

[[noreturn]] void bad(const std::filesystem::path& file, const toml::node* node,
                      const std::string& key, const std::string& expected) {
  const auto line = node ? node->source().begin.line : 1;
  throw Error(ErrorKind::job,
              fmt::format("{}:{}: {}: expected {}", file.string(), line, key, expected));
}

double number(const toml::table& table, const std::filesystem::path& file,
              const std::string& section, const std::string& key, double fallback, double low,
              double high) {
  const toml::node* node = table.get(key);
  if (!node) return fallback;
  const auto value = node->value<double>();
  if (!value || *value < low || *value > high) {
    bad(file, node, section + "." + key, fmt::format("a number {:g}–{:g}", low, high));
  }
  return *value;
}

const toml::table& section(const toml::table& root, const std::filesystem::path& file,
                           const std::string& name) {
  static const toml::table empty;
  const toml::node* node = root.get(name);
  if (!node) return empty;
  if (!node->is_table()) bad(file, node, name, "a table");
  return *node->as_table();
}

void no_unknown_keys(const toml::table& table, const std::filesystem::path& file,
                     const std::string& prefix, std::initializer_list<const char*> known) {
  for (const auto& [key, node] : table) {
    bool ok = false;
    for (const char* k : known) ok = ok || key.str() == k;
    if (!ok) {
      throw Error(ErrorKind::job, fmt::format("{}:{}: {}{}: unknown key", file.string(),
                                              node.source().begin.line, prefix, key.str()));
    }
  }
}

}  // namespace

QcProfile load_qc_profile(const std::filesystem::path& profiles_dir, const std::string& name) {
  QcProfile p;
  p.file = name.ends_with(".toml") ? std::filesystem::path(name)
                                   : profiles_dir / "qc" / (name + ".toml");
  if (!std::filesystem::exists(p.file)) {
    throw Error(ErrorKind::job, p.file.string() + ": no such QC profile");
  }
  toml::table root;
  try {
    root = toml::parse_file(p.file.string());
  } catch (const toml::parse_error& e) {
    throw Error(ErrorKind::job, fmt::format("{}:{}: syntax error: {}", p.file.string(),
                                            e.source().begin.line, e.description()));
  }
  no_unknown_keys(root, p.file, "", {"description", "density", "resolution", "content"});
  const auto& density = section(root, p.file, "density");
  const toml::node* classes = density.get("background");
  if (classes) {
    if (!classes->is_table()) bad(p.file, classes, "density.background", "a table");
    for (const auto& [key, node] : *classes->as_table()) {
      const toml::array* range = node.as_array();
      const auto low = range && range->size() == 2 ? (*range)[0].value<double>() : std::nullopt;
      const auto high = range && range->size() == 2 ? (*range)[1].value<double>() : std::nullopt;
      if (!low || !high || *low < 0 || *high <= *low || *high > 4) {
        bad(p.file, &node, "density.background." + std::string(key.str()),
            "[low, high] densities, low < high <= 4");
      }
      p.background.push_back({std::string(key.str()), {*low, *high}});
    }
  }
  if (p.background.empty()) bad(p.file, classes, "density.background", "one range per class");
  p.positive_background_max =
      number(density, p.file, "density", "positive_background_max", 0.30, 0, 4);
  p.base_fog_max = number(density, p.file, "density", "base_fog_max", 0.10, 0, 4);
  p.frame_uniformity = number(density, p.file, "density", "frame_uniformity", 0.10, 0, 4);
  p.reel_uniformity = number(density, p.file, "density", "reel_uniformity", 0.20, 0, 4);
  no_unknown_keys(density, p.file, "density.",
                  {"background", "positive_background_max", "base_fog_max", "frame_uniformity",
                   "reel_uniformity"});
  const auto& resolution = section(root, p.file, "resolution");
  p.min_modulation = number(resolution, p.file, "resolution", "min_modulation", 0.20, 0.01, 1);
  p.e_height_mm = number(resolution, p.file, "resolution", "e_height_mm", 1.0, 0.1, 100);
  p.qi_required = number(resolution, p.file, "resolution", "qi_required", 8.0, 0, 100);
  if (const toml::node* node = resolution.get("qi_below_required")) {
    const auto value = node->value<std::string>();
    if (!value || (*value != "fail" && *value != "warn")) {
      bad(p.file, node, "resolution.qi_below_required", "fail or warn");
    }
    p.qi_below_required_fails = *value == "fail";
  }
  no_unknown_keys(resolution, p.file, "resolution.",
                  {"min_modulation", "e_height_mm", "qi_required", "qi_below_required"});
  const auto& content = section(root, p.file, "content");
  p.ssim_min = number(content, p.file, "content", "ssim_min", 0.90, 0, 1);
  p.ssim_block_min = number(content, p.file, "content", "ssim_block_min", 0.90, 0, 1);
  p.block_mm = number(content, p.file, "content", "block_mm", 0.25, 0.05, 10);
  no_unknown_keys(content, p.file, "content.", {"ssim_min", "ssim_block_min", "block_mm"});
  return p;
}

}  // namespace fw
