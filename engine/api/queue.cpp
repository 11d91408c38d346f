#include "api/queue.hpp"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/queue_outcome.hpp"
#include "base/files.hpp"
#include "core/error.hpp"
#include "ops/log.hpp"
#include "ops/queue.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

int read_attempts(const fs::path& file) {
  try {
    return std::stoi(read_file(file));
  } catch (...) {
    return 0;
  }
}

bool stopped(const QueueOptions& options) {
  return options.stop && options.stop->load();
}

}  // namespace

std::vector<std::string> queued_convert_arguments(const fs::path& job, const fs::path& base_dir,
                                                  const fs::path& out,
                                                  const QueueJobSettings& settings) {
  std::vector<std::string> args{"--log-format", ops::Log::global().json() ? "json" : "text",
                                "convert", job.string(), "--resume"};
  if (!base_dir.empty()) args.insert(args.end(), {"--base-dir", base_dir.string()});
  args.insert(args.end(),
              {"--out", out.string(), "--reel-policy", to_string(settings.reel_policy)});
  if (!settings.catalog.empty()) args.insert(args.end(), {"--catalog", settings.catalog.string()});
  if (!settings.driver.empty()) args.insert(args.end(), {"--driver", settings.driver});
  for (const auto& o : settings.driver_options) args.insert(args.end(), {"-O", o});
  if (!settings.profiles.empty()) {
    args.insert(args.end(), {"--profiles", settings.profiles.string()});
  }
  if (settings.threads) {
    args.insert(args.end(), {"--threads", std::to_string(*settings.threads)});
  }
  return args;
}

const char* to_string(QueueJobState state) {
  switch (state) {
    case QueueJobState::done:
      return "done";
    case QueueJobState::failed:
      return "failed";
    case QueueJobState::retry:
      return "retry";
    case QueueJobState::interrupted:
      return "interrupted";
  }
  return "failed";
}

const char* to_string(QueueFolder folder) {
  switch (folder) {
    case QueueFolder::incoming:
      return "incoming";
    case QueueFolder::running:
      return "running";
    case QueueFolder::done:
      return "done";
    case QueueFolder::failed:
      return "failed";
  }
  return "incoming";
}

ops::ChildResult ChildProcessRunner::run(const QueueJob& job) {
  return ops::run_child(executable_, job.arguments, job.log, stop_);
}

// A child's error names the job file where it ran, in running/; a job that failed is read in
// failed/ from then on.
std::string naming_moved_file(std::string error, const fs::path& from, const fs::path& to) {
  const std::string was = from.string(), is = to.string();
  for (auto at = error.find(was); at != std::string::npos; at = error.find(was, at + is.size())) {
    error.replace(at, was.size(), is);
  }
  return error;
}

void record_outcome(QueueResult& result, const std::string& job, const ops::ChildResult& child,
                    QueueJobState state) {
  result.outcomes.push_back({job, child.exit_code, state, child.error, child.seconds});
  ops::Log::global().event(
      state == QueueJobState::done ? "info" : "error", "queue_job_end",
      {{"queue_job", job},
       {"state", to_string(state)},
       {"exit_code", child.exit_code},
       {"error", child.error},
       {"seconds", child.seconds}},
      fmt::format("queue: {} {} (exit {}){}", job, to_string(state), child.exit_code,
                  child.error.empty() ? "" : ": " + child.error));
}

void count_outcomes(QueueResult& result) {
  for (const auto& o : result.outcomes) {
    result.done += o.state == QueueJobState::done;
    result.failed += o.state == QueueJobState::failed;
  }
}

