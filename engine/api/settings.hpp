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
  // Where the recorder reads its own profiles (OpenContext::profiles_dir: the sim's recorders
  // and stocks) and calibrations are looked up by name: -O profiles=DIR, else profiles_dir.
  std::filesystem::path recorder_profiles_dir;
  // The engine's settings that came as driver options (-O calibration=NAME, -O tone=X,
  // -O document_class=C, -O profiles=DIR, or the same keys in the job's [recorder.options]:
  // the older spelling), as given. resolve() takes them out of job.driver_options, so no driver
  // sees them, and puts them where the engine reads them: job.calibration and
  // recorder_profiles_dir.
  hal::DriverOptions engine_options;
};

// A recorder named without a job (calibrate): the driver, its options and the profiles folder,
// resolved as a job's are, and opened by the same open_recorder(), so that a calibration and a
// job on the same flags cannot disagree about the device or its profiles.
struct RecorderSettings {
  std::string driver = "sim";
  hal::DriverOptions options;
  std::filesystem::path profiles_dir;
  // The recorder's own profiles folder (OpenContext::profiles_dir): -O profiles=DIR; empty:
  // profiles_dir.
  std::filesystem::path recorder_profiles_dir;
};

// `options` are -O KEY=VALUE flags (Error(usage) naming --driver-option when one is not);
// `profiles` "": FILMWRITER_PROFILES or the installed profiles. -O profiles=DIR is taken as
// the recorder's own profiles folder; -O calibration, document_class and tone choose a job's
// calibration, which a recorder alone has none of: Error(usage).
RecorderSettings resolve_recorder(const std::string& driver,
                                  const std::vector<std::string>& options,
                                  const std::filesystem::path& profiles);

// Loads the job (a job file, or a scans folder in one-line mode) and applies the request.
// Errors name the job file, line and key, or the flag. The engine's keys among the driver
// options (hal::engine_option_keys) are resolved here, once: -O calibration=NAME (with
// document_class and tone) becomes job.calibration, chosen by "recorder options", and an
// Error(job) naming both when the job's calibration key or --calibration chooses too, or
// naming the option when document_class or tone comes without calibration (nothing for them
// to refine: they would not be applied);
// -O profiles=DIR becomes recorder_profiles_dir (the job's other profiles stay in
// profiles_dir, as they always did). The site: --site, else the job's `site`
// key, else the site the job started with (its journal's start record), else FILMWRITER_SITE.
JobSettings resolve(const JobRequest& request);

// The site of a job that neither --site nor its `site` key names: the one its journal in
// `job_dir` started with, else FILMWRITER_SITE (Error(usage) when that is not a site), else "".
std::string default_site(const std::filesystem::path& job_dir);

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

// What `verify` names: as locate_job, and a job file (or scans folder) whose job has run (its
// output folder, found through the job and the flags, holds journal.jsonl) resolves to the
// request convert recorded there, so that `verify job.toml --id X` after `convert job.toml
// --reduction 20 --id X` checks the film as it was made. A flag that contradicts the recorded
// setting is refused (Error(usage) naming the key and both values), and so is a job file other
// than the one the job was filmed from.
struct LocatedJob {
  JobRequest request;
  // The journal the settings were taken from when a job file or scans folder named the job;
  // "" otherwise (the flags' own request, or an output folder, which names its journal itself).
  std::filesystem::path journal;
  std::string recorded_flags;  // convert's flags as it recorded them (flags_text), with journal
};
LocatedJob locate_job_as_run(const std::filesystem::path& named, const JobRequest& flags);

// The flags a request carries, as a command line would give them ("--reduction 20 --id X").
std::string flags_text(const JobRequest& request);

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
