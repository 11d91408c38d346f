#include "api/convert.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "api/catalog_upkeep.hpp"
#include "api/convert_steps.hpp"
#include "base/files.hpp"
#include "base/utc.hpp"
#include "catalog/catalog.hpp"
#include "catalog/inspection.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "film/frame_spool.hpp"
#include "film/plan_file.hpp"
#include "mets/mets.hpp"
#include "ops/log.hpp"
#include "ops/preflight_log.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

// What a run checked the job's sources against before it filmed, for its journal record ("start"
// or "resume"): the delivery's checksums vouched for them (docs/job-file.md, "Checksum
// manifests"), and each reel's package says so (mets/package.cpp). Empty when none were used.
nlohmann::json checksums_record(const ChecksumSummary& checked) {
  nlohmann::json record = nlohmann::json::object();
  if (!checked.used()) return record;
  nlohmann::json algorithms = nlohmann::json::array();
  for (const HashAlgorithm algorithm : checked.algorithms)
    algorithms.push_back(hash_name(algorithm));
  record["checksums"] = {{"manifests", checked.manifests},
                         {"algorithms", algorithms},
                         {"files_matched", checked.files_matched},
                         {"files_failed", checked.files_failed},
                         {"checked_at", checked.checked_at}};
  if (!checked.tag_manifests.empty()) record["checksums"]["tag_manifests"] = checked.tag_manifests;
  return record;
}

// plan.json streamed frame by frame (a long job's plan is never whole in memory).
void write_plan(const fs::path& path, const Job& job, const Plan& plan) {
  AtomicFile file(path);
  plan.write_json(job, [&](std::string_view piece) { file.write(piece); });
  file.commit();
}

// plan --decode-all, convert --dry-run --decode-all: every page of the job, nothing exposed.
void decode_all(const Job& job, const Plan& plan, const ConvertOptions& options,
                ConvertListener& listener) {
  ops::PreflightLog log(ops::Log::global(), job, options.progress_bar);
  const PreflightReport report = preflight_plan(
      job, plan, {job.threads, options.stop, [&](const auto& p) { log.progress(p); }});
  log.checked(report, false);
  if (report.stopped) {
    throw Error(
        ErrorKind::interrupted,
        fmt::format("stopped after decoding {} page(s); nothing was written", report.pages));
  }
  listener.decoded(report);
  if (!report.bad.empty()) {
    throw Error(ErrorKind::input,
                fmt::format("{} of {} page(s) do not decode (listed above); the first: {}",
                            report.bad.size(), report.pages, report.bad.front().message));
  }
}

// `plan` writes plan.json; the plan of a job that has frames on film is the record of what was
// filmed and is never replaced.
void write_plan_only(const JobSettings& settings, const Job& job, const PreparedJob& prepared,
                     ConvertResult& result) {
  const fs::path& dir = prepared.job_dir;
  const fs::path journal_file = dir / "journal.jsonl";
  if (journal_started(journal_file) && frames_on_film(read_journal(journal_file)) > 0) {
    throw Error(ErrorKind::usage,
                fmt::format("{}: job {} has frames on film, and its plan.json is the record of "
                            "what was filmed; plan it elsewhere with --out DIR or --id NEW_ID",
                            dir.string(), settings.job.id));
  }
  fs::create_directories(dir);
  result.plan_json = dir / "plan.json";
  write_plan(result.plan_json, job, prepared.plan);
}

// Writes each reel's mets.xml once the reel is closed and its index, manifest and catalog rows
// are in place (the observers after this one). The package is a record about the film, not
// the film: when it cannot be written the reel stays exposed and the run goes on, with a
// warning that names the reel, the error and the command that writes it again from the catalog.
class MetsWriter final : public RunObserver {
 public:
  MetsWriter(ops::RunLog& next, const Catalog& catalog, const RecordKeeper& keeper,
             std::string job_id, fs::path job_dir)
      : next_(next),
        catalog_(catalog),
        keeper_(keeper),
        job_id_(std::move(job_id)),
        job_dir_(std::move(job_dir)) {}
  void reel_loaded(const hal::ReelSpec& reel) override { next_.reel_loaded(reel); }
  void frame_exposed(const std::string& reel_id, std::uint64_t sequence,
                     const IndexRow& row) override {
    next_.frame_exposed(reel_id, sequence, row);
  }
  void reel_closed(const ClosedReel& reel) override {
    next_.reel_closed(reel);
    write(reel.id, reel.dir);
  }
  // A run stopped between a reel's close and its package (a crash, kill -9) left that reel
  // without mets.xml, and resume does not close it again: the run that finishes the job writes
  // the package of every reel on film that has none.
  void write_missing(const Plan& plan) {
    for (const PlannedReel& reel : plan.reels) {
      const fs::path reel_dir = job_dir_ / reel.id;
      if (failed_.count(reel.id) || !fs::exists(reel_dir / "index.csv") ||
          fs::exists(reel_dir / "mets.xml")) {
        continue;
      }
      write(reel.id, reel_dir);
    }
  }

