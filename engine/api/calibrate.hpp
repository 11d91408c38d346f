// calibrate: density calibration of a recorder + stock + processing.
//   wedge: a step wedge written through the recorder (and a readings.csv for the densitometer)
//   fit:   densitometer readings -> calibration profile, with the fit's error
//   auto:  on a recorder that reads its developed film back (hal::FilmReader, the sim):
//          wedge -> read the film -> fit -> verify, until every verification step is within
//          the tolerance
// The recorder is resolved and opened as a job's is (api::resolve_recorder, open_recorder).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "api/settings.hpp"
#include "color/calibration.hpp"
#include "color/wedge.hpp"

namespace fw::api {

struct WedgeRequest {
  RecorderSettings recorder;
  std::string format = "16mm-comic-30m";  // the film format the wedge reel is loaded as
  std::filesystem::path out;              // the reel (R0001/), wedge.json and readings.csv
  int steps = 21;
};

struct WedgeResult {
  WedgeLayout layout;
  std::filesystem::path reel_dir, layout_json, readings_csv;
};

WedgeResult calibrate_wedge(const WedgeRequest& request, const hal::Registry& drivers);

struct FitRequest {
  std::filesystem::path readings;      // CSV: step,code,density
  std::string profile;                 // a name (profiles/calibration/NAME.toml) or a .toml file
  std::filesystem::path profiles_dir;  // "": FILMWRITER_PROFILES or the installed profiles
  std::string recorder = "sim-default";
  std::string stock = "sim-negative";  // its aims go into the profile
  std::string processing = "standard";
};

struct FitResult {
  CalibrationProfile profile;
  std::filesystem::path file;  // where it was written
  std::size_t readings = 0;
};

FitResult calibrate_fit(const FitRequest& request);

struct AutoRequest {
  RecorderSettings recorder;
  std::string format = "16mm-comic-30m";
  std::string profile;  // a name (profiles/calibration/NAME.toml) or a .toml file
  std::string start;    // "": none; else verify this profile first (its readings count too)
  std::filesystem::path out = "calibration-out";  // wedge/, start-verify/, verify-N/
  double tolerance = 0.03;                        // largest verification error, D
  int max_iterations = 5;
  int steps = 21;
};

// A verification wedge of target densities written through a profile's curves and read back.
struct Verification {
  double max_error = 0;
  double mean_error = 0;
  std::vector<std::vector<DensityReading>> readings;  // per channel: what was written and read
};

class CalibrateListener {
 public:
  virtual ~CalibrateListener() = default;
  virtual void start_checked(const CalibrationProfile&, const Verification&) {}
  // The wedge's film: `steps` steps read from `film` (where the reader keeps it).
  virtual void wedge_read(int /*steps*/, const std::filesystem::path& /*film*/) {}
  virtual void iteration(int /*number*/, std::size_t /*readings*/, const CalibrationProfile&,
                         const Verification&) {}
};

struct AutoResult {
  CalibrationProfile profile;
  std::filesystem::path file;  // where the converged profile was written
  int iterations = 0;
};

// Throws Error(qc) when no profile converges within max_iterations (the reels stay in `out`),
// Error(usage) when the recorder reads no developed film back.
AutoResult calibrate_auto(const AutoRequest& request, const hal::Registry& drivers,
                          CalibrateListener& listener);

}  // namespace fw::api
