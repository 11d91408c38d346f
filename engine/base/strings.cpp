#include "base/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
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

}  // namespace

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
