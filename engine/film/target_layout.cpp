// What the planner and verify need of the targets without drawing them: the check that a TOC
// frame's entries fit on the target, laid out as they will be drawn, and where the technical
// target's chart, wedge, patches and scale go. The drawing: render/target.cpp.
#include "film/target_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "core/error.hpp"
#include "film/target_template.hpp"
#include "text/text.hpp"

namespace fw {

using target_detail::cached_template;
using target_detail::Vertical;
using target_detail::vertical_of;

namespace {

// A block's text laid out as render/target_canvas.cpp's draw_text sets it on `plane`.
Layout layout_block(const TargetText& block, const std::string& text, double width_mm,
                    const TargetPlane& plane, const TextEngine& engine,
                    const std::string& context) {
  const Vertical vertical = vertical_of(block, plane.height_mm);
  TextStyle style;
  style.size_px = size_for_cap_height_mm(block.size_mm, plane.reduction, plane.pitch_um,
                                         engine.cap_height_em());
  style.align = block.align == "start" ? Align::start
                : block.align == "end" ? Align::end
                                       : Align::centre;
  style.language = vertical.language;
  Box box{width_mm * plane.px_per_mm, 0};
  if (vertical.on) {
    style.mode = WritingMode::vertical;
    box = Box{0, vertical.height_mm * plane.px_per_mm};
  }
  return engine.layout(text, box, style, context);
}

}  // namespace

void check_toc_fits(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::toc_target) return;
  const std::filesystem::path file = frame_template_file(job, plan, frame);
  const TargetTemplate& target = *cached_template(file);
  const TextEngine& engine = plan_text(plan);
  const TargetPlane plane = target_plane(plan, frame);
  const double px_per_mm = plane.px_per_mm;
  const Document& document = job.documents.at(frame.document);
  const auto fields = target_fields(job, plan, frame);
  for (std::size_t i = 0; i < target.texts.size(); ++i) {
    const TargetText& block = target.texts[i];
    if (block.text.find("{toc}") == std::string::npos) continue;
    const std::string text =
        fill_placeholders(block.text, fields, fmt::format("{} text[{}]", file.string(), i + 1));
    if (text.empty()) continue;
    const double width_mm =
        block.width_mm > 0 ? block.width_mm : kTargetWidthMm - 2 * block.left_mm;
    const Vertical vertical = vertical_of(block, kTargetHeightMm);
    const Layout layout =
        layout_block(block, text, width_mm, plane, engine,
                     fmt::format("TOC target {} of document {}", frame.address, document.id));
    const double bottom_mm =
        block.top_mm + std::max(layout.height, layout.ink.y + layout.ink.height) / px_per_mm;
    const double left_mm =
        vertical.on ? block.left_mm + width_mm - layout.width / px_per_mm : block.left_mm;
    const double right_mm = vertical.on
                                ? block.left_mm + width_mm
                                : block.left_mm + std::max(layout.width / px_per_mm, width_mm);
    // The foot of the target, or the first block below this one in its columns (the footer):
    // the entries must end above it, not run into it.
    double limit_mm = kTargetHeightMm;
    std::string limit = fmt::format("the foot of the {:.0f} mm target", kTargetHeightMm);
    for (std::size_t j = 0; j < target.texts.size(); ++j) {
      const TargetText& other = target.texts[j];
      const double other_width_mm =
          other.width_mm > 0 ? other.width_mm : kTargetWidthMm - 2 * other.left_mm;
      const bool shares_columns = other.left_mm < block.left_mm + width_mm &&
                                  block.left_mm < other.left_mm + other_width_mm;
      if (j == i || other.top_mm <= block.top_mm || !shares_columns) continue;
      if (other.top_mm < limit_mm) {
        limit_mm = other.top_mm;
        limit = fmt::format("text[{}] below it, at {:.1f} mm", j + 1, other.top_mm);
      }
    }
    std::string off;
    if (bottom_mm > limit_mm) {
      off = fmt::format("its lines end {:.1f} mm from the top of the target, past {}", bottom_mm,
                        limit);
    } else if (vertical.on && left_mm < 0) {
      off = fmt::format("its columns reach {:.1f} mm past the target's left edge", -left_mm);
    } else if (right_mm > kTargetWidthMm) {
      off = fmt::format("its lines reach {:.1f} mm past the target's right edge",
                        right_mm - kTargetWidthMm);
    }
    if (off.empty()) continue;
    throw Error(
        ErrorKind::job,
        fmt::format("{}: text[{}] ({{toc}}): the TOC target {} of document {} lists entries "
                    "{}-{} and does not fit: {}; list fewer entries a frame (entries_per_frame "
                    "= {} in this template), set them smaller (size_mm) or give the block more "
                    "room",
                    file.string(), i + 1, frame.address, document.id, frame.toc_first + 1,
                    frame.toc_first + frame.toc_count, off, plan.toc_entries_per_frame));
  }
}

