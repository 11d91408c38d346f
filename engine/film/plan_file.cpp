// A plan.json on disk read back (film/plan_file.hpp).
#include "film/plan_file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "core/error.hpp"

namespace fw {

std::string recorded_filming_date(const std::filesystem::path& plan_json) {
  if (!std::filesystem::is_regular_file(plan_json)) return "";
  try {
    const auto json = nlohmann::json::parse(read_file(plan_json));
    const auto date = json.find("filming_date");
    return date != json.end() && date->is_string() ? date->get<std::string>() : "";
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::job, fmt::format("{}: {}", plan_json.string(), e.what()));
  }
}

}  // namespace fw
