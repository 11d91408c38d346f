#include "qc/measure.hpp"

#include <algorithm>
#include <cmath>

namespace fw::qc {

std::vector<std::uint8_t> erode(const std::vector<std::uint8_t>& mask, std::uint32_t width,
                                std::uint32_t height, std::uint32_t r) {
  // Integral image of the mask: a pixel survives when its window is full.
  const std::size_t w1 = std::size_t{width} + 1;
  std::vector<std::uint32_t> sum(w1 * (height + 1), 0);
  for (std::uint32_t y = 0; y < height; ++y) {
    std::uint32_t row = 0;
    for (std::uint32_t x = 0; x < width; ++x) {
      row += mask[std::size_t{y} * width + x] ? 1 : 0;
      sum[(y + 1) * w1 + x + 1] = sum[y * w1 + x + 1] + row;
    }
  }
  std::vector<std::uint8_t> out(mask.size(), 0);
  const std::uint32_t full = (2 * r + 1) * (2 * r + 1);
  for (std::uint32_t y = r; y + r < height; ++y) {
    for (std::uint32_t x = r; x + r < width; ++x) {
      const std::size_t x0 = x - r, x1 = x + r + 1, y0 = y - r, y1 = y + r + 1;
      const std::uint32_t n =
          sum[y1 * w1 + x1] - sum[y0 * w1 + x1] - sum[y1 * w1 + x0] + sum[y0 * w1 + x0];
      out[std::size_t{y} * width + x] = n == full;
    }
  }
  return out;
}

MaskedMean masked_mean(const Plane& film, const std::vector<std::uint8_t>& mask, Rect rect) {
  double sum = 0;
  std::size_t n = 0;
  for (std::uint32_t y = rect.y; y < rect.y + rect.height && y < film.height; ++y) {
    for (std::uint32_t x = rect.x; x < rect.x + rect.width && x < film.width; ++x) {
      const std::size_t i = std::size_t{y} * film.width + x;
      if (!mask[i]) continue;
      sum += film.v[i];
      ++n;
    }
  }
  return {n ? sum / n : 0, n};
}

Ssim ssim(const Plane& a, const Plane& b, std::uint32_t block, double range) {
  Ssim out;
  if (a.width == 0 || a.height == 0) return out;
  const double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
  constexpr std::uint32_t kR = 3;  // 7 x 7 window
  const std::uint32_t w = a.width, h = a.height;
  block = std::max<std::uint32_t>(8, std::min({block, w, h}));
  const std::uint32_t blocks_x = (w + block - 1) / block;
  double total = 0;
  out.worst_block = 2;
  // One band of blocks at a time: the integral images cover the band and its window margin,
  // so memory stays a few rows deep whatever the frame's size.
  std::vector<double> sa, sb, saa, sbb, sab;
  std::vector<double> block_sum(blocks_x);
  std::vector<std::size_t> block_n(blocks_x);
  for (std::uint32_t by = 0; by < h; by += block) {
    const std::uint32_t y_end = std::min(h, by + block);
    const std::uint32_t r0 = by >= kR ? by - kR : 0, r1 = std::min(h, y_end + kR);
    const std::size_t rows = r1 - r0, w1 = std::size_t{w} + 1;
    for (auto* s : {&sa, &sb, &saa, &sbb, &sab}) s->assign(w1 * (rows + 1), 0.0);
    for (std::uint32_t y = r0; y < r1; ++y) {
      double ra = 0, rb = 0, raa = 0, rbb = 0, rab = 0;
      const std::size_t row = y - r0;
      for (std::uint32_t x = 0; x < w; ++x) {
        const double va = a.at(x, y), vb = b.at(x, y);
        ra += va;
        rb += vb;
        raa += va * va;
        rbb += vb * vb;
        rab += va * vb;
        const std::size_t i = (row + 1) * w1 + x + 1, up = row * w1 + x + 1;
        sa[i] = sa[up] + ra;
        sb[i] = sb[up] + rb;
        saa[i] = saa[up] + raa;
        sbb[i] = sbb[up] + rbb;
        sab[i] = sab[up] + rab;
      }
    }
    std::fill(block_sum.begin(), block_sum.end(), 0.0);
    std::fill(block_n.begin(), block_n.end(), 0);
    for (std::uint32_t y = by; y < y_end; ++y) {
      const std::size_t y0 = (y >= r0 + kR ? y - kR : r0) - r0, y1 = std::min(r1, y + kR + 1) - r0;
      for (std::uint32_t x = 0; x < w; ++x) {
        const std::size_t x0 = x >= kR ? x - kR : 0, x1 = std::min(w, x + kR + 1);
        const double n = double((y1 - y0) * (x1 - x0));
        auto box = [&](const std::vector<double>& s) {
          return (s[y1 * w1 + x1] - s[y0 * w1 + x1] - s[y1 * w1 + x0] + s[y0 * w1 + x0]) / n;
        };
        const double ma = box(sa), mb = box(sb);
        const double va = std::max(0.0, box(saa) - ma * ma), vb = std::max(0.0, box(sbb) - mb * mb);
        const double cov = box(sab) - ma * mb;
        const double s =
            ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        total += s;
        block_sum[x / block] += s;
        ++block_n[x / block];
      }
    }
    for (std::uint32_t bx = 0; bx < blocks_x; ++bx) {
      if (block_n[bx] == 0) continue;
      const double mean = block_sum[bx] / block_n[bx];
      if (mean < out.worst_block) {
        out.worst_block = mean;
        out.worst = {bx * block, by, std::min(block, w - bx * block), y_end - by};
      }
    }
  }
  out.mean = total / (double(w) * h);
  return out;
}

}  // namespace fw::qc
