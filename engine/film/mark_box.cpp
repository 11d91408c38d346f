#include "film/mark_box.hpp"

#include <algorithm>
#include <vector>

namespace fw {
namespace {

constexpr std::uint32_t kMarkSidePerModule = kMarkSymbolModules + 2 * kMarkQuietModules;

// The clearance around the mark: 0.05 mm, at least a pixel.
std::uint32_t gap_px(double pitch_um) {
  return std::max<std::uint32_t>(1, mm_to_px(0.05, pitch_um));
}

// Module size and square for a band `across` px wide (gaps already taken off); 0 when the
// symbol would need modules under kMarkMinModulePx. The module is capped at about 20 um on film
// (a 0.4 mm symbol reads well and keeps the search verify runs small), but not below 3 px:
// libdmtx misses 2 px modules under the film's grain more often than not; 2 px is the last
// resort of a narrow margin.
MarkBox square_in_band(std::uint32_t across, double pitch_um) {
  const std::uint32_t cap = std::max<std::uint32_t>(3, mm_to_px(0.02, pitch_um));
  const std::uint32_t module = std::min(cap, across / kMarkSidePerModule);
  if (module < kMarkMinModulePx) return {};
  MarkBox box;
  box.module_px = module;
  box.size = module * kMarkSidePerModule;
  return box;
}

// In the blip track, beside the blip lane, at the frame's trailing end.
MarkBox in_track(const Placement& p, const FilmFormat& format, double pitch_um) {
  const bool comic = format.orientation == Orientation::comic;
  const std::uint32_t along = comic ? p.track_width_px : p.track_height_px;
  const std::uint32_t across = comic ? p.track_height_px : p.track_width_px;
  const TrackMark mark = track_mark(across, format, pitch_um);
  if (mark.size == 0 || along < mark.size + mark.gap_px) return {};
  MarkBox box;
  box.size = mark.size;
  box.module_px = mark.module_px;
  const std::uint32_t along_at = along - mark.gap_px - mark.size;
  box.x = p.track_x_px + (comic ? along_at : mark.across_at);
  box.y = p.track_y_px + (comic ? mark.across_at : along_at);
  return box;
}

// No blip track (fiche, or a roll format without one): in the frame's clear margin around
// the page image. Candidates are the margin before the page along the film and the two
// margins across it; the margin after the page along the film is left alone, because a
// separation frame's calibration strip goes there (film/separation_geometry.hpp). The candidate
// that takes the largest modules wins (ties: leading, then the far edge across, then the near one),
// and the square sits at the candidate's far end, a gap from the page and from the frame edge.
MarkBox in_margin(const Placement& p, const FilmFormat& format, double pitch_um) {
  const std::uint32_t fw = p.frame_width_px, fh = p.frame_height_px;
  if (fw == 0 || fh == 0 || p.page_x_px + p.page_width_px > fw ||
      p.page_y_px + p.page_height_px > fh) {
    return {};
  }
  const std::uint32_t gap = gap_px(pitch_um);
  const std::uint32_t left = p.page_x_px, top = p.page_y_px;
  const std::uint32_t right = fw - p.page_x_px - p.page_width_px;
  const std::uint32_t bottom = fh - p.page_y_px - p.page_height_px;
  struct Candidate {
    std::uint32_t thickness;
    bool vertical;         // a strip running top to bottom (left or right of the page)
    std::uint32_t offset;  // where the strip starts across its thickness
  };
  // Comic: the film runs left to right, so the leading margin is on the left and the margins
  // across the film are above and below the page. Cine: the film runs top to bottom.
  const bool comic = format.orientation == Orientation::comic;
  std::vector<Candidate> candidates;
  if (comic) {
    candidates = {{left, true, 0}, {bottom, false, fh - bottom}, {top, false, 0}};
  } else {
    candidates = {{top, false, 0}, {right, true, fw - right}, {left, true, 0}};
  }
  MarkBox best;
  for (const Candidate& c : candidates) {
    if (c.thickness <= 2 * gap) continue;
    MarkBox box = square_in_band(c.thickness - 2 * gap, pitch_um);
    const std::uint32_t length = c.vertical ? fh : fw;
    if (box.size == 0 || length < box.size + 2 * gap || box.module_px <= best.module_px) continue;
    const std::uint32_t across_at = c.offset + (c.thickness - box.size) / 2;
    const std::uint32_t along_at = length - gap - box.size;
    box.x = c.vertical ? across_at : along_at;
    box.y = c.vertical ? along_at : across_at;
    best = box;
  }
  return best;
}

}  // namespace

TrackMark track_mark(std::uint32_t across, const FilmFormat& format, double pitch_um) {
  const std::uint32_t lane = mm_to_px(format.blips.mark_width_mm, pitch_um);
  const std::uint32_t gap = gap_px(pitch_um);
  if (across <= lane + 2 * gap) return {};
  const std::uint32_t band = across - lane - 2 * gap;
  // The track keeps its historic size rule (no cap): marks on roll film look as before.
  const std::uint32_t module = band / kMarkSidePerModule;
  if (module < kMarkMinModulePx) return {};
  TrackMark mark;
  mark.module_px = module;
  mark.size = module * kMarkSidePerModule;
  mark.across_at = lane + gap + (band - mark.size) / 2;
  mark.gap_px = gap;
  return mark;
}

MarkBox mark_box(const Placement& p, const FilmFormat& format, double pitch_um) {
  if (p.track_width_px > 0 && p.track_height_px > 0) return in_track(p, format, pitch_um);
  return in_margin(p, format, pitch_um);
}

}  // namespace fw
