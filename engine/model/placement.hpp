// Where a page goes in its frame, as a value (engine/model): the planner computes it
// (film/plan.hpp place_page), the raster stage and verify follow it.
#pragma once

#include <cstdint>

namespace fw {

// Where a page goes in its frame. The frame image is in page orientation (upright as a
// reader shows it); the format's orientation says which image axis runs along the film.
struct Placement {
  std::uint32_t frame_width_px = 0;
  std::uint32_t frame_height_px = 0;
  int rotate = 0;      // clockwise degrees applied to the source page first
  double scale_x = 1;  // frame px per source px, after rotation
  double scale_y = 1;
  std::uint32_t page_x_px = 0;  // the scaled page's rectangle inside the frame
  std::uint32_t page_y_px = 0;
  std::uint32_t page_width_px = 0;
  std::uint32_t page_height_px = 0;
  double length_mm = 0;  // frame length along the film (without the gap)
  // The blip track beside the image area (all 0 when the format has none).
  std::uint32_t track_x_px = 0;
  std::uint32_t track_y_px = 0;
  std::uint32_t track_width_px = 0;
  std::uint32_t track_height_px = 0;
  // The part of the upright page the frame shows, as fractions of its width and height: the
  // whole page, or one section of an oversize page filmed in sections (oversize = "split").
  // The scale is the whole page's; the page box above is the section's.
  double crop_left = 0;
  double crop_top = 0;
  double crop_right = 1;
  double crop_bottom = 1;

  bool cropped() const {
    return crop_left > 0 || crop_top > 0 || crop_right < 1 || crop_bottom < 1;
  }
};

}  // namespace fw
