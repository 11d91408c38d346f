#include "base/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace fw {
namespace {

// Optimal string alignment distance: a swapped pair of letters counts as one edit.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The length of the UTF-8 sequence at `at`, or 0 when the bytes there are not valid UTF-8.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
      (length == 4 && (code < 0x10000 || code > 0x10FFFF))) {
    return 0;
  }
  return length;
}

}  // namespace

std::size_t invalid_utf8_at(std::string_view text) {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_length(text, at);
    if (length == 0) return at;
    at += length;
  }
  return std::string_view::npos;
}

bool decodes_as_gb18030(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char b = byte(i);
    if (b < 0x80) {
      ++i;
      continue;
    }
    if (b == 0x80 || b == 0xFF || i + 1 >= text.size()) return false;
    const unsigned char second = byte(i + 1);
    if ((second >= 0x40 && second <= 0x7E) || (second >= 0x80 && second <= 0xFE)) {
      i += 2;
      continue;
    }
    if (second >= 0x30 && second <= 0x39 && i + 3 < text.size() && byte(i + 2) >= 0x81 &&
        byte(i + 2) <= 0xFE && byte(i + 3) >= 0x30 && byte(i + 3) <= 0x39) {
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

std::string not_utf8_reason(std::string_view bytes) {
  // Windows Notepad's "Unicode" is UTF-16 with a byte order mark; its NUL bytes are valid
  // UTF-8 in an ASCII text, so the mark is looked for first.
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    return fmt::format("UTF-16 (it begins with the byte order mark {:02X} {:02X})",
                       static_cast<unsigned char>(bytes[0]), static_cast<unsigned char>(bytes[1]));
  }
  const std::size_t at = invalid_utf8_at(bytes);
  if (at == std::string_view::npos) return "";
  return fmt::format("not UTF-8 (byte 0x{:02X}){}", static_cast<unsigned char>(bytes[at]),
                     decodes_as_gb18030(bytes) ? "; it looks like GBK/GB18030" : "");
}

std::string escape_non_ascii(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out += c;
    } else {
      out += fmt::format("\\x{:02X}", byte);
    }
  }
  return out;
}

std::string_view first_characters(std::string_view text, std::size_t count) {
  std::size_t end = 0;
  for (std::size_t n = 0; end < text.size() && n < count; ++n) {
    ++end;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  }
  return text.substr(0, end);
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string_view closest_word(std::string_view word, std::span<const std::string_view> known) {
  std::string_view closest;
  std::size_t closest_distance = 0;
  for (const std::string_view candidate : known) {
    const std::size_t distance = edit_distance(word, candidate);
    if (closest.empty() || distance < closest_distance) {
      closest = candidate;
      closest_distance = distance;
    }
  }
  const std::size_t limit = std::clamp<std::size_t>(closest.size() / 3, 1, 2);
  return closest_distance <= limit ? closest : std::string_view();
}

std::string unknown_key_message(std::string_view key, std::span<const std::string_view> known) {
  const std::string_view closest = closest_word(key, known);
  if (!closest.empty()) return fmt::format("unknown key (did you mean \"{}\"?)", closest);
  return fmt::format("unknown key (known keys: {})", fmt::join(known, ", "));
}

}  // namespace fw
