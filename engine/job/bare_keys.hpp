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

}  // namespace fw::job_detail
