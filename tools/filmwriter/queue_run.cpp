// `queue run`: the jobs of a queue folder, or of a queue several hosts share, filmed one by
// one (api/shared_queue.hpp, run_named_queue), and the queue's summary printed.
#include <atomic>
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "api/queue.hpp"
#include "api/shared_queue.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "job_flags.hpp"

namespace fw::cli {
namespace {

struct QueueRunFlags {
  QueueName name;
  api::QueueOptions options;
  std::string reel_policy = "continue";
  unsigned threads = 0;
  double lease_s = 60;  // a shared queue's
};

std::atomic<bool> queue_stop{false};
extern "C" void on_queue_signal(int) {
  queue_stop.store(true);
}

int run_queue(api::QueueOptions options, double lease_s) {
  struct sigaction action {};
  action.sa_handler = on_queue_signal;  // no SA_RESTART: poll() returns at once
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  options.stop = &queue_stop;
  api::ChildProcessRunner runner(&queue_stop);
  const api::QueueResult r = api::run_named_queue(options, lease_s, runner);
  fmt::print("queue {}: {} job(s) in {:.1f} s: {} done, {} failed, {} waiting\n", r.root.string(),
             r.outcomes.size(), r.seconds, r.done, r.failed, r.waiting);
  for (const auto& o : r.outcomes) {
    fmt::print("  {:<11} {} (exit {}){}\n", api::to_string(o.state), o.job, o.exit_code,
               o.error.empty() ? "" : ": " + o.error);
  }
  std::fflush(stdout);
  api::log_queue_summary(r);
  return r.exit_code;
}

}  // namespace

void add_queue_run_command(CLI::App& queue, std::vector<Command>& commands) {
  auto flags = std::make_shared<QueueRunFlags>();
  auto& o = flags->options;
  auto* run = queue.add_subcommand(
      "run", "film every job in QUEUE_DIR/incoming/, one by one, then exit (for cron)");
  add_queue_argument(*run, flags->name);
  run->add_option("--lease", flags->lease_s,
                  "shared queue: seconds a worker holds a job without renewing (renewed every "
                  "third of it); after that another worker resumes the job")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  run->add_option("--out", o.out, "output folder for every job (default QUEUE_DIR/out)");
  run->add_option("--catalog", o.catalog,
                  "catalog file or postgresql:// URL (default <out>/catalog.sqlite)");
  run->add_option("--driver", o.driver, "recorder driver for every job");
  run->add_option("-O,--driver-option", o.driver_options,
                  "KEY=VALUE driver option for every job, repeatable");
  run->add_option("--reel-policy", flags->reel_policy,
                  "a job resumed after a crash: continue or respool its reel")
      ->check(CLI::IsMember({"continue", "respool"}))
      ->capture_default_str();
  add_profiles_option(*run, o.profiles);
  run->add_option("--threads", flags->threads, "render threads per job");
  run->add_option("--max-attempts", o.max_attempts,
                  "a job that keeps failing with a device error goes to failed/ after this many "
                  "runs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  commands.push_back({run, [flags, run](Context&) {
                        api::QueueOptions options = flags->options;
                        options.dir = take_queue_argument(*run, flags->name);
                        options.reel_policy = parse_reel_policy(flags->reel_policy);
                        if (run->count("--threads") > 0) options.threads = flags->threads;
                        return run_queue(options, flags->lease_s);
                      }});
}

}  // namespace fw::cli
