// The target canvas (render/target_canvas.hpp): area-coverage fills, text, changed boxes.
#include "render/target_canvas.hpp"

#include <algorithm>
#include <cmath>

namespace fw::target_detail {

void Canvas::fill(double x0, double y0, double x1, double y1) {
  x0 = std::max(0.0, x0);
  y0 = std::max(0.0, y0);
  x1 = std::min<double>(width, x1);
  y1 = std::min<double>(height, y1);
  if (x1 <= x0 || y1 <= y0) return;
  for (auto y = static_cast<std::uint32_t>(y0); y < height && y < y1; ++y) {
    const double cover_y = std::min<double>(y + 1, y1) - std::max<double>(y, y0);
    for (auto x = static_cast<std::uint32_t>(x0); x < width && x < x1; ++x) {
      const double cover = cover_y * (std::min<double>(x + 1, x1) - std::max<double>(x, x0));
      std::uint8_t& pixel = pixels[std::size_t(y) * width + x];
      pixel = static_cast<std::uint8_t>(std::lround(pixel * (1 - cover)));
    }
  }
}

double draw_text(Canvas& canvas, const Scale& scale, const TextEngine& engine,
                 const std::string& text, double left_mm, double top_mm, double width_mm,
                 double size_mm, const std::string& align, bool bitonal, const std::string& context,
                 double shift_x_px, double shift_y_px, const Vertical& vertical) {
  if (text.empty()) return 0;
  TextStyle style;
  style.size_px =
      size_for_cap_height_mm(size_mm, scale.reduction, scale.pitch_um, engine.cap_height_em());
  style.align = align == "start" ? Align::start : align == "end" ? Align::end : Align::centre;
  style.bitonal = bitonal;
  style.language = vertical.language;
  double x = left_mm * scale.px_per_mm;
  Box box{width_mm * scale.px_per_mm, 0};
  if (vertical.on) {
    // Columns run from the right edge of the block leftwards.
    style.mode = WritingMode::vertical;
    box = Box{0, vertical.height_mm * scale.px_per_mm};
  }
  const Layout layout = engine.layout(text, box, style, context);
  if (vertical.on) x += width_mm * scale.px_per_mm - layout.width;
  engine.draw(layout, canvas.image(), x - shift_x_px, top_mm * scale.px_per_mm - shift_y_px, 0);
  return std::max(layout.height, layout.ink.y + layout.ink.height);
}

DrawnBox changed_box(const std::vector<std::uint8_t>& before,
                     const std::vector<std::uint8_t>& after, std::uint32_t width,
                     std::string what) {
  DrawnBox box;
  box.what = std::move(what);
  std::uint32_t x0 = width, y0 = UINT32_MAX, x1 = 0, y1 = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    if (before[i] == after[i]) continue;
    const auto x = static_cast<std::uint32_t>(i % width), y = static_cast<std::uint32_t>(i / width);
    x0 = std::min(x0, x);
    x1 = std::max(x1, x + 1);
    y0 = std::min(y0, y);
    y1 = std::max(y1, y + 1);
  }
  if (x1 > 0) box = {box.what, x0, y0, x1, y1};
  return box;
}

}  // namespace fw::target_detail
