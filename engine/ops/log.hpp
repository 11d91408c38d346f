// Operator logs. `text`: human lines on stderr, and on a terminal a progress bar. `json`: one
// JSON object per line on stderr for log collectors, each with "ts" (UTC), "level", "event"
// and the event's fields (job, reel, frame, ...). Stdout keeps the human report either way.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalog/record.hpp"

namespace fw::ops {

enum class LogFormat { text, json };
// "text" | "json"; Error(usage) otherwise, without a flag name.
LogFormat parse_log_format(const std::string& text);

class Log {
 public:
  // The process's log (the CLI sets its format from --log-format).
  static Log& global();
  void set_format(LogFormat format) { format_ = format; }
  LogFormat format() const { return format_; }
  bool json() const { return format_ == LogFormat::json; }

  // JSON: one line with ts, level, event and `fields`. Text: `text` on stderr (nothing when
  // empty: the human report on stdout already says it).
  void event(const char* level, const std::string& event, const nlohmann::json& fields,
             const std::string& text = {});
  // The last word of a failed command, in either format.
  void error(const std::string& kind, int exit_code, const std::string& message);

 private:
  LogFormat format_ = LogFormat::text;
  std::mutex mutex_;
};

// One throttled progress line for a long step (exposing, preflight, verify): on a terminal a
// bar "\r[#####.....] TEXT" redrawn at most 10 times a second, in JSON an event at most once a
// second; the last update (done == total) always shows, and ends the bar's line.
class ProgressLine {
 public:
  ProgressLine(Log& log, std::string event, bool bar);
  // `text` follows the bar; `fields` go into the JSON event (done and total are added).
  void update(std::uint64_t done, std::uint64_t total, const std::string& text,
              nlohmann::json fields);
  void end();  // ends a bar's line cut short (a stop, an error)
  bool showing() const { return open_; }
  double elapsed_s() const;
  // Tests: seconds from this clock instead of the monotonic one.
  void set_clock(std::function<double()> clock);

 private:
  double now() const;
  std::function<double()> clock_;
  Log& log_;
  std::string event_;
  bool bar_;
  double start_;
  double last_ = -1;
  bool open_ = false;
};

// "1:05", "1:02:03": a duration for an operator (ETA, elapsed).
std::string duration_text(double seconds);

// What a run is about to do, for progress (ETA, film) and the final summary.
struct RunTotals {
  std::string job_id;
  std::uint64_t frames_planned = 0;
  std::uint64_t pages_planned = 0;            // pages, substitutes included (begins_page)
  std::uint64_t frames_before = 0;            // already on film (resume)
  std::map<std::string, double> reel_film_m;  // leader, frames and trailer, as planned
  std::map<std::string, std::uint32_t> reel_frames;
  double leader_m = 0;   // film before a reel's first frame (the format's leader)
  double trailer_m = 0;  // and after its last
  // Frames the recorder takes before expose() blocks: the first of a reel go at the host's
  // pace, not the film's, and the last are still to be written when the last is accepted.
  std::uint32_t buffer_frames = 1;
};

// A warning of a run, as the summary lists it.
struct RunWarning {
  std::string message;
  // A substituted page: document, page, address (or reel), file, reason. One warning a page,
  // however many frames (separations) film it.
  nlohmann::json substitute;
};

// "document D001 page 3 (R0001-D001-0003) is filmed as a substitute: REASON": every
// substituted page's warning is worded so.
std::string substitute_warning(const std::string& document, std::uint32_t page,
                               const std::string& address, const std::string& reason);

// Logs a run (reels loaded and closed, throttled progress, the summary) and passes every
// call on to `next` (the record keeper) first: a frame is reported once it is durable.
class RunLog final : public RunObserver {
 public:
  RunLog(Log& log, RunObserver* next, RunTotals totals, bool progress_bar);

  void reel_loaded(const hal::ReelSpec& reel) override;
  void frame_exposed(const std::string& reel_id, std::uint64_t sequence,
                     const IndexRow& row) override;
  void reel_closed(const ClosedReel& reel) override;

  // A warning: logged now ("filmwriter: warning: MESSAGE" on stderr, or a JSON event
  // `event` at level warning with `fields` and the message) and listed in the summary.
  void warn(const std::string& event, nlohmann::json fields, RunWarning warning);
  // A warning someone else has logged already (preflight's bad pages): listed in the summary.
  void add_warning(RunWarning warning);
  const std::vector<RunWarning>& warnings() const { return warnings_; }
  // Tests: seconds from this clock instead of the monotonic one (the rate, the ETA).
  void set_clock(std::function<double()> clock);

  // The job's summary: "summary: ..." on stdout, then each warning on a line of its own
  // ("  warning: ..."), and a "summary" event in JSON (with `warning_messages` and
  // `substitutes`). `status`: done | failed | interrupted. Returns the summary's fields.
  nlohmann::json summary(const std::string& status);

 private:
  void progress();
  double film_now() const;
  double seconds() const;

  Log& log_;
  RunObserver* next_;
  std::function<double()> clock_;
  RunTotals totals_;
  ProgressLine line_;
  double start_ = 0;
  std::deque<std::pair<double, std::uint64_t>> recent_;  // (seconds, frames) for the rate
  std::uint64_t frames_ = 0, pages_ = 0;                 // this run
  std::string reel_, address_;
  std::uint32_t frame_ = 0;
  std::uint32_t reel_frames_done_ = 0;
  double film_closed_m_ = 0;
  std::uint32_t reels_closed_ = 0;
  std::uint32_t reel_accepted_ = 0;  // frames the recorder took of the open reel this run
  std::vector<RunWarning> warnings_;
  std::set<std::pair<std::string, std::uint32_t>> warned_;  // (document, page) substituted
};

}  // namespace fw::ops
