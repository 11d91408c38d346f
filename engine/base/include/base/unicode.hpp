// Canonical equivalence: one visible text spelled in different code points. Hangul as
// precomposed syllables (가 U+AC00) or conjoining jamo (U+1100 U+1161, what macOS gives for
// folder names), kana with a combining dakuten (カ U+30AB + U+3099 for ガ U+30AC), Latin
// accents, and the CJK compatibility ideographs of Big5 and KS X 1001 conversions (豈 U+F900
// for 豈 U+8C48). Ids that people read on film and look up in the catalog are compared in
// Unicode's Normalization Form C, through utf8proc; the ids themselves are never rewritten.
#pragma once

#include <string>
#include <string_view>

namespace fw {

// `text` (UTF-8) in Normalization Form C; text that is not valid UTF-8 unchanged (it has no
// normal form, and the caller's own checks refuse it).
std::string nfc(std::string_view text);

// Whether `a` and `b` read the same: equal in NFC. Compatibility equivalents (fullwidth Ａ and
// A, ① and 1) are not: they look different, on film and on screen.
bool canonically_equal(std::string_view a, std::string_view b);

// Whether no other text is canonically equivalent to `text`: ASCII without 'K', ';' or '`',
// the only ASCII characters a character beyond ASCII stands for (U+212A KELVIN SIGN, U+037E
// GREEK QUESTION MARK and U+1FEF GREEK VARIA, whose NFC they are; every other character beyond
// ASCII decomposes to one beyond ASCII). Lets a lookup of "D001" skip looking for spellings.
bool has_one_spelling(std::string_view text);

// Whether `text` matches the SQL LIKE `pattern` (`%` any run of characters, `_` one character,
// `escape` before either, or before itself, for the character itself), each character compared
// through its lowercase (utf8proc_tolower: Über and über, ΑΘΗΝΑ and αθηνα, Ǆ and ǆ are alike);
// ideographs have no case. Text that is not valid UTF-8 is compared byte by byte. The catalog's
// LIKE on SQLite, whose own LIKE ignores the case of ASCII letters only.
bool like_ignoring_case(std::string_view text, std::string_view pattern, char32_t escape = 0);

// Where two spellings differ, as code points: "U+AC00 vs U+1100 U+1161", the part of each
// between what they begin and end with alike (the whole of each when that is all).
std::string spelling_difference(std::string_view a, std::string_view b);

}  // namespace fw
