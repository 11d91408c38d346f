// What a PNG's header chunks say that libvips 8.14 does not tell: whether it declares a
// resolution, and, without an ICC profile, its colours (the gAMA and cHRM chunks). libvips
// 8.14 reads the iCCP chunk (an embedded ICC profile) and ignores gAMA and cHRM, so a PNG saved
// in linear light (gAMA 1.0) would be filmed as if it were sRGB: its mid-tones far too dark.
// Private to engine/ingest.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fw::ingest_detail {

// The chunks before a PNG's image data that say what its samples mean (PNG 1.2, 11.3.3) and
// whether it declares a resolution (pHYs in metres: libvips reports 72 dpi for a PNG without
// one, and no "resolution-unit" either way, so only the file itself can tell).
struct PngHeaderChunks {
  bool icc = false;                    // iCCP: libvips reads it, and it wins over the rest
  bool srgb = false;                   // sRGB: the samples are sRGB
  std::optional<std::uint32_t> gamma;  // gAMA: the encoding exponent times 100000
  std::optional<std::array<std::uint32_t, 8>> chromaticities;  // cHRM: white, red, green,
                                                               // blue x and y, times 100000
  bool resolution_in_metres = false;                           // pHYs with unit 1 (metre)
};
PngHeaderChunks read_png_header_chunks(const std::string& file);

// The ICC profile a browser builds for the PNG `file` (whose decoded page has `colour_bands`
// colour bands, 1 or 3, alpha not counted): the cHRM primaries and white (sRGB's when absent)
// with the tone curve of the gAMA exponent (sRGB's when absent). Nothing when the file has an
// iCCP or sRGB chunk (the profile wins, or it is sRGB), when it has neither gAMA nor cHRM, or
// when what they say is sRGB within libpng's 5 % (gAMA 0.45455 is sRGB's): such a page is
// filmed as sRGB, as an untagged page is. A grey page takes only gAMA. Throws Error(input),
// prefixed with `context`, when the chunks give no usable colours (gamma 0, a white point or
// primaries no profile can be built from): the page's tones cannot be told.
std::optional<std::vector<std::uint8_t>> png_implied_profile(const std::string& file,
                                                             int colour_bands,
                                                             const std::string& context);

}  // namespace fw::ingest_detail
