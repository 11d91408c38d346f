// Where a frame's DataMatrix frame mark goes (render/frame_mark.hpp encodes, draws and decodes it).
// The geometry lives with the film because the planner needs it too: a frame is made long enough
// for its mark (and its image address) before anything is exposed, and the recorder and
// `verify` find the mark from the frame's placement alone, without a table.
#pragma once

#include <cstdint>

#include "film/format.hpp"
#include "film/plan.hpp"

namespace fw {

// The symbol: 16 x 16 modules (20 digits pack two per codeword) and a quiet zone of two
// modules on each side (the standard asks for one; the second keeps the address's last letter
// and the film edge out of the finder's way). Modules are whole recorder pixels, at least 2.
constexpr std::uint32_t kMarkSymbolModules = 16;
constexpr std::uint32_t kMarkQuietModules = 2;
constexpr std::uint32_t kMarkMinModulePx = 2;

// A square in frame pixels, quiet zone included; size 0: none.
struct MarkBox {
  std::uint32_t x = 0, y = 0, size = 0;
  std::uint32_t module_px = 0;
};

// The mark in a blip track `across_px` wide, in track axes: `size` and `module_px`, where it
// starts across the track (`across_at`, from the track's inner edge, beside the blip lane) and
// the clearance it keeps from the frame's trailing edge and from the address (`gap_px`). It
// sits at the trailing end, so a frame needs `size + gap_px` of track behind the address's ink
// plus another `gap_px`. Size 0 when the track is too narrow for 2 px modules.
struct TrackMark {
  std::uint32_t size = 0;
  std::uint32_t module_px = 0;
  std::uint32_t across_at = 0;
  std::uint32_t gap_px = 0;
};
TrackMark track_mark(std::uint32_t across_px, const FilmFormat& format, double pitch_um);

// Where the mark goes in a frame, from its placement alone:
// - blip track: track_mark() at the frame's trailing end, modules as large as the track allows;
// - no track (fiche): a square in the widest of the page's leading margin along the film and
//   its two margins across it (never the trailing one, where a separation frame's strip goes),
//   at that margin's far end, 0.05 mm from the page and the frame edge, modules of about
//   20 um and at least 2 px (a 0.4 mm square with its quiet zone; smaller where the margin is
//   narrower).
// Empty (size 0) when no square fits with modules of at least 2 px (a fiche header tile; the
// planner refuses any other frame without room for its mark, see plan_reels).
MarkBox mark_box(const Placement& placement, const FilmFormat& format, double pitch_um);

}  // namespace fw
