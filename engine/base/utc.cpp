#include "base/utc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>

namespace fw {
namespace {

std::string utc_text(std::time_t when, const char* format) {
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[32];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

}  // namespace

std::string utc_date(std::time_t when) {
  return utc_text(when, "%Y-%m-%d");
}

std::string utc_timestamp(std::chrono::system_clock::time_point when, bool millis) {
  const std::string seconds =
      utc_text(std::chrono::system_clock::to_time_t(when), "%Y-%m-%dT%H:%M:%S");
  if (!millis) return seconds + "Z";
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
  return fmt::format("{}.{:03}Z", seconds, ms);
}

std::string utc_timestamp_now(bool millis) {
  return utc_timestamp(std::chrono::system_clock::now(), millis);
}

std::string today_utc_date() {
  std::time_t now = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    char* end = nullptr;
    const long long seconds = std::strtoll(epoch, &end, 10);
    if (end != nullptr && *end == '\0' && seconds >= 0) now = static_cast<std::time_t>(seconds);
  }
  return utc_date(now);
}

bool is_calendar_date(const std::string& text) {
  constexpr std::array<std::size_t, 8> digits{0, 1, 2, 3, 5, 6, 8, 9};
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !std::all_of(digits.begin(), digits.end(),
                   [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; })) {
    return false;
  }
  using namespace std::chrono;
  const year_month_day day{year{std::stoi(text.substr(0, 4))},
                           month{static_cast<unsigned>(std::stoi(text.substr(5, 2)))},
                           std::chrono::day{static_cast<unsigned>(std::stoi(text.substr(8, 2)))}};
  return day.ok() && day.year() >= year{1900};
}

}  // namespace fw
