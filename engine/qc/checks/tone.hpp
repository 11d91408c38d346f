// Check: the reel's tone, code value sent -> density on this reel's film, read from the
// technical target's grey wedge, per dye layer. The content check turns the frames' code
// values into the density they should have with it. A reel without a technical target (or
// whose wedge cannot be read) takes each frame's own tone: SSIM then judges structure only,
// and exposure is left to the density checks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "film/target_layout.hpp"
#include "qc/measure.hpp"

namespace fw::qc {

using ToneTable = std::array<double, 256>;  // density per code value

struct WedgeReading {
  std::uint32_t channel = 0;
  double code = 0, density = 0;
};

struct ReelTone {
  std::string from;               // "R0001-T0002 wedge", or "each frame (...)"
  std::vector<ToneTable> tables;  // per channel; empty: each frame's own tone
  std::vector<WedgeReading> readings;
  std::optional<std::string> failure;  // the wedge could not be read: why
};

// The tone of a reel without a readable technical target.
ReelTone tone_without_target();

// Reads the wedge of `chart` on the technical target's film (`layers`, one per judged
// channel) against the code values sent there (`sent`, `stride` samples per pixel, the
// frame `width` px wide). `address` names the frame; `names` the layers ("red" ...; empty for
// a single layer).
ReelTone read_reel_tone(const ChartLayout& chart, const std::vector<FilmPlane>& layers,
                        const std::uint8_t* sent, std::uint32_t width, std::uint32_t stride,
                        const std::string& address, const std::vector<std::string>& names);

// A frame's own tone: the mean density of each code value sent on channel `channel`,
// interpolated between the codes the frame has and held flat beyond them.
ToneTable tone_from_frame(const std::uint8_t* sent, std::uint32_t stride, std::uint32_t channel,
                          const FilmPlane& film);

}  // namespace fw::qc
