// The values a job's keys and flags take (job/job_rules.hpp), the CLI's parsers of them
// (job/job.hpp) and the site prefix's rule.
#include "job/job_rules.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/strings.hpp"
#include "core/error.hpp"
#include "job/job.hpp"

namespace fw {
namespace job_detail {

std::string format_number(double value) {
  return fmt::format("{}", value);
}

std::string expected_number(const NumberRange& range) {
  return range.number();
}

std::string expected_integer(const NumberRange& range) {
  return range.integer();
}

bool in_range(double value, const NumberRange& range) {
  return range.contains(value);  // false for NaN
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool is_safe_name(std::string_view text) {
  if (text.empty() || text == "." || text == "..") return false;
  return std::all_of(text.begin(), text.end(), is_name_char);
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool is_document_id(std::string_view id) {
  if (id.empty() || code_points(id) > kMaxIdCharacters || id.front() == '.' || id.front() == ' ' ||
      id.back() == ' ') {
    return false;
  }
  return std::none_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '/' || c == '\\' || u < 0x20 || u == 0x7f;
  });
}

std::string quote_start(std::string_view text) {
  if (code_points(text) <= 40) return quote(text);
  return quote(first_characters(text, 40)) + fmt::format(" ... ({} characters)", code_points(text));
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n') || u == 0x7f;
  });
}

bool has_replacement_character(std::string_view text) {
  return text.find("\xEF\xBF\xBD") != std::string_view::npos;
}

std::string without_replacement_character(std::string_view what) {
  return fmt::format(
      "{} without U+FFFD, the replacement character a conversion from another encoding leaves "
      "where it lost a character (take the text from its source again)",
      what);
}

std::optional<DrawnTextFault> drawn_text_fault(std::string_view text, std::string_view what,
                                               bool may_be_blank) {
  if (!may_be_blank && is_blank(text)) {
    return DrawnTextFault{fmt::format("{} with a visible character", what), true};
  }
  if (has_control_character(text)) {
    return DrawnTextFault{fmt::format("{} without control characters", what)};
  }
  if (has_replacement_character(text)) return DrawnTextFault{without_replacement_character(what)};
  return std::nullopt;
}

namespace {

// What no font draws ink for: Unicode's White_Space (U+3000, the ideographic space, among
// them) and its Default_Ignorable_Code_Point (zero-width spaces and joiners, direction marks,
// variation selectors, the byte order mark, Hangul fillers, tags).
bool draws_nothing(char32_t c) {
  if ((c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
      (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
      c == 0x3000) {
    return true;
  }
  return c == 0xAD || c == 0x34F || c == 0x61C || c == 0x115F || c == 0x1160 || c == 0x17B4 ||
         c == 0x17B5 || (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0x3164 ||
         (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || c == 0xFFA0 ||
         (c >= 0xFFF0 && c <= 0xFFF8) || (c >= 0x1BCA0 && c <= 0x1BCA3) ||
         (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
}

// The code points of UTF-8 `text` (the TOML and TOC readers have checked it).
std::vector<char32_t> decoded(std::string_view text) {
  std::vector<char32_t> out;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char lead = byte(i);
    const std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (i + length > text.size()) break;
    char32_t c = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) c = (c << 6) | (byte(i + k) & 0x3F);
    out.push_back(c);
    i += length;
  }
  return out;
}

}  // namespace

bool is_blank(std::string_view text) {
  const std::vector<char32_t> code_points = decoded(text);
  return std::all_of(code_points.begin(), code_points.end(),
                     [](char32_t c) { return draws_nothing(c); });
}

std::string quote_blank(std::string_view text) {
  std::vector<std::string> names;
  bool only_ascii = true;
  for (const char32_t c : decoded(text)) {
    only_ascii = only_ascii && c < 0x80;
    names.push_back(fmt::format("U+{:04X}", static_cast<std::uint32_t>(c)));
  }
  if (only_ascii) return quote(text);
  return fmt::format("{} ({})", quote(text), fmt::join(names, " "));
}

std::optional<ImageMode> image_mode_from(std::string_view word) {
  if (word == "bitonal") return ImageMode::bitonal;
  if (word == "grey" || word == "gray") return ImageMode::grey;
  if (word == "colour" || word == "color") return ImageMode::colour;
  return std::nullopt;
}

std::optional<Polarity> polarity_from(std::string_view word) {
  if (word == "negative") return Polarity::negative;
  if (word == "positive") return Polarity::positive;
  return std::nullopt;
}

std::optional<ColourRoute> colour_route_from(std::string_view word) {
  if (word == "film") return ColourRoute::film;
  if (word == "separations") return ColourRoute::separations;
  return std::nullopt;
}

std::optional<bool> data_files_from(std::string_view word) {
  if (word == "masters") return true;
  if (word == "none") return false;
  return std::nullopt;
}

std::optional<DataPlacement> data_place_from(std::string_view word) {
  if (word == "document") return DataPlacement::document;
  if (word == "reel-end") return DataPlacement::reel_end;
  return std::nullopt;
}

std::optional<FailurePolicy> failure_policy_from(std::string_view word) {
  if (word == "fail") return FailurePolicy::fail;
  if (word == "skip-document") return FailurePolicy::skip_document;
  if (word == "substitute") return FailurePolicy::substitute;
  return std::nullopt;
}

std::optional<OversizePolicy> oversize_policy_from(std::string_view word) {
  if (word == "fail") return OversizePolicy::fail;
  if (word == "reduce") return OversizePolicy::reduce;
  if (word == "split") return OversizePolicy::split;
  return std::nullopt;
}

}  // namespace job_detail

using job_detail::failure_policy_from;
using job_detail::image_mode_from;
using job_detail::kFailurePolicyWords;
using job_detail::kImageModeWords;
using job_detail::kOversizeWords;
using job_detail::kPolarityWords;
using job_detail::oversize_policy_from;
using job_detail::polarity_from;

ImageMode parse_image_mode(const std::string& text) {
  if (const auto mode = image_mode_from(text)) return *mode;
  throw Error(ErrorKind::usage,
              std::string("expected one of ") + kImageModeWords + ", got " + quote(text));
}

Polarity parse_polarity(const std::string& text) {
  if (const auto polarity = polarity_from(text)) return *polarity;
  throw Error(ErrorKind::usage,
              std::string("expected one of ") + kPolarityWords + ", got " + quote(text));
}

FailurePolicy parse_failure_policy(const std::string& text) {
  if (const auto policy = failure_policy_from(text)) return *policy;
  throw Error(ErrorKind::usage,
              std::string("expected one of ") + kFailurePolicyWords + ", got " + quote(text));
}

OversizePolicy parse_oversize_policy(const std::string& text) {
  if (const auto policy = oversize_policy_from(text)) return *policy;
  throw Error(ErrorKind::usage,
              std::string("expected one of ") + kOversizeWords + ", got " + quote(text));
}

bool is_site(std::string_view text) {
  const auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  return !text.empty() && text.size() <= kMaxSiteCharacters && alnum(text.front()) &&
         alnum(text.back()) &&
         std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-'; });
}

std::string site_rule() {
  return fmt::format(
      "a site of 1 to {} ASCII letters, digits and '-', beginning and ending with a letter or "
      "digit (e.g. \"NLC-B2\")",
      kMaxSiteCharacters);
}

}  // namespace fw
