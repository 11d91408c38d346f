// `filmwriter drivers`: what each recorder driver of a registry is, as far as it can be known
// without a job: each is opened with its defaults and asked for its capabilities and the named
// capabilities it supports (hal::capability_names). A remote recorder (net) is known only once
// reached: its description says why it was not.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hal/recorder.hpp"
#include "hal/registry.hpp"

namespace fw::api {

struct DriverDescription {
  std::string name;
  std::string description;
  std::vector<std::pair<std::string, std::string>> options;  // name -> help, in order
  // Nullopt when the driver could not be opened with its defaults (`unreachable` says why).
  std::optional<hal::Capabilities> capabilities;
  std::string unreachable;
  std::vector<std::string> supports;  // of hal::capability_names(), in that order
};

// Every driver, in the registry's order. Only a DeviceError from opening a driver is taken as
// "known once reached"; any other error propagates.
std::vector<DriverDescription> describe_drivers(const hal::Registry& registry);

}  // namespace fw::api