QueueResult run_queue(const QueueOptions& options, JobRunner& runner) {
  auto& log = ops::Log::global();
  ops::QueueDir queue(options.dir);
  ops::InstanceLock lock(queue.lock_file());
  if (const auto& stale = lock.taken_over(); stale.pid) {
    log.event("warning", "queue_stale_lock",
              {{"queue", queue.root().string()}, {"pid", stale.pid}, {"since", stale.since}},
              fmt::format("filmwriter: queue: took over the stale lock of pid {} (since {}), "
                          "which is no longer running",
                          stale.pid, stale.since));
  }
  const fs::path out = options.out.empty() ? queue.root() / "out" : fs::absolute(options.out);
  const auto start = std::chrono::steady_clock::now();
  QueueResult result;
  result.root = queue.root();
  result.exit_code = exit_ok;
  log.event("info", "queue_start", {{"queue", queue.root().string()}, {"out", out.string()}});
  while (!stopped(options)) {
    const auto job = queue.take_next();
    if (!job) break;
    const std::string name = job->filename().string();
    const fs::path attempts_file = ops::QueueDir::sidecar(*job, "attempts");
    const fs::path reason_file = ops::QueueDir::sidecar(*job, "reason");
    const int attempt = read_attempts(attempts_file) + 1;
    if (attempt > options.max_attempts) {
      const std::string last =
          fs::exists(reason_file) ? read_file(reason_file) : std::string("(no reason recorded)\n");
      write_file_atomic(reason_file, fmt::format("gave up after {} attempts; last: {}",
                                                 options.max_attempts, last));
      queue.move_to(*job, queue.failed());
      result.outcomes.push_back(
          {name, exit_device, QueueJobState::failed, "gave up after attempts", 0});
      continue;
    }
    write_file_atomic(attempts_file, fmt::format("{}\n", attempt));
    log.event("info", "queue_job_start", {{"queue_job", name}, {"attempt", attempt}},
              fmt::format("queue: {} (attempt {})", name, attempt));
    ops::ChildResult child =
        runner.run({name, *job, attempt, ops::QueueDir::sidecar(*job, "log"),
                    queued_convert_arguments(*job, queue.incoming(), out, options)});
    const bool fails = child.exit_code != exit_ok && child.exit_code != exit_interrupted &&
                       child.exit_code != exit_device && !stopped(options);
    if (fails) child.error = naming_moved_file(child.error, *job, queue.failed() / name);
    const std::string reason =
        fmt::format("exit {} ({}): {}\n", child.exit_code, exit_meaning(child.exit_code),
                    child.error.empty() ? std::string("see the log") : child.error);
    QueueJobState state;
    if (child.exit_code == exit_ok) {
      fs::remove(attempts_file);
      queue.move_to(*job, queue.done());
      state = QueueJobState::done;
    } else if (child.exit_code == exit_interrupted || stopped(options)) {
      // Stopped cleanly after a frame: the journal resumes it on the next run.
      write_file_atomic(reason_file, reason);
      state = QueueJobState::interrupted;
      result.exit_code = exit_interrupted;
    } else if (child.exit_code == exit_device) {
      // The recorder needs an operator (or comes back by itself): keep the job in running/ to
      // resume first next time, and feed no more jobs to the device now.
      write_file_atomic(reason_file, reason);
      state = QueueJobState::retry;
      result.exit_code = exit_device;
    } else {
      write_file_atomic(reason_file, reason);
      fs::remove(attempts_file);
      queue.move_to(*job, queue.failed());
      state = QueueJobState::failed;
      result.exit_code = child.exit_code;
    }
    record_outcome(result, name, child, state);
    if (state == QueueJobState::retry || state == QueueJobState::interrupted) break;
  }
  if (stopped(options)) result.exit_code = exit_interrupted;

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  count_outcomes(result);
  result.waiting = ops::QueueDir::jobs_in(queue.incoming()).size() +
                   ops::QueueDir::jobs_in(queue.running()).size();
  return result;
}

void log_queue_summary(const QueueResult& result) {
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& o : result.outcomes) {
    jobs.push_back({{"job", o.job},
                    {"state", to_string(o.state)},
                    {"exit_code", o.exit_code},
                    {"error", o.error}});
  }
  ops::Log::global().event(result.exit_code == exit_ok ? "info" : "error", "queue_summary",
                           {{"queue", result.root.string()},
                            {"jobs", jobs},
                            {"done", result.done},
                            {"failed", result.failed},
                            {"waiting", result.waiting},
                            {"seconds", result.seconds},
                            {"exit_code", result.exit_code}});
}

QueueStatus queue_status(const fs::path& dir) {
  ops::QueueDir queue(dir);
  QueueStatus status;
  status.root = queue.root();
  if (ops::lock_held(queue.lock_file())) status.running = ops::read_lock_holder(queue.lock_file());
  for (const auto& [folder, path] :
       std::vector<std::pair<QueueFolder, fs::path>>{{QueueFolder::incoming, queue.incoming()},
                                                     {QueueFolder::running, queue.running()},
                                                     {QueueFolder::done, queue.done()},
                                                     {QueueFolder::failed, queue.failed()}}) {
    std::vector<QueueStatus::Job> jobs;
    for (const auto& job : ops::QueueDir::jobs_in(path)) {
      std::string reason;
      if (fs::exists(ops::QueueDir::sidecar(job, "reason"))) {
        reason = read_file(ops::QueueDir::sidecar(job, "reason"));
        if (!reason.empty() && reason.back() == '\n') reason.pop_back();
      }
      jobs.push_back({job.filename().string(), std::move(reason)});
    }
    status.folders.emplace_back(folder, std::move(jobs));
  }
  return status;
}

}  // namespace fw::api
