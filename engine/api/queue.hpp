// queue run | status: unattended operation from cron over a queue folder (ops/queue.hpp). One
// instance at a time per queue folder (Error(busy) otherwise); each job runs through a
// JobRunner, by default a child `filmwriter convert --resume`, so that a job that crashes or
// fails cannot take the queue down, and a job interrupted by anything (kill -9 of the queue
// included) resumes from its journal on the next run.
//
// The state machine, per job taken from the queue (NAME.attempts counts its runs):
//   exit 0                  -> done/                       (done)
//   interrupted, or a stop  -> stays in running/ (reason)  (interrupted; the queue stops)
//   device error            -> stays in running/ (reason)  (retry; the queue stops, the device
//                              needs an operator or comes back by itself)
//   any other error         -> failed/ (reason)            (failed; the queue goes on)
//   more than max_attempts  -> failed/ "gave up after N attempts; last: ..." without a run
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "catalog/keeper.hpp"
#include "catalog/resume.hpp"
#include "ops/child.hpp"
#include "ops/lock.hpp"

namespace fw::api {

// How one run of a queued job ended.
enum class QueueJobState { done, failed, retry, interrupted };
const char* to_string(QueueJobState state);  // "done", "failed", "retry", "interrupted"

// The folders a queued job passes through.
enum class QueueFolder { incoming, running, done, failed };
const char* to_string(QueueFolder folder);  // "incoming", ...

// What a queue passes on to every job it runs (the flags of `queue run` that reach each job's
// convert), alike for the folder queue and the shared one (api/shared_queue.hpp).
struct QueueJobSettings {
  std::filesystem::path catalog;  // "": the jobs' own (<out>/catalog.sqlite unless they say)
  std::string driver;             // "": each job's own
  std::vector<std::string> driver_options;  // KEY=VALUE for every job
  ReelPolicy reel_policy = ReelPolicy::continue_reel;
  std::filesystem::path profiles;  // "": the default
  std::optional<unsigned> threads;
};

// filmwriter's arguments for one run of a queued job, the one list both queues build: resume
// `job` from its journal into `out` with the queue's `settings`, in the log format of this
// process. The job's relative paths start from `base_dir` (the folder queue's incoming/, where
// the job file was dropped before it moved to running/), or from the job file's own folder when
// `base_dir` is empty (the shared queue: its job files stay where they were submitted).
std::vector<std::string> queued_convert_arguments(const std::filesystem::path& job,
                                                  const std::filesystem::path& base_dir,
                                                  const std::filesystem::path& out,
                                                  const QueueJobSettings& settings);

struct QueueOptions : QueueJobSettings {
  std::filesystem::path dir;  // the queue folder
  std::filesystem::path out;  // "": QUEUE_DIR/out
  int max_attempts = 3;       // a job still failing after this many runs goes to failed/
  const std::atomic<bool>* stop = nullptr;  // SIGINT/SIGTERM: no further job; the running one
                                            // is told to stop (by the runner)
};

// One run of a queued job, as the runner gets it.
struct QueueJob {
  std::string name;                    // the job file's name
  std::filesystem::path file;          // in running/
  int attempt = 1;                     // 1-based
  std::filesystem::path log;           // NAME.log beside the job file
  std::vector<std::string> arguments;  // filmwriter's arguments: convert JOB --resume ...
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  virtual ops::ChildResult run(const QueueJob& job) = 0;
};

// Runs the job as a child filmwriter (`executable`, by default this process's own) with the
// job's arguments, its output into the job's log; a stop is passed on as SIGTERM.
class ChildProcessRunner final : public JobRunner {
 public:
  explicit ChildProcessRunner(const std::atomic<bool>* stop,
                              std::filesystem::path executable = ops::self_executable())
      : stop_(stop), executable_(std::move(executable)) {}
  ops::ChildResult run(const QueueJob& job) override;

 private:
  const std::atomic<bool>* stop_;
  std::filesystem::path executable_;
};

struct QueueOutcome {
  std::string job;
  int exit_code = 0;
  QueueJobState state = QueueJobState::done;
  std::string error;
  double seconds = 0;
};

struct QueueResult {
  std::filesystem::path root;
  std::vector<QueueOutcome> outcomes;             // in the order the jobs ran
  std::size_t done = 0, failed = 0, waiting = 0;  // waiting: in incoming/ and running/ now
  double seconds = 0;
  int exit_code = 0;  // the queue's: 0, or the last job's error, or interrupted
};

// Runs the queue's jobs one by one until it is empty, a job needs the device (retry), or a
// stop. Logs queue_start, queue_job_start and queue_job_end through ops::Log.
QueueResult run_queue(const QueueOptions& options, JobRunner& runner);

// The queue_summary event (after the CLI printed the summary).
void log_queue_summary(const QueueResult& result);

struct QueueStatus {
  std::filesystem::path root;
  std::optional<ops::LockHolder> running;  // the instance holding the lock, if one does
  struct Job {
    std::string name;
    std::string reason;  // NAME.reason without its final newline ("" when none)
  };
  std::vector<std::pair<QueueFolder, std::vector<Job>>> folders;  // incoming, running, done,
                                                                  // failed
};

QueueStatus queue_status(const std::filesystem::path& dir);

}  // namespace fw::api
