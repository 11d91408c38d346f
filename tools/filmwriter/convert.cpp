// `convert` and `plan`: a job file or a scans folder -> plan -> frames through a recorder.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>

#include "base/files.hpp"
#include "catalog/catalog.hpp"
#include "catalog/inspection.hpp"
#include "catalog/keeper.hpp"
#include "color/calibration.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "job/job.hpp"
#include "ops/log.hpp"
#include "ops/preflight_log.hpp"
#include "pipeline/pipeline.hpp"

namespace fw::cli {
namespace {

// Set by SIGINT/SIGTERM: the pipeline stops after the frames in flight.
std::atomic<bool> stop_requested{false};
extern "C" void on_stop_signal(int) {
  stop_requested.store(true);
}

struct JobFlags {
  std::string source;  // job file or scans folder
  JobOverrides overrides;
  std::string mode, polarity;
  std::vector<std::string> driver_options;
  std::string profiles;
  std::string base_dir;  // relative paths in the job file resolve here (the queue sets it)
  bool dry_run = false;
  bool overwrite = false;
  // Resume after a crash or a stop (see catalog/keeper.hpp).
  bool resume = false;
  std::string reel_policy = "continue";
  std::string catalog;        // default <output>/catalog.sqlite
  unsigned tokens = 0;        // frames in flight; 0: the pipeline's default (2 x threads)
  bool no_preflight = false;  // convert: expose without decoding each reel's pages first
  bool decode_all = false;    // plan, convert --dry-run: decode every page of the job
};

void add_job_flags(CLI::App& cmd, JobFlags& flags) {
  cmd.add_option("JOB", flags.source, "job file (TOML) or a folder of scans (one-line mode)")
      ->required();
  auto& o = flags.overrides;
  cmd.add_option("--out", o.output, "output folder (job key: output)");
  cmd.add_option("--driver", o.driver, "recorder driver (job key: recorder.driver)");
  cmd.add_option("--threads", o.threads, "render threads, 0 = one per core (job key: threads)");
  cmd.add_option("--format", o.format, "film format profile (job key: format)");
  cmd.add_option("--reduction", o.reduction, "reduction ratio, 7-50 (job key: reduction)");
  cmd.add_option("--mode", flags.mode, "bitonal, grey or colour (job key: mode)");
  cmd.add_option("--polarity", flags.polarity, "negative or positive (job key: polarity)");
  cmd.add_option("--dpi", o.dpi, "resolution for files without one (job key: dpi)");
  cmd.add_option("--id", o.id, "job id (job key: id)");
  cmd.add_option("--title", o.title, "job title (job key: title)");
  cmd.add_option("--calibration", o.calibration,
                 "density calibration: a profile in profiles/calibration/, a .toml file, or none "
                 "for raw code values (job key: calibration; default: the recorder's own)");
  cmd.add_option("-O,--driver-option", flags.driver_options,
                 "KEY=VALUE driver option, repeatable (job key: recorder.options.KEY)");
  cmd.add_option("--profiles", flags.profiles,
                 "profiles folder (default: FILMWRITER_PROFILES or "
                 "the installed profiles)");
  cmd.add_option("--base-dir", flags.base_dir,
                 "resolve the job file's relative paths against DIR instead of the file's "
                 "folder (queue run sets it to QUEUE_DIR/incoming)");
}

Job make_job(JobFlags& flags) {
  auto& o = flags.overrides;
  try {
    if (!flags.mode.empty()) o.mode = parse_image_mode(flags.mode);
  } catch (const Error& e) {
    throw with_context("--mode", e);
  }
  try {
    if (!flags.polarity.empty()) o.polarity = parse_polarity(flags.polarity);
  } catch (const Error& e) {
    throw with_context("--polarity", e);
  }
  for (const auto& kv : flags.driver_options) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorKind::usage, "--driver-option: expected KEY=VALUE, got \"" + kv + "\"");
    }
    o.driver_options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (std::filesystem::is_directory(flags.source)) {
    return job_from_directory(flags.source, o);
  }
  Job job = [&] {
    if (flags.base_dir.empty()) return load_job(flags.source);
    std::string text;
    try {
      text = read_file(flags.source);
    } catch (const Error& e) {
      throw Error(ErrorKind::job, e.what());
    }
    Job parsed = parse_job(text, flags.source, flags.base_dir);
    parsed.file = std::filesystem::absolute(flags.source).lexically_normal();
    return parsed;
  }();
  apply_overrides(job, o);
  return job;
}

