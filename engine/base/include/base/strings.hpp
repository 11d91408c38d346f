// Text for messages: quoting what was found, and suggesting what was meant.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace fw {

// "text" with '"', '\' and control characters escaped, so a message stays one unambiguous
// line. The result is also a valid TOML basic string.
std::string quote(std::string_view text);

// The word of `known` a typo of it most likely meant, or "" when none is close: an edit is an
// insertion, a deletion, a substitution or two neighbours swapped (the most common typo in a
// key), and short words allow fewer edits, or "id" would be suggested for nearly anything.
std::string_view closest_word(std::string_view word, std::span<const std::string_view> known);

// "unknown key (did you mean "reduction"?)", or "unknown key (known keys: a, b, c)".
std::string unknown_key_message(std::string_view key, std::span<const std::string_view> known);

}  // namespace fw
