// What an operator sees of preflight (pipeline/preflight.hpp). Text: on a terminal a bar of
// pages decoded while a reel is checked, then one line per reel on stderr. JSON: events
// `preflight_progress` (at most one a second, and the last page), `bad_page` (one per page
// that does not decode; level error, or warning where the document's policy films a
// substitute) and `preflight_done`.
#pragma once

#include <string>

#include "ops/log.hpp"
#include "pipeline/preflight.hpp"

namespace fw::ops {

class PreflightLog {
 public:
  PreflightLog(Log& log, const Job& job, bool progress_bar);

  void progress(const PreflightProgress& progress);
  // A reel (or a whole plan) checked: JSON events, and with `lines` in text mode each bad
  // page and the outcome on stderr (convert; `plan --decode-all` reports on stdout instead).
  void checked(const PreflightReport& report, bool lines);

 private:
  Log& log_;
  const Job& job_;
  ProgressLine line_;
};

// "on_error = fail" etc., and what convert does with such a page.
std::string policy_consequence(FailurePolicy policy);

}  // namespace fw::ops
