// What the pipeline tells its record keepers (journal, catalog), in exposure order, from the
// serial expose stage: a frame is reported only after Recorder::expose() returned.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "catalog/index.hpp"
#include "hal/recorder.hpp"

namespace fw {

struct ClosedReel {
  std::string id;
  std::filesystem::path dir;  // holds index.csv and manifest.sha256, already written
  std::uint32_t frames = 0;
  double film_used_m = 0;
  bool complete = false;  // false: the job stopped early on this reel
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void reel_loaded(const hal::ReelSpec& reel) = 0;
  // `sequence` is the frame's 0-based position in the whole plan.
  virtual void frame_exposed(const std::string& reel_id, std::uint64_t sequence,
                             const IndexRow& row) = 0;
  virtual void reel_closed(const ClosedReel& reel) = 0;
};

}  // namespace fw
