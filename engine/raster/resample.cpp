#include "raster/resample.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "base/row_kernel.hpp"

namespace fw {
namespace {

constexpr double kLobes = 3.0;

double lanczos3(double x) {
  if (x == 0.0) return 1.0;
  if (std::abs(x) >= kLobes) return 0.0;
  const double px = std::numbers::pi * x;
  return kLobes * std::sin(px) * std::sin(px / kLobes) / (px * px);
}

// Catmull-Rom (Keys, a = -0.5): the cubic libvips enlarges with. Lanczos-3 rings more when
// enlarging: at a corner of a mid-grey patch it undershoots by a fifth of the step, enough
// to print a black dot on a bitonal page.
double catmull_rom(double x) {
  x = std::abs(x);
  if (x < 1.0) return (1.5 * x - 2.5) * x * x + 1.0;
  if (x < 2.0) return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
  return 0.0;
}

// The taps of one axis: output position i reads `taps` consecutive inputs from first[i] with
// weights[i * taps ...] (the same weights by tap, by_tap[k * size + i], for the vector row
// filter). Taps that fall off the edge are folded onto the edge pixel (extend copy), so every
// read is inside the source and the inner loops need no bounds checks.
struct Axis {
  std::uint32_t taps = 0;
  std::vector<std::uint32_t> first;
  std::vector<float> weights;
  std::vector<float> by_tap;
};

bool enlarging(std::uint32_t from, std::uint32_t to) {
  return to >= from;
}

double stretch_of(std::uint32_t from, std::uint32_t to) {
  return std::max(1.0, static_cast<double>(from) / to);  // the kernel widens when reducing
}

double support_of(std::uint32_t from, std::uint32_t to) {
  return enlarging(from, to) ? 2.0 : kLobes * stretch_of(from, to);
}

// Rounded up to 4, 8 or 12 (zero weights fill the rest) so that the row filter runs with a
// fixed tap count the compiler unrolls: a reduction by 0.71 needs 9 taps, and the generic
// loop over 9 was twice the time of the padded one over 12.
std::uint32_t taps_for(std::uint32_t from, std::uint32_t to) {
  const auto taps = static_cast<std::uint32_t>(std::ceil(2.0 * support_of(from, to)));
  for (std::uint32_t bucket : {4u, 8u, 12u}) {
    if (taps <= bucket) return bucket;
  }
  return taps;
}

Axis make_axis(std::uint32_t from, std::uint32_t to) {
  Axis axis;
  const double stretch = stretch_of(from, to);
  const double support = support_of(from, to);
  const auto kernel = enlarging(from, to) ? catmull_rom : lanczos3;
  axis.taps = taps_for(from, to);
  axis.first.resize(to);
  axis.weights.assign(std::size_t{to} * axis.taps, 0.0f);
  const long last_start = static_cast<long>(from) - static_cast<long>(axis.taps);
  std::vector<double> w(axis.taps);
  for (std::uint32_t i = 0; i < to; ++i) {
    const double centre = (i + 0.5) * from / to - 0.5;
    const long first = static_cast<long>(std::floor(centre - support)) + 1;
    const long start = std::clamp(first, 0L, last_start);
    std::fill(w.begin(), w.end(), 0.0);
    double sum = 0.0;
    for (std::uint32_t k = 0; k < axis.taps; ++k) {
      const long at = std::clamp(first + static_cast<long>(k), 0L, static_cast<long>(from) - 1);
      const double weight = kernel((static_cast<double>(first + k) - centre) / stretch);
      w[static_cast<std::size_t>(at - start)] += weight;
      sum += weight;
    }
    axis.first[i] = static_cast<std::uint32_t>(start);
    for (std::uint32_t k = 0; k < axis.taps; ++k) {
      axis.weights[std::size_t{i} * axis.taps + k] = static_cast<float>(w[k] / sum);
    }
  }
  axis.by_tap.resize(axis.weights.size());
  for (std::uint32_t i = 0; i < to; ++i) {
    for (std::uint32_t k = 0; k < axis.taps; ++k) {
      axis.by_tap[std::size_t{k} * to + i] = axis.weights[std::size_t{i} * axis.taps + k];
    }
  }
  return axis;
}

// One source row filtered along x into `out` (width x channels floats), from output pixel
// `from_x` on. The common cases get fixed channel and tap counts, so the compiler unrolls the
// taps. The samples are read as bytes and converted as they are used (exactly: every byte is
// a float).
template <std::uint32_t Channels, std::uint32_t Taps>
void filter_row_fixed(const std::uint8_t* row, const Axis& axis, std::size_t from_x, float* out) {
  for (std::size_t x = from_x; x < axis.first.size(); ++x) {
    const float* w = &axis.weights[x * Taps];
    const std::uint8_t* p = row + std::size_t{axis.first[x]} * Channels;
    for (std::uint32_t c = 0; c < Channels; ++c) {
      float sum = 0.0f;
      for (std::uint32_t k = 0; k < Taps; ++k) {
        sum += w[k] * static_cast<float>(p[k * Channels + c]);
      }
      out[x * Channels + c] = sum;
    }
  }
}

// The grey row filter, 16 output pixels a step: the 32 source samples a step reads are loaded
// once, and each tap picks its 16 from them with one permute (vpermt2ps), where the loop above
// reads every tap of every pixel on its own (the gather was most of a frame's resampling).
// Same products, summed in the same order, with no fused multiply-add (this file is built with
// -ffp-contract=off): the frame is byte for byte the loop's. Returns where it stopped: a step
// whose taps span more than 32 samples (reductions beyond 3/4) or would read past the row.
template <std::uint32_t Taps>
__attribute__((target("avx512f"))) std::size_t filter_grey_row_avx512(const std::uint8_t* row,
                                                                      std::uint32_t row_width,
                                                                      const Axis& axis,
                                                                      float* out) {
  const std::size_t size = axis.first.size();
  std::size_t x = 0;
  for (; x + 16 <= size; x += 16) {
    const std::uint32_t base = axis.first[x];
    if (axis.first[x + 15] + Taps > base + 32 || std::size_t{base} + 32 > row_width) break;
    // (The zero-masked conversions: GCC 12 warns that the unmasked ones read an undefined
    // register.)
    const auto* bytes = reinterpret_cast<const __m128i*>(row + base);
    const __m512 low = _mm512_maskz_cvtepi32_ps(
        0xFFFF, _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm_loadu_si128(bytes)));
    const __m512 high = _mm512_maskz_cvtepi32_ps(
        0xFFFF, _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm_loadu_si128(bytes + 1)));
    const __m512i offset = _mm512_sub_epi32(_mm512_loadu_si512(&axis.first[x]),
                                            _mm512_set1_epi32(static_cast<int>(base)));
    __m512 sum = _mm512_setzero_ps();
    for (std::uint32_t k = 0; k < Taps; ++k) {
      const __m512i at = _mm512_add_epi32(offset, _mm512_set1_epi32(static_cast<int>(k)));
      const __m512 weight = _mm512_loadu_ps(&axis.by_tap[k * size + x]);
      sum = _mm512_add_ps(sum, _mm512_mul_ps(weight, _mm512_permutex2var_ps(low, at, high)));
    }
    _mm512_storeu_ps(out + x, sum);
  }
  return x;
}

