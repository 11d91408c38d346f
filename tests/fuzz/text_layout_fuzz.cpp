// libFuzzer target: text on film. Arbitrary bytes (UTF-8 or not, any code point, any mix of
// scripts and controls) shaped with HarfBuzz and laid out by engine/text with the default
// font set (fonts/default.toml), then drawn with FreeType into a small image. A string no font
// can draw is a MissingGlyph error; bytes that are not UTF-8 are an Error
// (tools/fuzz text_layout 3600).
//
// Bytes 0-3 choose the style: writing mode and alignment, language, em size, box width or
// height (0: unbounded); the rest is the text.
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "text/text.hpp"

namespace {

const fw::TextEngine& engine() {
  static const auto loaded = fw::TextEngine::load_default();
  return *loaded;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)engine();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  static const char* const kLanguages[] = {"zh-Hans", "zh-Hant", "zh-HK", "ja", "en", "ko", ""};
  fw::TextStyle style;
  style.mode = data[0] & 1 ? fw::WritingMode::vertical : fw::WritingMode::horizontal;
  style.align = static_cast<fw::Align>(data[0] >> 1 & 3);
  style.bitonal = data[0] & 8;
  style.language = kLanguages[(data[0] >> 4) % std::size(kLanguages)];
  style.size_px = 4 + data[1] % 60;
  style.line_spacing = 0.5 + (data[2] & 7) * 0.25;
  const double extent = data[3] * 4.0;
  const fw::Box box =
      style.mode == fw::WritingMode::vertical ? fw::Box{0, extent} : fw::Box{extent, 0};
  const std::string text(reinterpret_cast<const char*>(data) + 4, size - 4);
  try {
    engine().check(text, "fuzz", style.language);
    (void)engine().resolve(text, style.language);
    const fw::Layout layout = engine().layout(text, box, style, "fuzz");
    std::vector<std::uint8_t> pixels(160 * 120, 255);
    engine().draw(layout, {160, 120, pixels.data(), 0}, -layout.ink.x / 2, -layout.ink.y / 2);
  } catch (const fw::Error&) {
  }
  return 0;
}
