// Every setting of a job, resolved once: the job file or scans folder, the flags, the profiles
// folder, the catalog, the recorder and its options. Every operation (plan, convert, resume,
// verify, catalog, inspect, queue) starts from the same immutable value, so no two commands
// can disagree about where a job's profiles, calibration or catalog are.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/request.hpp"
#include "hal/recorder.hpp"
#include "hal/registry.hpp"
#include "job/job.hpp"
#include "ops/lock.hpp"

namespace fw::api {

struct JobSettings {
  JobRequest request;
  Job job;
  std::filesystem::path profiles_dir;
  std::filesystem::path catalog_file;  // request.catalog, else the job's key, else <output>/
  std::filesystem::path job_dir;       // <output>/<id>: plan.json, journal.jsonl, the reels
};

// A recorder named without a job (calibrate): the driver, its options and the profiles folder,
// resolved as a job's are, and opened by the same open_recorder(), so that a calibration and a
// job on the same flags cannot disagree about the device or its profiles.
struct RecorderSettings {
  std::string driver = "sim";
  hal::DriverOptions options;
  std::filesystem::path profiles_dir;
};

// `options` are -O KEY=VALUE flags (Error(usage) naming --driver-option when one is not);
// `profiles` "": FILMWRITER_PROFILES or the installed profiles.
RecorderSettings resolve_recorder(const std::string& driver,
                                  const std::vector<std::string>& options,
                                  const std::filesystem::path& profiles);

// Loads the job (a job file, or a scans folder in one-line mode) and applies the request.
// Errors name the job file, line and key, or the flag.
JobSettings resolve(const JobRequest& request);

// The recorder the job names, opened with its options. A driver that refuses its options is a
// job error (exit 2); one that cannot be reached, a device error (exit 4).
std::unique_ptr<hal::Recorder> open_recorder(const JobSettings& settings,
                                             const hal::Registry& drivers);
std::unique_ptr<hal::Recorder> open_recorder(const RecorderSettings& settings,
                                             const hal::Registry& drivers);

// What an operator may name to mean a job that ran: the job file, the job's output folder
// (<out>/<id>, which holds journal.jsonl), or an --out folder holding one job. A scans folder
// names a one-line job. For an output folder the request comes from the job's journal, as
// convert recorded it: `flags` must then name no job key (Error(usage) naming the flag), for the
// output's own settings are the ones its film was made with.
JobRequest locate_job(const std::filesystem::path& named, const JobRequest& flags);

// The jobs (their output folders) under an --out folder, in name order.
std::vector<std::filesystem::path> jobs_in_output(const std::filesystem::path& out);

// The one writer of a job's output folder: convert (new, --resume, --overwrite), plan and
// verify hold it while they write there; a second one gets Error(busy) (exit 6) naming the
// job and the holder. The lock file sits beside the job's folder (<out>/.<id>.lock), for
// --overwrite removes the folder itself.
std::unique_ptr<ops::InstanceLock> lock_job(const std::filesystem::path& job_dir);

// The request a job's journal recorded when it started ({} when it has none).
JobRequest recorded_request(const std::filesystem::path& job_dir);

}  // namespace fw::api
