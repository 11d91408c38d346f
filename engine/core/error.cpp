#include "core/error.hpp"

namespace fw {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::job:
      return exit_usage;
    case ErrorKind::input:
      return exit_input;
    case ErrorKind::device:
      return exit_device;
    case ErrorKind::qc:
      return exit_qc;
    case ErrorKind::busy:
      return exit_busy;
    case ErrorKind::interrupted:
      return exit_interrupted;
    case ErrorKind::storage:
      return exit_storage;
    case ErrorKind::internal:
      return exit_internal;
  }
  return exit_internal;
}

const char* exit_meaning(int code) {
  switch (code) {
    case exit_ok:
      return "done";
    case exit_usage:
      return "job error";
    case exit_input:
      return "input error";
    case exit_device:
      return "device error";
    case exit_qc:
      return "QC failure";
    case exit_busy:
      return "busy";
    case exit_storage:
      return "storage error";
    case exit_interrupted:
      return "interrupted";
    default:
      return "internal error";
  }
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
      return "usage error";
    case ErrorKind::job:
      return "job error";
    case ErrorKind::input:
      return "input error";
    case ErrorKind::device:
      return "device error";
    case ErrorKind::qc:
      return "QC failure";
    case ErrorKind::busy:
      return "busy";
    case ErrorKind::interrupted:
      return "interrupted";
    case ErrorKind::storage:
      return "storage error";
    case ErrorKind::internal:
      return "internal error";
  }
  return "error";
}

}  // namespace fw
