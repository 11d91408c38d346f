// Film formats are data: one TOML file per format in profiles/formats/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fw {

// comic: the page's width runs along the film (portrait pages side by side);
// cine: the page's height runs along the film, like movie frames.
enum class Orientation { comic, cine };

struct FilmFormat {
  std::string name;                // file stem, e.g. "16mm-comic-30m"
  std::string description;
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
};

const char* to_string(Orientation orientation);

// Where profiles live: FILMWRITER_PROFILES, else the directory compiled in (FW_PROFILES_DIR).
std::filesystem::path default_profiles_dir();

// Loads profiles/formats/<name>.toml. Errors are Error(job) naming the file, line and key,
// or, for an unknown name, listing the known formats.
FilmFormat load_format(const std::filesystem::path& profiles_dir, const std::string& name);
std::vector<FilmFormat> list_formats(const std::filesystem::path& profiles_dir);

}  // namespace fw
