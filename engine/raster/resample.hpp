// Separable resampling of 8-bit interleaved pixels straight into a window of the frame
// buffer, with a 256-entry tone table applied to each written sample. The kernels are
// libvips's own choice for `resize --kernel lanczos3`: Catmull-Rom cubic along an axis that
// is enlarged, Lanczos-3 (widened by the reduction) along one that is reduced.
//
// Why not libvips: libvips 8.14 upsizes (every A4 300 dpi page at 24x on a 2.5 um recorder is
// upsized by 1.41) with `affine` and a bicubic interpolator called per pixel, about 25 Mpx/s
// on one core here: 80 % of a frame's time. Separable passes with precomputed taps do the same
// filtering at a fraction of that, and writing into the frame's window saves the embed and
// the copy out of libvips. Large reductions (below 1/2) stay with libvips, which shrinks on
// load and box-filters before its own Lanczos reduce.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace fw {

struct PixelView {
  const std::uint8_t* data = nullptr;
  std::uint32_t width = 0, height = 0, channels = 1;
  std::size_t stride = 0;  // bytes from one row to the next
};

struct PixelWindow {
  std::uint8_t* data = nullptr;  // the window's first pixel
  std::uint32_t width = 0, height = 0;
  std::size_t stride = 0;  // bytes from one row to the next (the whole frame's row)
};

using ToneTable = std::array<std::uint8_t, 256>;

// Whether resample() handles this size change (neither axis shrinks below 1/2, and the
// source has room for the kernel: at least 6 pixels each way).
bool resample_supported(std::uint32_t from_width, std::uint32_t from_height, std::uint32_t to_width,
                        std::uint32_t to_height);

// How rows are filtered: with the CPU's widest vectors where it has them, or by the plain
// loops (for tests, which check that both write the same bytes).
enum class RowFilter { fastest, portable };

// Resamples `in` to the window's size (pixel centres aligned, edges extended) and writes
// tone[value] for every sample. `out` has `in.channels` interleaved samples per pixel.
void resample(const PixelView& in, const PixelWindow& out, const ToneTable& tone,
              RowFilter filter = RowFilter::fastest);

// Copies `in` into the window, trimming or repeating the last row/column when the sizes
// differ by a pixel (PDF pages rasterised at frame resolution), through `tone`.
void copy_into(const PixelView& in, const PixelWindow& out, const ToneTable& tone);

}  // namespace fw
