// `convert` and `plan`: flags -> the engine's convert operation (engine/api/convert.hpp), and
// what it reports, printed.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "api/convert.hpp"
#include "color/calibration.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "job_flags.hpp"
#include "ops/preflight_log.hpp"

namespace fw::cli {
namespace {

// Set by SIGINT/SIGTERM: the pipeline stops after the frames in flight.
std::atomic<bool> stop_requested{false};
extern "C" void on_stop_signal(int) {
  stop_requested.store(true);
}

struct ConvertFlags {
  JobFlags job;
  bool dry_run = false, decode_all = false, overwrite = false, resume = false;
  bool no_preflight = false;
  std::string reel_policy = "continue";
  unsigned tokens = 0;
};

// What an operator checks before loading film: reels, frames per reel, film used, splits.
class Printer final : public api::ConvertListener {
 public:
  // The job's data frames, and what a 30.5 m reel holds as data frames on each roll format.
  static void print_data(const Job& job, const api::JobSettings& settings, const Plan& plan) {
    const data::Layout& l = *plan.data_layout;
    std::uint64_t bytes = 0, files = 0, frames = 0;
    for (const auto& masters : plan.masters) {
      for (const MasterFile& m : masters) bytes += m.size, ++files;
    }
    for (const auto& reel : plan.reels) frames += reel.data_frames;
    fmt::print(
        "data frames: {} files, {:.2f} MB, in {} frames ({}); module {:g} um, {} bit(s), "
        "{} net bytes a frame, outer code {} + {}\n",
        files, bytes / 1e6, frames, to_string(job.data.place), l.module_um(),
        l.code.bits_per_module, l.payload_bytes, l.code.group_data, l.code.group_parity);
    std::string capacity;
    for (const FilmFormat& format : list_formats(settings.profiles_dir)) {
      if (format.layout != FilmLayout::roll) continue;
      try {
        capacity += fmt::format("{}{} {:.1f} MB", capacity.empty() ? "" : ", ", format.name,
                                data_capacity_bytes(job, format, plan.pitch_um, 30.5) / 1e6);
      } catch (const Error& e) {
        capacity +=
            fmt::format("{}{} none ({})", capacity.empty() ? "" : ", ", format.name, e.what());
      }
    }
    if (!capacity.empty()) fmt::print("  net data per 30.5 m reel at this pitch: {}\n", capacity);
  }

