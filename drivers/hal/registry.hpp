// Drivers by name. The CLI fills a Registry with the built-in drivers and opens one by
// the job's `recorder.driver` name.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hal/recorder.hpp"

namespace fw::hal {

// What the engine tells every driver it opens, beside the driver's own options: where the
// job's profiles are (a simulated or profiled device reads its recorder and stock there).
struct OpenContext {
  std::filesystem::path profiles_dir;  // empty: the driver's default
};

struct DriverInfo {
  std::string name;
  std::string description;
  // Option name -> one-line help with its default, for `filmwriter drivers`.
  std::vector<std::pair<std::string, std::string>> options;
  std::function<std::unique_ptr<Recorder>(const DriverOptions&, const OpenContext&)> open;
};

class Registry {
 public:
  // Throws std::logic_error when a driver of the same name is already registered.
  void add(DriverInfo info);
  const DriverInfo* find(const std::string& name) const;
  // Throws DeviceError(bad_option) naming the known drivers when `name` is unknown.
  std::unique_ptr<Recorder> open(const std::string& name, const DriverOptions& options,
                                 const OpenContext& context = {}) const;
  const std::vector<DriverInfo>& drivers() const { return drivers_; }

 private:
  std::vector<DriverInfo> drivers_;
};

// "KEY=VALUE" (a -O flag) split at its first '='; nullopt when there is no '=' or no key. The
// one parser of driver options on a command line: the engine's (api::parse_key_value) and
// recorderd's.
std::optional<std::pair<std::string, std::string>> split_key_value(const std::string& text);

// Keys that are settings of the engine, never of a driver: `calibration`, `document_class`,
// `tone` (the job's density calibration) and `profiles` (the profiles folder). A -O KEY=VALUE
// with one of them is the older spelling of --calibration and --profiles: filmwriter's settings
// resolver (api::resolve) takes them out of the driver options, so no driver sees them, and a
// driver that is given one refuses it as unknown, saying whose setting it is.
const std::vector<std::string>& engine_option_keys();
bool is_engine_option(const std::string& key);
// Removes `key` from `options` and returns its value; nullopt when it is not there.
std::optional<std::string> take_option(DriverOptions& options, const std::string& key);

// Option helpers for drivers: an unknown or malformed option is a DeviceError(bad_option).
class OptionReader {
 public:
  OptionReader(std::string driver, const DriverOptions& options);
  double number(const std::string& key, double fallback, double min, double max);
  std::string text(const std::string& key, const std::string& fallback);
  // Throws if an option was given that no call above asked for.
  void finish() const;

 private:
  std::string driver_;
  const DriverOptions& options_;
  std::vector<std::string> used_;
};

}  // namespace fw::hal
