#include "ops/preflight_log.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace fw::ops {

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
    : log_(log), job_(job), line_(log, "preflight_progress", progress_bar) {}

void PreflightLog::progress(const PreflightProgress& p) {
  line_.update(
      p.pages_done, p.pages_total,
      fmt::format("preflight {}: {}/{} pages decoded", p.reel, p.pages_done, p.pages_total),
      {{"job", job_.id},
       {"reel", p.reel},
       {"pages_done", p.pages_done},
       {"pages_total", p.pages_total}});
}

void PreflightLog::checked(const PreflightReport& report, bool lines) {
  line_.end();  // a bar cut short (a stop)
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
