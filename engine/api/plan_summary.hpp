// What `plan` and `convert` tell the operator of a plan before film is loaded, counted here so
// that the CLI only prints it (tools/filmwriter/convert_printer.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "api/settings.hpp"
#include "film/plan.hpp"

namespace fw::api {

// The plan's frames by kind.
struct FrameCounts {
  std::size_t pages = 0, substitutes = 0, targets = 0;  // pages counted as begins_page does
  std::size_t separation_frames = 0;                    // a colour page's three frames each
};
FrameCounts count_frames(const Plan& plan);

// What one roll format holds as data frames on a reel of a given length.
struct DataCapacity {
  std::string format;
  double bytes = 0;  // net bytes of files
  std::string none;  // why it holds none ("" when it holds some)
};

// The job's data frames (plan.data_layout set) and what each roll format holds of them.
struct DataSummary {
  std::uint64_t files = 0, bytes = 0, frames = 0;
  std::vector<DataCapacity> capacity;  // every roll format of the profiles, at the plan's pitch
};
DataSummary data_summary(const JobSettings& settings, const Plan& plan, double reel_length_m);

}  // namespace fw::api
