// `verify`: QC of the developed film of a job that was run (engine/qc).
#include <fmt/format.h>

#include <unistd.h>

#include "commands.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "job/job.hpp"
#include "ops/log.hpp"
#include "pipeline/pipeline.hpp"
#include "qc/qc.hpp"

namespace fw::cli {
namespace {

struct VerifyFlags {
  std::string job;
  JobOverrides overrides;
  std::vector<std::string> driver_options;
  std::string profiles;
  std::string qc = "standard";
  std::string catalog;  // default <output>/catalog.sqlite
  bool no_report = false;
};

int run_verify(VerifyFlags& flags, const hal::Registry& registry) {
  for (const auto& kv : flags.driver_options) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorKind::usage, "--driver-option: expected KEY=VALUE, got \"" + kv + "\"");
    }
    flags.overrides.driver_options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  // A job file, or a folder of scans filmed in one-line mode (with the same flags).
  Job job = [&] {
    if (std::filesystem::is_directory(flags.job))
      return job_from_directory(flags.job, flags.overrides);
    Job loaded = load_job(flags.job);
    apply_overrides(loaded, flags.overrides);
    return loaded;
  }();
  const auto profiles =
      flags.profiles.empty() ? default_profiles_dir() : std::filesystem::path(flags.profiles);
  // The recorder's capabilities (pitch) make the plan; opening a driver touches no film.
  std::unique_ptr<hal::Recorder> recorder;
  try {
    recorder = registry.open(job.driver, job.driver_options);
  } catch (const hal::DeviceError& e) {
    throw Error(ErrorKind::job, std::string("recorder: ") + e.what());
  }
  const PreparedJob prepared = prepare_job(job, recorder->capabilities(), profiles);
  const QcProfile profile = load_qc_profile(profiles, flags.qc);
  VerifyOptions options;
  options.profiles_dir = profiles;
  options.catalog =
      flags.catalog.empty() ? job.output / "catalog.sqlite" : std::filesystem::path(flags.catalog);
  options.report = !flags.no_report;
  // On a terminal: frames checked, the rate and when it will be done; in JSON, events.
  ops::ProgressLine line(ops::Log::global(), "verify_progress", ::isatty(STDERR_FILENO) != 0);
  options.on_progress = [&](const VerifyProgress& p) {
    const double elapsed = line.elapsed_s();
    const double rate = elapsed > 0 ? p.frames_done / elapsed : 0;
    const double eta = rate > 0 ? (p.frames_total - p.frames_done) / rate : 0;
    line.update(p.frames_done, p.frames_total,
                fmt::format("verify {}: {}/{} frames checked  {:.2f} frames/s  ETA {}", p.reel,
                            p.frames_done, p.frames_total, rate, ops::duration_text(eta)),
                {{"job", job.id}, {"reel", p.reel}, {"frames_per_s", rate}, {"eta_s", eta}});
  };
  const QcResult result = verify_job(job, prepared, profile, options);
  line.end();
  const double seconds = line.elapsed_s();
  for (const auto& reel : result.json["reels"]) {
    std::string line =
        fmt::format("{}: {} — {} of {} frames on film", reel["reel"].get<std::string>(),
                    reel["verdict"].get<std::string>(), reel["frames_on_film"].get<std::size_t>(),
                    reel["frames_planned"].get<std::size_t>());
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
                          meets                      ? ""
                          : reel["warnings"].empty() ? ": below it, failed"
                                                     : ": below it, a warning");
    }
    fmt::print("{}\n", line);
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
  cmd->add_option("JOB", flags->job,
                  "the job file the film was made from, or the folder of scans of a one-line "
                  "conversion")
      ->required();
  cmd->add_option("--format", flags->overrides.format, "film format, as given to convert");
  cmd->add_option("--reduction", flags->overrides.reduction, "reduction, as given to convert");
  cmd->add_option("--dpi", flags->overrides.dpi, "resolution, as given to convert");
  cmd->add_option("--title", flags->overrides.title, "job title, as given to convert");
  cmd->add_option("--out", flags->overrides.output, "output folder, as given to convert");
  cmd->add_option("--id", flags->overrides.id, "job id, as given to convert");
  cmd->add_option("--calibration", flags->overrides.calibration,
                  "density calibration, as given to convert");
  cmd->add_option("--driver", flags->overrides.driver, "recorder driver, as given to convert");
  cmd->add_option("-O,--driver-option", flags->driver_options, "KEY=VALUE, as given to convert");
  cmd->add_option("--profiles", flags->profiles, "profiles folder");
  cmd->add_option("--qc", flags->qc, "QC limits: profiles/qc/NAME.toml or a .toml file")
      ->capture_default_str();
  cmd->add_option("--catalog", flags->catalog,
                  "catalog for the inspection history (default <output>/catalog.sqlite)");
  cmd->add_flag("--no-report", flags->no_report, "write qc.json only");
  commands.push_back(
      {cmd, [flags](Context& context) { return run_verify(*flags, context.drivers); }});
}

}  // namespace fw::cli
