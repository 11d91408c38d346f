#include "qc/checks/frame_mark.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace fw::qc {

MarkResult check_frame_mark(const FilmPlane& film, const MarkBox& box, double clear, double exposed,
                            const FrameMark& expected) {
  MarkResult out;
  out.box = box;
  out.expected = expected.payload();
  // The box and a quiet zone of two modules around it.
  const std::uint32_t pad = 2 * box.module_px;
  const std::uint32_t x0 = box.x >= pad ? box.x - pad : 0, y0 = box.y >= pad ? box.y - pad : 0;
  const std::uint32_t x1 = std::min(film.width, box.x + box.size + pad);
  const std::uint32_t y1 = std::min(film.height, box.y + box.size + pad);
  std::vector<std::uint8_t> grey(std::size_t{x1 - x0} * (y1 - y0));
  const double lo = clear, hi = std::max(clear + 0.05, exposed);
  for (std::uint32_t y = y0; y < y1; ++y) {
    for (std::uint32_t x = x0; x < x1; ++x) {
      const double t = (film.at(x, y) - lo) / (hi - lo);
      grey[std::size_t{y - y0} * (x1 - x0) + (x - x0)] =
          static_cast<std::uint8_t>(std::clamp(255.0 * (1 - t), 0.0, 255.0));
    }
  }
  const auto text = decode_datamatrix(grey, x1 - x0, y1 - y0);
  if (text) out.read = *text;
  if (!text) {
    out.problems.emplace_back("frame mark unreadable");
  } else if (const auto got = FrameMark::parse(*text); !got || !(*got == expected)) {
    out.problems.push_back(fmt::format("frame mark says {}, expected {}", *text, out.expected));
  }
  return out;
}

}  // namespace fw::qc
