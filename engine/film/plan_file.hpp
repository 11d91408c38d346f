// A plan.json written by an earlier run, read back from its job folder. The planner itself
// (film/plan.hpp) touches no file; this is where what a plan recorded is read from disk.
#pragma once

#include <filesystem>
#include <string>

namespace fw {

// The filming date a plan.json recorded ("" when there is no file or no date): a resumed job
// films with it, so that its targets are the same as the first run's. Error(job) when the file
// is not JSON.
std::string recorded_filming_date(const std::filesystem::path& plan_json);

}  // namespace fw
