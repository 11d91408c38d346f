#include "color/wedge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include <vips/vips8>

#include "core/error.hpp"

namespace fw {
namespace {

constexpr std::uint32_t kColumns = 7;  // 21 steps: 7 x 3, a wedge that fits 16 mm film

std::uint32_t columns_for(std::size_t steps) {
  return steps <= 21 ? kColumns
                     : static_cast<std::uint32_t>(std::ceil(std::sqrt(static_cast<double>(steps))));
}

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

}  // namespace

std::vector<std::uint8_t> wedge_codes(int steps) {
  if (steps < 4 || steps > 256) {
    throw Error(ErrorKind::usage, fmt::format("wedge steps: expected 4–256, got {}", steps));
  }
  std::vector<std::uint8_t> codes;
  codes.reserve(static_cast<std::size_t>(steps));
  for (int i = 0; i < steps; ++i) {
    codes.push_back(static_cast<std::uint8_t>(std::lround(255.0 * i / (steps - 1))));
  }
  return codes;
}

WedgeLayout make_wedge(const std::vector<std::uint8_t>& codes,
                       const std::vector<double>& target_densities, std::uint32_t patch_px) {
  WedgeLayout layout;
  layout.patch_px = patch_px;
  layout.fiducial_px = patch_px / 4;
  const std::uint32_t gap = patch_px / 4;
  const std::uint32_t border = layout.fiducial_px * 2;
  const std::uint32_t columns = columns_for(codes.size());
  const auto rows = static_cast<std::uint32_t>((codes.size() + columns - 1) / columns);
  layout.width = 2 * border + columns * patch_px + (columns - 1) * gap;
  layout.height = 2 * border + rows * patch_px + (rows - 1) * gap;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const auto column = static_cast<std::uint32_t>(i % columns);
    const auto row = static_cast<std::uint32_t>(i / columns);
    layout.steps.push_back({static_cast<int>(i + 1), codes[i],
                            i < target_densities.size() ? target_densities[i] : -1.0,
                            border + column * (patch_px + gap), border + row * (patch_px + gap)});
  }
  return layout;
}

std::vector<std::uint8_t> render_wedge(const WedgeLayout& layout) {
  std::vector<std::uint8_t> pixels(std::size_t{layout.width} * layout.height, 0);
  const auto fill = [&](std::uint32_t x0, std::uint32_t y0, std::uint32_t size, std::uint8_t v) {
    for (std::uint32_t y = y0; y < y0 + size; ++y) {
      std::fill_n(pixels.begin() + static_cast<std::ptrdiff_t>(std::size_t{y} * layout.width + x0),
                  size, v);
    }
  };
  const std::uint32_t f = layout.fiducial_px;
  for (auto [x, y] : {std::pair{0u, 0u},
                      {layout.width - f, 0u},
                      {0u, layout.height - f},
                      {layout.width - f, layout.height - f}}) {
    fill(x, y, f, 255);
  }
  for (const auto& step : layout.steps) fill(step.x, step.y, layout.patch_px, step.code);
  return pixels;
}

std::string WedgeLayout::to_json() const {
  nlohmann::ordered_json json;
  json["width_px"] = width;
  json["height_px"] = height;
  json["patch_px"] = patch_px;
  json["fiducial_px"] = fiducial_px;
  json["steps"] = nlohmann::ordered_json::array();
  for (const auto& s : steps) {
    nlohmann::ordered_json step{{"step", s.number}, {"code", s.code}, {"x", s.x}, {"y", s.y}};
    if (s.target_density >= 0) step["target_density"] = s.target_density;
    json["steps"].push_back(step);
  }
  return json.dump(2) + "\n";
}

WedgeLayout WedgeLayout::from_json(const std::string& text, const std::string& context) {
  try {
    const auto json = nlohmann::json::parse(text);
    WedgeLayout layout;
    layout.width = json.at("width_px");
    layout.height = json.at("height_px");
    layout.patch_px = json.at("patch_px");
    layout.fiducial_px = json.at("fiducial_px");
    for (const auto& s : json.at("steps")) {
      layout.steps.push_back(
          {s.at("step"), s.at("code"), s.value("target_density", -1.0), s.at("x"), s.at("y")});
    }
    return layout;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::input, context + ": not a wedge layout: " + e.what());
  }
}

