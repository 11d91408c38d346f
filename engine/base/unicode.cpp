#include "base/unicode.hpp"

#include <fmt/format.h>
#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace fw {
namespace {

// The code points of `text` into `out`; false (and `out` empty) when it is not valid UTF-8.
bool decode(std::string_view text, std::vector<utf8proc_int32_t>& out) {
  out.clear();
  const auto* at = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t point = 0;
    const utf8proc_ssize_t length = utf8proc_iterate(at, left, &point);
    if (length <= 0) {
      out.clear();
      return false;
    }
    out.push_back(point);
    at += length;
    left -= length;
  }
  return true;
}

// The code points of `text`, or nothing when it is not valid UTF-8.
std::vector<utf8proc_int32_t> code_points(std::string_view text) {
  std::vector<utf8proc_int32_t> points;
  decode(text, points);
  return points;
}

// The lowercase of each character of `text` into `out`; the bytes of text that is not valid
// UTF-8, lowercased as ASCII.
void lowercase_points(std::string_view text, std::vector<utf8proc_int32_t>& out) {
  if (!decode(text, out)) {
    for (const char c : text) out.push_back(static_cast<unsigned char>(c));
  }
  for (auto& point : out) {
    point = utf8proc_tolower(point);
    // Final sigma: one letter, ς at the end of a word and σ elsewhere, Σ in capitals for both.
    if (point == 0x03C2) point = 0x03C3;
  }
}

std::string listed(const std::vector<utf8proc_int32_t>& points, std::size_t from, std::size_t to) {
  std::string text;
  for (std::size_t i = from; i < to; ++i) {
    text += fmt::format("{}U+{:04X}", i == from ? "" : " ", static_cast<std::uint32_t>(points[i]));
  }
  return text;
}

}  // namespace

std::string nfc(std::string_view text) {
  utf8proc_uint8_t* mapped = nullptr;
  // UTF8PROC_STABLE | UTF8PROC_COMPOSE is utf8proc_NFC's own mapping; given the length, the
  // text need not end in a NUL (nor be free of one).
  const utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &mapped,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (length < 0) return std::string(text);
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(mapped, &std::free);
  return std::string(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(length));
}

bool canonically_equal(std::string_view a, std::string_view b) {
  return a == b || nfc(a) == nfc(b);
}

bool has_one_spelling(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == 'K' || c == ';' || c == '`') return false;
  }
  return true;
}

bool like_ignoring_case(std::string_view text, std::string_view pattern, char32_t escape) {
  // Reused: the catalog calls this once per row it filters.
  thread_local std::vector<utf8proc_int32_t> t, p;
  lowercase_points(text, t);
  lowercase_points(pattern, p);
  const utf8proc_int32_t lower_escape = utf8proc_tolower(static_cast<utf8proc_int32_t>(escape));
  // The pattern as tokens: a character to match, or one of the wildcards.
  constexpr utf8proc_int32_t kAnyRun = -1, kAnyOne = -2;  // no character
  std::size_t n = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (escape && p[i] == lower_escape && i + 1 < p.size()) {
      p[n++] = p[++i];
    } else {
      p[n++] = p[i] == '%' ? kAnyRun : p[i] == '_' ? kAnyOne : p[i];
    }
  }
  p.resize(n);
  // Greedy, going back to the last % on a mismatch: linear in most texts, never exponential.
  std::size_t ti = 0, pi = 0, run = std::string_view::npos, resume = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == kAnyRun) {
      run = pi++;
      resume = ti;
    } else if (pi < p.size() && (p[pi] == kAnyOne || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (run != std::string_view::npos) {
      pi = run + 1;
      ti = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == kAnyRun) ++pi;
  return pi == p.size();
}

std::string spelling_difference(std::string_view a, std::string_view b) {
  const std::vector<utf8proc_int32_t> first = code_points(a);
  const std::vector<utf8proc_int32_t> second = code_points(b);
  std::size_t begin = 0;
  while (begin < first.size() && begin < second.size() && first[begin] == second[begin]) ++begin;
  std::size_t end_first = first.size();
  std::size_t end_second = second.size();
  while (end_first > begin && end_second > begin &&
         first[end_first - 1] == second[end_second - 1]) {
    --end_first;
    --end_second;
  }
  return listed(first, begin, end_first) + " vs " + listed(second, begin, end_second);
}

}  // namespace fw
