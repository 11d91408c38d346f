// `convert` and `plan`: flags -> the engine's convert operation (engine/api/convert.hpp), and
// what it reports, printed (convert_printer.cpp).
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "api/convert.hpp"
#include "commands.hpp"
#include "convert_printer.hpp"
#include "core/error.hpp"
#include "job_flags.hpp"

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
  const auto printer = make_convert_printer();
  const api::ConvertResult result = api::convert(api::resolve(request), drivers, options, *printer);
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
