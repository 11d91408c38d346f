#include "ops/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace fw::ops {

namespace fs = std::filesystem;

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

fs::path self_executable() {
  return fs::read_symlink("/proc/self/exe");
}

ChildResult run_child(const fs::path& executable, const std::vector<std::string>& args,
                      const fs::path& log_file, const std::atomic<bool>* stop) {
  const auto start = std::chrono::steady_clock::now();
  ChildResult result;
  result.exit_code = exit_internal;
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
  const std::string self = executable.string();
  // argv is built before fork(): the child only calls async-signal-safe functions.
  std::vector<std::string> storage{self};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(storage.size() + 1);
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
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
    if (stop && stop->load() && !forwarded) {
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

}  // namespace fw::ops
