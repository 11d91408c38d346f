// One instance at a time: an exclusive flock(2) on a lock file. The kernel drops the lock when
// its holder dies (kill -9, power loss included), so a lock left by a dead process is stale
// by construction and the next instance takes it over; the file itself only says who held it
// last (pid, since when), for the "busy" message.
#pragma once

#include <filesystem>
#include <string>

namespace fw::ops {

struct LockHolder {
  long pid = 0;
  std::string since;  // UTC, ISO 8601
  std::string host;
  bool alive = false;  // a process with that pid exists now
};

// What the lock file says about its last holder (pid 0 when it says nothing usable).
LockHolder read_lock_holder(const std::filesystem::path& file);

// True while some process holds the lock (takes nothing, writes nothing).
bool lock_held(const std::filesystem::path& file);

class InstanceLock {
 public:
  // Takes the lock or throws Error(busy) naming the holder. The descriptor is inherited by
  // child processes on purpose: a job the holder started keeps the lock until it ends, even
  // if the holder itself is killed, so that no second instance runs the same job.
  explicit InstanceLock(std::filesystem::path file);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  // The previous holder when its lock was stale (it died holding it); pid 0 otherwise.
  const LockHolder& taken_over() const { return taken_over_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  int fd_ = -1;
  LockHolder taken_over_;
};

}  // namespace fw::ops
