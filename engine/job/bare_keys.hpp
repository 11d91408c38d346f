// Unicode bare keys in job files.
//
// TOML 1.0 allows only A-Za-z0-9_- in bare keys, so `作者 = "朱熹"` is a syntax error there
// (TOML 1.1 allows it; toml++ 3.3 only behind its "unreleased features" switch, which the
// shared library was not built with). Job files carry mostly Chinese metadata keys, so before
// parsing, every bare key segment that contains non-ASCII characters is put in quotes.
// Such a segment is never valid TOML 1.0, so no valid document changes meaning; strings and
// comments are left alone, and no line break is added or removed, so line numbers still
// match the file.
#pragma once

#include <string>
#include <string_view>

namespace fw::job_detail {

std::string quote_unicode_bare_keys(std::string_view toml_text);

// The key as written on line `line` (1-based) of the original text: the table header's key
// for a line "[a.b]" or "[[a.b]]", else what comes before the first '=' outside quotes,
// without surrounding blanks; "" when the line holds neither. toml++ quotes its own record of
// a key in messages, which for a quoted Unicode key is garbled ("版本版本"), so a message
// about a key names it from the text the operator wrote.
std::string key_on_line(std::string_view toml_text, std::size_t line);

// toml++'s description of a parse error at `line`, in the operator's words: a key defined
// twice reads "版本 is defined twice" (toml++: "cannot redefine existing string '"版本版本" '").
// Other descriptions are returned as they are.
std::string describe_parse_error(std::string_view toml_text, std::size_t line,
                                 std::string_view description);

}  // namespace fw::job_detail
