// Check: the blip track as a picture. SSIM of the track (the blip mark, the printed image
// address and the frame mark) against the plan's, at the content check's scale: a wrong or
// smudged address fails even when the mark decodes.
#pragma once

#include <optional>
#include <string>

#include "qc/checks/content.hpp"

namespace fw::qc {

struct TrackResult {
  Ssim ssim;
  std::optional<std::string> problem;
};

// `sent`: the code values sent (channel 0 read, `stride` samples per pixel, `width` px wide);
// `tone`: channel 0's; `range`: the content check's density range.
TrackResult check_track(const std::uint8_t* sent, std::uint32_t width, std::uint32_t stride,
                        const ToneTable& tone, const FilmPlane& film, Rect track,
                        const SsimScale& scale, double range, double ssim_block_min);

}  // namespace fw::qc
