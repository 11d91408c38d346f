#include "film/substitute.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace fw {

FrameImage render_substitute(const PlannedFrame& frame, const Document& document,
                             const std::string& reason, const RasterSettings& settings) {
  const Placement& p = frame.placement;
  const std::string source = frame.source.ref.file.empty()
                                 ? std::string("(no source file)")
                                 : fmt::format("{} (page {})", frame.source.ref.file.string(),
                                               frame.source.ref.page_in_file + 1);
  // Pango markup: escape what the operator's data may contain.
  auto escape = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        default:
          out += c;
      }
    }
    return out;
  };
  const std::string text = fmt::format(
      "<b>SUBSTITUTE — PAGE MISSING</b>\n\nDocument {} {}\nPage {}\n\nSource: {}\n\nReason: {}",
      escape(document.id), escape(document.title), frame.page, escape(source), escape(reason));

  // Ink on a page-coloured field, like the page it stands for: black text (0) on paper (255).
  const int box_w = std::max(1, static_cast<int>(p.page_width_px * 0.8));
  const int box_h = std::max(1, static_cast<int>(p.page_height_px * 0.6));
  vips::VImage ink = vips::VImage::text(text.c_str(), vips::VImage::option()
                                                          ->set("font", "Noto Sans CJK SC")
                                                          ->set("width", box_w)
                                                          ->set("height", box_h)
                                                          ->set("dpi", 600));
  vips::VImage page = (255 - ink).embed(
      (static_cast<int>(p.page_width_px) - ink.width()) / 2,
      (static_cast<int>(p.page_height_px) - ink.height()) / 2, static_cast<int>(p.page_width_px),
      static_cast<int>(p.page_height_px), vips::VImage::option()->set("extend", "white"));
  if (settings.mode == ImageMode::bitonal) page = (page > settings.threshold).ifthenelse(255, 0);
  if (settings.polarity == Polarity::positive) page = 255 - page;
  page = page.cast(VIPS_FORMAT_UCHAR);
  if (settings.mode == ImageMode::colour) page = page.bandjoin({page, page});
  vips::VImage frame_image =
      page.embed(static_cast<int>(p.page_x_px), static_cast<int>(p.page_y_px),
                 static_cast<int>(p.frame_width_px), static_cast<int>(p.frame_height_px),
                 vips::VImage::option()->set("extend", "black"));
  FrameImage out;
  out.width = p.frame_width_px;
  out.height = p.frame_height_px;
  out.channels = static_cast<std::uint32_t>(frame_image.bands());
  std::size_t size = 0;
  void* data = frame_image.write_to_memory(&size);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out.pixels.assign(bytes, bytes + size);
  g_free(data);
  return out;
}

}  // namespace fw