// The job flags again, with every path absolute: the journal keeps them so that
// `convert --resume OUTPUT_DIR` rebuilds the same job from anywhere.
std::vector<std::string> rerun_args(const JobFlags& flags) {
  const auto& o = flags.overrides;
  std::vector<std::string> args{std::filesystem::absolute(flags.source).string()};
  auto add = [&](const char* flag, const auto& value) {
    if (value) args.insert(args.end(), {flag, fmt::format("{}", *value)});
  };
  if (o.output) args.insert(args.end(), {"--out", std::filesystem::absolute(*o.output).string()});
  add("--driver", o.driver);
  add("--threads", o.threads);
  add("--format", o.format);
  add("--reduction", o.reduction);
  add("--dpi", o.dpi);
  add("--id", o.id);
  add("--title", o.title);
  if (o.calibration) {
    args.insert(args.end(),
                {"--calibration", o.calibration->ends_with(".toml")
                                      ? std::filesystem::absolute(*o.calibration).string()
                                      : *o.calibration});
  }
  if (!flags.mode.empty()) args.insert(args.end(), {"--mode", flags.mode});
  if (!flags.polarity.empty()) args.insert(args.end(), {"--polarity", flags.polarity});
  for (const auto& kv : flags.driver_options) args.insert(args.end(), {"-O", kv});
  if (!flags.profiles.empty()) {
    args.insert(args.end(), {"--profiles", std::filesystem::absolute(flags.profiles).string()});
  }
  if (!flags.base_dir.empty()) {
    args.insert(args.end(), {"--base-dir", std::filesystem::absolute(flags.base_dir).string()});
  }
  return args;
}

// `convert --resume OUTPUT_DIR`: the job flags the journal recorded when the job started.
void load_flags_from_journal(JobFlags& flags) {
  const auto journal = std::filesystem::path(flags.source) / "journal.jsonl";
  const JournalState state = read_journal(journal);
  std::vector<std::string> args;
  try {
    args = state.start.at("args").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::job, journal.string() + ":1: the start record has no job arguments");
  }
  JobFlags recorded;
  CLI::App parser{"journal"};
  add_job_flags(parser, recorded);
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
  try {
    parser.parse(args);
  } catch (const CLI::ParseError& e) {
    throw Error(ErrorKind::job, journal.string() + ":1: job arguments: " + e.what());
  }
  recorded.resume = true;
  recorded.reel_policy = flags.reel_policy;
  recorded.catalog = flags.catalog;
  recorded.no_preflight = flags.no_preflight;
  if (recorded.catalog.empty()) recorded.catalog = state.start.value("catalog", "");
  flags = std::move(recorded);
}

// plan.json streamed frame by frame (a long job's plan is never whole in memory).
void write_plan(const std::filesystem::path& path, const Job& job, const Plan& plan) {
  AtomicFile file(path);
  plan.write_json(job, [&](std::string_view piece) { file.write(piece); });
  file.commit();
}

std::filesystem::path profiles_dir(const JobFlags& flags) {
  return flags.profiles.empty() ? default_profiles_dir() : std::filesystem::path(flags.profiles);
}

std::unique_ptr<hal::Recorder> open_recorder(const hal::Registry& registry, const Job& job) {
  try {
    return registry.open(job.driver, job.driver_options);
  } catch (const hal::DeviceError& e) {
    // A recorder that cannot even be opened with the job's options is a job problem.
    const auto kind =
        e.kind() == hal::DeviceErrorKind::bad_option ? ErrorKind::job : ErrorKind::device;
    throw Error(kind, std::string("recorder: ") + e.what());
  }
}

