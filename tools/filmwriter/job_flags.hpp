// The flags that name a job and replace its keys, shared by every command that works on a job
// (convert, plan, verify): parsed here into an api::JobRequest, checked by the engine.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "api/request.hpp"

namespace fw::cli {

struct JobFlags {
  std::string source;  // job file, scans folder, or a job's output folder
  JobOverrides overrides;
  std::string mode, polarity, oversize;
  bool reel_contents = false;
  std::vector<std::string> driver_options;  // KEY=VALUE
  std::string profiles;
  std::string base_dir;
  std::string catalog;

  // The request the flags make (mode, polarity, oversize and -O parsed; errors name the flag).
  api::JobRequest request() const;
};

// JOB and the job-key flags; `what` describes JOB in the help.
void add_job_flags(CLI::App& cmd, JobFlags& flags, const std::string& what);

// --profiles, as every command that reads profiles takes it ("" for the default).
template <typename Folder>
CLI::Option* add_profiles_option(CLI::App& cmd, Folder& profiles) {
  return cmd.add_option("--profiles", profiles,
                        "profiles folder (default: FILMWRITER_PROFILES or the installed profiles)");
}

}  // namespace fw::cli
