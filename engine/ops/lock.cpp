#include "ops/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "base/files.hpp"
#include "base/utc.hpp"
#include "core/error.hpp"
#include "ops/log.hpp"

namespace fw::ops {
namespace {

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

}  // namespace

LockHolder read_lock_holder(const std::filesystem::path& file) {
  LockHolder holder;
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error&) {
    return holder;
  }
  // "pid 1234 since 2026-11-25T18:00:00Z host name"
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word == "pid") in >> holder.pid;
    if (word == "since") in >> holder.since;
    if (word == "host") in >> holder.host;
  }
  holder.alive = process_alive(holder.pid);
  return holder;
}

InstanceLock::InstanceLock(std::filesystem::path file) : file_(std::move(file)) {
  // Not O_CLOEXEC: see the header.
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd_ < 0) {
    throw Error(ErrorKind::storage,
                fmt::format("cannot open lock file {}: {}", file_.string(), std::strerror(errno)));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) {
      throw Error(ErrorKind::storage,
                  fmt::format("cannot lock {}: {}", file_.string(), std::strerror(error)));
    }
    const LockHolder holder = read_lock_holder(file_);
    std::string who = holder.pid ? fmt::format("pid {}", holder.pid) : std::string("a process");
    if (!holder.since.empty()) who += " since " + holder.since;
    if (!holder.host.empty() && holder.host != host_name()) who += " on " + holder.host;
    if (holder.pid && !holder.alive) {
      who += " (that process is gone; a job it started still runs and holds the lock)";
    }
    throw Error(ErrorKind::busy, fmt::format("{} is held by {}", file_.string(), who));
  }
  // The lock is ours: whoever the file names died holding it (the kernel released it).
  const LockHolder previous = read_lock_holder(file_);
  if (previous.pid && previous.pid != getpid()) taken_over_ = previous;
  const std::string text =
      fmt::format("pid {} since {} host {}\n", getpid(), utc_timestamp_now(), host_name());
  // Rewritten in place (not renamed): the lock belongs to this inode.
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) < 0) {
    throw Error(ErrorKind::storage,
                fmt::format("cannot write lock file {}: {}", file_.string(), std::strerror(errno)));
  }
  ::fdatasync(fd_);
}

InstanceLock::~InstanceLock() {
  if (fd_ < 0) return;
  // A clean exit empties the file: only a holder that died leaves its name behind.
  [[maybe_unused]] const int truncated = ::ftruncate(fd_, 0);
  ::close(fd_);
}

bool lock_held(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // A shared lock conflicts with the holder's exclusive one and writes nothing.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

}  // namespace fw::ops