// What an operator checks before loading film: reels, frames per reel, film used, splits.
void print_plan_summary(const Job& job, const PreparedJob& prepared) {
  const auto& plan = prepared.plan;
  std::size_t pages = 0, substitutes = 0, targets = 0;
  for (const auto& f : plan.frames) {
    if (f.kind == FrameKind::page) ++pages;
    if (f.kind == FrameKind::substitute) ++substitutes;
    if (is_target(f.kind)) ++targets;
  }
  const bool fiche = plan.format.layout == FilmLayout::fiche;
  const std::string target_count = targets ? fmt::format(", {} targets", targets) : "";
  fmt::print("job {} \"{}\": {} documents, {} frames ({} pages, {} substitutes{}) on {} {}\n",
             job.id, job.title, job.documents.size(), plan.frames.size(), pages, substitutes,
             target_count, plan.reels.size(), fiche ? "fiche" : "reel(s)");
  fmt::print("format {} at {:g}x, {} um pitch, {} {}, targets: {}\n", plan.format.name,
             job.defaults.reduction, plan.pitch_um, to_string(job.defaults.mode),
             to_string(job.polarity), plan.targets ? job.targets : std::string("none"));
  if (plan.calibration && !plan.calibration->identity()) {
    const FrameCalibration& c = *plan.calibration;
    fmt::print("calibration {} (chosen by the {}), {} aim {:.2f} D, tone {:g}\n", c.label(),
               c.chosen_by(), c.document_class(), c.aim_density(), c.tone());
  } else {
    fmt::print("calibration none: raw code values, the film's densities are not controlled\n");
  }
  for (const auto& reel : plan.reels) {
    std::string first, last;
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      if (is_target(plan.frames[i].kind)) continue;
      if (first.empty()) first = plan.frames[i].address;
      last = plan.frames[i].address;
    }
    const std::string range = first.empty() ? std::string("no pages") : first + " .. " + last;
    if (fiche) {
      fmt::print("  {}: {} of {} frames, {}\n", reel.id, reel.pages, plan.format.fiche.frames(),
                 range);
    } else {
      fmt::print("  {}: {} frames ({} pages), {:.2f} m of {:g} m film, {}\n", reel.id,
                 reel.frame_count, reel.pages, reel.film_used_m, reel.film_length_m, range);
    }
    if (reel.continues_on_next) {
      const auto& split = plan.frames[reel.first_frame + reel.frame_count - 1];
      fmt::print("    split: document {} continues on {}\n", job.documents[split.document].id,
                 plan.reels[reel.number].id);
    }
  }
  for (const auto& skipped : plan.skipped) fmt::print("  skipped document {}\n", skipped);
}

// `--decode-all`: every page of the job decoded in full, nothing exposed; every bad page is
// listed on stdout, and any makes it an input error (exit 3).
void decode_all(const Job& job, const Plan& plan) {
  ops::PreflightLog log(ops::Log::global(), job, isatty(STDERR_FILENO));
  const PreflightReport report = preflight_plan(
      job, plan, {job.threads, &stop_requested, [&](const auto& p) { log.progress(p); }});
  log.checked(report, false);
  if (report.stopped) {
    throw Error(ErrorKind::interrupted,
                fmt::format("interrupted after decoding {} page(s)", report.pages));
  }
  fmt::print(
      "decode-all: {} page(s) decoded in {:.1f} s, {}\n", report.pages, report.seconds,
      report.bad.empty() ? std::string("none bad") : fmt::format("{} bad:", report.bad.size()));
  for (const BadPage& bad : report.bad) {
    fmt::print("  {}: {} ({})\n", bad.reel, bad.message, ops::policy_consequence(bad.policy));
  }
  if (!report.bad.empty()) {
    throw Error(ErrorKind::input,
                fmt::format("{} of {} page(s) do not decode (listed above); the first: {}",
                            report.bad.size(), report.pages, report.bad.front().message));
  }
}

