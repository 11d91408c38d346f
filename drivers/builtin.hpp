#pragma once
#include "hal/registry.hpp"

namespace fw::drivers {
// Registers every driver compiled in (FW_DRIVERS in drivers/CMakeLists.txt).
void register_builtin_drivers(hal::Registry& registry);
}  // namespace fw::drivers
