// verify: a job's developed film checked against its plan, index and sources (engine/qc), with
// the settings the job was filmed with (its recorder, profiles, calibration, catalog and the day
// its targets show), whichever way the operator named the job.
#pragma once

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

QcResult verify(const JobSettings& settings, const hal::Registry& drivers,
                const VerifyRequest& request);

}  // namespace fw::api
