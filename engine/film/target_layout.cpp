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

#include "core/error.hpp"
#include "film/target_template.hpp"
#include "text/text.hpp"

namespace fw {

using target_detail::cached_template;
using target_detail::Vertical;
using target_detail::vertical_of;

void check_toc_fits(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::toc_target) return;
  const std::filesystem::path file = frame_template_file(job, plan, frame);
  const TargetTemplate& target = *cached_template(file);
  const TextEngine& engine = plan_text(plan);
  const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  const double reduction = frame.reduction > 0 ? frame.reduction : 1;
  const double px_per_mm = 1000.0 / (pitch_um * reduction);
  const Document& document = job.documents.at(frame.document);
  const auto fields = target_fields(job, plan, frame);
  for (std::size_t i = 0; i < target.texts.size(); ++i) {
    const TargetText& block = target.texts[i];
    if (block.text.find("{toc}") == std::string::npos) continue;
    const std::string text =
        fill_placeholders(block.text, fields, fmt::format("{} text[{}]", file.string(), i + 1));
    if (text.empty()) continue;
    TextStyle style;
    style.size_px =
        size_for_cap_height_mm(block.size_mm, reduction, pitch_um, engine.cap_height_em());
    style.align = block.align == "start" ? Align::start
                  : block.align == "end" ? Align::end
                                         : Align::centre;
    style.language = block.language;
    const double width_mm =
        block.width_mm > 0 ? block.width_mm : kTargetWidthMm - 2 * block.left_mm;
    const Vertical vertical = vertical_of(block, kTargetHeightMm);
    Box box{width_mm * px_per_mm, 0};
    if (vertical.on) {
      style.mode = WritingMode::vertical;
      box = Box{0, vertical.height_mm * px_per_mm};
    }
    const std::string context =
        fmt::format("TOC target {} of document {}", frame.address, document.id);
    const Layout layout = engine.layout(text, box, style, context);
    const double bottom_mm =
        block.top_mm + std::max(layout.height, layout.ink.y + layout.ink.height) / px_per_mm;
    const double left_mm =
        vertical.on ? block.left_mm + width_mm - layout.width / px_per_mm : block.left_mm;
    const double right_mm = vertical.on
                                ? block.left_mm + width_mm
                                : block.left_mm + std::max(layout.width, box.width) / px_per_mm;
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
