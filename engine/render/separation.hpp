// Drawing the colour-separation route's frames (film/separation_geometry.hpp says what they carry
// and where): one channel of a colour frame as a grey frame, and the calibration strip beside
// the page.
#pragma once

#include "film/format.hpp"
#include "film/plan.hpp"
#include "film/separation_geometry.hpp"
#include "raster/raster.hpp"

namespace fw {

// One channel of a 3-channel colour frame as a 1-channel grey frame.
FrameImage separation_channel(const FrameImage& colour, Separation separation);

// Draws the crosses (code 255 on unexposed film) and the grey scale into a 1-channel frame.
void draw_separation_strip(FrameImage& image, const Placement& placement, const FilmFormat& format,
                           double pitch_um);

}  // namespace fw
