// Dates and times as filmwriter writes them: UTC, ISO 8601.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace fw {

// "2026-11-25": the day of `when` in UTC.
std::string utc_date(std::time_t when);

// "2026-11-25T18:00:00Z", or with milliseconds "2026-11-25T18:00:00.123Z".
std::string utc_timestamp(std::chrono::system_clock::time_point when, bool millis = false);
std::string utc_timestamp_now(bool millis = false);

// Today in UTC, or the day of SOURCE_DATE_EPOCH when it is set (reproducible-builds.org: a
// fixed "now", so that a rerun gives the same film): the day printed on targets.
std::string today_utc_date();

// Whether `text` is a day of the calendar written YYYY-MM-DD, from 1900 on: what a filming
// date or an inspection's day may be ("2026-02-30" is not).
bool is_calendar_date(const std::string& text);

}  // namespace fw
