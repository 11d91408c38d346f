// A frame's length along the film, set the one way the planner and the separation route both
// need it (comic frames run along the film in x, cine frames in y). Private to engine/film.
#pragma once

#include <cstdint>

#include "model/film_format.hpp"
#include "model/placement.hpp"

namespace fw {

// `placement` with its frame `frame_along_px` long along the film, the page `page_along_px`
// from the frame's leading edge, a blip track as long as the frame, and length_mm to match.
Placement with_frame_along(const Placement& placement, const FilmFormat& format,
                           std::uint32_t page_along_px, std::uint32_t frame_along_px,
                           double pitch_um);

}  // namespace fw
