// verify: a job's developed film checked against its plan, index and sources (engine/qc), with
// the settings the job was filmed with (its recorder, profiles, calibration, catalog and the day
// its targets show), whichever way the operator named the job.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "api/settings.hpp"
#include "qc/qc.hpp"

namespace fw::api {

struct VerifyRequest {
  std::string qc_profile = "standard";  // profiles/qc/NAME.toml or a .toml file
  bool report = true;                   // report.html beside qc.json
  std::function<void(const VerifyProgress&)> on_progress;
};

// The settings verify checks the film of the job `named` with (a job file, a scans folder with
// convert's flags, or the job's output folder: locate_job_as_run), resolved. When a job file
// or scans folder names a job that has run, its settings are the ones convert recorded in its
// journal, and a verify_settings event (info) says so, naming the journal and convert's flags.
JobSettings verify_settings(const std::filesystem::path& named, const JobRequest& flags);

QcResult verify(const JobSettings& settings, const hal::Registry& drivers,
                const VerifyRequest& request);

}  // namespace fw::api