TargetPlane target_plane(const Plan& plan, const PlannedFrame& frame) {
  TargetPlane plane;
  plane.pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  plane.reduction = frame.reduction > 0 ? frame.reduction : 1;
  plane.px_per_mm = 1000.0 / (plane.pitch_um * plane.reduction);
  if (frame.kind == FrameKind::fiche_header) {
    plane.width_mm = plan.format.fiche.width_mm;
    plane.height_mm = plan.format.fiche.cell_height_mm * plan.format.fiche.header_rows;
  } else if (frame.kind == FrameKind::substitute) {
    // The A4 target scaled to fit the page it stands for (render_substitute_target).
    const Placement& p = frame.placement;
    const double fit =
        std::min(std::max(1u, p.page_width_px) / (kTargetWidthMm * plane.px_per_mm),
                 std::max(1u, p.page_height_px) / (kTargetHeightMm * plane.px_per_mm));
    plane.px_per_mm *= fit;
    plane.reduction /= fit;
  }
  return plane;
}

double flowed_top_mm(const TargetTemplate& target, const std::vector<PlacedText>& placed,
                     double left_mm, double right_mm, double top_mm) {
  if (!target.flow_gap_mm) return top_mm;
  for (const PlacedText& above : placed) {
    if (above.filled.block.vertical) continue;
    if (left_mm < above.left_mm + above.width_mm && above.left_mm < right_mm) {
      top_mm = std::max(top_mm, above.bottom_mm + *target.flow_gap_mm);
    }
  }
  return top_mm;
}

std::vector<PlacedText> place_target_texts(const TargetTemplate& target,
                                           std::vector<FilledText> texts, const TargetPlane& plane,
                                           const TextEngine& engine) {
  const double mm = plane.px_per_mm;
  std::vector<PlacedText> placed;
  placed.reserve(texts.size());
  for (FilledText& filled : texts) {
    const TargetText& block = filled.block;
    PlacedText at;
    at.left_mm = block.left_mm;
    at.width_mm = block.width_mm > 0 ? block.width_mm : plane.width_mm - 2 * block.left_mm;
    at.top_mm = block.vertical ? block.top_mm
                               : flowed_top_mm(target, placed, at.left_mm, at.left_mm + at.width_mm,
                                               block.top_mm);
    at.bottom_mm = at.top_mm;
    if (!filled.text.empty()) {
      const Layout layout =
          layout_block(block, filled.text, at.width_mm, plane, engine, filled.context);
      const double x_mm = at.left_mm + (block.vertical ? at.width_mm - layout.width / mm : 0);
      at.bottom_mm = at.top_mm + std::max(layout.height, layout.ink.y + layout.ink.height) / mm;
      if (layout.ink.width > 0 && layout.ink.height > 0) {
        at.ink_left_mm = x_mm + layout.ink.x / mm;
        at.ink_right_mm = at.ink_left_mm + layout.ink.width / mm;
        at.ink_top_mm = at.top_mm + layout.ink.y / mm;
        at.ink_bottom_mm = at.ink_top_mm + layout.ink.height / mm;
      }
    }
    at.filled = std::move(filled);
    placed.push_back(std::move(at));
  }
  return placed;
}