int run_convert(JobFlags& flags, const hal::Registry& registry, bool plan_only) {
  const ReelPolicy policy = [&] {
    try {
      return parse_reel_policy(flags.reel_policy);
    } catch (const Error& e) {
      throw with_context("--reel-policy", e);
    }
  }();
  if (flags.decode_all && !plan_only && !flags.dry_run) {
    throw Error(ErrorKind::usage,
                "--decode-all: only with --dry-run (or `plan --decode-all`); without it, "
                "convert decodes each reel's pages before exposing it anyway");
  }
  if (flags.resume && std::filesystem::is_directory(flags.source) &&
      std::filesystem::exists(std::filesystem::path(flags.source) / "journal.jsonl")) {
    load_flags_from_journal(flags);
  }
  Job job = make_job(flags);
  // A resumed job films the day its plan recorded, so its targets match the first run's.
  if (flags.resume && job.filming_date.empty()) {
    job.filming_date = recorded_filming_date(job.output / job.id / "plan.json");
  }
  auto recorder = open_recorder(registry, job);
  auto prepared = prepare_job(job, recorder->capabilities(), profiles_dir(flags));
  print_plan_summary(job, prepared);
  const auto& dir = prepared.job_dir;
  if (plan_only || flags.dry_run) {
    if (flags.decode_all) decode_all(job, prepared.plan);
    if (plan_only) {
      std::filesystem::create_directories(dir);
      write_plan(dir / "plan.json", job, prepared.plan);
      fmt::print("plan: {}\n", (dir / "plan.json").string());
    } else {
      fmt::print("dry run: nothing exposed, nothing written\n");
    }
    return exit_ok;
  }
  const auto journal_file = dir / "journal.jsonl";
  const bool resuming = flags.resume && journal_started(journal_file);
  // Film cannot be exposed twice: refuse to write over a previous run's reels.
  for (const auto& reel : prepared.plan.reels) {
    if (resuming) break;
    if (std::filesystem::exists(dir / reel.id / "index.csv") && !flags.overwrite) {
      throw Error(ErrorKind::usage,
                  (dir / reel.id).string() +
                      " already holds a conversion; choose another --out or --id, or pass "
                      "--overwrite");
    }
  }
  if (std::filesystem::exists(journal_file) && !resuming && !flags.overwrite) {
    throw Error(ErrorKind::usage, dir.string() +
                                      " holds a journal of an earlier run; continue it with "
                                      "--resume, or pass --overwrite to start again");
  }
  if (flags.overwrite) {
    // The previous run's reel folders: R0001... on roll film, F0001... for fiche sheets.
    auto is_reel_folder = [](const std::string& name) {
      const auto digit = [](char c) { return c >= '0' && c <= '9'; };
      return name.size() >= 5 && (name[0] == 'R' || name[0] == 'F') &&
             std::all_of(name.begin() + 1, name.end(), digit);
    };
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_directory() && is_reel_folder(entry.path().filename().string())) {
        std::filesystem::remove_all(entry.path());
      }
    }
    std::filesystem::remove(journal_file);
    std::filesystem::remove_all(dir / "spoiled");
  }
  std::filesystem::create_directories(dir);
  // --catalog, else the job's `catalog` key, else <output>/catalog.sqlite.
  std::filesystem::path catalog_file = job.output / "catalog.sqlite";
  if (!job.catalog.empty()) catalog_file = job.catalog;
  if (!flags.catalog.empty()) catalog_file = flags.catalog;
  Catalog catalog(std::filesystem::absolute(catalog_file));
  RecordKeeper keeper(dir, catalog, catalog_job(job, prepared.plan, dir));
  // The keeper rebuilds the job's catalog rows (a new run, --overwrite, --resume); vault
  // inspections are about the physical reels and come back (catalog/inspection.hpp).
  const KeptInspections inspections(catalog, job.id);
  RunOptions options;
  if (resuming) {
    const JournalState journal = read_journal(journal_file);
    if (journal.finished) {
      fmt::print("job {} already finished; nothing to resume\n", job.id);
      return exit_ok;
    }
    keeper.resume(journal, flags.reel_policy);
    inspections.restore();
    const ResumePoint point =
        plan_resume(job, prepared.plan, journal, policy, *recorder, keeper, dir);
    options.first_frame = point.first_frame;
    options.resumed_rows = point.reel_rows;
    fmt::print("resuming at frame {} of {} (reel policy {}); {} frame(s) already on film\n",
               point.first_frame + 1, prepared.plan.frames.size(), flags.reel_policy,
               point.first_frame);
  } else {
    write_plan(dir / "plan.json", job, prepared.plan);
    keeper.start(prepared.plan,
                 {{"args", rerun_args(flags)}, {"catalog", catalog.file().string()}});
    if (const std::size_t kept = inspections.restore(); kept > 0) {
      fmt::print("kept {} vault inspection record(s) of earlier filmings of {}\n", kept, job.id);
    }
  }
  // Logs (text with a progress bar on a terminal, or JSON lines) sit in front of the keeper.
  ops::RunTotals totals{job.id, prepared.plan.frames.size(), 0, options.first_frame, {}, {}};
  std::uint64_t warnings = prepared.plan.skipped.size();
  if (!prepared.plan.calibration || prepared.plan.calibration->identity()) {
    ++warnings;
    ops::Log::global().event(
        "warning", "uncalibrated", {{"job", job.id}, {"calibration", "none"}},
        "filmwriter: warning: calibration = \"none\": frames go to the recorder as raw code "
        "values; the background density will not be held at the aim (see \"Density and "
        "tone\" in README.md)");
  }
  for (const auto& f : prepared.plan.frames) {
    totals.pages_planned += f.kind == FrameKind::page || f.kind == FrameKind::substitute;
    warnings += f.kind == FrameKind::substitute;
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
  ops::RunLog run_log(log, &keeper, totals, isatty(STDERR_FILENO));
  options.observer = &run_log;
  ops::PreflightLog preflight_log(log, job, isatty(STDERR_FILENO));
  options.preflight = !flags.no_preflight;
  options.on_preflight_progress = [&](const PreflightProgress& p) { preflight_log.progress(p); };
  options.on_preflight = [&](const PreflightReport& report) {
    preflight_log.checked(report, true);
    for (const BadPage& bad : report.bad) warnings += bad.policy == FailurePolicy::substitute;
  };
  options.threads = job.threads;
  options.tokens = flags.tokens;
  options.stop = &stop_requested;
  // The run reads its frames from disk, and they name every page's file: neither the plan's
  // frames nor the job's page lists stay in memory for a long job's run.
  FrameSpool spool(std::move(prepared.plan.frames), dir);
  for (Document& document : job.documents) std::vector<std::string>().swap(document.pages.paths);
  options.spool = &spool;
  RunResult result;
  try {
    // Planning freed what it needed for the whole job (the job file's tree, every page's
    // header); the heap keeps freed memory for frame buffers (main.cpp), so hand that back
    // first, or it stays resident for the whole run and memory grows with the job.
    malloc_trim(0);
    result = run_plan(job, prepared.plan, *recorder, dir, options);
  } catch (const Error& e) {
    // The journal already holds every accepted frame; bring the catalog up to it.
    const bool interrupted = e.kind() == ErrorKind::interrupted;
    try {
      keeper.finish(interrupted ? "interrupted" : "failed", false);
    } catch (const Error& finish_error) {
      log.error("catalog", exit_code(finish_error.kind()), finish_error.what());
    }
    run_log.summary(interrupted ? "interrupted" : "failed", warnings);
    throw;
  }
  keeper.finish("done", true);
  fmt::print("exposed {} frames with the {} driver\n", result.frames_exposed, job.driver);
  fmt::print("plan:     {}\n", (dir / "plan.json").string());
  for (const auto& reel : result.reels) {
    fmt::print("{}:    {} frames, {:.2f} m film\n", reel.id, reel.frames, reel.film_used_m);
    fmt::print("  index:    {}\n", (reel.dir / "index.csv").string());
    fmt::print("  manifest: {}\n", (reel.dir / "manifest.sha256").string());
    if (std::filesystem::is_directory(reel.dir / "frames")) {
      fmt::print("  frames:   {}\n", (reel.dir / "frames").string());
    }
    if (std::filesystem::is_regular_file(reel.dir / "film" / "reel.json")) {
      fmt::print("  film:     {} (developed film, density x 10000; reel.json: layout)\n",
                 (reel.dir / "film").string());
    }
  }
  run_log.summary("done", warnings);
  return exit_ok;
}

}  // namespace

