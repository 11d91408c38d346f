// The substitution target: the frame filmed in place of a page that could not be filmed
// (policy `substitute`), so that the film itself says what is missing and why.
// A later issue replaces this plain layout with the institution's target templates.
#pragma once

#include <string>

#include "film/plan.hpp"
#include "raster/raster.hpp"

namespace fw {

FrameImage render_substitute(const PlannedFrame& frame, const Document& document,
                             const std::string& reason, const RasterSettings& settings);

}  // namespace fw
