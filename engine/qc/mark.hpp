// The frame mark: a small DataMatrix (ECC 200, libdmtx) at the trailing end of the blip
// track, beside the image address, carrying the reel, the frame number and a short hash of
// the source file. `filmwriter verify` decodes it from the developed film, so a frame that
// ended up in the wrong place, or on the wrong reel, is caught by a machine, frame by frame.
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

// Where the mark goes in a frame, in frame pixels: a square in the part of the track that the
// blip mark's lane does not use, at the frame's trailing end. Empty (size 0) when the format
// has no blip track or the square would be under 2 px a module.
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
