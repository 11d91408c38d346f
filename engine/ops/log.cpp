#include "ops/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "base/utc.hpp"
#include "core/error.hpp"
#include "ingest/ingest.hpp"

namespace fw::ops {
namespace {

double monotonic_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string duration_text(double seconds) {
  const auto s = std::lround(seconds);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

ProgressLine::ProgressLine(Log& log, std::string event, bool bar)
    : log_(log), event_(std::move(event)), bar_(bar && !log.json()), start_(monotonic_s()) {}

double ProgressLine::now() const {
  return clock_ ? clock_() : monotonic_s();
}

void ProgressLine::set_clock(std::function<double()> clock) {
  clock_ = std::move(clock);
  start_ = now();
  last_ = -1;
}

double ProgressLine::elapsed_s() const {
  return now() - start_;
}

void ProgressLine::update(std::uint64_t done, std::uint64_t total, const std::string& text,
                          nlohmann::json fields) {
  const bool last = done >= total;
  const double time = now();
  if (!log_.json() && !bar_) return;
  if (!last && last_ >= 0 && time - last_ < (log_.json() ? 1.0 : 0.1)) return;
  last_ = time;
  if (log_.json()) {
    fields["done"] = done;
    fields["total"] = total;
    log_.event("info", event_, fields);
    return;
  }
  const int width = 24;
  const auto filled = static_cast<int>(total ? width * std::min(done, total) / total : width);
  std::fputs(
      fmt::format("\r[{}{}] {} ", std::string(filled, '#'), std::string(width - filled, '.'), text)
          .c_str(),
      stderr);
  open_ = !last;
  if (last) std::fputs("\n", stderr);
  std::fflush(stderr);
}

void ProgressLine::end() {
  if (open_) std::fputs("\n", stderr);
  open_ = false;
  last_ = -1;
  std::fflush(stderr);
}

LogFormat parse_log_format(const std::string& text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  throw Error(ErrorKind::usage, "expected text or json, got \"" + text + "\"");
}

Log& Log::global() {
  static Log log;
  return log;
}

void Log::event(const char* level, const std::string& event, const nlohmann::json& fields,
                const std::string& text) {
  std::lock_guard lock(mutex_);
  if (json()) {
    nlohmann::json line = {{"ts", utc_timestamp_now(true)}, {"level", level}, {"event", event}};
    if (fields.is_object()) line.update(fields);
    // One write per line: lines from several threads never interleave.
    const std::string out = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fputs((out + "\n").c_str(), stderr);
  } else if (!text.empty()) {
    std::fputs((text + "\n").c_str(), stderr);
  }
  std::fflush(stderr);
}

void Log::error(const std::string& kind, int exit_code, const std::string& message) {
  event("error", "error", {{"kind", kind}, {"exit_code", exit_code}, {"message", message}},
        fmt::format("filmwriter: {}: {}", kind, message));
}

RunLog::RunLog(Log& log, RunObserver* next, RunTotals totals, bool progress_bar)
    : log_(log),
      next_(next),
      totals_(std::move(totals)),
      line_(log, "progress", progress_bar),
      start_(monotonic_s()) {}

double RunLog::seconds() const {
  return (clock_ ? clock_() : monotonic_s()) - start_;
}

void RunLog::set_clock(std::function<double()> clock) {
  clock_ = std::move(clock);
  line_.set_clock(clock_);
  start_ = clock_();
}

double RunLog::film_now() const {
  // Closed reels as the recorder measured them; the open one: its leader (wound off before the
  // first frame), then its frames pro rata of the plan. The trailer comes when it closes.
  double film = film_closed_m_;
  if (!reel_.empty() && totals_.reel_frames.count(reel_) && totals_.reel_frames.at(reel_) > 0) {
    const double frames_m =
        std::max(0.0, totals_.reel_film_m.at(reel_) - totals_.leader_m - totals_.trailer_m);
    film += totals_.leader_m + frames_m * reel_frames_done_ / totals_.reel_frames.at(reel_);
  }
  return film;
}

std::string substitute_warning(const std::string& document, std::uint32_t page,
                               const std::string& address, const std::string& reason) {
  return fmt::format("document {} page {} ({}) is filmed as a substitute: {}", document, page,
                     address, reason);
}

void RunLog::warn(const std::string& event, nlohmann::json fields, RunWarning warning) {
  fields["job"] = totals_.job_id;
  fields["message"] = warning.message;
  log_.event("warning", event, fields, "filmwriter: warning: " + warning.message);
  add_warning(std::move(warning));
}

void RunLog::add_warning(RunWarning warning) {
  const nlohmann::json& page = warning.substitute;
  if (page.is_object() && page.contains("document") && page.contains("page")) {
    warned_.insert({page["document"].get<std::string>(), page["page"].get<std::uint32_t>()});
  }
  warnings_.push_back(std::move(warning));
}

void RunLog::reel_loaded(const hal::ReelSpec& reel) {
  if (next_) next_->reel_loaded(reel);
  reel_ = reel.reel_id;
  reel_frames_done_ = reel.first_frame - 1;
  reel_accepted_ = 0;
  log_.event("info", "reel_loaded",
             {{"job", totals_.job_id}, {"reel", reel.reel_id}, {"first_frame", reel.first_frame}});
}

void RunLog::frame_exposed(const std::string& reel_id, std::uint64_t sequence,
                           const IndexRow& row) {
  if (next_) next_->frame_exposed(reel_id, sequence, row);
  ++frames_;
  ++reel_accepted_;
  // A colour page's three separation frames are one page, as are a page's overview and sections.
  if (row.begins_page()) ++pages_;
  reel_ = reel_id;
  frame_ = row.frame;
  address_ = row.address;
  reel_frames_done_ = row.frame;
  // A page the render stage put a substitute in place of (no preflight found it first).
  if (row.kind == "substitute" && !warned_.count({row.document_id, row.page})) {
    const std::string where = page_failure(row.source_file, row.source_page, row.substitute_reason);
    warn("substitute",
         {{"reel", reel_id},
          {"document", row.document_id},
          {"page", row.page},
          {"address", row.address},
          {"file", row.source_file},
          {"reason", row.substitute_reason}},
         {substitute_warning(row.document_id, row.page, row.address, where),
          {{"document", row.document_id},
           {"page", row.page},
           {"address", row.address},
           {"file", row.source_file},
           {"reason", row.substitute_reason}}});
  }
  progress();
}

void RunLog::reel_closed(const ClosedReel& reel) {
  if (next_) next_->reel_closed(reel);
  film_closed_m_ += reel.film_used_m;
  reel_.clear();
  ++reels_closed_;
  log_.event(reel.complete ? "info" : "warning", "reel_closed",
             {{"job", totals_.job_id},
              {"reel", reel.id},
              {"frames", reel.frames},
              {"film_m", reel.film_used_m},
              {"complete", reel.complete}});
}

void RunLog::progress() {
  const double now = seconds();
  const std::uint64_t done = totals_.frames_before + frames_;
  // The rate of the last half minute, at the film's pace: the first frames of a reel only fill
  // the recorder's buffer (expose() returns at once), so the window starts after them; a rate
  // with them would promise an early end.
  const std::uint32_t buffer = std::max<std::uint32_t>(totals_.buffer_frames, 1);
  if (reel_accepted_ <= buffer) recent_.clear();
  recent_.emplace_back(now, frames_);
  while (recent_.size() > 2 && now - recent_[1].first >= 30) recent_.pop_front();
  const auto& [since, frames_then] = recent_.front();
  const double rate = now - since > 0 ? (frames_ - frames_then) / (now - since) : 0;
  const double pages_rate = now > 0 ? pages_ / now : 0;
  // Left to do: the frames not yet sent, and those the recorder holds but has not written.
  const std::uint64_t buffered = std::min<std::uint64_t>(reel_accepted_, buffer);
  const bool known = rate > 0;
  const double eta = known ? (totals_.frames_planned - done + buffered) / rate : 0;
  line_.update(
      done, totals_.frames_planned,
      fmt::format("{}/{} frames  {}  {}  ETA {}  film {:.2f} m", done, totals_.frames_planned,
                  reel_, known ? fmt::format("{:.2f} frames/s", rate) : std::string("-- frames/s"),
                  known ? duration_text(eta) : std::string("--:--"), film_now()),
      {{"job", totals_.job_id},
       {"reel", reel_},
       {"frame", frame_},
       {"address", address_},
       {"frames_done", done},
       {"frames_total", totals_.frames_planned},
       {"pages_per_s", pages_rate},
       {"frames_per_s", rate},
       {"eta_s", eta},
       {"film_m", film_now()}});
}

nlohmann::json RunLog::summary(const std::string& status) {
  const std::uint64_t warnings = warnings_.size();
  line_.end();  // a bar cut short ends its line before the summary
  const double elapsed = seconds();
  nlohmann::json fields = {{"job", totals_.job_id},
                           {"status", status},
                           {"pages", pages_},
                           {"frames", frames_},
                           {"frames_total", totals_.frames_planned},
                           {"frames_before", totals_.frames_before},
                           {"reels", reels_closed_},
                           {"film_m", film_now()},
                           {"seconds", elapsed},
                           {"frames_per_s", elapsed > 0 ? frames_ / elapsed : 0.0},
                           {"warnings", warnings}};
  nlohmann::json messages = nlohmann::json::array();
  nlohmann::json substitutes = nlohmann::json::array();
  std::string lines;
  for (const RunWarning& warning : warnings_) {
    messages.push_back(warning.message);
    if (!warning.substitute.is_null()) substitutes.push_back(warning.substitute);
    lines += "  warning: " + warning.message + "\n";
  }
  fields["warning_messages"] = messages;
  fields["substitutes"] = substitutes;
  const std::string resumed =
      totals_.frames_before ? fmt::format(" (after {} already on film)", totals_.frames_before)
                            : std::string();
  // Stdout: what cron mails and what an operator reads at the end.
  std::fputs(
      fmt::format("summary: job {} {}: {} pages, {} frames{}, {} reel(s), {:.2f} m film, "
                  "{:.1f} s, {:.1f} frames/s, {} warning(s)\n{}",
                  totals_.job_id, status, pages_, frames_, resumed, reels_closed_, film_now(),
                  elapsed, elapsed > 0 ? frames_ / elapsed : 0.0, warnings, lines)
          .c_str(),
      stdout);
  std::fflush(stdout);
  log_.event(status == "done" ? "info" : "error", "summary", fields);
  return fields;
}

}  // namespace fw::ops
