#include "sim/sim_film.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include <vips/vips8>

#include "hal/recorder.hpp"
#include "sim/sim_physics.hpp"

namespace fw::drivers::sim {

std::filesystem::path film_frame_file(std::uint32_t frame) {
  return std::filesystem::path("film") / fmt::format("F{:06}.tif", frame);
}

std::vector<std::uint32_t> FilmReader::frames(const std::filesystem::path& reel_dir) const {
  std::vector<std::uint32_t> numbers;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(reel_dir / "film", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 11 && name[0] == 'F' && name.ends_with(".tif") &&
        std::all_of(name.begin() + 1, name.begin() + 7,
                    [](char c) { return c >= '0' && c <= '9'; })) {
      numbers.push_back(static_cast<std::uint32_t>(std::stoul(name.substr(1, 6))));
    }
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

std::filesystem::path FilmReader::frame_file(const std::filesystem::path& reel_dir,
                                             std::uint32_t frame) const {
  return reel_dir / film_frame_file(frame);
}

hal::DensityImage FilmReader::read(const std::filesystem::path& reel_dir,
                                   std::uint32_t frame) const {
  const auto file = frame_file(reel_dir, frame);
  try {
    vips::VImage image = vips::VImage::new_from_file(
        file.c_str(), vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    if (image.format() != VIPS_FORMAT_USHORT) {
      throw hal::DeviceError(hal::DeviceErrorKind::fault,
                             file.string() + ": not a developed-film image (16-bit)");
    }
    hal::DensityImage out{static_cast<std::uint32_t>(image.width()),
                          static_cast<std::uint32_t>(image.height()),
                          static_cast<std::uint32_t>(image.bands()),
                          {}};
    std::size_t size = 0;
    auto* data = static_cast<std::uint16_t*>(image.write_to_memory(&size));
    out.density.resize(size / 2);
    for (std::size_t i = 0; i < out.density.size(); ++i) out.density[i] = data[i] / kDensityScale;
    g_free(data);
    return out;
  } catch (const vips::VError& e) {
    throw hal::DeviceError(hal::DeviceErrorKind::fault,
                           file.string() + ": cannot read developed film: " + e.what());
  }
}

}  // namespace fw::drivers::sim
