// The job queue for unattended operation (cron): a folder with
//   incoming/  job files dropped by the operator (*.toml; hidden files are ignored, so write
//              `.name.toml` and rename it when complete)
//   running/   the job being filmed (and any left by an instance that died)
//   done/      finished jobs, with NAME.log (the job's output)
//   failed/    jobs that failed, with NAME.log and NAME.reason (exit code and error)
//   queue.lock held by the running instance (see ops/lock.hpp)
//   out/       the jobs' output and catalog.sqlite, unless `queue run --out` says otherwise
// Order: jobs left in running/ first (they resume from their journals), then incoming/ in
// natural order of the file name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fw::ops {

class QueueDir {
 public:
  // Creates the folders if needed. Error(usage) when `root` exists and is not a folder.
  explicit QueueDir(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path incoming() const { return root_ / "incoming"; }
  std::filesystem::path running() const { return root_ / "running"; }
  std::filesystem::path done() const { return root_ / "done"; }
  std::filesystem::path failed() const { return root_ / "failed"; }
  std::filesystem::path lock_file() const { return root_ / "queue.lock"; }

  // Job files in `folder`, in natural order of their names.
  static std::vector<std::filesystem::path> jobs_in(const std::filesystem::path& folder);

  // The next job to run, moved into running/ if it came from incoming/; nullopt when empty.
  std::optional<std::filesystem::path> take_next();

  // Moves a job file from running/ into `folder` with its sidecars (NAME.log, NAME.reason,
  // NAME.attempts); a name already taken there gets "-2", "-3", ... Returns the new path.
  std::filesystem::path move_to(const std::filesystem::path& job,
                                const std::filesystem::path& folder) const;

  // NAME.log, NAME.reason and NAME.attempts beside a job file.
  static std::filesystem::path sidecar(const std::filesystem::path& job, const std::string& ext);

 private:
  std::filesystem::path root_;
};

}  // namespace fw::ops
