// Step wedges: the frame a lab writes, develops and reads with a densitometer to calibrate.
//
// A wedge frame is a grid of square patches, each one code value, on unexposed film, with a
// fully exposed fiducial square in each corner so that a reader can check where the patches
// are. The layout (wedge.json) says which code each step has and where it lies; reading
// averages the middle half of each patch on the developed film, away from the blurred edges.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "color/density_curve.hpp"

namespace fw {

struct WedgeStep {
  int number = 1;              // 1-based
  std::uint8_t code = 0;       // code value written
  double target_density = -1;  // for a verification wedge: the density asked for; -1: none
  std::uint32_t x = 0, y = 0;  // top-left of the patch, frame pixels
};

struct WedgeLayout {
  std::uint32_t width = 0, height = 0;
  std::uint32_t patch_px = 0;
  std::uint32_t fiducial_px = 0;
  std::vector<WedgeStep> steps;

  std::string to_json() const;
  static WedgeLayout from_json(const std::string& text, const std::string& context);
};

// `codes` evenly spaced over 0–255 for a calibration wedge (21 or 256 steps typical).
std::vector<std::uint8_t> wedge_codes(int steps);
WedgeLayout make_wedge(const std::vector<std::uint8_t>& codes,
                       const std::vector<double>& target_densities = {},
                       std::uint32_t patch_px = 128);
// The frame's code values (one channel): patches, fiducials, unexposed film elsewhere.
std::vector<std::uint8_t> render_wedge(const WedgeLayout& layout);

// A developed frame: density per pixel (one channel) as the sim writes it.
struct DensityImage {
  std::uint32_t width = 0, height = 0, channels = 1;
  std::vector<double> density;  // interleaved like the frame
};
// Reads a developed-film TIFF (uint16, density x `scale`). Throws Error(input) naming it.
DensityImage read_developed_film(const std::filesystem::path& file, double scale = 10000.0);

// Mean density of each step's middle half on channel `channel`. Throws Error(input) when the
// image does not match the layout or the fiducials are not where the layout says.
std::vector<DensityReading> read_wedge(const WedgeLayout& layout, const DensityImage& film,
                                       const std::string& context, std::uint32_t channel = 0);

// The CSV a lab fills in: `step,code,density` (a header line, then one row per step; density
// may be empty in a template). Errors name the file and line.
std::string readings_csv(const WedgeLayout& layout, const std::vector<DensityReading>& readings);
std::vector<DensityReading> parse_readings_csv(const std::string& text, const std::string& name);

}  // namespace fw
