// A recorder + stock + processing's measured response: code value -> film density.
//
// Densitometer readings of a step wedge are fitted with a monotone cubic (Fritsch–Carlson),
// so the curve never bends back between readings, and inverted to find the code value that
// gives a wanted density. Readings within `noise_d` of monotone are pooled (a flat toe read
// twice can show 0.061 then 0.060); a larger fall is an error, as are too few readings.
#pragma once

#include <string>
#include <vector>

namespace fw {

struct DensityReading {
  double code = 0;     // device code value 0–255
  double density = 0;  // diffuse visual density
};

class DensityCurve {
 public:
  static constexpr std::size_t kMinReadings = 4;

  // Throws Error(input) naming `context` (the readings' file or the wedge) and the step.
  static DensityCurve fit(std::vector<DensityReading> readings, const std::string& context,
                          double noise_d = 0.02);

  double density(double code) const;     // at codes outside the readings: the end values
  double code_for(double wanted) const;  // smallest code reaching density `wanted`, clamped
  double min_density() const { return points_.front().density; }
  double max_density() const { return points_.back().density; }
  // The readings after sorting, averaging repeated codes and pooling small dips.
  const std::vector<DensityReading>& points() const { return points_; }

 private:
  std::vector<DensityReading> points_;
  std::vector<double> slopes_;  // dD/dcode at each point, Fritsch–Carlson limited
};

// Leave-one-out error of the fit: each interior reading predicted by the curve fitted
// without it. An interpolant passes through its readings, so this is the honest error.
struct FitError {
  double max_d = 0;
  double rms_d = 0;
  double worst_code = 0;
};
FitError leave_one_out_error(const DensityCurve& curve);

}  // namespace fw
