// profiles/qc/<name>.toml: the limits verify judges by.
#include <fmt/format.h>

#include <algorithm>

#include "base/toml_reader.hpp"
#include "core/error.hpp"
#include "qc/qc.hpp"

namespace fw {
namespace {

// A table of the profile, or an empty one's worth of defaults when it is absent.
void read_section(const TomlTable& root, std::string_view name,
                  std::initializer_list<TomlTable::Rule> rules) {
  if (const auto section = root.get(name)) section->table().read(rules);
}

// [low, high] densities, low < high <= 4.
std::pair<double, double> density_range(const TomlValue& value) {
  static constexpr std::string_view kExpected = "[low, high] densities, low < high <= 4";
  const auto bounds = value.array(kExpected);
  const auto low = bounds.size() == 2 ? bounds[0].as_number() : std::nullopt;
  const auto high = bounds.size() == 2 ? bounds[1].as_number() : std::nullopt;
  if (!low || !high || *low < 0 || *high <= *low || *high > 4) value.fail(kExpected);
  return {*low, *high};
}

}  // namespace

QcProfile load_qc_profile(const std::filesystem::path& profiles_dir, const std::string& name) {
  QcProfile p;
  p.file = name.ends_with(".toml") ? std::filesystem::path(name)
                                   : profiles_dir / "qc" / (name + ".toml");
  if (!std::filesystem::exists(p.file)) {
    throw Error(ErrorKind::job, p.file.string() + ": no such QC profile");
  }
  const TomlDocument document = TomlDocument::load(p.file);
  const TomlTable root = document.root();
  const auto number = [](double& field, double low, double high) {
    return [&field, low, high](const TomlValue& v) {
      field = v.number(NumberRange::between(low, high));
    };
  };
  std::optional<TomlValue> background;
  root.read({
      {"description", [](const TomlValue& v) { v.string(); }},
      {"density", [](const TomlValue& v) { v.table(); }},
      {"resolution", [](const TomlValue& v) { v.table(); }},
      {"content", [](const TomlValue& v) { v.table(); }},
  });
  read_section(root, "density",
               {
                   {"background",
                    [&](const TomlValue& v) {
                      v.table();
                      background = v;
                    }},
                   {"positive_background_max", number(p.positive_background_max, 0, 4)},
                   {"base_fog_max", number(p.base_fog_max, 0, 4)},
                   {"frame_uniformity", number(p.frame_uniformity, 0, 4)},
                   {"reel_uniformity", number(p.reel_uniformity, 0, 4)},
               });
  if (background) {
    const TomlTable classes = background->table();
    for (const TomlValue& range : classes.entries()) {
      p.background.emplace_back(std::string(classes.name_of(range)), density_range(range));
    }
    // By class name, as before the reader kept the file's order: qc.json lists them so.
    std::ranges::stable_sort(p.background, {}, [](const auto& entry) { return entry.first; });
  }
  if (p.background.empty()) {
    if (background) {
      background->fail("one range per class", "an empty table");
    }
    root.fail("density.background", "one range per class (required)", "nothing");
  }
  read_section(root, "resolution",
               {
                   {"min_modulation", number(p.min_modulation, 0.01, 1)},
                   {"e_height_mm", number(p.e_height_mm, 0.1, 100)},
                   {"qi_required", number(p.qi_required, 0, 100)},
                   {"qi_below_required",
                    [&](const TomlValue& v) {
                      p.qi_below_required_fails =
                          v.word<bool>({{"fail", true}, {"warn", false}}, "fail or warn");
                    }},
               });
  read_section(root, "content",
               {
                   {"ssim_min", number(p.ssim_min, 0, 1)},
                   {"ssim_block_min", number(p.ssim_block_min, 0, 1)},
                   {"block_mm", number(p.block_mm, 0.05, 10)},
               });
  return p;
}

}  // namespace fw
