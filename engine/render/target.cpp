// Target frames rendered from their templates (render/target.hpp): start, technical (chart,
// wedge, patches, scale), title, TOC, continued, end, data targets and fiche headers, and
// substitution targets in place of pages. Templates: film/target_template.cpp; their texts and
// fields: film/target_fields.cpp; the check that a TOC frame's entries fit and the technical
// target's layout: film/target_layout.cpp; the canvas: target_canvas.cpp.
#include "render/target.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "film/target_template.hpp"
#include "render/target_canvas.hpp"
#include "text/text.hpp"

namespace fw {
namespace {

using target_detail::cached_template;
using target_detail::Canvas;
using target_detail::changed_box;
using target_detail::draw_text;
using target_detail::Scale;
using target_detail::vertical_of;

double page_width_mm(const PlannedFrame& frame, const Plan& plan) {
  return frame.kind == FrameKind::fiche_header ? plan.format.fiche.width_mm : kTargetWidthMm;
}

}  // namespace

FrameImage render_substitute_target(const Job& job, const Plan& plan, const PlannedFrame& frame,
                                    const std::string& reason, const RasterSettings& settings) {
  const Placement& p = frame.placement;
  const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  const double reduction = frame.reduction > 0 ? frame.reduction : 1;
  const TextEngine& engine = plan_text(plan);
  const std::string context = fmt::format("substitute target for document {} page {}",
                                          job.documents.at(frame.document).id, frame.page);
  // A reason found while rendering (a decoder's message) was not checked before filming:
  // characters no font has are written as <U+XXXX> rather than stopping the reel.
  std::vector<FilledText> texts =
      target_texts(job, plan, frame, drawable_text(engine, reason, "zh-Hans"));
  for (FilledText& text : texts) text.context = context + ", " + text.context;
  const auto target = cached_template(frame_template_file(job, plan, frame));

  // The template's A4 plane, scaled to the page it stands for and centred on it.
  Canvas canvas(std::max(1u, p.page_width_px), std::max(1u, p.page_height_px));
  const double page_px_per_mm = 1000.0 / (pitch_um * reduction);
  const double fit = std::min(canvas.width / (kTargetWidthMm * page_px_per_mm),
                              canvas.height / (kTargetHeightMm * page_px_per_mm));
  Scale scale;
  scale.px_per_mm = page_px_per_mm * fit;
  scale.reduction = reduction / fit;
  scale.pitch_um = pitch_um;
  const double off_x = (canvas.width - kTargetWidthMm * scale.px_per_mm) / 2;
  const double off_y = (canvas.height - kTargetHeightMm * scale.px_per_mm) / 2;
  const bool bitonal = settings.mode == ImageMode::bitonal;
  if (target->border_mm > 0) {
    const double b = target->border_mm * scale.px_per_mm;
    const double x0 = off_x, y0 = off_y;
    const double x1 = off_x + kTargetWidthMm * scale.px_per_mm;
    const double y1 = off_y + kTargetHeightMm * scale.px_per_mm;
    canvas.fill(x0 + b, y0 + b, x1 - b, y0 + 2 * b);
    canvas.fill(x0 + b, y1 - 2 * b, x1 - b, y1 - b);
    canvas.fill(x0 + b, y0 + b, x0 + 2 * b, y1 - b);
    canvas.fill(x1 - 2 * b, y0 + b, x1 - b, y1 - b);
  }
  const TargetPlane plane = target_plane(plan, frame);
  for (const PlacedText& text : place_target_texts(*target, std::move(texts), plane, engine)) {
    const TargetText& block = text.filled.block;
    draw_text(canvas, scale, engine, text.filled.text, block.left_mm, text.top_mm, text.width_mm,
              block.size_mm, block.align, bitonal, text.filled.context, -off_x, -off_y,
              vertical_of(block, plane.height_mm));
  }

  return canvas.in_frame(p, settings.mode, [&](std::uint8_t value) {
    if (bitonal) value = value > settings.threshold ? 255 : 0;
    if (settings.polarity == Polarity::positive) value = static_cast<std::uint8_t>(255 - value);
    return value;
  });
}

FrameImage render_target(const Job& job, const Plan& plan, const PlannedFrame& frame,
                         const RasterSettings& settings, std::vector<DrawnBox>* drawn) {
  const Placement& p = frame.placement;
  const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  const std::filesystem::path file = frame_template_file(job, plan, frame);
  const TargetTemplate& target = *cached_template(file);
  const TextEngine* engine = &plan_text(plan);

  Scale scale;
  scale.reduction = frame.reduction;
  scale.pitch_um = pitch_um;
  scale.px_per_mm = 1000.0 / (pitch_um * frame.reduction);
  const double page_mm = page_width_mm(frame, plan);
  const bool bitonal = settings.mode == ImageMode::bitonal;
  Canvas canvas(p.page_width_px, p.page_height_px);
  const double mm = scale.px_per_mm;
  // A fiche header tile shows its part of the strip: the strip's text shifted by the tile.
  const double tile_x_px =
      frame.kind == FrameKind::fiche_header ? (frame.grid_column - 1.0) * p.frame_width_px : 0.0;

  if (target.border_mm > 0) {
    const double b = target.border_mm * mm, w = canvas.width, h = canvas.height;
    canvas.fill(b, b, w - b, 2 * b);
    canvas.fill(b, h - 2 * b, w - b, h - b);
    canvas.fill(b, b, 2 * b, h - b);
    canvas.fill(w - 2 * b, b, w - b, h - b);
  }
  std::vector<std::uint8_t> before;
  const auto keep_box = [&](const std::string& what) {
    if (drawn == nullptr) return;
    DrawnBox box = changed_box(before, canvas.pixels, canvas.width, what);
    if (box.x1 > box.x0) {
      box.x0 += p.page_x_px;
      box.x1 += p.page_x_px;
      box.y0 += p.page_y_px;
      box.y1 += p.page_y_px;
    }
    drawn->push_back(box);
  };
  // Where each block goes (with `flow_gap_mm`, a long paragraph pushes the next one down instead
  // of running into it): as planning checked that it fits (check_target_fits).
  const TargetPlane plane = target_plane(plan, frame);
  const std::vector<PlacedText> placed =
      place_target_texts(target, target_texts(job, plan, frame), plane, *engine);
  for (const PlacedText& text : placed) {
    const TargetText& block = text.filled.block;
    if (drawn != nullptr) before = canvas.pixels;
    draw_text(canvas, scale, *engine, text.filled.text, block.left_mm, text.top_mm, text.width_mm,
              block.size_mm, block.align, bitonal, text.filled.context, tile_x_px, 0,
              vertical_of(block, plane.height_mm));
    keep_box(text.filled.context);
  }

  ChartLayout chart;
  if (target.technical) {
    chart = technical_layout(target, frame, pitch_um);
    const double group_h = target.chart.group_height_mm;
    for (const ChartGroup& group : chart.groups) {
      const double period = mm / group.document_lp_per_mm;  // canvas px per line pair
      const double x0 = std::floor((group.x - p.page_x_px));
      const double y0 = group.y - p.page_y_px;
      for (int bar = 0; bar < 5; ++bar) {
        canvas.fill(x0 + bar * period, y0, x0 + bar * period + period / 2, y0 + group_h * mm);
      }
      const double hx = group.horizontal_x - p.page_x_px;
      for (int bar = 0; bar < 5; ++bar) {
        canvas.fill(hx, y0 + bar * period, hx + group_h * mm, y0 + bar * period + period / 2);
      }
      draw_text(canvas, scale, *engine, fmt::format("{:g}", group.document_lp_per_mm),
                (group.x - p.page_x_px) / mm - 2, y0 / mm + group_h + 1, 18, 2.5, "start", bitonal,
                file.string() + " chart label");
    }
    // Millimetre scale: a base line with a tick per millimetre, longer every 5 and 10 mm.
    const double sx = chart.scale_x - p.page_x_px, sy = chart.scale_y - p.page_y_px;
    const double length = target.scale.length_mm;
    canvas.fill(sx, sy + 5 * mm, sx + length * mm + 0.2 * mm, sy + 5.3 * mm);
    for (int tick = 0; tick <= static_cast<int>(length); ++tick) {
      const double tall = tick % 10 == 0 ? 5 : tick % 5 == 0 ? 3.5 : 2;
      canvas.fill(sx + tick * mm, sy + (5 - tall) * mm, sx + (tick + 0.2) * mm, sy + 5 * mm);
      if (tick % 10 == 0) {
        draw_text(canvas, scale, *engine, std::to_string(tick), sx / mm + tick - 5, sy / mm + 6.5,
                  10, 2.5, "centre", bitonal, file.string() + " scale label");
      }
    }
  }

  // Document luminance -> device code values, as a page: threshold, then polarity.
  std::vector<std::uint8_t>& doc = canvas.pixels;
  for (std::uint8_t& value : doc) {
    if (bitonal) value = value > settings.threshold ? 255 : 0;
    if (settings.polarity == Polarity::positive) value = static_cast<std::uint8_t>(255 - value);
  }
  // The wedge and the density patches are device code values whatever the mode and polarity:
  // they are the reference the densitometer and the calibration read.
  auto paint = [&](std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h, int code) {
    for (std::uint32_t row = y; row < y + h && row < canvas.height; ++row) {
      for (std::uint32_t column = x; column < x + w && column < canvas.width; ++column) {
        doc[std::size_t(row) * canvas.width + column] = static_cast<std::uint8_t>(code);
      }
    }
  };
  if (target.technical) {
    // A 0.5 mm ink frame around the wedge and each patch, so that the step or patch that
    // matches the paper is still found.
    const auto outline = [&](std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h) {
      const auto line = static_cast<std::uint32_t>(std::lround(0.5 * mm));
      const std::uint8_t ink = settings.polarity == Polarity::positive ? 255 : 0;
      const std::uint32_t left = x >= line ? x - line : 0, top = y >= line ? y - line : 0;
      for (std::uint32_t row = top; row < y + h + line && row < canvas.height; ++row) {
        for (std::uint32_t column = left; column < x + w + line && column < canvas.width;
             ++column) {
          doc[std::size_t(row) * canvas.width + column] = ink;
        }
      }
    };
    outline(chart.wedge_x - p.page_x_px, chart.wedge_y - p.page_y_px,
            chart.wedge_step_width * static_cast<std::uint32_t>(chart.wedge_codes.size()),
            chart.wedge_height);
    for (std::size_t i = 0; i < chart.patch_codes.size(); ++i) {
      outline(chart.patch_x[i] - p.page_x_px, chart.patches_y - p.page_y_px, chart.patch_size,
              chart.patch_size);
    }
    for (std::size_t i = 0; i < chart.wedge_codes.size(); ++i) {
      paint(chart.wedge_x - p.page_x_px + static_cast<std::uint32_t>(i) * chart.wedge_step_width,
            chart.wedge_y - p.page_y_px, chart.wedge_step_width, chart.wedge_height,
            chart.wedge_codes[i]);
    }
    for (std::size_t i = 0; i < chart.patch_codes.size(); ++i) {
      paint(chart.patch_x[i] - p.page_x_px, chart.patches_y - p.page_y_px, chart.patch_size,
            chart.patch_size, chart.patch_codes[i]);
    }
  }

  if (target.symbol.on && plan.data_layout) {
    // An example data frame of the reel's code, each module a square of the drawing: the
    // smallest symbol that holds a header, with a few bytes of text.
    data::FrameGeometry geometry;
    geometry.pitch_um = pitch_um;
    geometry.module_px = 1;
    std::optional<data::Layout> example;
    for (std::uint32_t w = 96; !example && w <= 512; w += 16) {
      geometry.width_px = w;
      geometry.height_px = w * 2 / 3;
      try {
        example = data::Layout::make(geometry, plan.data_layout->code);
      } catch (const Error&) {
      }
    }
    if (example) {
      const std::string text = "filmwriter data frame example";
      const data::FileEncoder encoder(*example, {"EXAMPLE", "R0000", "EXAMPLE", 1, "example.txt"},
                                      std::vector<std::uint8_t>(text.begin(), text.end()));
      const data::FramePixels symbol = encoder.frame(0);
      // Below the text (with flow_gap_mm), and made smaller when the text leaves less room
      // than width_mm needs above the page's bottom border.
      const double top_mm = flowed_top_mm(target, placed, 0, page_mm, target.symbol.top_mm);
      const double room_mm = kTargetHeightMm - 2 * std::max(target.border_mm, 5.0) - top_mm;
      const double width_mm =
          std::min(target.symbol.width_mm, room_mm * symbol.width / std::max(1u, symbol.height));
      const double module = width_mm * mm / symbol.width;
      const double x0 = (page_mm - width_mm) / 2 * mm;
      const double y0 = top_mm * mm;
      for (std::uint32_t y = 0; y < symbol.height; ++y) {
        for (std::uint32_t x = 0; x < symbol.width; ++x) {
          const auto left = static_cast<std::uint32_t>(std::lround(x0 + x * module));
          const auto top = static_cast<std::uint32_t>(std::lround(y0 + y * module));
          const auto right = static_cast<std::uint32_t>(std::lround(x0 + (x + 1) * module));
          const auto bottom = static_cast<std::uint32_t>(std::lround(y0 + (y + 1) * module));
          paint(left, top, right - left, bottom - top,
                symbol.pixels[std::size_t{y} * symbol.width + x]);
        }
      }
      // The symbol's own clear modules leave the paper as it was: its box is the drawing's.
      if (drawn != nullptr) {
        const auto left = static_cast<std::uint32_t>(std::lround(x0));
        const auto top = static_cast<std::uint32_t>(std::lround(y0));
        drawn->push_back({"symbol", p.page_x_px + left, p.page_y_px + top,
                          p.page_x_px + static_cast<std::uint32_t>(std::lround(x0 + width_mm * mm)),
                          p.page_y_px + static_cast<std::uint32_t>(std::lround(
                                            y0 + width_mm * mm * symbol.height / symbol.width))});
      }
    }
  }

  return canvas.in_frame(p, settings.mode, [](std::uint8_t code) { return code; });
}

}  // namespace fw
