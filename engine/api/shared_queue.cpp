#include "api/shared_queue.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/queue_outcome.hpp"
#include "catalog/catalog.hpp"
#include "catalog/database.hpp"
#include "core/error.hpp"
#include "ops/log.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

// The key of the advisory lock under which a worker creates the table (an arbitrary constant).
constexpr std::int64_t kQueueSchemaLock = 0x66772d7175657565;  // "fw-queue"

std::unique_ptr<db::Connection> open_queue(const std::string& url) {
  if (!db::is_url(url)) {
    throw Error(ErrorKind::usage,
                fmt::format("{}: a shared queue is a postgresql:// URL", db::redact(url)));
  }
  auto db = db::open(url, false);
  db::Transaction transaction(*db);
  db->prepare("SELECT pg_advisory_xact_lock(?1)")->bind(1, kQueueSchemaLock).run();
  db->exec(R"sql(
CREATE TABLE IF NOT EXISTS filmwriter_queue(
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  job_file TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  worker TEXT NOT NULL DEFAULT '',
  lease_until TIMESTAMPTZ,
  reason TEXT NOT NULL DEFAULT '',
  submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS filmwriter_queue_by_state ON filmwriter_queue(state, id);
)sql");
  transaction.commit();
  return db;
}

std::string worker_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}", host, getpid());
}

// Renews the lease of job `id` every lease_s / 3 on its own connection until destroyed. A
// renewal that fails (the server restarting) is tried again at the next tick; the lease is
// long enough for a few.
class Heartbeat {
 public:
  Heartbeat(const std::string& url, std::int64_t id, std::string worker, double lease_s)
      : thread_([this, url, id, worker = std::move(worker), lease_s] {
          std::unique_lock lock(mutex_);
          const auto tick = std::chrono::duration<double>(lease_s / 3);
          while (!cv_.wait_for(lock, tick, [this] { return done_; })) {
            try {
              if (!db_) db_ = db::open(url, false);
              auto renew = db_->prepare(
                  "UPDATE filmwriter_queue SET lease_until = now() + make_interval(secs => ?3), "
                  "updated_at = now() WHERE id = ?1 AND worker = ?2 AND state = 'running'");
              renew->bind(1, id).bind(2, worker).bind(3, lease_s).run();
            } catch (const Error& e) {
              db_.reset();
              ops::Log::global().event("warning", "queue_lease", {{"error", e.what()}},
                                       fmt::format("queue: lease not renewed: {}", e.what()));
            }
          }
        }) {}
  ~Heartbeat() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::unique_ptr<db::Connection> db_;
  std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace

std::vector<std::string> submit_shared_jobs(const std::string& url,
                                            const std::vector<fs::path>& files) {
  auto db = open_queue(url);
  std::vector<std::string> names;
  db::Transaction transaction(*db);
  for (const auto& file : files) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      throw Error(ErrorKind::usage, fmt::format("{}: no such job file", file.string()));
    }
    const std::string name = file.filename().string();
    auto existing = db->prepare("SELECT state FROM filmwriter_queue WHERE name = ?1");
    existing->bind(1, name);
    if (existing->step()) {
      throw Error(ErrorKind::usage, fmt::format("{}: a job named {} is in the queue already ({})",
                                                file.string(), name, existing->text(0)));
    }
    db->prepare("INSERT INTO filmwriter_queue(name, job_file) VALUES (?1, ?2)")
        ->bind(1, name)
        .bind(2, fs::absolute(file).lexically_normal().string())
        .run();
    names.push_back(name);
  }
  transaction.commit();
  return names;
}

QueueResult run_named_queue(const QueueOptions& options, double lease_s, JobRunner& runner) {
  if (!is_catalog_url(options.dir)) return run_queue(options, runner);
  SharedQueueOptions shared;
  static_cast<QueueJobSettings&>(shared) = options;
  shared.url = options.dir.string();
  shared.out = options.out;
  shared.max_attempts = options.max_attempts;
  shared.lease_s = lease_s;
  shared.stop = options.stop;
  return run_shared_queue(shared, runner);
}

