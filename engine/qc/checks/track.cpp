#include "qc/checks/track.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace fw::qc {

TrackResult check_track(const std::uint8_t* sent, std::uint32_t width, std::uint32_t stride,
                        const ToneTable& tone, const FilmPlane& film, Rect track,
                        const SsimScale& scale, double range, double ssim_block_min) {
  TrackResult out;
  out.ssim = ssim(expected_for_ssim(sent, width, stride, tone.data(), track, scale.bin),
                  film_for_ssim(film, track, scale.bin),
                  std::max<std::uint32_t>(8, scale.block_px / scale.bin), range);
  if (out.ssim.worst_block < ssim_block_min) {
    out.problem = fmt::format("blip track and address differ from the plan: SSIM {:.3f}",
                              out.ssim.worst_block);
  }
  return out;
}

}  // namespace fw::qc
