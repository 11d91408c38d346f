#include "qc/film_reader.hpp"

#include <fmt/format.h>
#include <vips/vips8>

#include "core/error.hpp"

namespace fw::qc {

FilmFrame::FilmFrame(std::uint32_t width, std::uint32_t height, std::uint32_t channels,
                     double scale)
    : width_(width),
      height_(height),
      channels_(channels),
      scale_(scale),
      data_(std::size_t{width} * height * channels) {}

FilmReader::FilmReader(const std::filesystem::path& reel_dir, double scale)
    : folder_(reel_dir / "film"), scale_(scale) {}

std::filesystem::path FilmReader::file(std::uint32_t frame) const {
  return folder_ / fmt::format("F{:06}.tif", frame);
}

std::set<std::uint32_t> FilmReader::frames() const {
  std::set<std::uint32_t> on_film;
  if (!std::filesystem::is_directory(folder_)) return on_film;
  for (const auto& entry : std::filesystem::directory_iterator(folder_)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 11 && name[0] == 'F' && name.ends_with(".tif") &&
        name.find_first_not_of("0123456789", 1) == 7) {
      on_film.insert(static_cast<std::uint32_t>(std::stoul(name.substr(1, 6))));
    }
  }
  return on_film;
}

FilmFrame FilmReader::read(std::uint32_t frame) const {
  const auto path = file(frame);
  try {
    vips::VImage image = vips::VImage::new_from_file(
        path.c_str(), vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    if (image.format() != VIPS_FORMAT_USHORT) {
      throw Error(ErrorKind::input, path.string() + ": not a developed-film image (16-bit)");
    }
    FilmFrame out(static_cast<std::uint32_t>(image.width()),
                  static_cast<std::uint32_t>(image.height()),
                  static_cast<std::uint32_t>(image.bands()), scale_);
    // Decoded straight into the pooled buffer: no copy of the frame out of libvips.
    vips::VImage target = vips::VImage::new_from_memory(
        out.data(), out.bytes(), image.width(), image.height(), image.bands(), VIPS_FORMAT_USHORT);
    image.write(target);
    return out;
  } catch (const vips::VError& e) {
    throw Error(ErrorKind::input, path.string() + ": cannot read developed film: " + e.what());
  }
}

}  // namespace fw::qc