namespace {

// A rectangle of ink on the target's plane, in millimetres.
struct InkBox {
  std::string what;
  double left = 0, top = 0, right = 0, bottom = 0;
  bool empty() const { return right <= left || bottom <= top; }
  bool meets(const InkBox& other) const {
    return left < other.right && other.left < right && top < other.bottom && other.top < bottom;
  }
};

InkBox ink_of(const PlacedText& text, std::string what) {
  return {std::move(what), text.ink_left_mm, text.ink_top_mm, text.ink_right_mm,
          text.ink_bottom_mm};
}

// The start of a block's text, to name it in a message.
std::string excerpt(const std::string& text) {
  const std::string_view line = std::string_view(text).substr(0, text.find('\n'));
  const std::string_view start = first_characters(line, 24);
  return std::string(start) + (start.size() < line.size() ? "..." : "");
}

// What the technical target draws besides its texts, with their labels (set 1 mm below a chart
// group at 2.5 mm, 1.5 to 4 mm below the scale's base line at 2.5 mm; a 2.5 mm cap height
// takes some 3.5 mm with its descenders), as render_target places them.
std::vector<InkBox> technical_drawings(const TargetTemplate& target, const PlannedFrame& frame,
                                       const TargetPlane& plane) {
  const ChartLayout chart = technical_layout(target, frame, plane.pitch_um);
  const Placement& p = frame.placement;
  const auto x_mm = [&](double x) { return (x - p.page_x_px) / plane.px_per_mm; };
  const auto y_mm = [&](double y) { return (y - p.page_y_px) / plane.px_per_mm; };
  const auto w_mm = [&](double w) { return w / plane.px_per_mm; };
  std::vector<InkBox> boxes;
  InkBox groups{"the resolution chart", HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
  for (const ChartGroup& g : chart.groups) {
    groups.left = std::min(groups.left, x_mm(g.x) - 2);  // the label starts 2 mm left of it
    groups.top = std::min(groups.top, y_mm(g.y));
    groups.right = std::max(groups.right, x_mm(g.horizontal_x) + w_mm(g.height));
    groups.bottom = std::max(groups.bottom, y_mm(g.y) + w_mm(g.height) + 1 + 3.5);
  }
  if (!groups.empty()) boxes.push_back(groups);
  // The wedge and the patches have a 0.5 mm frame of ink around them.
  const double wedge_w = w_mm(double(chart.wedge_step_width) * chart.wedge_codes.size());
  boxes.push_back({"the grey wedge", x_mm(chart.wedge_x) - 0.5, y_mm(chart.wedge_y) - 0.5,
                   x_mm(chart.wedge_x) + wedge_w + 0.5,
                   y_mm(chart.wedge_y) + w_mm(chart.wedge_height) + 0.5});
  for (std::size_t i = 0; i < chart.patch_x.size(); ++i) {
    boxes.push_back({"the density patches", x_mm(chart.patch_x[i]) - 0.5,
                     y_mm(chart.patches_y) - 0.5,
                     x_mm(chart.patch_x[i]) + w_mm(chart.patch_size) + 0.5,
                     y_mm(chart.patches_y) + w_mm(chart.patch_size) + 0.5});
  }
  const double scale_x = x_mm(chart.scale_x), scale_y = y_mm(chart.scale_y);
  boxes.push_back({"the millimetre scale", scale_x - 5, scale_y,
                   scale_x + target.scale.length_mm + 5, scale_y + 6.5 + 3.5});
  return boxes;
}

}  // namespace

void check_target_fits(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  if (frame.kind == FrameKind::page || frame.kind == FrameKind::data) return;
  const std::filesystem::path file = frame_template_file(job, plan, frame);
  const TargetTemplate& target = *cached_template(file);
  const TargetPlane plane = target_plane(plan, frame);
  const std::vector<PlacedText> placed =
      place_target_texts(target, target_texts(job, plan, frame), plane, plan_text(plan));
  // Inside the border line (drawn from border_mm to twice that from each edge), else the plane.
  const double edge = 2 * target.border_mm;
  const InkBox inside{edge > 0 ? "its border" : "its edges", edge, edge, plane.width_mm - edge,
                      plane.height_mm - edge};
  std::vector<InkBox> drawn;
  for (std::size_t i = 0; i < placed.size(); ++i) {
    drawn.push_back(
        ink_of(placed[i], fmt::format("text[{}] (\"{}\")", i + 1, excerpt(placed[i].filled.text))));
  }
  if (target.technical) {
    for (InkBox& box : technical_drawings(target, frame, plane)) drawn.push_back(box);
  }
  const auto fail = [&](std::size_t i, std::string how) {
    const Document& document = job.documents.at(frame.document);
    const TargetText& block = placed[i].filled.block;
    if (placed[i].top_mm > block.top_mm + 1e-6) {
      how += fmt::format(" (the text above it pushed it down from its top_mm {:g} to {:.1f} mm)",
                         block.top_mm, placed[i].top_mm);
    }
    throw Error(ErrorKind::job,
                fmt::format("{} ({}: \"{}\"): on {} {} of document {} ({}), {}; shorten the text, "
                            "set it smaller (size_mm) or give the block more room (top_mm, "
                            "flow_gap_mm)",
                            placed[i].filled.context, block.text, excerpt(placed[i].filled.text),
                            to_string(frame.kind), frame.address, document.id, document.key, how));
  };
  constexpr double kSlack = 1e-6;
  for (std::size_t i = 0; i < placed.size(); ++i) {
    const InkBox& text = drawn[i];
    if (text.empty()) continue;
    if (text.bottom > inside.bottom + kSlack) {
      fail(i, fmt::format("its lines end {:.1f} mm from the top of the {:g} mm target, past {} "
                          "at {:.1f} mm",
                          text.bottom, plane.height_mm, inside.what, inside.bottom));
    }
    if (text.top < inside.top - kSlack) {
      fail(i, fmt::format("its lines start {:.1f} mm from the top of the target, above {}",
                          text.top, inside.what));
    }
    if (text.right > inside.right + kSlack || text.left < inside.left - kSlack) {
      fail(i, fmt::format("its lines run from {:.1f} to {:.1f} mm across the {:g} mm target, "
                          "past {}",
                          text.left, text.right, plane.width_mm, inside.what));
    }
    for (std::size_t j = i + 1; j < drawn.size(); ++j) {
      const InkBox& other = drawn[j];
      if (other.empty() || !text.meets(other)) continue;
      fail(i, fmt::format("its lines, {:.1f}-{:.1f} mm from the top of the target, run into {} "
                          "at {:.1f}-{:.1f} mm",
                          text.top, text.bottom, other.what, other.top, other.bottom));
    }
  }
}

ChartLayout technical_layout(const TargetTemplate& target, const PlannedFrame& frame,
                             double pitch_um) {
  const Placement& p = frame.placement;
  const double px_per_mm = 1000.0 / (pitch_um * frame.reduction);
  auto px = [&](double mm) { return mm * px_per_mm; };
  auto at = [](double value) { return static_cast<std::uint32_t>(std::floor(value)); };
  ChartLayout layout;
  layout.scale_px_per_mm = px_per_mm;

  // Groups in rows of eight cells of 20 mm, each: vertical bars, 1 mm, horizontal bars.
  constexpr double kLeftMm = 25, kCellMm = 20, kRowGapMm = 6;
  const double nyquist_film = 1000.0 / (2 * pitch_um);
  std::size_t placed = 0;
  for (double frequency : target.chart.frequencies) {
    const double film = frequency * frame.reduction;
    if (film > target.chart.nyquist_share * nyquist_film + 1e-9) {
      layout.left_out.push_back(frequency);
      continue;
    }
    const std::size_t row_index = placed / 8, column_index = placed % 8;  // eight groups a row
    const double row = static_cast<double>(row_index), column = static_cast<double>(column_index);
    const double left_mm = kLeftMm + column * kCellMm;
    const double top_mm = target.chart.top_mm + row * (target.chart.group_height_mm + kRowGapMm);
    const double bars_mm = 5.0 / frequency - 0.5 / frequency;  // five bars, four spaces
    ChartGroup group;
    group.document_lp_per_mm = frequency;
    group.film_lp_per_mm = film;
    group.x = p.page_x_px + at(px(left_mm));
    group.y = p.page_y_px + at(px(top_mm));
    group.width = at(px(bars_mm));
    group.height = at(px(target.chart.group_height_mm));
    group.horizontal_x = p.page_x_px + at(px(left_mm + bars_mm + 1));
    group.horizontal_y = group.y;
    layout.groups.push_back(group);
    ++placed;
  }

  const double wedge_width_mm = 160;
  layout.wedge_x = p.page_x_px + at(px(25));
  layout.wedge_y = p.page_y_px + at(px(target.wedge.top_mm));
  layout.wedge_step_width = at(px(wedge_width_mm / target.wedge.steps));
  layout.wedge_height = at(px(target.wedge.height_mm));
  for (std::uint32_t i = 0; i < target.wedge.steps; ++i) {
    layout.wedge_codes.push_back(
        static_cast<int>(std::lround(255.0 * i / (target.wedge.steps - 1))));
  }

  layout.patches_y = p.page_y_px + at(px(target.patches.top_mm));
  layout.patch_size = at(px(target.patches.size_mm));
  layout.patch_codes = target.patches.codes;
  const double gap_mm = (160 - target.patches.size_mm * layout.patch_codes.size()) /
                        std::max<double>(1, layout.patch_codes.size() - 1);
  for (std::size_t i = 0; i < layout.patch_codes.size(); ++i) {
    layout.patch_x.push_back(p.page_x_px +
                             at(px(25 + i * (target.patches.size_mm + std::max(0.0, gap_mm)))));
  }

  layout.scale_x = p.page_x_px + at(px(25));
  layout.scale_y = p.page_y_px + at(px(target.scale.top_mm));
  return layout;
}

}  // namespace fw
