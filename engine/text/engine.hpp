// The TextEngine behind text.hpp. Internal to engine/text: layout.cpp shapes and breaks,
// rasterise.cpp draws, text.cpp loads, checks and resolves fonts.
#pragma once

#include <hb.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "text/font_set.hpp"
#include "text/text.hpp"

namespace fw::text_internal {

// A string decoded and given a font per character.
struct ResolvedText {
  std::vector<hb_codepoint_t> code_points;
  std::vector<std::size_t> byte_offsets;  // size() + 1 entries: where each character starts
  std::vector<std::uint32_t> fonts;       // index into FontSet::fonts; kNoFont for '\n'
  static constexpr std::uint32_t kNoFont = ~0u;
};

class Engine final : public TextEngine {
 public:
  explicit Engine(std::shared_ptr<const FontSet> fonts);

  std::vector<std::uint32_t> check(const std::string& text, const std::string& context,
                                   const std::string& language) const override;
  Layout layout(const std::string& text, Box box, const TextStyle& style,
                const std::string& context) const override;
  void draw(const Layout& layout, GreyImage image, double x, double y,
            std::uint8_t ink) const override;

  const std::filesystem::path& font_set_file() const override { return fonts_->file; }
  const std::vector<FontInfo>& fonts() const override { return fonts_->infos; }
  std::size_t covered(std::size_t font, char32_t first, char32_t last) const override;
  std::vector<std::uint32_t> chain(const std::string& script,
                                   const std::string& language) const override;
  std::vector<std::string> languages() const override;
  std::vector<CharFont> resolve(const std::string& text,
                                const std::string& language) const override;
  double cap_height_em() const override;
  int cap_height_font() const override;

  // Decodes UTF-8 and picks each character's font along its chain. With `report` set,
  // characters no font has get kNoFont and are reported there; otherwise MissingGlyph.
  ResolvedText resolve_fonts(const std::string& text, const std::string& language,
                             const std::string& context,
                             std::vector<CharFont>* report = nullptr) const;

 private:
  std::shared_ptr<const FontSet> fonts_;
  // Identifies this engine in each thread's FreeType cache (see text.hpp); `alive_` expires
  // with the engine so that threads can drop their faces for it.
  std::uint64_t serial_;
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

}  // namespace fw::text_internal
