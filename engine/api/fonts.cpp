#include "api/fonts.hpp"

#include <fmt/format.h>

#include <vips/vips8>

#include <charconv>
#include <cmath>
#include <set>
#include <string_view>

#include "core/error.hpp"

namespace fw::api {
namespace {

struct Block {
  const char* name;
  char32_t first, last;
};
// The CJK blocks a preservation title may need, for `fonts`' coverage table.
constexpr Block kBlocks[] = {
    {"CJK Unified", 0x4E00, 0x9FFF},   {"Ext A", 0x3400, 0x4DBF},   {"Ext B", 0x20000, 0x2A6DF},
    {"Ext C", 0x2A700, 0x2B73F},       {"Ext D", 0x2B740, 0x2B81F}, {"Ext E", 0x2B820, 0x2CEAF},
    {"Ext F", 0x2CEB0, 0x2EBEF},       {"Ext G", 0x30000, 0x3134F}, {"Ext H", 0x31350, 0x323AF},
    {"Compatibility", 0xF900, 0xFAFF}, {"Latin", 0x0020, 0x024F},
};

// "40px", "40" or "3.5mm"; mm are at the document's scale (see size_for_cap_height_mm).
struct Length {
  double value = 0;
  bool mm = false;
};

Length parse_length(const std::string& option, const std::string& text) {
  Length length;
  std::string_view number = text;
  if (number.ends_with("mm")) {
    length.mm = true;
    number.remove_suffix(2);
  } else if (number.ends_with("px")) {
    number.remove_suffix(2);
  }
  const auto [end, error] =
      std::from_chars(number.data(), number.data() + number.size(), length.value);
  if (error != std::errc() || end != number.data() + number.size() || !(length.value > 0)) {
    throw Error(ErrorKind::usage,
                fmt::format("{}: expected a length > 0 in px or mm (40px, 3.5mm), got \"{}\"",
                            option, text));
  }
  return length;
}

}  // namespace

std::shared_ptr<const TextEngine> open_font_set(const std::string& font_set) {
  return font_set.empty() ? TextEngine::load_default()
                          : TextEngine::load(TextEngine::find_font_set(font_set));
}

std::vector<BlockCoverage> block_coverage(const TextEngine& engine, std::size_t font) {
  std::vector<BlockCoverage> coverage;
  for (const Block& block : kBlocks) {
    const std::size_t covered = engine.covered(font, block.first, block.last);
    if (covered > 0) coverage.push_back({block.name, covered});
  }
  return coverage;
}

std::vector<FallbackChain> fallback_chains(const TextEngine& engine) {
  std::vector<FallbackChain> chains;
  auto languages = engine.languages();
  languages.insert(languages.begin(), "");
  for (const std::string& lang : languages) {
    for (const char* script : {"han", "latin", "other", "private_use"}) {
      const auto chain = engine.chain(script, lang);
      if (chain.empty()) continue;
      FallbackChain& c = chains.emplace_back(FallbackChain{script, lang, {}});
      for (std::uint32_t font : chain) c.fonts.push_back(engine.fonts()[font].id);
    }
  }
  return chains;
}

TextPreview render_text_preview(const TextPreviewRequest& request) {
  const auto engine = open_font_set(request.font_set);
  auto to_px = [&](const std::string& option, const std::string& text) {
    const Length length = parse_length(option, text);
    return length.mm ? length.value / request.reduction * 1000.0 / request.pitch_um : length.value;
  };
  if (!(request.reduction > 0) || !(request.pitch_um > 0)) {
    throw Error(ErrorKind::usage, "--reduction and --pitch-um: expected numbers > 0");
  }
  TextStyle style;
  const Length size = parse_length("--font-size", request.font_size);
  style.size_px = size.mm ? size_for_cap_height_mm(size.value, request.reduction, request.pitch_um,
                                                   engine->cap_height_em())
                          : size.value;
  style.mode = request.vertical ? WritingMode::vertical : WritingMode::horizontal;
  style.language = request.language;
  style.bitonal = request.bitonal;
  if (request.align == "start") {
    style.align = Align::start;
  } else if (request.align == "centre" || request.align == "center") {
    style.align = Align::centre;
  } else if (request.align == "end") {
    style.align = Align::end;
  } else if (request.align == "justify") {
    style.align = Align::justify;
  } else {
    throw Error(
        ErrorKind::usage,
        fmt::format("--align: expected start, centre, end or justify, got \"{}\"", request.align));
  }
  Box box;
  if (!request.width.empty()) box.width = to_px("--width", request.width);
  if (!request.height.empty()) box.height = to_px("--height", request.height);

  const Layout layout = engine->layout(request.text, box, style, "text");
  // Black ink on white paper with a one-em margin, as the operator will read the frame.
  const auto margin = static_cast<std::uint32_t>(std::ceil(style.size_px));
  const auto width = static_cast<std::uint32_t>(std::ceil(layout.width)) + 2 * margin;
  const auto height = static_cast<std::uint32_t>(std::ceil(layout.height)) + 2 * margin;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height, 255);
  engine->draw(layout, GreyImage{width, height, pixels.data(), width}, margin, margin, 0);
  vips::VImage image =
      vips::VImage::new_from_memory(pixels.data(), pixels.size(), static_cast<int>(width),
                                    static_cast<int>(height), 1, VIPS_FORMAT_UCHAR);
  image.write_to_file(request.out.c_str());

  TextPreview preview;
  preview.width_px = width;
  preview.height_px = height;
  preview.lines = layout.lines.size();
  preview.size_px = style.size_px;
  preview.cap_height_px = style.size_px * engine->cap_height_em();
  std::set<std::uint32_t> used;
  for (const auto& glyph : layout.glyphs) used.insert(glyph.font);
  for (std::uint32_t font : used) preview.fonts.push_back(engine->fonts()[font].id);
  preview.fits = layout.fits;
  preview.ink_width_px = layout.ink.width;
  preview.ink_height_px = layout.ink.height;
  return preview;
}

}  // namespace fw::api