DensityImage read_developed_film(const std::filesystem::path& file, double scale) {
  try {
    vips::VImage image = vips::VImage::new_from_file(
        file.c_str(), vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    if (image.format() != VIPS_FORMAT_USHORT) {
      throw Error(ErrorKind::input, file.string() + ": not a developed-film image (16-bit)");
    }
    DensityImage out{static_cast<std::uint32_t>(image.width()),
                     static_cast<std::uint32_t>(image.height()),
                     static_cast<std::uint32_t>(image.bands()),
                     {}};
    std::size_t size = 0;
    auto* data = static_cast<std::uint16_t*>(image.write_to_memory(&size));
    out.density.resize(size / 2);
    for (std::size_t i = 0; i < out.density.size(); ++i) out.density[i] = data[i] / scale;
    g_free(data);
    return out;
  } catch (const vips::VError& e) {
    throw Error(ErrorKind::input, file.string() + ": cannot read developed film: " + e.what());
  }
}

std::vector<DensityReading> read_wedge(const WedgeLayout& layout, const DensityImage& film,
                                       const std::string& context, std::uint32_t channel) {
  if (film.width != layout.width || film.height != layout.height || channel >= film.channels) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the film frame is {}x{} px, the wedge layout {}x{} px", context,
                            film.width, film.height, layout.width, layout.height));
  }
  const auto mean = [&](std::uint32_t x0, std::uint32_t y0, std::uint32_t size) {
    double sum = 0;
    for (std::uint32_t y = y0; y < y0 + size; ++y) {
      for (std::uint32_t x = x0; x < x0 + size; ++x) {
        sum += film.density[(std::size_t{y} * film.width + x) * film.channels + channel];
      }
    }
    return sum / (static_cast<double>(size) * size);
  };
  // The fiducials must be the densest marks on the frame; a shifted or foreign frame is not.
  const std::uint32_t f = layout.fiducial_px, q = f / 4;
  const double unexposed = mean(f + q, q, f / 2);
  for (auto [x, y] : {std::pair{0u, 0u},
                      {layout.width - f, 0u},
                      {0u, layout.height - f},
                      {layout.width - f, layout.height - f}}) {
    const double fiducial = mean(x + q, y + q, f / 2);
    if (fiducial < unexposed + 0.3) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: no fiducial at {},{} px ({:.2f} D against {:.2f} D unexposed): "
                              "this frame is not the wedge",
                              context, x, y, fiducial, unexposed));
    }
  }
  std::vector<DensityReading> readings;
  const std::uint32_t quarter = layout.patch_px / 4;
  for (const auto& step : layout.steps) {
    readings.push_back(
        {static_cast<double>(step.code), mean(step.x + quarter, step.y + quarter, 2 * quarter)});
  }
  return readings;
}

std::string readings_csv(const WedgeLayout& layout, const std::vector<DensityReading>& readings) {
  std::string out = "step,code,density\n";
  for (std::size_t i = 0; i < layout.steps.size(); ++i) {
    out += fmt::format("{},{},", layout.steps[i].number, layout.steps[i].code);
    if (i < readings.size()) out += fmt::format("{:.4f}", readings[i].density);
    out += "\n";
  }
  return out;
}

std::vector<DensityReading> parse_readings_csv(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  int code_column = -1, density_column = -1;
  std::vector<DensityReading> readings;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line.starts_with('#')) continue;
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(trim(cell));
    if (line.ends_with(',')) cells.emplace_back();
    if (code_column < 0) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "code") code_column = static_cast<int>(i);
        if (cells[i] == "density") density_column = static_cast<int>(i);
      }
      if (code_column < 0 || density_column < 0) {
        throw Error(ErrorKind::input,
                    fmt::format("{}:{}: expected a header with the columns code and density, got "
                                "\"{}\"",
                                name, number, line));
      }
      continue;
    }
    const auto cell = [&](int column) {
      return static_cast<std::size_t>(column) < cells.size() ? cells[column] : std::string();
    };
    DensityReading reading;
    for (auto [column, target, what] : {std::tuple{code_column, &reading.code, "code"},
                                        std::tuple{density_column, &reading.density, "density"}}) {
      const std::string value = cell(column);
      char* end = nullptr;
      *target = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        throw Error(ErrorKind::input, fmt::format("{}:{}: {}: expected a number, got \"{}\"", name,
                                                  number, what, value));
      }
    }
    readings.push_back(reading);
  }
  if (code_column < 0) throw Error(ErrorKind::input, name + ": empty readings file");
  return readings;
}

}  // namespace fw
