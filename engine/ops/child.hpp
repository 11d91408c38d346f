// A child process run to its end with its output kept: stdout into a log file, stderr copied to
// the log and to our stderr (log collectors see the child's events), the child's last error
// line remembered. The queue runs each job this way, so that a job that crashes or fails
// cannot take the queue down.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace fw::ops {

struct ChildResult {
  int exit_code = 1;  // 128 + signal when killed
  std::string error;  // the child's last error message ("" when it printed none)
  double seconds = 0;
};

// Runs `executable` with `args` (argv[0] is the executable). While it runs, `*stop` turning
// true sends it SIGTERM once (it stops cleanly after its current frame). Throws Error(internal)
// when the log cannot be opened or the child not started.
ChildResult run_child(const std::filesystem::path& executable, const std::vector<std::string>& args,
                      const std::filesystem::path& log_file, const std::atomic<bool>* stop);

// The message of a filmwriter error line, in either log format, without the kind that the exit
// code already gives ("" if the line is no error).
std::string error_of(const std::string& line);

// This process's executable (/proc/self/exe).
std::filesystem::path self_executable();

}  // namespace fw::ops
