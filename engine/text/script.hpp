// What a character is, as far as fallback, line breaking and vertical text care.
// Internal to engine/text.
#pragma once

#include <optional>

#include "text/font_set.hpp"

namespace fw::text_internal {

// The fallback chain a character picks on its own; nullopt for characters that follow the
// text around them (digits, spaces, common punctuation, combining marks).
std::optional<ScriptClass> own_script(char32_t c);

// Variation selectors (including the ideographic ones, U+E0100..) select a form of the
// character before them; default-ignorable format characters (zero-width joiners, word
// joiners, BOM) draw nothing. Neither gets a font of its own.
bool is_variation_selector(char32_t c);
bool is_default_ignorable(char32_t c);
bool is_combining_mark(char32_t c);

// Spaces that end a line invisibly (hang) when the line breaks after them.
bool is_breaking_space(char32_t c);

// Upright in vertical text (ideographs, kana, fullwidth forms, CJK punctuation through the
// font's `vert` feature); otherwise the character is set sideways, turned 90° clockwise,
// like a Latin word in a Chinese column.
bool upright_in_vertical(char32_t c);

// May a line break between `before` and `after`? CJK rules (kinsoku): never before closing
// punctuation or small kana, never after opening punctuation, never inside "——" or "……";
// breaks between ideographs and after spaces; Latin words stay whole.
bool break_allowed(char32_t before, char32_t after);

}  // namespace fw::text_internal
