// Exit codes for the kinds of fw::Error (base/error.hpp).
#pragma once

#include "base/error.hpp"

namespace fw {

// Process exit codes, documented in docs/operations.md#exit-codes.
enum ExitCode : int {
  exit_ok = 0,
  exit_internal = 1,
  exit_usage = 2,  // bad command line or job file
  exit_input = 3,
  exit_device = 4,
  exit_qc = 5,
  exit_busy = 6,
  exit_due = 7,      // not an error: `inspect due` found reels due for a vault inspection
  exit_storage = 8,  // the output, the catalog or a lock cannot be written or read
  exit_interrupted = 130,
};

int exit_code(ErrorKind kind);
// What a filmwriter process's exit code says ("done", "input error", ...), for the queues'
// reasons.
const char* exit_meaning(int code);
const char* to_string(ErrorKind kind);

}  // namespace fw