QueueResult run_shared_queue(const SharedQueueOptions& options, JobRunner& runner) {
  if (options.out.empty()) {
    throw Error(ErrorKind::usage,
                "queue run: a shared queue needs --out, a folder on storage every host sees");
  }
  auto& log = ops::Log::global();
  auto db = open_queue(options.url);
  const std::string worker = worker_name();
  const fs::path out = fs::absolute(options.out);
  const auto start = std::chrono::steady_clock::now();
  QueueResult result;
  result.root = db->name();
  result.exit_code = exit_ok;
  log.event("info", "queue_start",
            {{"queue", db->name()}, {"out", out.string()}, {"worker", worker}});
  auto stopped = [&] { return options.stop && options.stop->load(); };
  while (!stopped()) {
    // The next job: one whose worker's lease expired first (it resumes), else the oldest
    // queued. SKIP LOCKED: a job another worker is claiming right now is not waited for.
    auto claim = db->prepare(
        "UPDATE filmwriter_queue SET state = 'running', worker = ?1, attempts = attempts + 1, "
        "lease_until = now() + make_interval(secs => ?2), updated_at = now() WHERE id = (SELECT "
        "id FROM filmwriter_queue WHERE state = 'queued' OR (state = 'running' AND lease_until "
        "< now()) ORDER BY state DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, name, "
        "job_file, attempts, reason");
    claim->bind(1, worker).bind(2, options.lease_s);
    if (!claim->step()) break;
    const std::int64_t id = claim->integer(0);
    const std::string name = claim->text(1);
    const fs::path file = claim->text(2);
    const int attempt = static_cast<int>(claim->integer(3));
    const std::string last_reason = claim->text(4);
    claim.reset();
    auto finish = [&](const char* state, const std::string& reason) {
      auto record = [&] {
        auto update = db->prepare(
            "UPDATE filmwriter_queue SET state = ?3, reason = ?4, lease_until = NULL, "
            "updated_at = now() WHERE id = ?1 AND worker = ?2");
        update->bind(1, id).bind(2, worker).bind(3, state).bind(4, reason).run();
      };
      try {
        record();
      } catch (const Error& e) {
        // The server restarted while the job ran (the job itself may have stopped for that):
        // a new connection records the outcome, else the job waits for its lease to expire.
        if (std::string(e.what()).find(db::kConnectionLost) == std::string::npos) throw;
        db = open_queue(options.url);
        record();
      }
      if (db->changes() == 0) {
        log.event("warning", "queue_lease", {{"queue_job", name}},
                  fmt::format("queue: {}: the lease expired and another worker has the job; "
                              "its state is theirs to record",
                              name));
      }
    };
    if (attempt > options.max_attempts) {
      finish("failed", fmt::format("gave up after {} attempts; last: {}", options.max_attempts,
                                   last_reason.empty() ? "(no reason recorded)" : last_reason));
      result.outcomes.push_back(
          {name, exit_device, QueueJobState::failed, "gave up after attempts", 0});
      continue;
    }
    log.event("info", "queue_job_start",
              {{"queue_job", name}, {"attempt", attempt}, {"worker", worker}},
              fmt::format("queue: {} (attempt {}) on {}", name, attempt, worker));
    const fs::path log_file = out / "queue-logs" / (file.stem().string() + ".log");
    fs::create_directories(log_file.parent_path());
    ops::ChildResult child;
    {
      const Heartbeat heartbeat(options.url, id, worker, options.lease_s);
      child = runner.run(
          {name, file, attempt, log_file, queued_convert_arguments(file, {}, out, options)});
    }
    const std::string reason = fmt::format(
        "exit {} ({}) on {}: {}", child.exit_code, exit_meaning(child.exit_code), worker,
        child.error.empty() ? std::string("see ") + log_file.string() : child.error);
    QueueJobState state;
    if (child.exit_code == exit_ok) {
      finish("done", "");
      state = QueueJobState::done;
    } else if (child.exit_code == exit_interrupted || stopped()) {
      finish("queued", reason);
      state = QueueJobState::interrupted;
      result.exit_code = exit_interrupted;
    } else if (child.exit_code == exit_device || child.exit_code == exit_busy ||
               child.error.find(db::kConnectionLost) != std::string::npos ||
               child.error.find(db::kCannotConnect) != std::string::npos) {
      // This worker's recorder needs an operator, another process holds the job, or the
      // catalog's server went away (restarting): the job waits for the next worker, which
      // resumes it from its journal, and this one takes no more.
      finish("queued", reason);
      state = QueueJobState::retry;
      result.exit_code = child.exit_code;
    } else {
      finish("failed", reason);
      state = QueueJobState::failed;
      result.exit_code = child.exit_code;
    }
    record_outcome(result, name, child, state);
    if (state == QueueJobState::retry || state == QueueJobState::interrupted) break;
  }
  if (stopped()) result.exit_code = exit_interrupted;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  count_outcomes(result);
  auto waiting =
      db->prepare("SELECT count(*) FROM filmwriter_queue WHERE state IN ('queued', 'running')");
  waiting->step();
  result.waiting = static_cast<std::size_t>(waiting->integer(0));
  return result;
}

std::vector<SharedQueueJob> shared_queue_status(const std::string& url) {
  auto db = open_queue(url);
  auto select = db->prepare(
      "SELECT name, job_file, state, attempts, worker, COALESCE(to_char(lease_until AT TIME ZONE "
      "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), COALESCE(lease_until < now(), false), "
      "reason FROM filmwriter_queue ORDER BY CASE state WHEN 'queued' THEN 0 WHEN 'running' "
      "THEN 1 WHEN 'done' THEN 2 ELSE 3 END, id");
  std::vector<SharedQueueJob> out;
  while (select->step()) {
    out.push_back({select->text(0), select->text(1), select->text(2),
                   static_cast<int>(select->integer(3)), select->text(4), select->text(5),
                   select->integer(6) != 0, select->text(7)});
  }
  return out;
}

}  // namespace fw::api