template <std::uint32_t Taps>
void filter_grey_row(const std::uint8_t* row, std::uint32_t row_width, const Axis& axis,
                     RowFilter filter, float* out) {
  static const bool avx512 = __builtin_cpu_supports("avx512f") != 0;
  std::size_t done = 0;
  if (avx512 && filter == RowFilter::fastest) {
    done = filter_grey_row_avx512<Taps>(row, row_width, axis, out);
  }
  filter_row_fixed<1, Taps>(row, axis, done, out);
}

void filter_row(const std::uint8_t* row, std::uint32_t row_width, std::uint32_t channels,
                const Axis& axis, RowFilter filter, float* out) {
  if (channels == 1) {
    if (axis.taps == 4) return filter_grey_row<4>(row, row_width, axis, filter, out);
    if (axis.taps == 8) return filter_grey_row<8>(row, row_width, axis, filter, out);
    if (axis.taps == 12) return filter_row_fixed<1, 12>(row, axis, 0, out);
  } else if (channels == 3) {
    if (axis.taps == 4) return filter_row_fixed<3, 4>(row, axis, 0, out);
    if (axis.taps == 8) return filter_row_fixed<3, 8>(row, axis, 0, out);
    if (axis.taps == 12) return filter_row_fixed<3, 12>(row, axis, 0, out);
  }
  for (std::size_t x = 0; x < axis.first.size(); ++x) {
    const float* w = &axis.weights[x * axis.taps];
    const std::uint8_t* p = row + std::size_t{axis.first[x]} * channels;
    for (std::uint32_t c = 0; c < channels; ++c) {
      float sum = 0.0f;
      for (std::uint32_t k = 0; k < axis.taps; ++k) {
        sum += w[k] * static_cast<float>(p[k * channels + c]);
      }
      out[x * channels + c] = sum;
    }
  }
}

