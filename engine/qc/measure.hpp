// Inside engine/qc: measurements on developed film (density planes) and rendered frames, the
// building blocks of the checks in engine/qc/checks/.
//
// Film stays as it was stored, 16-bit (density x scale), and is read through a view: a frame
// at 2.5 um is 20 megapixels, and a plane of doubles per channel, per copy, was most of
// verify's time (allocating and faulting in 160 MB per plane) and memory. Sums of film values
// are taken on the integers, exactly, and divided once. SSIM works on planes binned to about
// 10 um, small enough to be doubles.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "qc/pooled.hpp"

namespace fw::qc {

// A measured figure as qc.json and the checks' messages give it: three decimals.
inline double round3(double v) {
  return std::round(v * 1000) / 1000;
}

struct Rect {
  std::uint32_t x = 0, y = 0, width = 0, height = 0;
};

// One channel of a developed frame: density = value / scale.
struct FilmPlane {
  const std::uint16_t* data = nullptr;
  std::uint32_t width = 0, height = 0;
  std::uint32_t stride = 1;  // samples from one pixel to the next (the frame's channels)
  double scale = 10000;
  std::uint16_t raw(std::uint32_t x, std::uint32_t y) const {
    return data[(std::size_t{y} * width + x) * stride];
  }
  double at(std::uint32_t x, std::uint32_t y) const { return raw(x, y) / scale; }
};

// A single-channel image of doubles (binned density), zeroed.
struct Plane {
  Plane() = default;
  Plane(std::uint32_t w, std::uint32_t h) : width(w), height(h), v(std::size_t{w} * h) {}
  std::uint32_t width = 0, height = 0;
  PooledArray<double> v;
  double at(std::uint32_t x, std::uint32_t y) const { return v[std::size_t{y} * width + x]; }
  double& at(std::uint32_t x, std::uint32_t y) { return v[std::size_t{y} * width + x]; }
};

// Masks are bits of a byte per frame pixel, so that a frame's areas (clear film, paper, ink)
// share one plane.
struct MaskPlane {
  std::uint32_t width = 0, height = 0;
  std::span<std::uint8_t> bits;
};

// Keeps each bit of a pixel only where the pixel's whole (2r+1)^2 neighbourhood has it (and
// the pixel is at least r from the edge): areas measured on film stay clear of the edges that
// the writing spot and the scaling blurred. Every bit at once (the window's bytes ANDed), in
// place, separable: rows, then columns.
void erode(MaskPlane mask, std::uint32_t r);

struct MaskedMean {
  double mean = 0;
  std::size_t count = 0;
};
// Mean density over the pixels of `rect` (clipped to the frame) that have `bit`.
MaskedMean masked_mean(const FilmPlane& film, std::span<const std::uint8_t> mask, std::uint8_t bit,
                       Rect rect);
// Mean density over `rect`, every pixel.
double mean_density(const FilmPlane& film, Rect rect);

// What SSIM compares: `rect` of a plane binned by `factor` (a reader's view at about 10 um,
// and bounded work on fine pitches), then a 3 x 3 box, so that grain (RMS ~0.016 D at 1 D) does
// not pass for a loss of structure. The film, and the expected frame (code values sent,
// `codes` with `stride` samples per pixel, turned into density by `tone`) go through the
// same filter.
Plane film_for_ssim(const FilmPlane& film, Rect rect, std::uint32_t factor);
Plane expected_for_ssim(const std::uint8_t* codes, std::uint32_t width, std::uint32_t stride,
                        const double* tone, Rect rect, std::uint32_t factor);

// Structural similarity (Wang et al. 2004) with a 7 x 7 window, constants for density range
// `range`; averaged over the image and over square blocks of `block` px, whose worst is kept.
struct Ssim {
  double mean = 1;
  double worst_block = 1;
  Rect worst;  // the worst block
};
Ssim ssim(const Plane& expected, const Plane& film, std::uint32_t block, double range);

}  // namespace fw::qc
