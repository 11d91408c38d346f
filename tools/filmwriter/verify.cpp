// `verify`: QC of the developed film of a job that was run (engine/qc).
#include <fmt/format.h>

#include <unistd.h>

#include "api/verify.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "job_flags.hpp"
#include "ops/log.hpp"

namespace fw::cli {
namespace {

struct VerifyFlags {
  JobFlags job;
  std::string qc = "standard";
  bool no_report = false;
};

int run_verify(const VerifyFlags& flags, const hal::Registry& drivers) {
  // A job file, a scans folder (one-line mode, with convert's flags), or the job's output folder
  // (its recorded settings).
  const api::JobSettings settings = api::verify_settings(flags.job.source, flags.job.request());
  const Job& job = settings.job;
  api::VerifyRequest request;
  request.qc_profile = flags.qc;
  request.report = !flags.no_report;
  // On a terminal: frames checked, the rate and when it will be done; in JSON, events.
  ops::ProgressLine line(ops::Log::global(), "verify_progress", ::isatty(STDERR_FILENO) != 0);
  request.on_progress = [&](const VerifyProgress& p) {
    const double elapsed = line.elapsed_s();
    const double rate = elapsed > 0 ? p.frames_done / elapsed : 0;
    const double eta = rate > 0 ? (p.frames_total - p.frames_done) / rate : 0;
    line.update(p.frames_done, p.frames_total,
                fmt::format("verify {}: {}/{} frames checked  {:.2f} frames/s  ETA {}", p.reel,
                            p.frames_done, p.frames_total, rate, ops::duration_text(eta)),
                {{"job", job.id}, {"reel", p.reel}, {"frames_per_s", rate}, {"eta_s", eta}});
  };
  const QcResult result = api::verify(settings, drivers, request);
  line.end();
  const double seconds = line.elapsed_s();
  for (const auto& reel : result.json["reels"]) {
    std::string line =
        fmt::format("{}: {} — {} of {} frames on film", reel["reel"].get<std::string>(),
                    reel["verdict"].get<std::string>(), reel["frames_on_film"].get<std::size_t>(),
                    reel["frames_planned"].get<std::size_t>());
    if (const auto substitutes = reel["substitutes"].get<std::size_t>(); substitutes > 0) {
      line += fmt::format(", {} of them a substitute for its page", substitutes);
    }
    const auto& d = reel["density"];
    if (d.contains("background_mean")) {
      line += fmt::format(", background {:.3f} D ({:.3f}–{:.3f}), base+fog ≤ {:.3f} D",
                          d["background_mean"].get<double>(), d["background_min"].get<double>(),
                          d["background_max"].get<double>(), d["base_fog_max"].get<double>());
    }
    const auto& res = reel["resolution"];
    if (!res.is_null()) {
      const bool meets = res["meets_required"].get<bool>();
      line += fmt::format(", resolves {:g} lp/mm ({:g} on film), QI {:.1f} (required {:g}{})",
                          res["finest_resolved_document_lp_per_mm"].get<double>(),
                          res["finest_resolved_film_lp_per_mm"].get<double>(),
                          res["quality_index"].get<double>(),
                          res["quality_index_required"].get<double>(),
                          meets                                          ? ""
                          : res.value("below_required", "") == "warning" ? ": below it, a warning"
                                                                         : ": below it, failed");
    }
    fmt::print("{}\n", line);
    // The data frames, decoded from the film: a restore of this reel would need each of them
    // (or the outer code), so their margin is the reel's.
    if (reel.contains("data")) {
      const auto& data = reel["data"];
      const int margin = data["least_margin"].get<int>();
      fmt::print("{} data: {} of {} data frames decoded, {} symbol error(s) (rate {:.2g}), {}\n",
                 reel["reel"].get<std::string>(), data["frames"].get<std::uint32_t>(),
                 data["frames_checked"].get<std::uint32_t>(),
                 data["symbol_errors"].get<std::uint64_t>(),
                 data["symbol_error_rate"].get<double>(),
                 margin < 0 ? std::string("no margin: nothing decoded")
                            : fmt::format("least margin {} (more errors the worst codeword could "
                                          "have corrected)",
                                          margin));
    }
  }
  for (const auto& failure : result.failures) fmt::print("FAILED {}\n", failure);
  for (const auto& warning : result.warnings) fmt::print("WARNING {}\n", warning);
  fmt::print("qc:     {}\n", result.qc_json.string());
  if (!result.report_html.empty()) fmt::print("report: {}\n", result.report_html.string());
  for (const auto& sheet : result.contact_sheets) fmt::print("contact sheet: {}\n", sheet.string());
  std::uint64_t frames = 0;
  for (const auto& reel : result.json["reels"]) frames += reel["frames"].size();
  fmt::print(
      "summary: verify {}: {}, {} reel(s), {} frames checked, {} failure(s), {} warning(s), "
      "{:.1f} s, {:.2f} frames/s\n",
      job.id, result.passed ? "pass" : "FAIL", result.json["reels"].size(), frames,
      result.failures.size(), result.warnings.size(), seconds,
      seconds > 0 ? frames / seconds : 0.0);
  // A log collector gets the verdict as an event, as convert's `summary`.
  ops::Log::global().event(result.passed ? (result.warnings.empty() ? "info" : "warning") : "error",
                           "verify_summary",
                           {{"job", job.id},
                            {"verdict", result.passed ? "pass" : "fail"},
                            {"reels", result.json["reels"].size()},
                            {"frames", frames},
                            {"failures", result.failures.size()},
                            {"warnings", result.warnings.size()},
                            {"failure_messages", result.failures},
                            {"warning_messages", result.warnings},
                            {"qc", result.qc_json.string()},
                            {"seconds", seconds},
                            {"frames_per_s", seconds > 0 ? frames / seconds : 0.0}});
  fmt::print(
      "verdict: {}{}\n", result.passed ? "pass" : "FAIL",
      result.warnings.empty() ? "" : fmt::format(" ({} warning(s))", result.warnings.size()));
  return result.passed ? exit_ok : exit_qc;
}

}  // namespace

void add_verify_commands(CLI::App& app, std::vector<Command>& commands) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* cmd = app.add_subcommand(
      "verify",
      "check the developed film of a job against its plan, index and sources; writes "
      "qc.json, report.html and contact sheets; exit 5 when anything fails");
  add_job_flags(*cmd, flags->job,
                "the job's output folder (or the --out folder holding it), the job file it was "
                "made from, or the folder of scans of a one-line conversion");
  cmd->add_option("--qc", flags->qc, "QC limits: profiles/qc/NAME.toml or a .toml file")
      ->capture_default_str();
  cmd->add_flag("--no-report", flags->no_report, "write qc.json only");
  commands.push_back(
      {cmd, [flags](Context& context) { return run_verify(*flags, context.drivers); }});
}

}  // namespace fw::cli
