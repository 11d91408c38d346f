// The queue several recorder hosts share: a table `filmwriter_queue` in a PostgreSQL database
// (a postgresql:// URL; it may be the shared catalog's own). Each host runs workers (`queue run
// URL`), each bound to its recorder (--driver, -O); a worker claims the next job with SELECT
// ... FOR UPDATE SKIP LOCKED, so no two workers take the same job, and holds it by a lease it
// renews while the job runs. A worker that dies (kill -9, a host that loses power) stops
// renewing: once its lease has expired another worker claims the job and resumes it from its
// journal, which is why job files and outputs must be on storage every host sees (--out).
// The folder queue (api/queue.hpp) stays for a single host.
//
// States: queued -> running (worker, lease) -> done | failed, or back to queued when the run
// was interrupted, its device failed, another process held the job or the catalog's server
// went away (the worker then stops, as the folder queue does on a device error). A job claimed more
// than max_attempts times fails ("gave up").
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api/queue.hpp"

namespace fw::api {

// The settings every job gets are the folder queue's (QueueJobSettings; a catalog of "": the
// jobs' own, else FILMWRITER_CATALOG, else <out>/).
struct SharedQueueOptions : QueueJobSettings {
  std::string url;            // the queue's database
  std::filesystem::path out;  // the jobs' output folder, on shared storage (required)
  int max_attempts = 3;
  double lease_s = 60;  // renewed every lease_s / 3 while a job runs
  const std::atomic<bool>* stop = nullptr;
};

// Adds job files (made absolute: every worker must see the same path) under their file names.
// Error(usage) when a name is in the queue already (naming its state).
std::vector<std::string> submit_shared_jobs(const std::string& url,
                                            const std::vector<std::filesystem::path>& files);

// Claims and runs jobs until none can be claimed, a device error, busy or a stop. Logs
// queue_start, queue_job_start, queue_job_end as the folder queue does.
QueueResult run_shared_queue(const SharedQueueOptions& options, JobRunner& runner);

// `queue run QUEUE`: a postgresql:// URL names a shared queue (run_shared_queue, with the
// options and `lease_s`), anything else a queue folder (run_queue, without a lease).
QueueResult run_named_queue(const QueueOptions& options, double lease_s, JobRunner& runner);

struct SharedQueueJob {
  std::string name;
  std::filesystem::path file;
  std::string state;  // queued | running | done | failed
  int attempts = 0;
  std::string worker;       // host:pid of the last worker that claimed it
  std::string lease_until;  // UTC, while running ("" otherwise)
  bool lease_expired = false;
  std::string reason;
};

// Every job, by state (queued, running, done, failed), then in submission order.
std::vector<SharedQueueJob> shared_queue_status(const std::string& url);

}  // namespace fw::api
