#include "color/paper.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numeric>

#include "base/row_kernel.hpp"

namespace fw {
namespace {

// A block whose code values have a standard deviation above this holds an edge or print; a
// scanner's noise on paper is 2-4 codes.
constexpr double kUniformStd = 6.0;
// Paper blocks lie within this many codes of each other (uneven ageing, foxing at the edge).
constexpr int kClusterCodes = 12;
// The paper covers at least this share of the page's blocks (and at least kLeastBlocks).
constexpr double kLargeShare = 0.05;
constexpr std::size_t kLeastBlocks = 16;

// Adds `rows` rows of `span` pixels (in page terms: paper bright) to each column's sum and sum
// of squares. Contiguous along the row, so vectorised across it; summing each block's few
// pixels of a row in turn was 7 % of a grey job's CPU (bench/README.md).
FW_ROW_KERNEL void add_rows(const std::uint8_t* first_row, std::size_t stride, std::uint32_t rows,
                            std::uint32_t span, bool bright, std::uint32_t* column,
                            std::uint32_t* column2) {
  for (std::uint32_t y = 0; y < rows; ++y) {
    const std::uint8_t* row = first_row + y * stride;
    if (bright) {
      for (std::uint32_t x = 0; x < span; ++x) {
        const std::uint32_t v = row[x];
        column[x] += v;
        column2[x] += v * v;
      }
    } else {
      for (std::uint32_t x = 0; x < span; ++x) {
        const std::uint32_t v = 255u - row[x];
        column[x] += v;
        column2[x] += v * v;
      }
    }
  }
}

}  // namespace

std::uint32_t paper_block_px(double pitch_um) {
  return std::max<std::uint32_t>(4, static_cast<std::uint32_t>(std::lround(20.0 / pitch_um)));
}

Paper find_paper(std::span<const std::uint8_t> pixels, std::uint32_t width, std::uint32_t height,
                 PageRect page, bool paper_is_bright, std::uint32_t block_px) {
  Paper paper;
  paper.block_px = block_px;
  page.width = std::min(page.width, width > page.x ? width - page.x : 0);
  page.height = std::min(page.height, height > page.y ? height - page.y : 0);
  const std::uint32_t bx = page.width / block_px, by = page.height / block_px;
  if (bx == 0 || by == 0) return paper;

  // Each block's mean (in page terms: paper bright) and whether it is uniform.
  std::vector<int> mean(std::size_t{bx} * by, -1);
  std::array<std::size_t, 256> histogram{};
  const double n = double(block_px) * block_px;
  // Sums of code values are whole numbers, added as integers (exact). A row of blocks at a
  // time: first down each column of the row's pixels, then across each block's columns.
  const std::uint32_t span_px = bx * block_px;
  std::vector<std::uint32_t> column(span_px), column2(span_px);
  std::vector<std::uint64_t> sums(bx), sums2(bx);
  for (std::uint32_t j = 0; j < by; ++j) {
    std::fill(column.begin(), column.end(), 0);
    std::fill(column2.begin(), column2.end(), 0);
    add_rows(pixels.data() + std::size_t{page.y + j * block_px} * width + page.x, width, block_px,
             span_px, paper_is_bright, column.data(), column2.data());
    for (std::uint32_t i = 0; i < bx; ++i) {
      const auto first = column.begin() + std::ptrdiff_t{i} * block_px;
      const auto first2 = column2.begin() + std::ptrdiff_t{i} * block_px;
      sums[i] = std::accumulate(first, first + block_px, std::uint64_t{0});
      sums2[i] = std::accumulate(first2, first2 + block_px, std::uint64_t{0});
    }
    for (std::uint32_t i = 0; i < bx; ++i) {
      const double sum = static_cast<double>(sums[i]), sum2 = static_cast<double>(sums2[i]);
      const double m = sum / n;
      if (sum2 / n - m * m > kUniformStd * kUniformStd) continue;
      const int level = static_cast<int>(std::lround(m));
      mean[std::size_t{j} * bx + i] = level;
      ++histogram[level];
    }
  }

  // The brightest window of kClusterCodes levels that holds a large share of the blocks.
  const std::size_t need =
      std::max(kLeastBlocks, static_cast<std::size_t>(std::lround(kLargeShare * bx * by)));
  std::size_t window = 0;
  int top = -1;
  for (int v = 255; v >= 0; --v) {
    window += histogram[v];
    if (v + kClusterCodes <= 255) window -= histogram[v + kClusterCodes];
    if (window >= need) {
      top = std::min(255, v + kClusterCodes - 1);
      break;
    }
  }
  if (top < 0) return paper;
  // The cluster: every uniform block within twice the window below its top; its median.
  const int low = std::max(0, top - 2 * kClusterCodes + 1);
  std::size_t count = 0;
  for (int v = low; v <= top; ++v) count += histogram[v];
  std::size_t seen = 0;
  int median = top;
  for (int v = low; v <= top; ++v) {
    seen += histogram[v];
    if (2 * seen >= count) {
      median = v;
      break;
    }
  }
  paper.found = true;
  paper.level = static_cast<std::uint8_t>(median);
  paper.blocks_x = bx;
  paper.blocks_y = by;
  paper.blocks.assign(std::size_t{bx} * by, 0);
  for (std::size_t i = 0; i < paper.blocks.size(); ++i) {
    paper.blocks[i] = mean[i] >= 0 && std::abs(mean[i] - median) <= kClusterCodes;
  }
  return paper;
}

}  // namespace fw
