// Check: content. SSIM of the frame against its source as filmed: the code values sent,
// turned into density by the reel's tone, film and expectation binned to ~10 um and 3 x 3
// averaged so that grain is not mistaken for structure, the frame's outer 2 x 10 um left out
// (a frame exposed to its edge comes out thinner there). SSIM's constants come from at least
// the paper-over-base range, so that a blank tile's grain is not a defect. Each dye layer on
// its own; the worst counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qc/checks/tone.hpp"
#include "qc/measure.hpp"

namespace fw::qc {

struct SsimScale {
  std::uint32_t bin = 1;       // frame px per SSIM px
  std::uint32_t block_px = 8;  // a block's side, frame px
  double least_range = 0.5;    // SSIM's density range at least
};
// At `pitch_um`: bins of about 10 um, blocks of `block_mm`.
SsimScale ssim_scale(double pitch_um, double block_mm, double least_range);

struct ContentResult {
  std::vector<Ssim> channels;       // per layer, blocks in SSIM px
  Ssim worst;                       // the lowest mean, the worst block (frame px) of any layer
  std::uint32_t worst_channel = 0;  // the layer named in a problem
  std::vector<std::string> problems;
};

// `sent`: the code values sent (`stride` samples per pixel, `width` px wide), `tones` one per
// layer. `inner`: the frame without its outer border.
ContentResult check_content(const std::uint8_t* sent, std::uint32_t width, std::uint32_t stride,
                            const std::vector<ToneTable>& tones,
                            const std::vector<FilmPlane>& layers, Rect inner,
                            const SsimScale& scale, double ssim_min, double ssim_block_min,
                            const std::vector<std::string>& names);

}  // namespace fw::qc
