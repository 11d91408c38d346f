// The frame mark: a small DataMatrix (ECC 200, libdmtx) carrying the reel, the frame number
// and a short hash of the source file: at the trailing end of the blip track, beside the
// image address, on formats with a track; in the clear margin of the frame beside the page
// image on fiche (and any format without a track). `filmwriter verify` decodes it from the
// developed film, so a frame that ended up in the wrong place, or on the wrong reel or sheet,
// is caught by a machine, frame by frame.
//
// Payload: 20 digits, "RRRRFFFFFFHHHHHHHHHH" = reel number (4), frame number (6) and the
// first 32 bits of the source file's sha256 in decimal (10; 0 for targets). Digits pack two
// per codeword, so the symbol is 16 x 16 modules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "film/format.hpp"
#include "film/plan.hpp"
#include "raster/raster.hpp"

namespace fw {

struct FrameMark {
  std::uint32_t reel = 0;
  std::uint32_t frame = 0;
  std::uint32_t source_hash = 0;  // first 8 hex digits of the source's sha256; 0: none

  std::string payload() const;
  static std::optional<FrameMark> parse(const std::string& payload);
  static std::uint32_t hash_of(const std::string& sha256_hex);
  bool operator==(const FrameMark&) const = default;
};

// Where the mark goes in a frame, in frame pixels, from the frame's placement alone (the
// recorder and verify agree without a table):
// - blip track: a square in the part of the track the blip lane does not use, at the frame's
//   trailing end, modules as large as the track allows;
// - no track (fiche): a square in the widest of the page's leading margin along the film and
//   its two margins across it (never the trailing one, where a separation frame's strip goes),
//   at that margin's far end, 0.05 mm from the page and the frame edge, modules of about
//   20 um and at least 2 px (a 0.4 mm square with its quiet zone; smaller where the margin is
//   narrower).
// Empty (size 0) when no square fits with modules of at least 2 px (a fiche header tile, a
// page that fills its cell).
struct MarkBox {
  std::uint32_t x = 0, y = 0, size = 0;
  std::uint32_t module_px = 0;
};
MarkBox mark_box(const Placement& placement, const FilmFormat& format, double pitch_um);

// Draws the mark (exposed modules 255 on unexposed film) after draw_blip_track. Leaves the
// frame alone when there is no box or when the box would cover the address (a frame too
// short for both): verify then reports the mark as missing, never a wrong one.
void draw_frame_mark(FrameImage& image, const PlannedFrame& frame, const FilmFormat& format,
                     double pitch_um, const std::string& source_sha256);

// Decodes a DataMatrix from an 8-bit grey image (dark modules dark). nullopt: none found.
std::optional<std::string> decode_datamatrix(const std::vector<std::uint8_t>& grey,
                                             std::uint32_t width, std::uint32_t height);

}  // namespace fw
