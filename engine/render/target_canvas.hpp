// Drawing a target on its document plane: the canvas (luminance, 255 = white paper, 0 = black
// ink), text set on it at a cap height in millimetres, and where a drawing step put its ink
// (target_canvas.cpp). Private to engine/render.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/buffer_pool.hpp"
#include "film/target_template.hpp"
#include "render/target.hpp"
#include "text/text.hpp"

namespace fw::target_detail {

struct Canvas {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> pixels;

  // The canvas and the frame made from it come from the frame buffer pool
  // (hal/buffer_pool.hpp), like a page's: targets are rendered on whichever thread, and
  // frame-sized blocks freed to that thread's heap would stay there.
  Canvas(std::uint32_t w, std::uint32_t h)
      : width(w), height(h), pixels(frame_buffers().take(std::size_t(w) * h)) {
    pixels.assign(std::size_t(w) * h, 255);
  }
  ~Canvas() { frame_buffers().give(std::move(pixels)); }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  // The canvas at the page's place in an otherwise unexposed frame; `code` maps each canvas
  // value to the frame's code value.
  template <typename Code>
  FrameImage in_frame(const Placement& p, ImageMode mode, Code code) const {
    FrameImage out;
    out.width = p.frame_width_px;
    out.height = p.frame_height_px;
    out.channels = mode == ImageMode::colour ? 3 : 1;
    out.pixels = frame_buffers().take(std::size_t(out.width) * out.height * out.channels);
    out.pixels.assign(std::size_t(out.width) * out.height * out.channels, 0);
    for (std::uint32_t y = 0; y < height && p.page_y_px + y < out.height; ++y) {
      for (std::uint32_t x = 0; x < width && p.page_x_px + x < out.width; ++x) {
        const std::uint8_t value = code(pixels[std::size_t(y) * width + x]);
        const std::size_t at =
            (std::size_t(p.page_y_px + y) * out.width + p.page_x_px + x) * out.channels;
        for (std::uint32_t c = 0; c < out.channels; ++c) out.pixels[at + c] = value;
      }
    }
    return out;
  }

  // Darkens a rectangle given in fractional pixels by its exact area coverage, so that bars
  // keep their true positions and widths however the pitch divides them.
  void fill(double x0, double y0, double x1, double y1);

  GreyImage image() { return {width, height, pixels.data(), width}; }
};

struct Scale {
  double px_per_mm = 1;  // document millimetre in canvas pixels
  double reduction = 1;
  double pitch_um = 1;
};

// Draws `text` and returns the height it took on the canvas, in pixels (0 for no text).
double draw_text(Canvas& canvas, const Scale& scale, const TextEngine& engine,
                 const std::string& text, double left_mm, double top_mm, double width_mm,
                 double size_mm, const std::string& align, bool bitonal, const std::string& context,
                 double shift_x_px = 0, double shift_y_px = 0, const Vertical& vertical = {});

// The smallest rectangle holding every pixel `after` differs from `before` in: where a drawing
// step put its ink. Empty (x0 == x1) when nothing changed.
DrawnBox changed_box(const std::vector<std::uint8_t>& before,
                     const std::vector<std::uint8_t>& after, std::uint32_t width, std::string what);

}  // namespace fw::target_detail
