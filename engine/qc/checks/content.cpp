#include "qc/checks/content.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace fw::qc {

SsimScale ssim_scale(double pitch_um, double block_mm, double least_range) {
  SsimScale s;
  s.bin = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::lround(10.0 / pitch_um)));
  s.block_px = std::max<std::uint32_t>(
      8, static_cast<std::uint32_t>(std::lround(block_mm * 1000 / pitch_um)));
  s.least_range = least_range;
  return s;
}

ContentResult check_content(const std::uint8_t* sent, std::uint32_t width, std::uint32_t stride,
                            const std::vector<ToneTable>& tones,
                            const std::vector<FilmPlane>& layers, Rect inner,
                            const SsimScale& scale, double ssim_min, double ssim_block_min,
                            const std::vector<std::string>& names) {
  ContentResult out;
  Ssim& s = out.worst;
  for (std::uint32_t c = 0; c < layers.size(); ++c) {
    const ToneTable& t = tones[c];
    const Ssim sc = ssim(expected_for_ssim(sent + c, width, stride, t.data(), inner, scale.bin),
                         film_for_ssim(layers[c], inner, scale.bin),
                         std::max<std::uint32_t>(8, scale.block_px / scale.bin),
                         std::max(scale.least_range, t[255] - t[0]));
    out.channels.push_back(sc);
    if (c == 0 || std::min(sc.mean, sc.worst_block) < std::min(s.mean, s.worst_block)) {
      out.worst_channel = c;
    }
    s.mean = c == 0 ? sc.mean : std::min(s.mean, sc.mean);
    if (c == 0 || sc.worst_block < s.worst_block) {
      s.worst_block = sc.worst_block;
      s.worst = sc.worst;
    }
  }
  s.worst = {inner.x + s.worst.x * scale.bin, inner.y + s.worst.y * scale.bin,
             s.worst.width * scale.bin, s.worst.height * scale.bin};
  const std::string& layer = names[out.worst_channel];
  if (s.mean < ssim_min) {
    out.problems.push_back(fmt::format("{}does not show its source: SSIM {:.3f} below {:.2f}",
                                       layer.empty() ? std::string() : layer + " layer ", s.mean,
                                       ssim_min));
  } else if (s.worst_block < ssim_block_min) {
    out.problems.push_back(fmt::format("{}a defect at x {} y {} px: block SSIM {:.3f} below {:.2f}",
                                       layer.empty() ? std::string() : layer + " layer: ",
                                       s.worst.x, s.worst.y, s.worst_block, ssim_block_min));
  }
  return out;
}

}  // namespace fw::qc
