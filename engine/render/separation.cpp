#include "render/separation.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace fw {

FrameImage separation_channel(const FrameImage& colour, Separation separation) {
  if (colour.channels != 3 || separation == Separation::none) {
    throw Error(ErrorKind::internal, fmt::format("colour separation {} of a {}-channel frame",
                                                 to_string(separation), colour.channels));
  }
  const std::size_t channel = static_cast<std::size_t>(separation) - 1;
  FrameImage grey;
  grey.width = colour.width;
  grey.height = colour.height;
  grey.channels = 1;
  grey.pixels.resize(std::size_t{colour.width} * colour.height);
  for (std::size_t i = 0; i < grey.pixels.size(); ++i)
    grey.pixels[i] = colour.pixels[i * 3 + channel];
  return grey;
}

void draw_separation_strip(FrameImage& image, const Placement& placement, const FilmFormat& format,
                           double pitch_um) {
  if (image.channels != 1) {
    throw Error(ErrorKind::internal, "the separation strip is drawn on 1-channel frames");
  }
  const SeparationStrip strip = separation_strip(placement, format, pitch_um);
  auto fill = [&](const PixelRect& r, std::uint8_t value) {
    for (std::uint32_t y = r.y; y < r.y + r.height && y < image.height; ++y) {
      std::uint8_t* row = image.pixels.data() + std::size_t{y} * image.width;
      std::fill(row + std::min(r.x, image.width), row + std::min(r.x + r.width, image.width),
                value);
    }
  };
  fill(strip.area, 0);
  const auto values = separation_step_values();
  for (std::size_t i = 0; i < kSeparationSteps; ++i) fill(strip.steps[i], values[i]);
  // Crosses: two full-exposure bars through the box's centre, a tenth of its size thick.
  for (std::size_t i = 0; i < 2; ++i) {
    const PixelRect& box = strip.crosses[i];
    const std::uint32_t bar = std::max<std::uint32_t>(2, std::min(box.width, box.height) / 10);
    fill({box.x, strip.cross_centre_y[i] - bar / 2, box.width, bar}, 255);
    fill({strip.cross_centre_x[i] - bar / 2, box.y, bar, box.height}, 255);
  }
}

}  // namespace fw
