// Fiche: a plan's page frames onto sheets, each behind its eye-legible header strip.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/mark_box.hpp"
#include "film/plan_frames.hpp"

namespace fw::planner {

// Fiche: one header strip per sheet, then the grid in reading order. A document starts a new
// sheet unless it fits the room left; one larger than a whole sheet continues on the next,
// whose header says so.
void plan_fiche(const Job& job, const FilmFormat& format, double pitch_um,
                std::vector<std::vector<PlannedFrame>> documents, Plan& plan) {
  const FicheGrid& grid = format.fiche;
  const std::uint32_t cells = grid.frames();
  // The header strip is exposed like the images, as a row of cell-sized tiles at the
  // recorder's pitch (the whole strip would be wider than any recorder's frame); the tiles
  // together show the eye-legible header.
  PageSettings cell_settings = job.defaults;
  cell_settings.rotate = 0;
  PageInfo cell_page;
  cell_page.width_mm = 1;
  cell_page.height_mm = 1;
  cell_page.width_px = cell_page.height_px = 1;
  cell_page.dpi = 25.4;
  cell_settings.reduction = format.max_reduction;
  Placement header = place_page(cell_page, cell_settings, format, pitch_um);
  header.page_x_px = header.page_y_px = 0;
  header.page_width_px = header.frame_width_px;
  header.page_height_px = header.frame_height_px;
  header.scale_x = header.scale_y = 1;

  std::uint32_t used = cells;  // no sheet open yet
  auto open_sheet = [&](std::size_t document, bool continued) {
    PlannedReel sheet;
    sheet.number = static_cast<std::uint32_t>(plan.reels.size() + 1);
    sheet.id = fiche_id(job.site, sheet.number);
    sheet.label = fiche_id({}, sheet.number);
    sheet.first_frame = plan.frames.size();
    sheet.continues_from_previous = continued;
    if (continued) plan.reels.back().continues_on_next = true;
    plan.reels.push_back(sheet);
    used = 0;
    for (std::uint32_t row = 0; row < grid.header_rows; ++row) {
      for (std::uint32_t column = 1; column <= grid.columns; ++column) {
        PlannedFrame frame;
        frame.kind = FrameKind::fiche_header;
        frame.document = document;
        frame.page = 0;
        frame.blip = hal::BlipLevel::none;
        frame.placement = header;
        frame.reduction = 1;  // read by eye: millimetres on the fiche are millimetres of text
        frame.address = fmt::format("{}-H{:02}", plan.reels.back().label, column);
        frame.grid_row = 0;
        frame.grid_column = column;
        frame.sequence = plan.frames.size();
        frame.reel = plan.reels.back().number;
        frame.number = ++plan.reels.back().frame_count;
        plan.frames.push_back(std::move(frame));
      }
    }
  };

  for (std::vector<PlannedFrame>& frames : documents) {
    const std::size_t document = frames.front().document;
    // A cell is a fixed frame: a page that fills it leaves no margin for the frame mark, and a
    // frame without its mark cannot be verified.
    for (const PlannedFrame& frame : frames) {
      if (mark_box(frame.placement, format, pitch_um).size > 0) continue;
      const Placement& p = frame.placement;
      throw Error(
          ErrorKind::input,
          fmt::format("{}: the page ({:.2f} x {:.2f} mm on film) leaves no margin for its "
                      "frame mark in the {:.1f} x {:.1f} mm cell of {} (a 20-module "
                      "DataMatrix of at least {} px modules with 0.05 mm clearance, "
                      "beside the page's leading edge or across it); film it at a "
                      "higher reduction or on roll film",
                      page_context(job.documents[document], frame.page, frame.source),
                      p.page_width_px * pitch_um / 1000.0, p.page_height_px * pitch_um / 1000.0,
                      grid.cell_width_mm, grid.cell_height_mm, format.name, kMarkMinModulePx));
    }
    const bool fits_a_sheet = frames.size() <= cells;
    if (used == cells || (fits_a_sheet && frames.size() > cells - used)) {
      open_sheet(document, false);
    }
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (used == cells || (!continues_unit(frames[i]) && unit_frames(frames, i) > cells - used)) {
        open_sheet(document, i > 0);
      }
      PlannedFrame& frame = frames[i];
      PlannedReel& sheet = plan.reels.back();
      const bool by_rows = grid.order == ReadingOrder::rows;
      frame.grid_row = 1 + (by_rows ? used / grid.columns : used % grid.rows);
      frame.grid_column = 1 + (by_rows ? used % grid.columns : used / grid.rows);
      frame.reel = sheet.number;
      frame.number = static_cast<std::uint32_t>(sheet.frame_count + 1);
      frame.sequence = plan.frames.size();
      frame.address = planned_address(sheet.label, job.documents[document].id, frame);
      frame.film_position_mm = 0;
      ++sheet.frame_count;
      sheet.pages += begins_page(frame);
      ++used;
      plan.frames.push_back(std::move(frame));
    }
  }
}

}  // namespace fw::planner
