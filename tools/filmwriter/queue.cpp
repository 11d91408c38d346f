// `queue run | status | submit`: unattended operation from cron over a queue folder
// (engine/api/queue.hpp) or a queue several hosts share (engine/api/shared_queue.hpp). Flags
// in, the queue's summary printed.
#include <atomic>
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "api/queue.hpp"
#include "api/shared_queue.hpp"
#include "catalog/catalog.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

namespace fs = std::filesystem;

struct QueueFlags {
  api::QueueOptions options;
  std::string reel_policy = "continue";
  unsigned threads = 0;
  double lease_s = 60;                 // a shared queue's
  std::vector<std::string> submitted;  // queue submit JOB.toml...
  fs::path queue_flag;                 // --queue, the other way to name the queue
};

// `queue run` and `queue status` name their queue once: the QUEUE argument or --queue (the
// form `queue submit` takes). Error(usage) for neither or both.
void add_queue_argument(CLI::App& cmd, QueueFlags& flags) {
  cmd.add_option("QUEUE", flags.options.dir,
                 "the queue: a queue folder (incoming/, running/, done/, failed/), or the "
                 "postgresql:// URL of a queue several hosts share; required, here or as --queue");
  cmd.add_option("--queue", flags.queue_flag, "the queue, as an option instead of QUEUE");
}

void take_queue_argument(const CLI::App& cmd, QueueFlags& flags) {
  const bool positional = cmd.count("QUEUE") > 0, option = cmd.count("--queue") > 0;
  const std::string usage = fmt::format(
      "usage: filmwriter queue {0} QUEUE_DIR | filmwriter queue {0} --queue postgresql://...",
      cmd.get_name());
  if (positional && option) {
    throw Error(
        ErrorKind::usage,
        fmt::format("queue {}: the queue is given twice ({} and --queue {}); give it "
                    "once ({})",
                    cmd.get_name(), flags.options.dir.string(), flags.queue_flag.string(), usage));
  }
  if (!positional && !option) {
    throw Error(ErrorKind::usage,
                fmt::format("queue {}: which queue? name a queue folder or a shared queue's "
                            "postgresql:// URL ({})",
                            cmd.get_name(), usage));
  }
  if (option) flags.options.dir = flags.queue_flag;
}

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
  api::QueueResult r;
  if (is_catalog_url(options.dir)) {
    // The queue several hosts share (api/shared_queue.hpp): the same settings, plus the lease.
    r = api::run_shared_queue({options.dir.string(), options.out, options.catalog, options.driver,
                               options.driver_options, options.reel_policy, options.profiles,
                               options.threads, options.max_attempts, lease_s, &queue_stop},
                              runner);
  } else {
    r = api::run_queue(options, runner);
  }
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

int run_shared_status(const std::string& url) {
  const auto jobs = api::shared_queue_status(url);
  std::string state;
  for (const auto& job : jobs) {
    if (job.state != state) {
      state = job.state;
      std::size_t n = 0;
      for (const auto& j : jobs) n += j.state == state;
      fmt::print("{}: {}\n", state, n);
    }
    std::string detail;
    if (job.state == "running") {
      detail = fmt::format("  on {} (lease until {}{})", job.worker, job.lease_until,
                           job.lease_expired ? ", expired: the next worker resumes it" : "");
    }
    fmt::print("  {} (attempts {}){}{}\n", job.name, job.attempts, detail,
               job.reason.empty() ? "" : "  " + job.reason);
  }
  if (jobs.empty()) fmt::print("queue {}: empty\n", redacted_location(url));
  return exit_ok;
}

int run_status(const fs::path& dir) {
  if (is_catalog_url(dir)) return run_shared_status(dir.string());
  const api::QueueStatus status = api::queue_status(dir);
  if (status.running) {
    fmt::print("queue {}: running (pid {} since {})\n", status.root.string(), status.running->pid,
               status.running->since);
  } else {
    fmt::print("queue {}: idle\n", status.root.string());
  }
  for (const auto& [folder, jobs] : status.folders) {
    fmt::print("{}: {}\n", api::to_string(folder), jobs.size());
    for (const auto& job : jobs) {
      fmt::print("  {}{}\n", job.name, job.reason.empty() ? "" : "  " + job.reason);
    }
  }
  return exit_ok;
}

}  // namespace

void add_queue_commands(CLI::App& app, std::vector<Command>& commands) {
  auto* queue = app.add_subcommand(
      "queue", "unattended operation: run the jobs of a queue folder or of a queue hosts share");
  queue->require_subcommand(1);
  auto flags = std::make_shared<QueueFlags>();
  auto& o = flags->options;
  auto* run = queue->add_subcommand(
      "run", "film every job in QUEUE_DIR/incoming/, one by one, then exit (for cron)");
  add_queue_argument(*run, *flags);
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
  run->add_option("--profiles", o.profiles, "profiles folder");
  run->add_option("--threads", flags->threads, "render threads per job");
  run->add_option("--max-attempts", o.max_attempts,
                  "a job that keeps failing with a device error goes to failed/ after this many "
                  "runs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  commands.push_back({run, [flags, run](Context&) {
                        take_queue_argument(*run, *flags);
                        api::QueueOptions options = flags->options;
                        options.reel_policy = parse_reel_policy(flags->reel_policy);
                        if (run->count("--threads") > 0) options.threads = flags->threads;
                        return run_queue(options, flags->lease_s);
                      }});
  auto* status = queue->add_subcommand("status", "jobs in each folder (or state) of a queue");
  add_queue_argument(*status, *flags);
  commands.push_back({status, [flags, status](Context&) {
                        take_queue_argument(*status, *flags);
                        return run_status(flags->options.dir);
                      }});
  auto* submit = queue->add_subcommand(
      "submit", "add job files to a shared queue (on storage every host sees)");
  submit->add_option("JOB", flags->submitted, "job files")->required();
  submit->add_option("--queue", o.dir, "the shared queue's postgresql:// URL")->required();
  commands.push_back({submit, [flags](Context&) {
                        for (const auto& name : api::submit_shared_jobs(
                                 flags->options.dir.string(),
                                 {flags->submitted.begin(), flags->submitted.end()})) {
                          fmt::print("queued {}\n", name);
                        }
                        return exit_ok;
                      }});
}

}  // namespace fw::cli
