#include "qc/checks/blip.hpp"

#include <fmt/format.h>

#include "render/blip.hpp"

namespace fw::qc {

BlipResult check_blip(const FilmPlane& film, double threshold, const Placement& placement,
                      const FilmFormat& format, double pitch_um, hal::BlipLevel planned) {
  // The track alone, thresholded, as a frame of its own: read_blip reads one lane of it.
  Placement track = placement;
  track.track_x_px = 0;
  track.track_y_px = 0;
  const std::uint32_t w = std::min(placement.track_width_px, film.width - placement.track_x_px);
  const std::uint32_t h = std::min(placement.track_height_px, film.height - placement.track_y_px);
  track.track_width_px = w;
  track.track_height_px = h;
  FrameImage binary{w, h, 1, std::vector<std::uint8_t>(std::size_t{w} * h, 0)};
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) {
      binary.pixels[std::size_t{y} * w + x] =
          film.at(placement.track_x_px + x, placement.track_y_px + y) > threshold ? 255 : 0;
    }
  }
  BlipResult out;
  out.read = read_blip(binary, track, format, pitch_um);
  if (out.read != planned) {
    out.problem = fmt::format("blip reads {}, the plan says {}", hal::to_string(out.read),
                              hal::to_string(planned));
  }
  return out;
}

}  // namespace fw::qc
