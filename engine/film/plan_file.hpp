// A plan.json written by an earlier run, read back from its job folder. The planner itself
// (film/plan.hpp) touches no file; this is where what a plan recorded is read from disk.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "film/drawn_with.hpp"

namespace fw {

// What an earlier run's plan.json recorded that the plan made now is checked against.
struct RecordedPlan {
  bool exists = false;       // there is a plan.json
  std::string filming_date;  // "" when it names none
  // The templates and fonts its frames were drawn with; empty when plan.json does not record
  // them (written before filmwriter recorded them, or by hand).
  std::optional<DrawnWith> drawn_with;
};

// Reads `plan_json`; a missing file is RecordedPlan{} (exists false). Error(job) naming the
// file when it is not JSON or its drawn_with is not as filmwriter writes it.
RecordedPlan read_recorded_plan(const std::filesystem::path& plan_json);

// The filming date a plan.json recorded ("" when there is no file or no date): a resumed job
// films with it, so that its targets are the same as the first run's. Error(job) when the file
// is not JSON.
std::string recorded_filming_date(const std::filesystem::path& plan_json);

}  // namespace fw
