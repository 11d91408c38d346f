#include "text/script.hpp"

#include <hb.h>

#include <algorithm>
#include <string_view>

namespace fw::text_internal {
namespace {

hb_unicode_funcs_t* unicode() {
  return hb_unicode_funcs_get_default();
}

// Closing punctuation, iteration marks and small kana: a line never starts with them
// (GB/T 15834 and JIS X 4051 line-start prohibitions).
constexpr std::u32string_view kNoLineStart =
    U"!),.:;?]}"
    U"¢°’”‰′″℃、。々〉》」』】〕〗〙〛〞〟ゝゞァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖ"
    U"・ーヽヾ！％），．：；？］｝｡｣､･ｧｨｩｪｫｬｭｮｯｰ〜～‐゠–";
// Opening punctuation: a line never ends with it.
constexpr std::u32string_view kNoLineEnd = U"([{£¥‘“〈《「『【〔〖〘〝（［｛｢＄￡￥";
// Sequences that are one mark and must not be split across lines.
constexpr std::u32string_view kInseparable = U"—…‥";

bool in(std::u32string_view set, char32_t c) {
  return set.find(c) != std::u32string_view::npos;
}

// Punctuation and symbols of CJK typography that Unicode assigns to no script (Common):
// they take the CJK chain so that they come out full-width from the CJK font.
bool cjk_punctuation(char32_t c) {
  return (c >= 0x3000 && c <= 0x303F) || (c >= 0x31C0 && c <= 0x31EF) ||
         (c >= 0x3200 && c <= 0x33FF) || (c >= 0xFE10 && c <= 0xFE1F) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6);
}

}  // namespace

std::optional<ScriptClass> own_script(char32_t c) {
  if (cjk_punctuation(c)) return ScriptClass::han;
  if (hb_unicode_general_category(unicode(), c) == HB_UNICODE_GENERAL_CATEGORY_PRIVATE_USE) {
    return ScriptClass::private_use;
  }
  switch (hb_unicode_script(unicode(), c)) {
    case HB_SCRIPT_HAN:
    case HB_SCRIPT_HIRAGANA:
    case HB_SCRIPT_KATAKANA:
    case HB_SCRIPT_BOPOMOFO:
    case HB_SCRIPT_HANGUL:
    case HB_SCRIPT_YI:
      return ScriptClass::han;
    case HB_SCRIPT_LATIN:
    case HB_SCRIPT_GREEK:
    case HB_SCRIPT_CYRILLIC:
      return ScriptClass::latin;
    case HB_SCRIPT_COMMON:
    case HB_SCRIPT_INHERITED:
      return std::nullopt;
    default:
      return ScriptClass::other;
  }
}

bool is_variation_selector(char32_t c) {
  return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF) ||
         (c >= 0x180B && c <= 0x180D);
}

bool is_default_ignorable(char32_t c) {
  return (c >= 0x200B && c <= 0x200F) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF || c == 0x00AD;
}

bool is_combining_mark(char32_t c) {
  switch (hb_unicode_general_category(unicode(), c)) {
    case HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK:
    case HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK:
    case HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK:
      return true;
    default:
      return false;
  }
}

bool is_breaking_space(char32_t c) {
  return c == U' ' || c == 0x3000;
}

bool upright_in_vertical(char32_t c) {
  // Unicode's Vertical_Orientation (UAX #50) in short: below U+1100 only a few symbols
  // stand upright; from U+1100 on (Hangul, CJK, fullwidth forms) nearly everything does.
  constexpr std::u32string_view kUprightSymbols = U"§©®±¶×÷¼½¾°";
  if (c < 0x1100) return in(kUprightSymbols, c);
  return true;
}

bool break_allowed(char32_t before, char32_t after) {
  if (is_breaking_space(after) || is_variation_selector(after) || is_combining_mark(after)) {
    return false;  // spaces hang at the end of the line; marks stay with their base
  }
  if (is_default_ignorable(after) && after != 0x200B) return false;
  if (before == 0x200B) return true;  // zero-width space: an explicit break opportunity
  if (in(kNoLineStart, after) || in(kNoLineEnd, before)) return false;
  if (before == after && in(kInseparable, before)) return false;
  if (is_breaking_space(before)) return true;
  return own_script(before) == ScriptClass::han || own_script(after) == ScriptClass::han;
}

}  // namespace fw::text_internal
