// A plan.json on disk read back (film/plan_file.hpp).
#include "film/plan_file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "core/error.hpp"

namespace fw {

RecordedPlan read_recorded_plan(const std::filesystem::path& plan_json) {
  RecordedPlan recorded;
  if (!std::filesystem::is_regular_file(plan_json)) return recorded;
  recorded.exists = true;
  try {
    const auto json = nlohmann::json::parse(read_file(plan_json));
    const auto date = json.find("filming_date");
    if (date != json.end() && date->is_string()) recorded.filming_date = date->get<std::string>();
    if (const auto drawn = json.find("drawn_with"); drawn != json.end()) {
      recorded.drawn_with = drawn_with_from_json(*drawn);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::job, fmt::format("{}: {}", plan_json.string(), e.what()));
  }
  return recorded;
}

std::string recorded_filming_date(const std::filesystem::path& plan_json) {
  return read_recorded_plan(plan_json).filming_date;
}

}  // namespace fw