FW_ROW_KERNEL void scale_row(float* out, const float* in, float weight, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = weight * in[i];
}

FW_ROW_KERNEL void add_scaled_row(float* out, const float* in, float weight, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] += weight * in[i];
}

// Rounded to int32 and clamped as integers: float min/max (NaN rules) and a float to uint8
// conversion would keep the loops scalar. Filter overshoot stays far inside int32. + 0.5 and
// truncation rounds wrongly only below -0.5, which the clamp takes to 0 anyway.
inline std::uint8_t rounded(float value) {
  const auto v = static_cast<std::int32_t>(value + 0.5f);  // NOLINT(bugprone-incorrect-roundings)
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

FW_ROW_KERNEL void round_row(const float* in, std::size_t n, std::uint8_t* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = rounded(in[i]);
}

// The four-tap column filter (every enlargement) in one pass: the sums scale_row and
// add_scaled_row build in memory, in the same order, held in registers instead. A zero weight
// adds a zero product, which changes no rounded sample.
FW_ROW_KERNEL void blend_four_rows(const float* const* rows, const float* w, std::size_t n,
                                   std::uint8_t* out) {
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
  for (std::size_t i = 0; i < n; ++i) {
    float sum = w[0] * r0[i];
    sum += w[1] * r1[i];
    sum += w[2] * r2[i];
    sum += w[3] * r3[i];
    out[i] = rounded(sum);
  }
}

bool is_identity(const ToneTable& tone) {
  for (std::size_t v = 0; v < tone.size(); ++v) {
    if (tone[v] != v) return false;
  }
  return true;
}

void apply_tone(std::uint8_t* row, std::size_t n, const ToneTable& tone) {
  for (std::size_t i = 0; i < n; ++i) row[i] = tone[row[i]];
}

}  // namespace

bool resample_supported(std::uint32_t from_width, std::uint32_t from_height, std::uint32_t to_width,
                        std::uint32_t to_height) {
  const auto axis_ok = [](std::uint32_t from, std::uint32_t to) {
    return to > 0 && 2ull * to >= from && from >= taps_for(from, to);
  };
  return axis_ok(from_width, to_width) && axis_ok(from_height, to_height);
}

void resample(const PixelView& in, const PixelWindow& out, const ToneTable& tone,
              RowFilter filter) {
  const Axis across = make_axis(in.width, out.width);
  const Axis down = make_axis(in.height, out.height);
  const std::size_t samples = std::size_t{out.width} * in.channels;
  const std::uint32_t taps = down.taps;

  // Rows filtered along x, kept in a ring keyed by source row: each source row is filtered
  // once, and the taps of one output row are `taps` consecutive source rows.
  std::vector<float> ring(samples * taps);
  std::vector<std::int64_t> held(taps, -1);
  std::vector<float> sum(samples);
  const bool identity = is_identity(tone);
  std::vector<const float*> rows(taps);

  for (std::uint32_t y = 0; y < out.height; ++y) {
    const std::uint32_t start = down.first[y];
    for (std::uint32_t k = 0; k < taps; ++k) {
      const std::uint32_t source_row = start + k;
      float* slot = &ring[(source_row % taps) * samples];
      if (held[source_row % taps] != source_row) {
        filter_row(in.data + source_row * in.stride, in.width, in.channels, across, filter, slot);
        held[source_row % taps] = source_row;
      }
      rows[k] = slot;
    }
    const float* w = &down.weights[std::size_t{y} * taps];
    std::uint8_t* row = out.data + y * out.stride;
    if (taps == 4) {
      blend_four_rows(rows.data(), w, samples, row);
    } else {
      scale_row(sum.data(), rows[0], w[0], samples);
      for (std::uint32_t k = 1; k < taps; ++k) {
        if (w[k] != 0.0f) add_scaled_row(sum.data(), rows[k], w[k], samples);
      }
      round_row(sum.data(), samples, row);
    }
    if (!identity) apply_tone(row, samples, tone);
  }
}

void copy_into(const PixelView& in, const PixelWindow& out, const ToneTable& tone) {
  const std::uint32_t ch = in.channels;
  for (std::uint32_t y = 0; y < out.height; ++y) {
    const std::uint8_t* row = in.data + std::min(y, in.height - 1) * in.stride;
    std::uint8_t* to = out.data + y * out.stride;
    for (std::uint32_t x = 0; x < out.width; ++x) {
      const std::uint8_t* p = row + std::size_t{std::min(x, in.width - 1)} * ch;
      for (std::uint32_t c = 0; c < ch; ++c) to[std::size_t{x} * ch + c] = tone[p[c]];
    }
  }
}

}  // namespace fw
