#include "hal/registry.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace fw::hal {

void Registry::add(DriverInfo info) {
  // A second driver of the same name would never be opened (find takes the first): refuse it
  // where it is registered instead of filming with the other one.
  if (find(info.name) != nullptr) {
    throw std::logic_error("recorder driver \"" + info.name +
                           "\" registered twice (driver names are unique; see "
                           "drivers/CMakeLists.txt, FW_DRIVERS)");
  }
  drivers_.push_back(std::move(info));
}

const DriverInfo* Registry::find(const std::string& name) const {
  auto it = std::find_if(drivers_.begin(), drivers_.end(),
                         [&](const DriverInfo& d) { return d.name == name; });
  return it == drivers_.end() ? nullptr : &*it;
}

std::unique_ptr<Recorder> Registry::open(const std::string& name, const DriverOptions& options,
                                         const OpenContext& context) const {
  if (const DriverInfo* info = find(name)) return info->open(options, context);
  std::string known;
  for (const auto& d : drivers_) known += (known.empty() ? "" : ", ") + d.name;
  throw DeviceError(DeviceErrorKind::bad_option,
                    "unknown recorder driver \"" + name + "\" (known: " + known + ")");
}

OptionReader::OptionReader(std::string driver, const DriverOptions& options)
    : driver_(std::move(driver)), options_(options) {}

double OptionReader::number(const std::string& key, double fallback, double min, double max) {
  used_.push_back(key);
  auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  const std::string& text = it->second;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw DeviceError(DeviceErrorKind::bad_option,
                      fmt::format("{} driver: option {}: expected a number {}–{}, got \"{}\"",
                                  driver_, key, min, max, text));
  }
  return value;
}

std::string OptionReader::text(const std::string& key, const std::string& fallback) {
  used_.push_back(key);
  auto it = options_.find(key);
  return it == options_.end() ? fallback : it->second;
}

void OptionReader::finish() const {
  for (const auto& [key, value] : options_) {
    if (std::find(used_.begin(), used_.end(), key) == used_.end()) {
      std::string known;
      for (const auto& k : used_) known += (known.empty() ? "" : ", ") + k;
      const std::string whose =
          !is_engine_option(key) ? std::string()
          : key == "profiles"
              ? ": the profiles folder is filmwriter's setting (--profiles), not a driver's"
              : ": the density calibration is filmwriter's setting (--calibration, the job's "
                "[calibration]), not a driver's";
      throw DeviceError(DeviceErrorKind::bad_option, driver_ + " driver: unknown option \"" + key +
                                                         "\" (known: " + known + ")" + whose);
    }
  }
}

const std::vector<std::string>& engine_option_keys() {
  static const std::vector<std::string> keys{"calibration", "document_class", "tone", "profiles"};
  return keys;
}

bool is_engine_option(const std::string& key) {
  return std::ranges::find(engine_option_keys(), key) != engine_option_keys().end();
}

std::optional<std::string> take_option(DriverOptions& options, const std::string& key) {
  const auto it = options.find(key);
  if (it == options.end()) return std::nullopt;
  std::string value = std::move(it->second);
  options.erase(it);
  return value;
}

std::optional<std::pair<std::string, std::string>> split_key_value(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace fw::hal
