#include "api/verify.hpp"

#include <fmt/format.h>

#include <optional>

#include "catalog/catalog.hpp"
#include "catalog/journal.hpp"
#include "catalog/resume.hpp"
#include "film/plan.hpp"
#include "film/plan_file.hpp"
#include "mets/mets.hpp"
#include "ops/log.hpp"
#include "pipeline/pipeline.hpp"

namespace fw::api {

JobSettings verify_settings(const std::filesystem::path& named, const JobRequest& flags) {
  const LocatedJob located = locate_job_as_run(named, flags);
  JobSettings settings = resolve(located.request);
  if (!located.journal.empty()) {
    const std::string& recorded = located.recorded_flags;
    const std::string& id = settings.job.id;
    ops::Log::global().event(
        "info", "verify_settings",
        {{"job", id}, {"journal", located.journal.string()}, {"flags", recorded}},
        fmt::format(
            "filmwriter: verify: job {} has run; its settings are taken from {} ({})", id,
            located.journal.string(),
            recorded.empty() ? "convert was given no flags" : "convert was given " + recorded));
  }
  return settings;
}

QcResult verify(const JobSettings& settings, const hal::Registry& drivers,
                const VerifyRequest& request) {
  Job job = settings.job;
  // The targets on film show the day the job was planned: re-render them with that day, and
  // say first which of the templates and fonts they were drawn with changed since.
  const RecordedPlan recorded = read_recorded_plan(settings.job_dir / "plan.json");
  if (job.filming_date.empty()) job.filming_date = recorded.filming_date;
  // The recorder's capabilities (pitch, calibration) make the plan; opening it touches no film.
  const auto recorder = open_recorder(settings, drivers);
  const PreparedJob prepared = prepare_job(job, recorder->capabilities(), settings.profiles_dir,
                                           settings.recorder_profiles_dir);
  const QcProfile profile = load_qc_profile(settings.profiles_dir, request.qc_profile);
  // qc.json and the report go into the job's folder: not while another run writes there.
  std::unique_ptr<ops::InstanceLock> lock;
  if (std::filesystem::is_directory(settings.job_dir)) lock = lock_job(settings.job_dir);
  VerifyOptions options;
  options.profiles_dir = settings.profiles_dir;
  options.catalog = settings.catalog_file;
  options.report = request.report;
  options.on_progress = request.on_progress;
  options.plan_recorded = recorded.exists;
  options.drawn_with = recorded.drawn_with;
  if (const auto journal = settings.job_dir / "journal.jsonl";
      recorded.exists && journal_started(journal)) {
    const PlanChanges changes =
        changes_since_filmed(job, prepared.plan, read_journal(journal), settings.job_dir);
    // The film's frames no longer line up with the plan's: every frame would be compared with
    // another, and a page on film called a substitute. Nothing can be verified against it.
    if (changes.frames_moved) {
      std::string list;
      for (const auto& line : changes.lines) list += "\n  " + line;
      throw Error(ErrorKind::job,
                  fmt::format("{}: cannot verify the film against the plan made now: the job "
                              "plans other frames than it filmed (verify draws every frame "
                              "again from the sources, profiles and settings it was filmed "
                              "with: put them back, and verify again):{}",
                              journal.string(), list));
    }
    // Changed templates and fonts are named file by file by verify itself.
    if (changes.changed() && !changes.only_drawn_files) {
      for (const std::string& line : changes.lines) {
        if (options.plan_changes.size() == 3) {
          options.plan_changes.push_back(
              fmt::format("… {} more", changes.lines.size() - options.plan_changes.size()));
          break;
        }
        options.plan_changes.push_back(line);
      }
    }
  }
  QcResult result = verify_job(job, prepared, profile, options);
  // Each reel's mets.xml again, now with verify's verdict as a PREMIS event. A package that
  // cannot be written does not change the verdict: a warning names the reel and the error.
  if (settings.catalog_file.empty() || !std::filesystem::exists(settings.catalog_file)) {
    return result;  // no catalog to write a package from
  }
  const auto warn = [&](const std::string& reel_id, const char* error) {
    result.warnings.push_back(
        fmt::format("{}: mets.xml not rewritten with the verdict ({}); write it again with "
                    "`filmwriter catalog export --format mets {}`",
                    reel_id, error, settings.job_dir.string()));
  };
  std::optional<Catalog> catalog;
  try {
    catalog.emplace(settings.catalog_file);
  } catch (const std::exception& e) {
    warn("every reel", e.what());
    return result;
  }
  for (const PlannedReel& reel : prepared.plan.reels) {
    const auto reel_dir = settings.job_dir / reel.id;
    if (!std::filesystem::exists(reel_dir / "index.csv")) continue;
    try {
      write_reel_mets(*catalog, job.id, reel.id, reel_dir, true);
    } catch (const std::exception& e) {
      warn(reel.id, e.what());
    }
  }
  return result;
}

}  // namespace fw::api
