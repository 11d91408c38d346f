// `queue run | status`: unattended operation from cron. One instance at a time per queue
// folder (exit 6 "busy" otherwise); each job runs as a child `filmwriter convert --resume`, so
// a job that crashes or fails cannot take the queue down, and a job interrupted by anything
// (kill -9 of the queue included) resumes from its journal on the next run.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "ops/lock.hpp"
#include "ops/log.hpp"
#include "ops/queue.hpp"

namespace fw::cli {
namespace {

namespace fs = std::filesystem;

struct QueueFlags {
  std::string dir;
  std::string out;      // default QUEUE_DIR/out
  std::string catalog;  // default <out>/catalog.sqlite
  std::string driver;
  std::vector<std::string> driver_options;
  std::string reel_policy = "continue";
  std::string profiles;
  unsigned threads = 0;
  bool threads_set = false;
  int max_attempts = 3;
};

std::atomic<bool> queue_stop{false};
extern "C" void on_queue_signal(int) {
  queue_stop.store(true);
}

struct ChildResult {
  int exit_code = exit_internal;
  std::string error;  // the child's last error message
  double seconds = 0;
};

// The message of a child's error line, in either log format, without the kind that the exit
// code already gives ("" if the line is no error).
std::string error_of(const std::string& line) {
  if (line.starts_with("{")) {
    try {
      const auto record = nlohmann::json::parse(line);
      if (record.value("event", "") == "error") return record.value("message", "");
    } catch (const nlohmann::json::exception&) {
    }
    return {};
  }
  if (!line.starts_with("filmwriter: ")) return {};
  const auto kind_end = line.find(": ", 12);  // "filmwriter: input error: ..."
  return kind_end == std::string::npos ? line.substr(12) : line.substr(kind_end + 2);
}

// Runs the child with stdout into `log_file` and stderr through us: copied to the log and to
// our stderr (log collectors see the job's events). SIGINT/SIGTERM to the queue is passed on,
// and the child stops cleanly after its current frame.
ChildResult run_child(const std::vector<std::string>& args, const fs::path& log_file) {
  const auto start = std::chrono::steady_clock::now();
  ChildResult result;
  const int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw Error(ErrorKind::internal,
                fmt::format("cannot open {}: {}", log_file.string(), std::strerror(errno)));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::close(log_fd);
    throw Error(ErrorKind::internal, std::string("pipe: ") + std::strerror(errno));
  }
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    std::vector<std::string> storage{self};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(self.c_str(), argv.data());
    _exit(127);
  }
  ::close(pipe_fds[1]);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(log_fd);
    throw Error(ErrorKind::internal, std::string("fork: ") + std::strerror(errno));
  }
  bool forwarded = false;
  std::string pending;
  char buffer[8192];
  for (;;) {
    if (queue_stop.load() && !forwarded) {
      ::kill(pid, SIGTERM);
      forwarded = true;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, 200);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    [[maybe_unused]] const auto w1 = ::write(log_fd, buffer, static_cast<std::size_t>(n));
    [[maybe_unused]] const auto w2 = ::write(STDERR_FILENO, buffer, static_cast<std::size_t>(n));
    pending.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
      if (auto message = error_of(pending.substr(0, eol)); !message.empty()) {
        result.error = std::move(message);
      }
      pending.erase(0, eol + 1);
    }
  }
  ::close(pipe_fds[0]);
  ::close(log_fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (WIFSIGNALED(status) && result.error.empty()) {
    result.error = fmt::format("killed by signal {}", WTERMSIG(status));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

int read_attempts(const fs::path& file) {
  try {
    return std::stoi(read_file(file));
  } catch (...) {
    return 0;
  }
}

const char* meaning(int code) {
  switch (code) {
    case exit_ok:
      return "done";
    case exit_usage:
      return "job error";
    case exit_input:
      return "input error";
    case exit_device:
      return "device error";
    case exit_qc:
      return "QC failure";
    case exit_busy:
      return "busy";
    case exit_interrupted:
      return "interrupted";
    default:
      return "internal error";
  }
}

int run_queue(const QueueFlags& flags) {
  auto& log = ops::Log::global();
  ops::QueueDir queue(flags.dir);
  ops::InstanceLock lock(queue.lock_file());
  if (const auto& stale = lock.taken_over(); stale.pid) {
    log.event("warning", "queue_stale_lock",
              {{"queue", queue.root().string()}, {"pid", stale.pid}, {"since", stale.since}},
              fmt::format("filmwriter: queue: took over the stale lock of pid {} (since {}), "
                          "which is no longer running",
                          stale.pid, stale.since));
  }
  struct sigaction action {};
  action.sa_handler = on_queue_signal;  // no SA_RESTART: poll() returns at once
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const fs::path out = flags.out.empty() ? queue.root() / "out" : fs::absolute(flags.out);
  const auto start = std::chrono::steady_clock::now();
  struct Outcome {
    std::string job;
    int exit_code;
    std::string state;  // done | failed | retry | interrupted
    std::string error;
    double seconds;
  };
  std::vector<Outcome> outcomes;
  int rc = exit_ok;
  log.event("info", "queue_start", {{"queue", queue.root().string()}, {"out", out.string()}});
  while (!queue_stop.load()) {
    const auto job = queue.take_next();
    if (!job) break;
    const std::string name = job->filename().string();
    const fs::path attempts_file = ops::QueueDir::sidecar(*job, "attempts");
    const int attempt = read_attempts(attempts_file) + 1;
    if (attempt > flags.max_attempts) {
      const std::string last = fs::exists(ops::QueueDir::sidecar(*job, "reason"))
                                   ? read_file(ops::QueueDir::sidecar(*job, "reason"))
                                   : std::string("(no reason recorded)\n");
      write_file_atomic(
          ops::QueueDir::sidecar(*job, "reason"),
          fmt::format("gave up after {} attempts; last: {}", flags.max_attempts, last));
      queue.move_to(*job, queue.failed());
      outcomes.push_back({name, exit_device, "failed", "gave up after attempts", 0});
      continue;
    }
    write_file_atomic(attempts_file, fmt::format("{}\n", attempt));
    std::vector<std::string> args{
        "--log-format",   log.json() ? "json" : "text", "convert", job->string(), "--resume",
        "--base-dir",     queue.incoming().string(),    "--out",   out.string(),  "--reel-policy",
        flags.reel_policy};
    if (!flags.catalog.empty()) args.insert(args.end(), {"--catalog", flags.catalog});
    if (!flags.driver.empty()) args.insert(args.end(), {"--driver", flags.driver});
    for (const auto& o : flags.driver_options) args.insert(args.end(), {"-O", o});
    if (!flags.profiles.empty()) args.insert(args.end(), {"--profiles", flags.profiles});
    if (flags.threads_set) args.insert(args.end(), {"--threads", std::to_string(flags.threads)});
    log.event("info", "queue_job_start", {{"queue_job", name}, {"attempt", attempt}},
              fmt::format("queue: {} (attempt {})", name, attempt));
    const ChildResult child = run_child(args, ops::QueueDir::sidecar(*job, "log"));
    const std::string reason =
        fmt::format("exit {} ({}): {}\n", child.exit_code, meaning(child.exit_code),
                    child.error.empty() ? std::string("see the log") : child.error);
    std::string state;
    if (child.exit_code == exit_ok) {
      fs::remove(attempts_file);
      queue.move_to(*job, queue.done());
      state = "done";
    } else if (child.exit_code == exit_interrupted || queue_stop.load()) {
      // Stopped cleanly after a frame: the journal resumes it on the next run.
      write_file_atomic(ops::QueueDir::sidecar(*job, "reason"), reason);
      state = "interrupted";
      rc = exit_interrupted;
    } else if (child.exit_code == exit_device) {
      // The recorder needs an operator (or comes back by itself): keep the job in running/ to
      // resume first next time, and feed no more jobs to the device now.
      write_file_atomic(ops::QueueDir::sidecar(*job, "reason"), reason);
      state = "retry";
      rc = exit_device;
    } else {
      write_file_atomic(ops::QueueDir::sidecar(*job, "reason"), reason);
      fs::remove(attempts_file);
      queue.move_to(*job, queue.failed());
      state = "failed";
      rc = child.exit_code;
    }
    outcomes.push_back({name, child.exit_code, state, child.error, child.seconds});
    log.event(state == "done" ? "info" : "error", "queue_job_end",
              {{"queue_job", name},
               {"state", state},
               {"exit_code", child.exit_code},
               {"error", child.error},
               {"seconds", child.seconds}},
              fmt::format("queue: {} {} (exit {}){}", name, state, child.exit_code,
                          child.error.empty() ? "" : ": " + child.error));
    if (state == "retry" || state == "interrupted") break;
  }
  if (queue_stop.load()) rc = exit_interrupted;

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t done = 0, failed = 0, waiting = 0;
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& o : outcomes) {
    done += o.state == "done";
    failed += o.state == "failed";
    jobs.push_back(
        {{"job", o.job}, {"state", o.state}, {"exit_code", o.exit_code}, {"error", o.error}});
  }
  waiting = ops::QueueDir::jobs_in(queue.incoming()).size() +
            ops::QueueDir::jobs_in(queue.running()).size();
  fmt::print("queue {}: {} job(s) in {:.1f} s: {} done, {} failed, {} waiting\n",
             queue.root().string(), outcomes.size(), seconds, done, failed, waiting);
  for (const auto& o : outcomes) {
    fmt::print("  {:<11} {} (exit {}){}\n", o.state, o.job, o.exit_code,
               o.error.empty() ? "" : ": " + o.error);
  }
  std::fflush(stdout);
  log.event(rc == exit_ok ? "info" : "error", "queue_summary",
            {{"queue", queue.root().string()},
             {"jobs", jobs},
             {"done", done},
             {"failed", failed},
             {"waiting", waiting},
             {"seconds", seconds},
             {"exit_code", rc}});
  return rc;
}

int run_status(const QueueFlags& flags) {
  ops::QueueDir queue(flags.dir);
  const auto holder = ops::read_lock_holder(queue.lock_file());
  if (ops::lock_held(queue.lock_file())) {
    fmt::print("queue {}: running (pid {} since {})\n", queue.root().string(), holder.pid,
               holder.since);
  } else {
    fmt::print("queue {}: idle\n", queue.root().string());
  }
  for (const auto& [label, folder] :
       std::vector<std::pair<std::string, fs::path>>{{"incoming", queue.incoming()},
                                                     {"running", queue.running()},
                                                     {"done", queue.done()},
                                                     {"failed", queue.failed()}}) {
    const auto jobs = ops::QueueDir::jobs_in(folder);
    fmt::print("{}: {}\n", label, jobs.size());
    for (const auto& job : jobs) {
      std::string reason;
      if (fs::exists(ops::QueueDir::sidecar(job, "reason"))) {
        reason = read_file(ops::QueueDir::sidecar(job, "reason"));
        if (!reason.empty() && reason.back() == '\n') reason.pop_back();
      }
      fmt::print("  {}{}\n", job.filename().string(), reason.empty() ? "" : "  " + reason);
    }
  }
  return exit_ok;
}

}  // namespace

