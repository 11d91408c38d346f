// Density calibration: the profile a lab (or `filmwriter calibrate`) writes for one recorder,
// stock and processing, and the per-frame look-up table built from it.
//
// A page's 8-bit value v (255 = white paper on a negative) is given the density
//   D(v) = D0 + (aim - D0) * (v / 255)^tone
// where D0 is the film's density at code 0 (base + fog), `aim` the background density of the
// document class and `tone` the tone reproduction exponent (1: density linear in the page's
// value). The calibration curve's inverse turns D(v) into the code value to send. All of that
// folds into one 256-entry LUT per channel, applied once per frame: no extra pass.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "color/density_curve.hpp"
#include "hal/recorder.hpp"
#include "model/job.hpp"

namespace fw {

struct CalibrationProfile {
  std::string name;
  std::filesystem::path file;  // where it was read from (empty: made in memory)
  std::string sha256;          // of that file
  std::string description;
  std::string recorder;    // recorder profile name the readings were taken on
  std::string stock;       // film stock
  std::string processing;  // developer, time, temperature: free text from the lab
  std::string default_class = "high-contrast";
  double tone = 1.0;
  std::vector<std::pair<std::string, double>> aims;  // document class -> background density
  std::vector<std::string> channels;                 // "grey", or "red", "green", "blue"
  std::vector<DensityCurve> curves;                  // one per channel
  FitError fit_error;                                // leave-one-out, worst channel

  double aim(const std::string& document_class) const;  // throws Error(job) naming the classes
  std::string to_toml() const;
};

// Reads profiles/calibration/<name>.toml, or a file when `name_or_file` ends in .toml.
// Errors are Error(job) naming the file, line and key.
CalibrationProfile load_calibration(const std::filesystem::path& profiles_dir,
                                    const std::string& name_or_file);
std::filesystem::path calibration_path(const std::filesystem::path& profiles_dir,
                                       const std::string& name_or_file);

// pixels[i] = lut[pixels[i]], vectorised where the CPU has AVX-512 VBMI.
void apply_lut(std::span<std::uint8_t> pixels, const std::array<std::uint8_t, 256>& lut);

// The LUTs for one job: code value in, calibrated code value out.
class FrameCalibration {
 public:
  FrameCalibration();  // identity: frames go to the recorder as rendered
  FrameCalibration(const CalibrationProfile& profile, const std::string& document_class,
                   double tone);

  // The job's calibration, chosen once: the job's `calibration` (a profile, a file or "none";
  // the settings resolver puts the older recorder options `calibration`, `document_class`,
  // `tone` there too), else the recorder's own (Capabilities::calibration, e.g. the sim's
  // factory calibration for its stock). Identity only for an explicit "none". Throws
  // Error(job) naming where the choice came from when its profile cannot be used, and when
  // nothing names a calibration. `profiles_dir` locates profiles by name.
  static FrameCalibration for_job(const Job& job, const hal::Capabilities& recorder,
                                  const std::filesystem::path& profiles_dir);

  // In place; `channels` is 1 (grey, bitonal) or 3 (RGB, per-channel curves when the profile
  // has three, else the grey curve on each). `paper` (1 channel only; 0: none): the page's
  // paper level in page terms (color/paper.hpp), scaled to white first so that the paper is
  // exposed at the aim like white paper: on a negative code v becomes v * 255 / paper, on a
  // positive (paper filmed clear) 255 - (255 - v) * 255 / paper. One pass either way.
  void apply(std::span<std::uint8_t> pixels, std::uint32_t channels, std::uint8_t paper = 0,
             bool negative = true) const;

  bool identity() const { return identity_; }
  // What index.csv and plan.json name: "PROFILE sha256:1a2b3c4d" (the profile and the first
  // 8 hex digits of its file's sha256), or "none" when frames go out as rendered.
  const std::string& label() const { return label_; }
  // Who chose it: "job" (its calibration key or flag), "recorder options" (the older way) or
  // "recorder" (the device's own).
  const std::string& chosen_by() const { return chosen_by_; }
  const std::string& document_class() const { return document_class_; }  // resolved
  double tone() const { return tone_; }
  // What plan.json, the plan's hash and qc.json record: profile, file, sha256, chosen_by,
  // document class, aim and tone ({"profile": "none", ...} for identity).
  nlohmann::ordered_json record() const;
  double aim_density() const { return aim_; }
  // The density wanted for page value v on `channel` (what a test or QC expects to read).
  double wanted_density(std::uint8_t value, std::size_t channel = 0) const;
  const std::array<std::uint8_t, 256>& lut(std::size_t channel) const { return luts_.at(channel); }

 private:
  bool identity_ = true;
  std::string label_ = "none";
  std::string profile_name_ = "none", sha256_, chosen_by_ = "job", document_class_;
  std::filesystem::path file_;
  double aim_ = 0;
  double tone_ = 1;
  std::vector<double> base_density_;                 // per channel: density at code 0
  std::vector<std::array<std::uint8_t, 256>> luts_;  // 1 or 3
};

}  // namespace fw
