#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

#include "ingest/ingest.hpp"

namespace fw {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool is_os_junk(const std::string& name) {
  // Hidden files: .DS_Store, macOS's AppleDouble "._p1.tif", .directory, .picasa.ini ...
  if (name.starts_with('.')) return true;
  if (name == "Icon\r") return true;  // macOS: a folder's custom icon
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Windows Explorer's thumbnail caches and folder settings.
  constexpr std::array<std::string_view, 4> windows = {"thumbs.db", "ehthumbs.db",
                                                       "ehthumbs_vista.db", "desktop.ini"};
  return std::find(windows.begin(), windows.end(), lower) != windows.end();
}

// Compares token by token: digit runs by numeric value (any length, no overflow), other bytes
// as unsigned bytes. Names equal by value ("p01" and "p1") are ordered by their first digit
// run of different length, shorter first, so the order is total and deterministic.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  std::size_t j = 0;
  int zeros_tie_break = 0;  // < 0: a first, > 0: b first
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      std::size_t a_end = i;
      while (a_end < a.size() && is_digit(a[a_end])) ++a_end;
      std::size_t b_end = j;
      while (b_end < b.size() && is_digit(b[b_end])) ++b_end;
      std::size_t a_value = i;  // first significant digit (keeps the last digit of "000")
      while (a_value + 1 < a_end && a[a_value] == '0') ++a_value;
      std::size_t b_value = j;
      while (b_value + 1 < b_end && b[b_value] == '0') ++b_value;
      const std::size_t a_digits = a_end - a_value;
      const std::size_t b_digits = b_end - b_value;
      if (a_digits != b_digits) return a_digits < b_digits;
      const int by_value = a.compare(a_value, a_digits, b, b_value, b_digits);
      if (by_value != 0) return by_value < 0;
      if (zeros_tie_break == 0 && a_end - i != b_end - j) {
        zeros_tie_break = a_end - i < b_end - j ? -1 : 1;
      }
      i = a_end;
      j = b_end;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  if (i < a.size() || j < b.size()) return i == a.size();  // a prefix comes first
  return zeros_tie_break < 0;
}

}  // namespace fw
