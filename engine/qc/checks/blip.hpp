// Check: the blip. The mark's length read back from the film's blip track (engine/film
// read_blip), against the level the plan gave the frame.
#pragma once

#include <optional>
#include <string>

#include "film/format.hpp"
#include "film/plan.hpp"
#include "hal/recorder.hpp"
#include "qc/measure.hpp"

namespace fw::qc {

struct BlipResult {
  hal::BlipLevel read = hal::BlipLevel::none;
  std::optional<std::string> problem;
};

// `threshold`: the density between clear film and full exposure (exposed above it). Only
// the track is read. Call it for frames with a track (placement.track_width_px > 0).
BlipResult check_blip(const FilmPlane& film, double threshold, const Placement& placement,
                      const FilmFormat& format, double pitch_um, hal::BlipLevel planned);

}  // namespace fw::qc