  void planned(const api::JobSettings& settings, const PreparedJob& prepared) override {
    const Job& job = settings.job;
    const Plan& plan = prepared.plan;
    std::size_t pages = 0, substitutes = 0, targets = 0;
    for (const auto& f : plan.frames) {
      pages += f.kind == FrameKind::page;
      substitutes += f.kind == FrameKind::substitute;
      targets += is_target(f.kind);
    }
    const bool fiche = plan.format.layout == FilmLayout::fiche;
    fmt::print("job {} \"{}\": {} documents, {} frames ({} pages, {} substitutes{}) on {} {}\n",
               job.id, job.title, job.documents.size(), plan.frames.size(), pages, substitutes,
               targets ? fmt::format(", {} targets", targets) : "", plan.reels.size(),
               fiche ? "fiche" : "reel(s)");
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
    if (plan.data_layout) print_data(job, settings, plan);
    for (const auto& reel : plan.reels) {
      const std::string range = reel.first_address.empty()
                                    ? std::string("no pages")
                                    : reel.first_address + " .. " + reel.last_address;
      if (fiche) {
        fmt::print("  {}: {} of {} frames, {}\n", reel.id, reel.pages, plan.format.fiche.frames(),
                   range);
      } else {
        fmt::print("  {}: {} frames ({} pages), {:.2f} m of {:g} m film, {}\n", reel.id,
                   reel.frame_count, reel.pages, reel.film_used_m, reel.film_length_m, range);
      }
      if (reel.data_frames > 0) {
        fmt::print("    data: {} frames, {:.2f} MB of files\n", reel.data_frames,
                   reel.data_bytes / 1e6);
      }
      if (reel.continues_on_next) {
        const auto& split = plan.frames[reel.first_frame + reel.frame_count - 1];
        fmt::print("    split: document {} continues on {}\n", job.documents[split.document].id,
                   plan.reels[reel.number].id);
      }
    }
    for (const auto& skipped : plan.skipped) fmt::print("  skipped document {}\n", skipped);
    driver_ = job.driver;
    dir_ = settings.job_dir;
  }
  void decoded(const PreflightReport& report) override {
    fmt::print(
        "decode-all: {} page(s) decoded in {:.1f} s, {}\n", report.pages, report.seconds,
        report.bad.empty() ? std::string("none bad") : fmt::format("{} bad:", report.bad.size()));
    for (const BadPage& bad : report.bad) {
      fmt::print("  {}: {} ({})\n", bad.reel, bad.message, ops::policy_consequence(bad.policy));
    }
  }
  void resuming(std::size_t first, std::size_t frames, ReelPolicy policy) override {
    fmt::print("resuming at frame {} of {} (reel policy {}); {} frame(s) already on film\n",
               first + 1, frames, to_string(policy), first);
  }
  void note(const std::string& line) override { fmt::print("{}\n", line); }
  void exposed(const RunResult& run) override {
    fmt::print("exposed {} frames with the {} driver\n", run.frames_exposed, driver_);
    fmt::print("plan:     {}\n", (dir_ / "plan.json").string());
    for (const auto& reel : run.reels) {
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
    std::fflush(stdout);
  }

 private:
  std::string driver_;
  std::filesystem::path dir_;
};

int run_convert(const ConvertFlags& flags, const hal::Registry& drivers,
                api::ConvertOptions::Mode mode) {
  api::ConvertOptions options;
  options.mode = flags.dry_run ? api::ConvertOptions::Mode::dry_run : mode;
  options.decode_all = flags.decode_all;
  options.overwrite = flags.overwrite;
  options.resume = flags.resume;
  try {
    options.reel_policy = parse_reel_policy(flags.reel_policy);
  } catch (const Error& e) {
    throw with_context("--reel-policy", e);
  }
  options.preflight = !flags.no_preflight;
  options.tokens = flags.tokens;
  options.stop = &stop_requested;
  options.progress_bar = ::isatty(STDERR_FILENO) != 0;
  // The job's output folder (or an --out folder holding one job) names the job it holds, with
  // the settings its film was made with.
  const api::JobRequest request = api::locate_job(flags.job.source, flags.job.request());
  Printer printer;
  const api::ConvertResult result = api::convert(api::resolve(request), drivers, options, printer);
  if (options.mode == api::ConvertOptions::Mode::dry_run) {
    fmt::print("dry run: nothing exposed, nothing written\n");
  } else if (options.mode == api::ConvertOptions::Mode::plan) {
    fmt::print("plan: {}\n", result.plan_json.string());
  } else if (result.already_finished) {
    fmt::print("job in {} already finished; nothing to resume\n", result.job_dir.string());
  }
  return exit_ok;
}

}  // namespace

void add_convert_commands(CLI::App& app, std::vector<Command>& commands) {
  auto convert_flags = std::make_shared<ConvertFlags>();
  auto* convert = app.add_subcommand("convert", "convert scans to film frames through a recorder");
  add_job_flags(*convert, convert_flags->job,
                "job file (TOML), a folder of scans (one-line mode), or a job's output folder");
  convert->add_flag("--resume", convert_flags->resume,
                    "continue the job from its journal (JOB may be the job's output folder): no "
                    "frame on film is exposed again");
  convert
      ->add_option("--reel-policy", convert_flags->reel_policy,
                   "on resume, the reel that was in the recorder: continue (the device "
                   "appends) or respool (spoiled: expose it again on fresh film)")
      ->capture_default_str();
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
                        return run_convert(*convert_flags, context.drivers,
                                           api::ConvertOptions::Mode::convert);
                      }});

  auto plan_flags = std::make_shared<ConvertFlags>();
  auto* plan = app.add_subcommand("plan", "plan reels and write plan.json; touches no device");
  add_job_flags(*plan, plan_flags->job, "job file (TOML) or a folder of scans (one-line mode)");
  plan->add_flag("--decode-all", plan_flags->decode_all,
                 "decode every page of the job in full and list every bad page (exit 3 if any); "
                 "plan.json is written only when none is bad");
  commands.push_back({plan, [plan_flags](Context& context) {
                        return run_convert(*plan_flags, context.drivers,
                                           api::ConvertOptions::Mode::plan);
                      }});
}

}  // namespace fw::cli