 private:
  void write(const std::string& reel_id, const fs::path& reel_dir) {
    // A catalog behind the journal would give a package short of frames: `catalog rebuild`
    // writes it once the catalog has caught up.
    if (!keeper_.catalog_error().empty()) return;
    try {
      // The reel's own index.csv: the package costs the reel's rows, not the job's.
      write_reel_mets(catalog_, job_id_, reel_id, reel_dir, true);
    } catch (const std::exception& e) {
      failed_.insert(reel_id);
      const std::string message = fmt::format(
          "reel {}: mets.xml not written ({}); the reel is on film and its index and manifest "
          "are in place; write the package again with `filmwriter catalog export --format mets "
          "{}`",
          reel_id, e.what(), job_dir_.string());
      next_.warn("mets_failed", {{"reel", reel_id}, {"error", e.what()}}, {message, {}});
    }
  }

  ops::RunLog& next_;
  const Catalog& catalog_;
  const RecordKeeper& keeper_;
  std::string job_id_;
  fs::path job_dir_;
  std::set<std::string> failed_;  // warned of once
};

}  // namespace

ConvertResult convert(const JobSettings& settings, const hal::Registry& drivers,
                      const ConvertOptions& options, ConvertListener& listener) {
  using Mode = ConvertOptions::Mode;
  if (options.decode_all && options.mode == Mode::convert) {
    throw Error(ErrorKind::usage,
                "--decode-all: only with --dry-run (or `plan --decode-all`); without it, "
                "convert decodes each reel's pages before exposing it anyway");
  }
  Job job = settings.job;
  const fs::path dir = settings.job_dir;
  // A resumed job films the day its plan recorded, so its targets match the first run's.
  const RecordedPlan recorded =
      options.resume ? read_recorded_plan(dir / "plan.json") : RecordedPlan{};
  if (options.resume && job.filming_date.empty()) job.filming_date = recorded.filming_date;
  auto recorder = open_recorder(settings, drivers);
  PreparedJob prepared = prepare_job(job, recorder->capabilities(), settings.profiles_dir,
                                     settings.recorder_profiles_dir);
  listener.planned(settings, prepared);
  ConvertResult result;
  result.job_dir = dir;
  if (options.mode != Mode::convert) {
    // The operator planning a job sees what it will warn of, before any film is loaded.
    for (PlanWarning& w : plan_warnings(job, prepared.plan, 0)) {
      w.fields["job"] = job.id;
      w.fields["message"] = w.warning.message;
      ops::Log::global().event("warning", w.event, w.fields,
                               "filmwriter: warning: " + w.warning.message);
      ++result.warnings;
    }
    if (options.decode_all) decode_all(job, prepared.plan, options, listener);
    if (options.mode == Mode::plan) {
      const auto lock = lock_job(dir);
      write_plan_only(settings, job, prepared, result);
    }
    return result;
  }

  const auto lock = lock_job(dir);
  const fs::path journal_file = dir / "journal.jsonl";
  const bool resuming = options.resume && journal_started(journal_file);
  std::string drawn_not_recorded;
  if (resuming && recorded.exists && !recorded.drawn_with) {
    // A job started before plan.json recorded its templates and fonts: it resumes as it always
    // did, its plan still without them (so that its hash is the one the journal holds), and
    // the operator is told that a changed template or font cannot be told here.
    prepared.plan.drawn_with.reset();
    drawn_not_recorded = fmt::format(
        "{}: records no templates or fonts (the job was started by an earlier filmwriter): a "
        "template or font changed since the job started cannot be told; resuming with them as "
        "they are now",
        (dir / "plan.json").string());
  }
  refuse_earlier_run(dir, prepared.plan, options, resuming);
  if (options.overwrite && fs::exists(dir)) remove_earlier_run(dir);
  fs::create_directories(dir);
  Catalog catalog(settings.catalog_file);
  RecordKeeper keeper(dir, catalog, catalog_job(job, prepared.plan, dir));
  // The keeper rebuilds the job's catalog rows (a new run, --overwrite, --resume); vault
  // inspections are about the physical reels and come back (catalog/inspection.hpp).
  const KeptInspections inspections(catalog, job.id);
  RunOptions run;
  result.plan_json = dir / "plan.json";
  if (resuming) {
    JournalState journal = read_journal(journal_file);
    if (journal.finished) {
      check_finished(job, prepared.plan, journal, dir);
      result.already_finished = true;
      catch_up_catalog(catalog, job, prepared.plan, journal, dir, listener);
      return result;
    }
    const PlanChanges changes =
        check_resumable(job, prepared.plan, journal, options.reel_policy, dir);
    require_resume_capabilities(job, journal, options.reel_policy, *recorder);
    std::string reason = "respooled at resume (--reel-policy respool)";
    if (changes.changed()) {
      accept_new_plan(job, prepared.plan, changes, journal, keeper, dir);
      reason = "the plan changed: " + changes.lines.front();
      std::string list;
      for (const auto& line : changes.lines) list += "\n  " + line;
      listener.note(
          fmt::format("the plan changed after the frames on film (the old plan is "
                      "kept beside plan.json):{}",
                      list));
    }
    if (options.reel_policy == ReelPolicy::continue_reel) {
      if (const auto lost = rewind_to_film(job, prepared.plan, journal, *recorder, keeper, dir)) {
        const JournalReel& reel = *journal.in_recorder();
        listener.note(fmt::format(
            "reel {}: the recorder's film ends at frame {}; the {} frame(s) after it were in its "
            "buffer when it stopped and are exposed again",
            reel.id, reel.rows.size() - lost, lost));
      }
    }
    journal = read_journal(journal_file);
    keeper.resume(journal, to_string(options.reel_policy), checksums_record(prepared.checksums));
    inspections.restore();
    const ResumePoint point = plan_resume(job, prepared.plan, journal, options.reel_policy,
                                          *recorder, keeper, dir, reason);
    run.first_frame = point.first_frame;
    run.resumed_rows = point.reel_rows;
    listener.resuming(point.first_frame, prepared.plan.frames.size(), options.reel_policy);
  } else {
    write_plan(result.plan_json, job, prepared.plan);
    // What the filming was, for each reel's PREMIS filming event (mets/mets.hpp).
    nlohmann::json filming = {
        {"date",
         prepared.plan.filming_date.empty() ? today_utc_date() : prepared.plan.filming_date},
        {"driver", job.driver}};
    if (!job.operator_name.empty()) filming["operator"] = job.operator_name;
    // A URL's password stays out of the journal (on shared storage, read by anyone who reads
    // the job): later commands take it from ~/.pgpass or PGPASSWORD, as libpq does.
    nlohmann::json start = {{"request", settings.request.to_json()},
                            {"catalog", catalog.location()},
                            {kMetsFilmingKey, filming}};
    // The site the job's reel ids carry, whichever host resumes it (api::default_site).
    if (!job.site.empty()) start["site"] = job.site;
    start.update(checksums_record(prepared.checksums));
    keeper.start(prepared.plan, start);
    inspections.restore();
    if (const std::size_t kept = inspections.size(); kept > 0) {
      listener.note(fmt::format("kept {} vault inspection record(s) of earlier filmings of {}",
                                kept, job.id));
    }
  }
  // Logs (text with a progress bar on a terminal, or JSON lines) sit in front of the keeper.
  ops::RunTotals totals;
  totals.job_id = job.id;
  totals.frames_planned = prepared.plan.frames.size();
  totals.frames_before = run.first_frame;
  if (prepared.plan.format.layout != FilmLayout::fiche) {  // a sheet has no leader
    totals.leader_m = prepared.plan.format.leader_m;
    totals.trailer_m = prepared.plan.format.trailer_m;
  }
  totals.buffer_frames = recorder->capabilities().buffer_frames;
  for (const auto& f : prepared.plan.frames) {
    totals.pages_planned += begins_page(f);
  }
  for (const auto& reel : prepared.plan.reels) {
    totals.reel_film_m[reel.id] = reel.film_used_m;
    totals.reel_frames[reel.id] = static_cast<std::uint32_t>(reel.frame_count);
  }
  auto& log = ops::Log::global();
  log.event("info", resuming ? "job_resume" : "job_start",
            {{"job", job.id},
             {"title", job.title},
             {"driver", job.driver},
             {"frames_total", totals.frames_planned},
             {"pages_total", totals.pages_planned},
             {"reels_total", prepared.plan.reels.size()},
             {"frames_before", totals.frames_before},
             {"dir", dir.string()}});
  ops::RunLog run_log(log, &keeper, totals, options.progress_bar);
  for (PlanWarning& w : plan_warnings(job, prepared.plan, run.first_frame)) {
    run_log.warn(w.event, std::move(w.fields), std::move(w.warning));
  }
  if (!drawn_not_recorded.empty()) {
    run_log.warn("drawn_with_not_recorded", {{"plan", (dir / "plan.json").string()}},
                 {drawn_not_recorded, {}});
  }
  keeper.on_catalog_error = [&](const std::string& error) {
    run_log.warn("catalog_behind", {{"catalog", catalog.location()}, {"error", error}},
                 {fmt::format("the catalog is not written for the rest of this run ({}); every "
                              "frame still goes into the journal, and the film goes on",
                              error),
                  {}});
  };
  MetsWriter mets(run_log, catalog, keeper, job.id, dir);
  run.observer = &mets;
  ops::PreflightLog preflight_log(log, job, options.progress_bar);
  run.preflight = options.preflight;
  run.on_preflight_progress = [&](const PreflightProgress& p) { preflight_log.progress(p); };
  run.on_preflight = [&](const PreflightReport& report) {
    preflight_log.checked(report, true);  // logs each bad page as it is found
    for (const BadPage& bad : report.bad) {
      if (bad.policy != FailurePolicy::substitute) continue;
      const Document& document = job.documents.at(bad.document);
      run_log.add_warning(
          {ops::substitute_warning(fmt::format("{} ({})", document.id, document.key), bad.page,
                                   bad.address, bad.where),
           {{"document", document.id},
            {"page", bad.page},
            {"reel", bad.reel},
            {"address", bad.address},
            {"file", bad.file},
            {"reason", bad.reason}}});
    }
  };
  run.threads = job.threads;
  run.tokens = options.tokens;
  run.stop = options.stop;
  // The run reads its frames from disk, and they name every page's file: neither the plan's
  // frames nor the job's page lists stay in memory for a long job's run.
  FrameSpool spool(std::move(prepared.plan.frames), dir);
  for (Document& document : job.documents) std::vector<std::string>().swap(document.pages.paths);
  run.spool = &spool;
  try {
    // Planning freed what it needed for the whole job (the job file's tree, every page's
    // header); the heap keeps freed memory for frame buffers, so hand that back first, or it
    // stays resident for the whole run and memory grows with the job.
    malloc_trim(0);
    result.run = run_plan(job, prepared.plan, *recorder, dir, run);
  } catch (const Error& e) {
    // The journal already holds every accepted frame; bring the catalog up to it.
    const bool interrupted = e.kind() == ErrorKind::interrupted;
    const auto finish_summary = [&] {
      result.warnings = run_log.warnings().size();
      run_log.summary(interrupted ? "interrupted" : "failed");
    };
    if (e.kind() == ErrorKind::storage) {
      try {
        if (const auto rewound =
                rewind_journal_to_film(job, prepared.plan, *recorder, keeper, dir)) {
          log.event("warning", "journal_rewound",
                    {{"job", job.id}, {"reel", rewound->first}, {"frames", rewound->second}},
                    fmt::format("filmwriter: reel {}: the recorder could not write the film of "
                                "its last {} frame(s); the journal no longer lists them, and "
                                "`filmwriter convert --resume {}` exposes them again once there "
                                "is room",
                                rewound->first, rewound->second, dir.string()));
        }
      } catch (const std::exception& rewind_error) {
        log.event("warning", "journal_rewind_failed",
                  {{"job", job.id}, {"error", rewind_error.what()}},
                  fmt::format("filmwriter: {}: cannot rewind it to the film ({}); `filmwriter "
                              "convert --resume` will",
                              keeper.journal_file().string(), rewind_error.what()));
      }
    }
    try {
      // The catalog keeps why the run failed: the error as the operator read it.
      keeper.finish(interrupted ? "interrupted" : "failed", false, e.what());
    } catch (const Error& finish_error) {
      log.error("catalog", exit_code(finish_error.kind()), finish_error.what());
    }
    finish_summary();
    if (interrupted) {
      throw Error(e.kind(), fmt::format("{}; continue with `filmwriter convert --resume {}`",
                                        e.what(), dir.string()));
    }
    throw;
  }
  keeper.finish("done", true);
  mets.write_missing(prepared.plan);
  listener.exposed(result.run);
  result.warnings = run_log.warnings().size();
  run_log.summary("done");
  if (!keeper.catalog_error().empty()) {
    // The job is done (its journal says finished, a resume has nothing to film) but cron must
    // hear that its catalog is behind.
    throw Error(ErrorKind::storage,
                fmt::format("job {}: every frame is exposed and in the journal, index and "
                            "manifest, but the catalog {} fell behind ({}); bring it up to date "
                            "with `filmwriter catalog rebuild {}`",
                            job.id, catalog.location(), keeper.catalog_error(), dir.string()));
  }
  return result;
}

}  // namespace fw::api
