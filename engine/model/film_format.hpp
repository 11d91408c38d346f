// A film format as a value: the roll or fiche geometry a job films on (engine/model: the
// value types every engine module shares, below all of them). Read from profiles/formats/
// or a job's [format] table by engine/film/format.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fw {

// comic: the page's width runs along the film (portrait pages side by side);
// cine: the page's height runs along the film, like movie frames.
enum class Orientation { comic, cine };

// roll: frames one after another along a reel; fiche: a grid of frames on a sheet.
enum class FilmLayout { roll, fiche };

// Fiche reading order: rows (left to right, then down) or columns (top to bottom, then right).
enum class ReadingOrder { rows, columns };

// The blip track: a strip beside the image area (below it on the film) that holds one blip
// mark per frame, at the start of the frame, and the frame's image address in small print.
struct BlipTrack {
  double track_mm = 0;         // strip width across the film; 0: the format has no blip track
  double mark_width_mm = 0.7;  // across the film
  double page_mm = 1.0;        // mark length along the film, by level
  double document_mm = 2.0;
  double batch_mm = 3.0;
  double mark_offset_mm = 0.2;     // from the frame's leading edge to the mark
  double address_height_mm = 0.3;  // cap height of the image address in the track; 0: none
};

struct FicheGrid {
  double width_mm = 148;  // the sheet (A6 landscape)
  double height_mm = 105;
  std::uint32_t columns = 14;
  std::uint32_t rows = 7;  // image rows, below the header
  std::uint32_t header_rows = 1;
  double cell_width_mm = 10.5;
  double cell_height_mm = 13.0;
  ReadingOrder order = ReadingOrder::rows;
  std::uint32_t frames() const { return columns * rows; }
};

struct FilmFormat {
  std::string name;  // file stem, e.g. "16mm-comic-30m"
  std::string description;
  FilmLayout layout = FilmLayout::roll;
  double film_width_mm = 16;
  double image_area_across_mm = 12.5;  // usable width across the film
  double frame_length_mm = 0;          // 0: variable, the frame follows the page
  double frame_gap_mm = 1.0;           // unexposed film between frames
  double margin_mm = 0.05;             // least clearance between page and frame edge
  Orientation orientation = Orientation::comic;
  double leader_m = 1.0;
  double trailer_m = 1.0;
  double reel_length_m = 30.5;         // default stock length
  std::vector<double> reel_lengths_m;  // standard lengths for this format
  double min_reduction = 7;
  double max_reduction = 50;
  std::vector<double> allowed_reductions;  // empty: any reduction in [min, max]
  BlipTrack blips;
  FicheGrid fiche;  // layout fiche only; the roll fields above then describe one grid cell
};

const char* to_string(Orientation orientation);
const char* to_string(FilmLayout layout);
const char* to_string(ReadingOrder order);

}  // namespace fw
