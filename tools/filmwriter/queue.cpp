// `queue run | status | submit`: unattended operation from cron over a queue folder
// (engine/api/queue.hpp) or a queue several hosts share (engine/api/shared_queue.hpp). Here
// the group, how a command names its queue, status and submit; `queue run` is in
// queue_run.cpp.
#include <fmt/format.h>

#include "api/queue.hpp"
#include "api/shared_queue.hpp"
#include "catalog/catalog.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

namespace fs = std::filesystem;

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

void add_queue_argument(CLI::App& cmd, QueueName& name) {
  cmd.add_option("QUEUE", name.argument,
                 "the queue: a queue folder (incoming/, running/, done/, failed/), or the "
                 "postgresql:// URL of a queue several hosts share; required, here or as --queue");
  cmd.add_option("--queue", name.option, "the queue, as an option instead of QUEUE");
}

fs::path take_queue_argument(const CLI::App& cmd, const QueueName& name) {
  const bool positional = cmd.count("QUEUE") > 0, option = cmd.count("--queue") > 0;
  const std::string usage = fmt::format(
      "usage: filmwriter queue {0} QUEUE_DIR | filmwriter queue {0} --queue postgresql://...",
      cmd.get_name());
  if (positional && option) {
    throw Error(ErrorKind::usage,
                fmt::format("queue {}: the queue is given twice ({} and --queue {}); give it "
                            "once ({})",
                            cmd.get_name(), name.argument.string(), name.option.string(), usage));
  }
  if (!positional && !option) {
    throw Error(ErrorKind::usage,
                fmt::format("queue {}: which queue? name a queue folder or a shared queue's "
                            "postgresql:// URL ({})",
                            cmd.get_name(), usage));
  }
  return option ? name.option : name.argument;
}

void add_queue_commands(CLI::App& app, std::vector<Command>& commands) {
  auto* queue = app.add_subcommand(
      "queue", "unattended operation: run the jobs of a queue folder or of a queue hosts share");
  queue->require_subcommand(1);
  add_queue_run_command(*queue, commands);

  auto name = std::make_shared<QueueName>();
  auto* status = queue->add_subcommand("status", "jobs in each folder (or state) of a queue");
  add_queue_argument(*status, *name);
  commands.push_back({status, [name, status](Context&) {
                        return run_status(take_queue_argument(*status, *name));
                      }});

  struct SubmitFlags {
    std::vector<std::string> files;
    std::string url;
  };
  auto submitted = std::make_shared<SubmitFlags>();
  auto* submit = queue->add_subcommand(
      "submit", "add job files to a shared queue (on storage every host sees)");
  submit->add_option("JOB", submitted->files, "job files")->required();
  submit->add_option("--queue", submitted->url, "the shared queue's postgresql:// URL")->required();
  commands.push_back(
      {submit, [submitted](Context&) {
         for (const auto& name : api::submit_shared_jobs(
                  submitted->url, {submitted->files.begin(), submitted->files.end()})) {
           fmt::print("queued {}\n", name);
         }
         return exit_ok;
       }});
}

}  // namespace fw::cli
