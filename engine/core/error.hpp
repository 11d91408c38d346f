// Errors with context and the exit codes they map to.
//
// Every failure that reaches an operator is an fw::Error whose message already names
// where it happened (job file:line: key, source file and page, reel and frame). Code
// that adds context catches, prefixes and rethrows with `with_context`.
#pragma once

#include <stdexcept>
#include <string>

namespace fw {

enum class ErrorKind {
  usage,        // bad command line
  job,          // bad job file or profile
  input,        // a source page cannot be read or used
  device,       // the recorder failed
  qc,           // verification failed
  busy,         // another instance holds the lock
  interrupted,  // SIGINT/SIGTERM
  internal,     // a bug
};

// Process exit codes, documented in docs/operations.md#exit-codes.
enum ExitCode : int {
  exit_ok = 0,
  exit_internal = 1,
  exit_usage = 2,  // bad command line or job file
  exit_input = 3,
  exit_device = 4,
  exit_qc = 5,
  exit_busy = 6,
  exit_interrupted = 130,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

int exit_code(ErrorKind kind);
const char* to_string(ErrorKind kind);

// "context: message", keeping the kind.
Error with_context(const std::string& context, const Error& error);

}  // namespace fw
