// `fonts` and `text`: what a font set covers, which font draws each character, and a preview
// image of a text as it will be set on film (engine/text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "text/text.hpp"

namespace fw::api {

// A set name ("serif": fonts/serif.toml) or a set file, as the job's `fonts` key takes; "" for
// the default set.
std::shared_ptr<const TextEngine> open_font_set(const std::string& font_set);

// How many code points of a Unicode block a font has.
struct BlockCoverage {
  const char* block;  // "CJK Unified", "Ext A", ... "Latin"
  std::size_t code_points = 0;
};
// The blocks a preservation title may need (the CJK blocks and Latin) that font `font` of
// `engine` has code points of, in that order.
std::vector<BlockCoverage> block_coverage(const TextEngine& engine, std::size_t font);

// One fallback chain: the fonts tried, in order, for a script in a language.
struct FallbackChain {
  std::string script;              // han, latin, other, private_use
  std::string language;            // "" for the chain every language without its own uses
  std::vector<std::string> fonts;  // font ids
};
// Every chain of the set: each script's default chain, then each language's own.
std::vector<FallbackChain> fallback_chains(const TextEngine& engine);

struct TextPreviewRequest {
  std::string text;                // '\n' starts a new paragraph
  std::string font_size = "32px";  // em size in px ("40px", "40") or cap height in mm ("3.5mm")
  double reduction = 1;            // for sizes in mm: 1 is on film
  double pitch_um = 2.5;           // the recorder's pixel pitch, for sizes in mm
  bool vertical = false;
  bool bitonal = false;
  std::string language = "zh-Hans";
  std::string width, height;    // the box, in px or mm ("" for none)
  std::string align = "start";  // start, centre (center), end or justify
  std::string font_set;         // as open_font_set takes it
  std::filesystem::path out;    // the preview image (.png, .tif)
};

struct TextPreview {
  std::uint32_t width_px = 0, height_px = 0;  // the image: the text and a one-em margin
  std::size_t lines = 0;                      // lines, or columns when vertical
  double size_px = 0;                         // em size
  double cap_height_px = 0;
  std::vector<std::string> fonts;  // ids of the fonts the text was set in
  bool fits = true;                // false: the ink is larger than the box
  double ink_width_px = 0, ink_height_px = 0;
};

// Sets the text as a frame would (black ink on white paper, a one-em margin) and writes the
// image. Throws Error(usage) naming the flag of a length, size or alignment it cannot read, and
// MissingGlyph for a character no font draws.
TextPreview render_text_preview(const TextPreviewRequest& request);

}  // namespace fw::api
