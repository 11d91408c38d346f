// The colour-separation route: colour microfilm stock is scarce, so a colour page can be
// filmed on black-and-white stock as three separation frames, the page's red, green and blue
// channels, each a grey frame. So that a reader can put the page together again from the
// film alone, every separation frame carries a calibration strip beside the page (along the
// film, after the page, inside the image area, never in the blip track):
//
//   [ + ][ 0 ][ 26 ][ 51 ] ... [ 230 ][ 255 ][ + ]     across the film
//
// two registration crosses (the same place on all three frames of a page) and a grey scale
// of 11 known code values, 0, 26, 51, ... 255 (round(i * 25.5)), from the first cross to the
// second. The steps are written before the calibration LUT like the page itself, so a step's
// density on film is the density of that code value in the page: the reader interpolates the
// steps to turn each separation's densities back into code values, registers the three frames
// on the crosses and recombines R, G, B.
//
// This header is the route's geometry, which the planner sizes frames with and the catalog
// reads addresses with; the drawing: render/separation.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "film/format.hpp"
#include "film/plan.hpp"

namespace fw {

// The strip's length along the film, on the film, and the grey scale it carries.
constexpr double kSeparationStripMm = 1.0;
constexpr std::size_t kSeparationSteps = 11;
std::array<std::uint8_t, kSeparationSteps> separation_step_values();  // 0, 26, ... 255

struct PixelRect {
  std::uint32_t x = 0, y = 0, width = 0, height = 0;
};

// Where the strip's parts are in a separation frame (frame pixels).
struct SeparationStrip {
  PixelRect area;                                 // the whole strip
  std::array<PixelRect, 2> crosses;               // registration crosses, first and last
  std::array<std::uint32_t, 2> cross_centre_x{};  // the crosses' centres
  std::array<std::uint32_t, 2> cross_centre_y{};
  std::array<PixelRect, kSeparationSteps> steps;  // in the order of separation_step_values()
};

// The placement of a page's separation frames: the page's own, with the frame lengthened along
// the film to hold the strip after the page (variable-length formats), or the page moved to the
// frame's leading side when the frame has a fixed length. Throws Error(input) when a fixed
// frame has no room for the strip or the pitch is too coarse to draw it.
Placement with_separation_strip(const Placement& page, const FilmFormat& format, double pitch_um);

// The strip of a frame placed by with_separation_strip().
SeparationStrip separation_strip(const Placement& placement, const FilmFormat& format,
                                 double pitch_um);

// The separation an image address names ("R0001-D001-0003-G" -> green); none for any other
// address. index.csv's `separation` column is read from the address, so every copy of a row
// (journal, catalog) carries it without a column of its own.
Separation separation_of_address(const std::string& address);
// The section an image address names ("R0001-D001-0003-S2", "R0001-D001-0003-S2-G" -> 2); 0 for
// any other address (a whole page, or a page's overview).
std::uint32_t section_of_address(const std::string& address);

}  // namespace fw
