#include "api/drivers.hpp"

#include <memory>

namespace fw::api {

std::vector<DriverDescription> describe_drivers(const hal::Registry& registry) {
  std::vector<DriverDescription> out;
  for (const hal::DriverInfo& info : registry.drivers()) {
    DriverDescription& d = out.emplace_back();
    d.name = info.name;
    d.description = info.description;
    d.options = info.options;
    std::unique_ptr<hal::Recorder> recorder;
    try {
      recorder = info.open({}, {});
    } catch (const hal::DeviceError& e) {
      d.unreachable = e.what();
      continue;
    }
    d.capabilities = recorder->capabilities();
    for (const std::string_view name : hal::capability_names()) {
      if (recorder->supports(name)) d.supports.emplace_back(name);
    }
  }
  return out;
}

}  // namespace fw::api
