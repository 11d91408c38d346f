#include "qc/measure.hpp"

#include <algorithm>
#include <cmath>

namespace fw::qc {

void erode(MaskPlane mask, std::uint32_t r) {
  const std::uint32_t w = mask.width, h = mask.height, full = 2 * r + 1;
  if (r == 0) return;
  if (w < full || h < full) {
    std::fill(mask.bits.begin(), mask.bits.end(), 0);
    return;
  }
  // Rows: a pixel keeps what every pixel of its window has.
  std::vector<std::uint8_t> in(w);
  for (std::uint32_t y = 0; y < h; ++y) {
    std::uint8_t* row = mask.bits.data() + std::size_t{y} * w;
    std::copy(row, row + w, in.begin());
    std::uint8_t* out = row + r;
    const std::uint32_t n = w - 2 * r;
    std::copy(in.begin(), in.begin() + n, out);
    for (std::uint32_t k = 1; k < full; ++k) {
      const std::uint8_t* shifted = in.data() + k;
      for (std::uint32_t x = 0; x < n; ++x) out[x] &= shifted[x];
    }
    std::fill(row, row + r, 0);
    std::fill(row + w - r, row + w, 0);
  }
  // Columns: the rows a window spans are kept in a ring, since the plane is overwritten as it
  // goes.
  std::vector<std::uint8_t> ring(std::size_t{full} * w);
  for (std::uint32_t y = 0; y < h; ++y) {
    std::uint8_t* row = mask.bits.data() + std::size_t{y} * w;
    std::copy(row, row + w, ring.begin() + std::ptrdiff_t(std::size_t{y % full} * w));
    if (y + 1 < full) continue;
    std::uint8_t* out = mask.bits.data() + std::size_t{y - r} * w;
    std::copy(ring.begin(), ring.begin() + w, out);
    for (std::uint32_t k = 1; k < full; ++k) {
      const std::uint8_t* other = ring.data() + std::size_t{k} * w;
      for (std::uint32_t x = 0; x < w; ++x) out[x] &= other[x];
    }
  }
  std::fill(mask.bits.begin(), mask.bits.begin() + std::ptrdiff_t(std::size_t{r} * w), 0);
  std::fill(mask.bits.end() - std::ptrdiff_t(std::size_t{r} * w), mask.bits.end(), 0);
}

MaskedMean masked_mean(const FilmPlane& film, std::span<const std::uint8_t> mask, std::uint8_t bit,
                       Rect rect) {
  std::uint64_t sum = 0;
  std::size_t n = 0;
  const std::uint32_t y1 = std::min(film.height, rect.y + rect.height);
  const std::uint32_t x1 = std::min(film.width, rect.x + rect.width);
  for (std::uint32_t y = rect.y; y < y1; ++y) {
    const std::size_t row = std::size_t{y} * film.width;
    std::uint64_t s = 0;
    std::uint32_t c = 0;
    if (film.stride == 1) {
      const std::uint16_t* v = film.data + row;
      const std::uint8_t* m = mask.data() + row;
      for (std::uint32_t x = rect.x; x < x1; ++x) {
        const bool in = (m[x] & bit) != 0;
        s += in ? v[x] : 0u;
        c += in;
      }
    } else {
      for (std::uint32_t x = rect.x; x < x1; ++x) {
        if (!(mask[row + x] & bit)) continue;
        s += film.data[(row + x) * film.stride];
        ++c;
      }
    }
    sum += s;
    n += c;
  }
  return {n ? static_cast<double>(sum) / static_cast<double>(n) / film.scale : 0, n};
}

double mean_density(const FilmPlane& film, Rect rect) {
  std::uint64_t sum = 0;
  std::size_t n = 0;
  for (std::uint32_t y = rect.y; y < rect.y + rect.height && y < film.height; ++y) {
    for (std::uint32_t x = rect.x; x < rect.x + rect.width && x < film.width; ++x) {
      sum += film.raw(x, y);
      ++n;
    }
  }
  return n ? static_cast<double>(sum) / static_cast<double>(n) / film.scale : 0;
}

namespace {

// The 3 x 3 box of for_ssim, in place (two rows of the input kept); the outermost rows and
// columns keep their binned values.
void smooth3(Plane& p) {
  const std::uint32_t w = p.width, h = p.height;
  if (w < 3 || h < 3) return;
  std::vector<double> above(p.v.data(), p.v.data() + w), here(w);
  for (std::uint32_t y = 1; y + 1 < h; ++y) {
    double* row = p.v.data() + std::size_t{y} * w;
    const double* below = row + w;
    std::copy(row, row + w, here.begin());
    for (std::uint32_t x = 1; x + 1 < w; ++x) {
      double sum = 0;
      for (int dx = -1; dx <= 1; ++dx) sum += above[x + dx];
      for (int dx = -1; dx <= 1; ++dx) sum += here[x + dx];
      for (int dx = -1; dx <= 1; ++dx) sum += below[x + dx];
      row[x] = sum / 9;
    }
    std::swap(above, here);
  }
}

}  // namespace

Plane film_for_ssim(const FilmPlane& film, Rect rect, std::uint32_t factor) {
  Plane binned(rect.width / factor, rect.height / factor);
  const double n = double(factor) * factor * film.scale;
  // Whole binned rows at a time, summed as integers.
  std::vector<std::uint64_t> sums(binned.width);
  for (std::uint32_t by = 0; by < binned.height; ++by) {
    std::fill(sums.begin(), sums.end(), 0);
    for (std::uint32_t y = rect.y + by * factor; y < rect.y + (by + 1) * factor; ++y) {
      const std::uint16_t* row = film.data + (std::size_t{y} * film.width + rect.x) * film.stride;
      for (std::uint32_t bx = 0; bx < binned.width; ++bx) {
        std::uint32_t s = 0;
        for (std::uint32_t k = 0; k < factor; ++k)
          s += row[(std::size_t{bx} * factor + k) * film.stride];
        sums[bx] += s;
      }
    }
    for (std::uint32_t bx = 0; bx < binned.width; ++bx) {
      binned.v[std::size_t{by} * binned.width + bx] = static_cast<double>(sums[bx]) / n;
    }
  }
  smooth3(binned);
  return binned;
}

Plane expected_for_ssim(const std::uint8_t* codes, std::uint32_t width, std::uint32_t stride,
                        const double* tone, Rect rect, std::uint32_t factor) {
  Plane binned(rect.width / factor, rect.height / factor);
  const double n = double(factor) * factor;
  for (std::uint32_t by = 0; by < binned.height; ++by) {
    double* out = binned.v.data() + std::size_t{by} * binned.width;
    for (std::uint32_t y = rect.y + by * factor; y < rect.y + (by + 1) * factor; ++y) {
      const std::uint8_t* row = codes + (std::size_t{y} * width + rect.x) * stride;
      for (std::uint32_t bx = 0; bx < binned.width; ++bx) {
        double s = 0;
        for (std::uint32_t k = 0; k < factor; ++k)
          s += tone[row[(std::size_t{bx} * factor + k) * stride]];
        out[bx] += s;
      }
    }
    for (std::uint32_t bx = 0; bx < binned.width; ++bx) out[bx] /= n;
  }
  smooth3(binned);
  return binned;
}

Ssim ssim(const Plane& expected, const Plane& film, std::uint32_t block, double range) {
  const Plane& a = expected;  // a and b as in the SSIM formula: symmetric from here on
  const Plane& b = film;
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
