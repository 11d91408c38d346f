// The values a job's keys and flags take, ruled once so that the job file, the command-line
// flags and one-line mode say the same (job_rules.cpp). Private to engine/job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/toml_reader.hpp"
#include "model/job.hpp"

namespace fw::job_detail {

// Value rules shared by the job file and the command-line flags, so both say the same: base's
// NumberRange, which the job file's reader checks with.
using fw::NumberRange;
inline constexpr NumberRange kReduction{7, 50};
inline constexpr NumberRange kDpi{50, 4800};
inline constexpr NumberRange kThreads{0, 256};
inline constexpr NumberRange kThreshold{0, 255};
inline constexpr std::int64_t kMaxFileMegabytes = 16 * 1024 * 1024;  // 16 TiB; keeps bytes in range

inline constexpr const char* kNameRule = "letters, digits, '.', '_' or '-'";
inline constexpr const char* kImageModeWords = "bitonal, grey (or gray), colour (or color)";
inline constexpr const char* kPolarityWords = "negative, positive";
inline constexpr const char* kFailurePolicyWords = "fail, skip-document, substitute";
inline constexpr const char* kColourRouteWords = "film, separations";
inline constexpr const char* kOversizeWords = "fail, reduce, split";

std::string format_number(double value);
std::string expected_number(const NumberRange& range);  // "a number 7–50"
std::string expected_integer(const NumberRange& range);
bool in_range(double value, const NumberRange& range);  // false for NaN

bool is_name_char(char c);
// A name that can become a folder or file name without surprises.
bool is_safe_name(std::string_view text);

// A document id names the document on film (frame addresses), in the catalog and as a folder
// (restore writes <out>/<job>/<document>/): one path component of at most kMaxIdCharacters
// characters (any script), without separators or control characters, not starting with '.'
// or a space.
inline constexpr std::size_t kMaxIdCharacters = 64;
inline constexpr const char* kDocumentIdRule =
    "a document id of 1 to 64 characters without '/', '\\', control characters or a leading "
    "'.' or space";
std::size_t code_points(std::string_view text);
bool is_document_id(std::string_view id);

// What a message shows of a long text: its start.
std::string quote_start(std::string_view text);
// Text drawn on film (titles, metadata) holds no control character but a line break: nothing
// draws U+0000, an escape or a tab (no font has a glyph for U+0009, and the text check would
// refuse it later as a missing glyph), and a frame cannot be corrected after exposure.
bool has_control_character(std::string_view text);
// U+FFFD, the replacement character, is what a conversion from another encoding leaves where it
// lost a character (GBK through a Latin-1 or broken UTF-8 step): fonts draw it as a box with a
// question mark, and on film it would stand for a character that is gone.
bool has_replacement_character(std::string_view text);
// "a title without U+FFFD, ...": what a message expects of text holding one.
std::string without_replacement_character(std::string_view what);
// A title is drawn on film: it must show something, not only spaces (Unicode's: a cell
// holding an ideographic space U+3000 or a no-break space is as blank as an empty one) and
// characters that draw nothing (zero-width spaces, the byte order mark, direction marks).
bool is_blank(std::string_view text);
// A blank text for a message: quoted, and with its code points when it is not only ASCII
// ("　" (U+3000) reads as nothing without them).
std::string quote_blank(std::string_view text);
// What text drawn on film as `what` ("a title", "an institution") must be and is not, for a
// message "expected EXPECTED, got ...": blank (unless `may_be_blank`; the message then shows
// quote_blank), a control character, U+FFFD. Nothing when it may be drawn.
struct DrawnTextFault {
  std::string expected;
  bool blank = false;
};
std::optional<DrawnTextFault> drawn_text_fault(std::string_view text, std::string_view what,
                                               bool may_be_blank = false);

// The words of each choice; nullopt for any other word.
std::optional<ImageMode> image_mode_from(std::string_view word);
std::optional<Polarity> polarity_from(std::string_view word);
std::optional<ColourRoute> colour_route_from(std::string_view word);
std::optional<bool> data_files_from(std::string_view word);  // masters, none
std::optional<DataPlacement> data_place_from(std::string_view word);
std::optional<FailurePolicy> failure_policy_from(std::string_view word);
std::optional<OversizePolicy> oversize_policy_from(std::string_view word);

}  // namespace fw::job_detail
