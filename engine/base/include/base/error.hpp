// The one error type of filmwriter: a kind (what went wrong, which decides the exit code, see
// core/error.hpp) and a message that already names where it happened (job file:line: key,
// source file and page, reel and frame). Code that adds context catches, prefixes and
// rethrows with `with_context`. Drivers report hal::DeviceError instead and turn the Errors
// of base functions into one.
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
  storage,      // the output, the catalog or a lock cannot be written or read (the message
                // names the path): a full disk, a file where a folder should be, permissions
  internal,     // a bug
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// "context: message", keeping the kind.
Error with_context(const std::string& context, const Error& error);

}  // namespace fw
