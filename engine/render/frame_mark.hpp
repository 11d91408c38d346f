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
#include "film/mark_box.hpp"
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

// Where the mark goes: mark_box() in film/mark_box.hpp, from the frame's placement alone (the
// recorder and verify agree without a table).

// Draws the mark (exposed modules 255 on unexposed film) after draw_blip_track. Leaves the
// frame alone when there is no box (a fiche header tile). The planner gives every other frame
// room for its mark beside its address; a box that would cover ink anyway is a planning error
// (Error(internal)), never a frame filmed without its mark or with its address overwritten.
void draw_frame_mark(FrameImage& image, const PlannedFrame& frame, const FilmFormat& format,
                     double pitch_um, const std::string& source_sha256);

// Decodes a DataMatrix from an 8-bit grey image (dark modules dark). nullopt: none found.
std::optional<std::string> decode_datamatrix(const std::vector<std::uint8_t>& grey,
                                             std::uint32_t width, std::uint32_t height);

}  // namespace fw
