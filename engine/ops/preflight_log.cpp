#include "ops/preflight_log.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace fw::ops {
namespace {

double monotonic_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string policy_consequence(FailurePolicy policy) {
  switch (policy) {
    case FailurePolicy::fail:
      return "on_error = fail: the job stops before the reel is exposed";
    case FailurePolicy::skip_document:
      return "on_error = skip-document";
    case FailurePolicy::substitute:
      return "on_error = substitute: filmed as a substitute frame";
  }
  return "";
}

PreflightLog::PreflightLog(Log& log, const Job& job, bool progress_bar)
    : log_(log), job_(job), bar_(progress_bar && !log.json()) {}

void PreflightLog::progress(const PreflightProgress& p) {
  const bool last = p.pages_done == p.pages_total;
  const double now = monotonic_s();
  const double interval = log_.json() ? 1.0 : 0.1;
  if (!last && last_progress_ >= 0 && now - last_progress_ < interval) return;
  if (!log_.json() && !bar_) return;
  last_progress_ = last ? -1 : now;
  if (log_.json()) {
    log_.event("info", "preflight_progress",
               {{"job", job_.id},
                {"reel", p.reel},
                {"pages_done", p.pages_done},
                {"pages_total", p.pages_total}});
    return;
  }
  const int width = 24;
  const auto filled =
      static_cast<int>(p.pages_total ? width * p.pages_done / p.pages_total : width);
  std::fputs(fmt::format("\r[{}{}] preflight {}: {}/{} pages decoded ", std::string(filled, '#'),
                         std::string(width - filled, '.'), p.reel, p.pages_done, p.pages_total)
                 .c_str(),
             stderr);
  bar_open_ = !last;
  if (last) std::fputs("\n", stderr);
  std::fflush(stderr);
}

void PreflightLog::checked(const PreflightReport& report, bool lines) {
  if (bar_open_) {
    std::fputs("\n", stderr);  // a bar cut short (a stop)
    bar_open_ = false;
  }
  last_progress_ = -1;
  std::size_t substitutes = 0;
  for (const BadPage& bad : report.bad) {
    const bool substitute = bad.policy == FailurePolicy::substitute;
    substitutes += substitute;
    const Document& document = job_.documents.at(bad.document);
    log_.event(substitute ? "warning" : "error", "bad_page",
               {{"job", job_.id},
                {"reel", bad.reel},
                {"document", document.id},
                {"page", bad.page},
                {"file", bad.file},
                {"source_page", bad.page_in_file + 1},
                {"on_error", to_string(bad.policy)},
                {"message", bad.message}},
               lines ? fmt::format("filmwriter: {}: preflight {}: {} ({})",
                                   substitute ? "warning" : "bad page", bad.reel, bad.message,
                                   policy_consequence(bad.policy))
                     : std::string());
  }
  const std::string where = report.reel.empty() ? std::string("the job") : report.reel;
  const std::string bad =
      report.bad.empty() ? std::string("none bad") : fmt::format("{} bad", report.bad.size());
  log_.event(
      report.bad.size() > substitutes ? "error"
      : report.bad.empty()            ? "info"
                                      : "warning",
      "preflight_done",
      {{"job", job_.id},
       {"reel", report.reel},
       {"pages", report.pages},
       {"bad", report.bad.size()},
       {"substitutes", substitutes},
       {"stopped", report.stopped},
       {"seconds", report.seconds}},
      lines ? fmt::format("preflight {}: {} page(s) decoded in {:.1f} s, {}{}", where, report.pages,
                          report.seconds, bad, report.stopped ? " (stopped)" : "")
            : std::string());
}

}  // namespace fw::ops
