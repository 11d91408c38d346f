// Text for messages: quoting what was found, suggesting what was meant, and naming the encoding
// of bytes that are not UTF-8.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace fw {

// "text" with '"', '\' and control characters escaped, so a message stays one unambiguous
// line. The result is also a valid TOML basic string.
std::string quote(std::string_view text);

// The start of UTF-8 `text`: its first `count` characters (code points), or all of it.
std::string_view first_characters(std::string_view text, std::size_t count);

// The offset of the first byte of `text` that is not valid UTF-8 (overlong forms, surrogates
// and code points past U+10FFFF included), or std::string_view::npos when all of it is.
std::size_t invalid_utf8_at(std::string_view text);

// Whether `text` reads as GB18030 (GBK is its two-byte part): ASCII, two-byte sequences 81–FE
// with 40–7E or 80–FE, and four-byte sequences 81–FE 30–39 81–FE 30–39. Spreadsheets, text
// editors and zip tools on Chinese Windows write GBK unless told otherwise.
bool decodes_as_gb18030(std::string_view text);

// Why `bytes` (a file's text or a file's name) is not UTF-8, for a message: "not UTF-8 (byte
// 0xD6); it looks like GBK/GB18030", "UTF-16 (it begins with the byte order mark FF FE)", or
// "" when it is UTF-8.
std::string not_utf8_reason(std::string_view bytes);

// `text` with every byte above 0x7F written \xHH: a name that is not UTF-8 shown without
// garbling the operator's terminal (the bytes of a GBK name are often valid UTF-8 by chance,
// so none of them is shown as a character).
std::string escape_non_ascii(std::string_view text);

// The word of `known` a typo of it most likely meant, or "" when none is close: an edit is an
// insertion, a deletion, a substitution or two neighbours swapped (the most common typo in a
// key), and short words allow fewer edits, or "id" would be suggested for nearly anything.
std::string_view closest_word(std::string_view word, std::span<const std::string_view> known);

// "unknown key (did you mean "reduction"?)", or "unknown key (known keys: a, b, c)".
std::string unknown_key_message(std::string_view key, std::span<const std::string_view> known);

}  // namespace fw
