#include "api/request.hpp"

#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "hal/registry.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

std::string absolute_text(const fs::path& path) {
  return path.empty() ? std::string() : fs::absolute(path).lexically_normal().string();
}

template <typename T>
void put(nlohmann::ordered_json& json, const char* key, const std::optional<T>& value) {
  if (value) json[key] = *value;
}

template <typename T>
void get(const nlohmann::json& json, const char* key, std::optional<T>& value) {
  if (json.contains(key)) value = json.at(key).get<T>();
}

}  // namespace

nlohmann::ordered_json JobRequest::to_json() const {
  nlohmann::ordered_json json = {{"source", absolute_text(source)}};
  nlohmann::ordered_json o = nlohmann::ordered_json::object();
  if (overrides.output) o["output"] = absolute_text(*overrides.output);
  put(o, "driver", overrides.driver);
  put(o, "threads", overrides.threads);
  put(o, "format", overrides.format);
  put(o, "reduction", overrides.reduction);
  if (overrides.mode) o["mode"] = to_string(*overrides.mode);
  if (overrides.polarity) o["polarity"] = to_string(*overrides.polarity);
  if (overrides.oversize) o["oversize"] = to_string(*overrides.oversize);
  put(o, "dpi", overrides.dpi);
  put(o, "id", overrides.id);
  put(o, "title", overrides.title);
  put(o, "site", overrides.site);
  put(o, "operator", overrides.operator_name);
  put(o, "reel_contents", overrides.reel_contents);
  if (overrides.calibration) {
    o["calibration"] = overrides.calibration->ends_with(".toml")
                           ? absolute_text(*overrides.calibration)
                           : *overrides.calibration;
  }
  if (!overrides.driver_options.empty()) o["driver_options"] = overrides.driver_options;
  if (!overrides.checksums.empty()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const fs::path& path : overrides.checksums) list.push_back(absolute_text(path));
    o["checksums"] = list;
  }
  json["overrides"] = o;
  json["profiles"] = absolute_text(profiles);
  json["base_dir"] = absolute_text(base_dir);
  // A postgresql:// URL as written, less its password (the request is kept in the journal).
  json["catalog"] = is_catalog_url(catalog) ? redacted_location(catalog) : absolute_text(catalog);
  return json;
}

JobRequest JobRequest::from_json(const nlohmann::json& json, const std::string& where) {
  try {
    JobRequest r;
    r.source = json.at("source").get<std::string>();
    const nlohmann::json& o = json.value("overrides", nlohmann::json::object());
    if (o.contains("output")) r.overrides.output = o.at("output").get<std::string>();
    get(o, "driver", r.overrides.driver);
    get(o, "threads", r.overrides.threads);
    get(o, "format", r.overrides.format);
    get(o, "reduction", r.overrides.reduction);
    if (o.contains("mode")) r.overrides.mode = parse_image_mode(o.at("mode").get<std::string>());
    if (o.contains("polarity")) {
      r.overrides.polarity = parse_polarity(o.at("polarity").get<std::string>());
    }
    if (o.contains("oversize")) {
      r.overrides.oversize = parse_oversize_policy(o.at("oversize").get<std::string>());
    }
    get(o, "dpi", r.overrides.dpi);
    get(o, "id", r.overrides.id);
    get(o, "title", r.overrides.title);
    get(o, "site", r.overrides.site);
    get(o, "operator", r.overrides.operator_name);
    get(o, "reel_contents", r.overrides.reel_contents);
    get(o, "calibration", r.overrides.calibration);
    if (o.contains("driver_options")) {
      r.overrides.driver_options = o.at("driver_options").get<std::map<std::string, std::string>>();
    }
    if (o.contains("checksums")) {
      for (const auto& path : o.at("checksums")) {
        r.overrides.checksums.emplace_back(path.get<std::string>());
      }
    }
    r.profiles = json.value("profiles", std::string());
    r.base_dir = json.value("base_dir", std::string());
    r.catalog = json.value("catalog", std::string());
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::job, fmt::format("{}: the job's request: {}", where, e.what()));
  } catch (const Error& e) {
    throw with_context(where + ": the job's request", e);
  }
}

std::pair<std::string, std::string> parse_key_value(const std::string& text,
                                                    const std::string& flag) {
  auto kv = hal::split_key_value(text);
  if (!kv) {
    throw Error(ErrorKind::usage, fmt::format("{}: expected KEY=VALUE, got \"{}\"", flag, text));
  }
  return std::move(*kv);
}

}  // namespace fw::api
