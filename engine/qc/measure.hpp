// Inside engine/qc: measurements on developed film (density images) and rendered frames.
#pragma once

#include <cstdint>
#include <vector>

namespace fw::qc {

// A single-channel image of doubles (density) or of 0/1 (a mask).
struct Plane {
  std::uint32_t width = 0, height = 0;
  std::vector<double> v;
  double at(std::uint32_t x, std::uint32_t y) const { return v[std::size_t{y} * width + x]; }
};

struct Rect {
  std::uint32_t x = 0, y = 0, width = 0, height = 0;
};

// Keeps the pixels of `mask` whose whole (2r+1)^2 neighbourhood is set: areas measured on
// film stay clear of the edges that the writing spot and the scaling blurred.
std::vector<std::uint8_t> erode(const std::vector<std::uint8_t>& mask, std::uint32_t width,
                                std::uint32_t height, std::uint32_t r);

struct MaskedMean {
  double mean = 0;
  std::size_t count = 0;
};
MaskedMean masked_mean(const Plane& film, const std::vector<std::uint8_t>& mask, Rect rect);

// Structural similarity (Wang et al. 2004) with a 7 x 7 window, constants for density range
// `range`; averaged over the image and over square blocks of `block` px, whose worst is kept.
struct Ssim {
  double mean = 1;
  double worst_block = 1;
  Rect worst;  // the worst block
};
Ssim ssim(const Plane& expected, const Plane& film, std::uint32_t block, double range);

}  // namespace fw::qc