void add_convert_commands(CLI::App& app, std::vector<Command>& commands) {
  auto convert_flags = std::make_shared<JobFlags>();
  auto* convert = app.add_subcommand("convert", "convert scans to film frames through a recorder");
  add_job_flags(*convert, *convert_flags);
  convert->add_flag("--resume", convert_flags->resume,
                    "continue the job from its journal (JOB may be the job's output folder): no "
                    "frame on film is exposed again");
  convert
      ->add_option("--reel-policy", convert_flags->reel_policy,
                   "on resume, the reel that was in the recorder: continue (the device "
                   "appends) or respool (spoiled: expose it again on fresh film)")
      ->capture_default_str();
  convert->add_option("--catalog", convert_flags->catalog,
                      "SQLite catalog file (default: <output>/catalog.sqlite)");
  convert->add_flag("--dry-run", convert_flags->dry_run, "read and plan only; expose nothing");
  convert->add_flag("--no-preflight", convert_flags->no_preflight,
                    "expose each reel without decoding its pages in full first (a bad page is "
                    "then found when the reel reaches it)");
  convert->add_flag("--decode-all", convert_flags->decode_all,
                    "with --dry-run: decode every page of the job in full and list every bad "
                    "page (exit 3 if any)");
  convert
      ->add_option("--tokens", convert_flags->tokens,
                   "frames in flight (memory is about tokens x frame size); 0 = 2 x threads")
      ->check(CLI::Range(0u, 64u));
  convert->add_flag("--overwrite", convert_flags->overwrite,
                    "replace the reels of a previous run in the same output folder");
  commands.push_back({convert, [convert_flags](Context& context) {
                        std::signal(SIGINT, on_stop_signal);
                        std::signal(SIGTERM, on_stop_signal);
                        return run_convert(*convert_flags, context.drivers, false);
                      }});

  auto plan_flags = std::make_shared<JobFlags>();
  auto* plan = app.add_subcommand("plan", "plan reels and write plan.json; touches no device");
  add_job_flags(*plan, *plan_flags);
  plan->add_flag("--decode-all", plan_flags->decode_all,
                 "decode every page of the job in full and list every bad page (exit 3 if any); "
                 "plan.json is written only when none is bad");
  commands.push_back({plan, [plan_flags](Context& context) {
                        return run_convert(*plan_flags, context.drivers, true);
                      }});
}

}  // namespace fw::cli
