// Blip marks and image addresses in the format's blip track (docs/micrographics.md#blip-marks):
// one mark per frame at its leading edge, 0.7 mm across the film and 1 / 2 / 3 mm along it
// for page / document / batch (the format file says), at full exposure (code value 255, the
// background's density on a negative), and the frame's image address in small print beside
// the marks. Readers count the marks; an operator reads the address at the reader. Where they go
// and how long a frame's track must be: film/blip_geometry.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "film/blip_geometry.hpp"
#include "film/format.hpp"
#include "film/plan.hpp"
#include "hal/recorder.hpp"
#include "raster/raster.hpp"

namespace fw {

class TextEngine;

// Draws the frame's blip mark and address into `image` (a frame laid out by `frame.placement`).
// Does nothing when the format has no blip track. The address is set in `text` (the job's
// font set; null: the default set). An address that would not show in full inside the track,
// clear of the frame mark's place, is Error(internal): the planner sizes every frame for it
// (least_track_length_px), so a clipped address is never filmed.
void draw_blip_track(FrameImage& image, const PlannedFrame& frame, const FilmFormat& format,
                     double pitch_um, const TextEngine* text = nullptr);

// Reads the blip level back from a rendered frame: the length of the mark along the film,
// matched to the nearest of the format's three lengths (none when there is no mark).
hal::BlipLevel read_blip(const FrameImage& image, const Placement& placement,
                         const FilmFormat& format, double pitch_um);

}  // namespace fw
