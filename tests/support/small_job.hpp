// Small jobs on the tiff driver, as the tests that run a whole job write them: one document
// (D001) of a few pages, frames of a few hundred pixels, and a page cut short where a test needs
// a page that does not decode.
#pragma once

#include <filesystem>
#include <string>

#include "model/film_format.hpp"

namespace fw::test {

// A job file's text: one document D001 titled `document` whose pages are `pages` (a TOML
// value), on the tiff driver at 50 um. `keys` are the job's other keys, a line each ("format =
// \"short-reel\"\ntargets = \"none\"\n").
std::string small_tiff_job(const std::string& id, const std::string& title, const std::string& keys,
                           const std::string& document,
                           const std::string& pages = "{ dir = \"scans\" }");

// The head of a job file on the tiff driver at 50 um, uncompressed, two threads and no targets:
// the keys the kill, resume and preflight tests share, before their documents.
std::string tiff_job_head(const std::string& id, const std::string& title,
                          const std::string& format);

// A 5 mm image area (8 mm film): at 10 um, frames of a few hundred pixels keep placement and
// raster tests fast.
FilmFormat small_film_format();

// Cuts `file` to its first half, as an interrupted copy leaves it (its header still reads);
// returns what it held, to mend it with.
std::string cut_in_half(const std::filesystem::path& file);

}  // namespace fw::test
