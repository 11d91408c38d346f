// The blip track's geometry (docs/micrographics.md#blip-marks): how long a frame's track must be
// for its blip mark, image address and frame mark, which the planner sizes frames with, and
// where the mark and the address go, which the drawing (render/blip.hpp) and the reading share.
// Pure functions of the format, the pitch and the address's text layout: no pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "film/format.hpp"
#include "film/plan.hpp"
#include "hal/recorder.hpp"
#include "text/text.hpp"

namespace fw {

// The least frame length along the film, in pixels, for a frame whose track shows `level` and
// `address`: the blip mark from its offset, the address after it in full (0.3 mm behind the
// blip mark, centred across the track beside the blip lane), then a gap, the frame
// mark with its quiet zone (film/mark_box.hpp) and a gap to the frame's trailing edge. 0 when
// the format has no blip track. Throws Error(job) naming the format when the address does not
// fit across the track beside the blip lane.
std::uint32_t least_track_length_px(const std::string& address, hal::BlipLevel level,
                                    const FilmFormat& format, double pitch_um,
                                    const TextEngine& text);

// The pieces the planner's measure and render/blip.cpp's drawing and reading share.
namespace blip_detail {

// The blip mark's length along the film for `level`, from the format's track; 0 for none.
double mark_length_mm(hal::BlipLevel level, const BlipTrack& track);

// The track in film axes: `along` runs with the film, `across` from the image area outwards.
// Comic frames have the track under the page (along = x), cine frames right of it (along = y).
struct TrackAxes {
  bool comic = true;
  const Placement* placement = nullptr;
  std::uint32_t along_px() const {
    return comic ? placement->track_width_px : placement->track_height_px;
  }
  std::uint32_t across_px() const {
    return comic ? placement->track_height_px : placement->track_width_px;
  }
  // Frame pixel index of (along, across).
  std::size_t index(std::uint32_t along, std::uint32_t across, std::uint32_t frame_width) const {
    const std::uint32_t x = comic ? placement->track_x_px + along : placement->track_x_px + across;
    const std::uint32_t y = comic ? placement->track_y_px + across : placement->track_y_px + along;
    return std::size_t(y) * frame_width + x;
  }
};

// Room between the blip mark and the address along the film.
constexpr double kAddressAfterMarkMm = 0.3;

// The image address as it is set in a blip track `across_px` wide, in track axes (along the
// film from the frame's leading edge, across it from the track's inner edge), in pixels. `ink_*`
// is the ink's extent in whole pixels, one pixel wider on every side than the outlines for
// anti-aliasing and hinting: [from, to).
struct TrackAddress {
  Layout layout;
  double along = 0, across = 0;  // the layout box's top-left corner
  std::int64_t ink_along_from = 0, ink_along_to = 0;
  std::int64_t ink_across_from = 0, ink_across_to = 0;
};

TrackAddress track_address(const std::string& address, hal::BlipLevel level,
                           std::uint32_t across_px, const FilmFormat& format, double pitch_um,
                           const TextEngine& text);

}  // namespace blip_detail
}  // namespace fw