void add_queue_commands(CLI::App& app, std::vector<Command>& commands) {
  auto* queue = app.add_subcommand("queue", "unattended operation: run the jobs of a queue folder");
  queue->require_subcommand(1);
  auto flags = std::make_shared<QueueFlags>();
  auto* run = queue->add_subcommand(
      "run", "film every job in QUEUE_DIR/incoming/, one by one, then exit (for cron)");
  run->add_option("QUEUE_DIR", flags->dir, "queue folder (incoming/, running/, done/, failed/)")
      ->required();
  run->add_option("--out", flags->out, "output folder for every job (default QUEUE_DIR/out)");
  run->add_option("--catalog", flags->catalog, "catalog file (default <out>/catalog.sqlite)");
  run->add_option("--driver", flags->driver, "recorder driver for every job");
  run->add_option("-O,--driver-option", flags->driver_options,
                  "KEY=VALUE driver option for every job, repeatable");
  run->add_option("--reel-policy", flags->reel_policy,
                  "a job resumed after a crash: continue or respool its reel")
      ->check(CLI::IsMember({"continue", "respool"}))
      ->capture_default_str();
  run->add_option("--profiles", flags->profiles, "profiles folder");
  run->add_option("--threads", flags->threads, "render threads per job");
  run->add_option("--max-attempts", flags->max_attempts,
                  "a job that keeps failing with a device error goes to failed/ after this many "
                  "runs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  commands.push_back({run, [flags, run](Context&) {
                        QueueFlags copy = *flags;
                        copy.threads_set = run->count("--threads") > 0;
                        return run_queue(copy);
                      }});
  auto* status = queue->add_subcommand("status", "jobs in each folder of a queue, and its lock");
  status->add_option("QUEUE_DIR", flags->dir, "queue folder")->required();
  commands.push_back({status, [flags](Context&) { return run_status(*flags); }});
}

}  // namespace fw::cli
