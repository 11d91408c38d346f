// Film formats are data: one TOML file per format in profiles/formats/ (or a [format] table
// in the job). Roll film (16/35 mm, comic or cine) and A6 microfiche grids. The FilmFormat
// value itself is in model/film_format.hpp; this is its reader and the film arithmetic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hal/recorder.hpp"
#include "model/film_format.hpp"

namespace fw {

// Where profiles live: FILMWRITER_PROFILES, else the directory compiled in (FW_PROFILES_DIR).
std::filesystem::path default_profiles_dir();

// Loads profiles/formats/<name>.toml. Errors are Error(job) naming the file, line and key,
// or, for an unknown name, listing the known formats.
FilmFormat load_format(const std::filesystem::path& profiles_dir, const std::string& name);

// A length on film in whole recorder pixels at `pitch_um`.
std::uint32_t mm_to_px(double mm, double pitch_um);
std::vector<FilmFormat> list_formats(const std::filesystem::path& profiles_dir);

// What a recorder needs of the format to place frames on the film (hal::ReelSpec::geometry).
hal::FilmGeometry film_geometry(const FilmFormat& format);

// Checks a reduction against the format: its range and, when listed, its allowed values.
// Throws Error(job) saying which reductions the format takes.
void check_reduction(const FilmFormat& format, double reduction);

}  // namespace fw
