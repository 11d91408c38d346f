#include "film/drawn_with.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "base/sha256.hpp"

namespace fw {
namespace {

nlohmann::ordered_json file_json(const DrawnFile& file) {
  return {{"file", file.file}, {"sha256", file.sha256}};
}

DrawnFile file_from_json(const nlohmann::json& json) {
  return {json.at("file").get<std::string>(), json.at("sha256").get<std::string>()};
}

// Every recorded file with its role, in plan.json's order.
std::vector<std::pair<std::string, const DrawnFile*>> with_roles(const DrawnWith& drawn) {
  std::vector<std::pair<std::string, const DrawnFile*>> out;
  for (const DrawnFile& file : drawn.templates) out.emplace_back("template", &file);
  if (!drawn.font_set.file.empty()) out.emplace_back("font set", &drawn.font_set);
  for (const DrawnFile& file : drawn.fonts) out.emplace_back("font", &file);
  return out;
}

}  // namespace

std::string drawn_file_name(const std::filesystem::path& file) {
  return std::filesystem::absolute(file).lexically_normal().generic_string();
}

nlohmann::ordered_json drawn_with_json(const DrawnWith& drawn) {
  nlohmann::ordered_json templates = nlohmann::ordered_json::array();
  for (const DrawnFile& file : drawn.templates) templates.push_back(file_json(file));
  nlohmann::ordered_json fonts = nlohmann::ordered_json::array();
  for (const DrawnFile& file : drawn.fonts) fonts.push_back(file_json(file));
  return {{"templates", templates}, {"font_set", file_json(drawn.font_set)}, {"fonts", fonts}};
}

DrawnWith drawn_with_from_json(const nlohmann::json& json) {
  DrawnWith drawn;
  for (const auto& file : json.at("templates")) drawn.templates.push_back(file_from_json(file));
  drawn.font_set = file_from_json(json.at("font_set"));
  for (const auto& file : json.at("fonts")) drawn.fonts.push_back(file_from_json(file));
  return drawn;
}

std::vector<DrawnChange> changed_on_disk(const DrawnWith& recorded) {
  std::vector<DrawnChange> changes;
  for (const auto& [role, file] : with_roles(recorded)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file->file, ec)) {
      changes.push_back({role, file->file, file->sha256, "", true});
      continue;
    }
    const std::string now = sha256_file(file->file);
    if (now != file->sha256) changes.push_back({role, file->file, file->sha256, now, false});
  }
  return changes;
}

std::vector<DrawnChange> changed_between(const DrawnWith& recorded, const DrawnWith& now) {
  std::map<std::string, std::string> now_files;
  for (const auto& [role, file] : with_roles(now))
    now_files[role + '\n' + file->file] = file->sha256;
  std::vector<DrawnChange> changes;
  for (const auto& [role, file] : with_roles(recorded)) {
    const auto found = now_files.find(role + '\n' + file->file);
    if (found == now_files.end()) {
      std::error_code ec;
      changes.push_back(
          {role, file->file, file->sha256, "", !std::filesystem::exists(file->file, ec)});
      continue;
    }
    if (found->second != file->sha256) {
      changes.push_back({role, file->file, file->sha256, found->second, false});
    }
    now_files.erase(found);
  }
  // Drawn with now but not then: another template set or font chain.
  for (const auto& [role, file] : with_roles(now)) {
    if (now_files.count(role + '\n' + file->file)) {
      changes.push_back({role, file->file, "", file->sha256, false});
    }
  }
  return changes;
}

std::string short_sha256(const std::string& sha256) {
  return sha256.size() > 12 ? sha256.substr(0, 12) + "…" : sha256;
}

std::string describe(const DrawnChange& change, const std::string& since) {
  if (change.planned_sha256.empty()) {
    return fmt::format("{} {} is drawn with now, not when {} (sha256 {})", change.role, change.file,
                       since, short_sha256(change.now_sha256));
  }
  if (change.missing) {
    return fmt::format("{} {} is missing, not as when {} (sha256 {})", change.role, change.file,
                       since, short_sha256(change.planned_sha256));
  }
  if (change.now_sha256.empty()) {
    return fmt::format("{} {} is no longer drawn with, as it was when {} (sha256 {})", change.role,
                       change.file, since, short_sha256(change.planned_sha256));
  }
  return fmt::format("{} {} changed since {} (sha256 {} → {})", change.role, change.file, since,
                     short_sha256(change.planned_sha256), short_sha256(change.now_sha256));
}

}  // namespace fw
