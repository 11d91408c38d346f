#include "film/substitute.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "text/text.hpp"

namespace fw {

FrameImage render_substitute(const PlannedFrame& frame, const Document& document,
                             const std::string& reason, const RasterSettings& settings) {
  const Placement& p = frame.placement;
  const std::string source = frame.source.ref.file.empty()
                                 ? std::string("(no source file)")
                                 : fmt::format("{} (page {})", frame.source.ref.file.string(),
                                               frame.source.ref.page_in_file + 1);
  // Set with the text engine (fonts/default.toml): every character is checked against the
  // font chain first, so a title or file name with a character no font has fails here with
  // its code point named instead of filming a tofu box.
  const auto text = TextEngine::load_default();
  const std::string context =
      fmt::format("substitute target for document {} page {}", document.id, frame.page);
  const std::string heading = "SUBSTITUTE — PAGE MISSING\n缺页替代";
  const std::string body = fmt::format("Document {} {}\nPage {}\nSource: {}\nReason: {}",
                                       document.id, document.title, frame.page, source, reason);

  // Sizes follow the page, so that the target reads like a page of the document.
  const double page_width = p.page_width_px;
  const double page_height = p.page_height_px;
  TextStyle heading_style;
  heading_style.size_px = std::max(8.0, page_width / 18);
  heading_style.align = Align::centre;
  heading_style.bitonal = settings.mode == ImageMode::bitonal;
  TextStyle body_style = heading_style;
  body_style.size_px = std::max(6.0, page_width / 36);
  body_style.align = Align::start;
  const Box box{std::max(1.0, page_width * 0.8), 0};
  const Layout heading_layout = text->layout(heading, box, heading_style, context);
  const Layout body_layout = text->layout(body, box, body_style, context);

  // Ink (0) on a page-coloured field (255), like the page it stands for.
  const auto width = static_cast<std::uint32_t>(std::max(1.0, page_width));
  const auto height = static_cast<std::uint32_t>(std::max(1.0, page_height));
  std::vector<std::uint8_t> paper(static_cast<std::size_t>(width) * height, 255);
  const GreyImage canvas{width, height, paper.data(), width};
  const double gap = body_style.size_px;
  const double block_height = heading_layout.height + gap + body_layout.height;
  const double left = (page_width - box.width) / 2;
  const double top = std::max(0.0, (page_height - block_height) / 2);
  text->draw(heading_layout, canvas, left, top, 0);
  text->draw(body_layout, canvas, left, top + heading_layout.height + gap, 0);
  vips::VImage page =
      vips::VImage::new_from_memory(paper.data(), paper.size(), static_cast<int>(width),
                                    static_cast<int>(height), 1, VIPS_FORMAT_UCHAR);
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
