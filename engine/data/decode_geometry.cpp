// Finding a data frame's symbol on the developed film (decode_geometry.hpp).
#include "data/decode_geometry.hpp"

#include <numbers>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

namespace fw::data::detail {

Otsu otsu(const FilmImage& im) {
  std::vector<float> values;
  const std::size_t count = im.darkness.size();
  const std::size_t step = std::max<std::size_t>(1, count / 400000);
  for (std::size_t i = 0; i < count; i += step) values.push_back(im.darkness[i]);
  std::sort(values.begin(), values.end());
  const float lo = values[values.size() / 1000],
              hi = values[values.size() - 1 - values.size() / 1000];
  Otsu out{(lo + hi) / 2, lo, hi};
  if (!(hi > lo)) return out;
  constexpr int kBins = 512;
  std::array<double, kBins> hist{};
  for (float v : values) {
    const int b = std::clamp(static_cast<int>((v - lo) / (hi - lo) * kBins), 0, kBins - 1);
    hist[b] += 1;
  }
  const double total = static_cast<double>(values.size());
  double sum_all = 0;
  for (int b = 0; b < kBins; ++b) sum_all += b * hist[b];
  double w0 = 0, sum0 = 0, best = -1;
  int best_b = kBins / 2;
  for (int b = 0; b < kBins - 1; ++b) {
    w0 += hist[b];
    sum0 += b * hist[b];
    const double w1 = total - w0;
    if (w0 == 0 || w1 == 0) continue;
    const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      best_b = b;
    }
  }
  const auto value = [&](double bin) {
    return static_cast<float>(lo + (bin + 0.5) / kBins * (hi - lo));
  };
  double s0 = 0, n0 = 0, s1 = 0, n1 = 0;
  for (int b = 0; b < kBins; ++b) {
    if (b <= best_b) {
      s0 += b * hist[b];
      n0 += hist[b];
    } else {
      s1 += b * hist[b];
      n1 += hist[b];
    }
  }
  out.threshold = value(best_b + 0.5);
  out.low = n0 > 0 ? value(s0 / n0) : lo;
  out.high = n1 > 0 ? value(s1 / n1) : hi;
  return out;
}

namespace {

Blob largest_blob_at(const FilmImage& im, float threshold) {
  struct Run {
    std::int32_t x0, x1, parent;
  };
  std::vector<Run> runs;
  std::vector<std::uint32_t> row_start(im.height + 1);
  const auto find = [&](std::int32_t i) {
    while (runs[i].parent != i) {
      runs[i].parent = runs[runs[i].parent].parent;
      i = runs[i].parent;
    }
    return i;
  };
  for (std::uint32_t y = 0; y < im.height; ++y) {
    row_start[y] = static_cast<std::uint32_t>(runs.size());
    const float* row = im.darkness.data() + std::size_t{y} * im.width;
    for (std::uint32_t x = 0; x < im.width;) {
      if (row[x] <= threshold) {
        ++x;
        continue;
      }
      const std::uint32_t start = x;
      while (x < im.width && row[x] > threshold) ++x;
      runs.push_back({static_cast<std::int32_t>(start), static_cast<std::int32_t>(x - 1),
                      static_cast<std::int32_t>(runs.size())});
    }
    if (y == 0) continue;
    // Join with the overlapping runs of the row above (8-connected).
    std::uint32_t a = row_start[y - 1];
    const std::uint32_t a_end = row_start[y];
    for (std::uint32_t r = row_start[y]; r < runs.size(); ++r) {
      while (a < a_end && runs[a].x1 < runs[r].x0 - 1) ++a;
      for (std::uint32_t b = a; b < a_end && runs[b].x0 <= runs[r].x1 + 1; ++b) {
        const std::int32_t ra = find(static_cast<std::int32_t>(b)),
                           rb = find(static_cast<std::int32_t>(r));
        if (ra != rb) runs[std::max(ra, rb)].parent = std::min(ra, rb);
      }
    }
  }
  row_start[im.height] = static_cast<std::uint32_t>(runs.size());
  struct Stats {
    std::int64_t x0 = INT64_MAX, y0 = INT64_MAX, x1 = -1, y1 = -1;
  };
  std::vector<std::int32_t> slot(runs.size(), -1);
  std::vector<Stats> stats;
  std::vector<std::int32_t> root_of(runs.size());
  for (std::uint32_t y = 0; y < im.height; ++y) {
    for (std::uint32_t r = row_start[y]; r < row_start[y + 1]; ++r) {
      const std::int32_t root = find(static_cast<std::int32_t>(r));
      root_of[r] = root;
      if (slot[root] < 0) {
        slot[root] = static_cast<std::int32_t>(stats.size());
        stats.emplace_back();
      }
      Stats& s = stats[slot[root]];
      s.x0 = std::min<std::int64_t>(s.x0, runs[r].x0);
      s.x1 = std::max<std::int64_t>(s.x1, runs[r].x1);
      s.y0 = std::min<std::int64_t>(s.y0, y);
      s.y1 = std::max<std::int64_t>(s.y1, y);
    }
  }
  Blob best;
  std::int64_t best_area = 0;
  std::int32_t best_slot = -1;
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const Stats& s = stats[i];
    const std::int64_t area = (s.x1 - s.x0 + 1) * (s.y1 - s.y0 + 1);
    if (area > best_area) {
      best_area = area;
      best_slot = static_cast<std::int32_t>(i);
      best.found = true;
      best.x0 = s.x0, best.y0 = s.y0, best.x1 = s.x1, best.y1 = s.y1;
    }
  }
  if (!best.found) return best;
  // A clear scratch across the ring cuts it in pieces: the other big pieces next to the
  // chosen one join it (data and timing inside it may join too: they lie within the ring).
  std::vector<char> joined(stats.size(), 0);
  joined[best_slot] = 1;
  for (bool grew = true; grew;) {
    grew = false;
    // Ends within a twentieth of the symbol's size: a rotated symbol's pieces still line up.
    const std::int64_t gap =
        std::max<std::int64_t>(8, (best.x1 - best.x0 + best.y1 - best.y0) / 20);
    for (std::size_t i = 0; i < stats.size(); ++i) {
      const Stats& s = stats[i];
      if (joined[i]) continue;
      // A piece of the ring spans the same rows (cut by scratches along the film) or the same
      // columns (cut across), wherever it lies: marks beside the symbol (a blip, an address)
      // do not. Pieces between two cuts are not needed: the sides are fitted from outside.
      const bool rows = std::abs(s.y0 - best.y0) <= gap && std::abs(s.y1 - best.y1) <= gap;
      const bool columns = std::abs(s.x0 - best.x0) <= gap && std::abs(s.x1 - best.x1) <= gap;
      if (!rows && !columns) continue;
      joined[i] = 1;
      best.x0 = std::min(best.x0, s.x0), best.x1 = std::max(best.x1, s.x1);
      best.y0 = std::min(best.y0, s.y0), best.y1 = std::max(best.y1, s.y1);
      grew = true;
    }
  }
  const std::size_t w = static_cast<std::size_t>(best.x1 - best.x0 + 1);
  std::vector<std::int64_t> top(w, INT64_MAX), bottom(w, -1);
  for (std::uint32_t y = 0; y < im.height; ++y) {
    std::int64_t left = INT64_MAX, right = -1;
    for (std::uint32_t r = row_start[y]; r < row_start[y + 1]; ++r) {
      if (!joined[slot[root_of[r]]]) continue;
      left = std::min<std::int64_t>(left, runs[r].x0);
      right = std::max<std::int64_t>(right, runs[r].x1);
      for (std::int64_t x = runs[r].x0; x <= runs[r].x1; ++x) {
        const std::size_t i = static_cast<std::size_t>(x - best.x0);
        top[i] = std::min<std::int64_t>(top[i], y);
        bottom[i] = std::max<std::int64_t>(bottom[i], y);
      }
    }
    if (right >= 0) {
      best.sides[3].push_back({double(left), double(y)});
      best.sides[1].push_back({double(right), double(y)});
    }
  }
  for (std::size_t i = 0; i < w; ++i) {
    if (bottom[i] < 0) continue;
    best.sides[0].push_back({double(best.x0 + std::int64_t(i)), double(top[i])});
    best.sides[2].push_back({double(best.x0 + std::int64_t(i)), double(bottom[i])});
  }
  return best;
}

}  // namespace

Blob largest_blob(const FilmImage& im, float threshold) {
  if (std::size_t{im.width} * im.height < (4u << 20)) return largest_blob_at(im, threshold);
  FilmImage half{im.width / 2, im.height / 2, {}, im.is_density};
  half.darkness.resize(std::size_t{half.width} * half.height);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, half.height, 64), [&](const auto& rows) {
    for (std::uint32_t y = rows.begin(); y < rows.end(); ++y) {
      const float* a = im.darkness.data() + std::size_t{2 * y} * im.width;
      const float* b = a + im.width;
      float* out = half.darkness.data() + std::size_t{y} * half.width;
      for (std::uint32_t x = 0; x < half.width; ++x) {
        out[x] = (a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1]) / 4;
      }
    }
  });
  Blob blob = largest_blob_at(half, threshold);
  for (auto& side : blob.sides) {
    for (Point& p : side) p = {2 * p.x + 0.5, 2 * p.y + 0.5};
  }
  blob.x0 *= 2, blob.y0 *= 2, blob.x1 = 2 * blob.x1 + 1, blob.y1 = 2 * blob.y1 + 1;
  return blob;
}

std::optional<Line> fit_line(std::vector<Point> points) {
  for (int iteration = 0; iteration < 4; ++iteration) {
    if (points.size() < 6) return std::nullopt;
    Point mean{};
    for (const Point& p : points) mean = mean + p;
    mean = (1.0 / points.size()) * mean;
    double sxx = 0, syy = 0, sxy = 0;
    for (const Point& p : points) {
      const Point d = p - mean;
      sxx += d.x * d.x;
      syy += d.y * d.y;
      sxy += d.x * d.y;
    }
    // Total least squares: the normal is the eigenvector of the smaller eigenvalue.
    const double angle = 0.5 * std::atan2(2 * sxy, sxx - syy);
    const Point dir{std::cos(angle), std::sin(angle)};
    const Point n{-dir.y, dir.x};
    const double c = n.x * mean.x + n.y * mean.y;
    std::vector<double> residuals;
    residuals.reserve(points.size());
    for (const Point& p : points) residuals.push_back(std::abs(n.x * p.x + n.y * p.y - c));
    std::vector<double> sorted = residuals;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const double limit = std::max(0.75, 4.5 * sorted[sorted.size() / 2]);
    std::vector<Point> kept;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (residuals[i] <= limit) kept.push_back(points[i]);
    }
    if (kept.size() == points.size() || iteration == 3) return Line{n, c};
    points = std::move(kept);
  }
  return std::nullopt;
}

std::optional<Line> robust_line(const std::vector<Point>& points, bool vertical,
                                bool outer_is_low) {
  const std::size_t n = points.size();
  if (n < 16) return std::nullopt;
  const auto a_of = [&](const Point& p) { return vertical ? p.y : p.x; };
  const auto b_of = [&](const Point& p) { return vertical ? p.x : p.y; };
  // Pairs a thirty-second of the side apart: mostly from one population (the ring, or the
  // edges inside it where scratches cut the ring), close enough for a slope within a pixel.
  const std::size_t d = std::max<std::size_t>(8, n / 32);
  std::vector<double> slopes;
  for (std::size_t i = 0; i + d < n; ++i) {
    const Point& p = points[i];
    const Point& q = points[i + d];
    if (a_of(q) != a_of(p)) slopes.push_back((b_of(q) - b_of(p)) / (a_of(q) - a_of(p)));
  }
  if (slopes.empty()) return std::nullopt;
  std::nth_element(slopes.begin(), slopes.begin() + slopes.size() / 2, slopes.end());
  const double slope = slopes[slopes.size() / 2];
  // The intercept near the outer end: where scratches cut the ring, the pixels seen from
  // outside are the timing track's or the data's, inside the ring and parallel to it; the
  // ring's own stay the outermost (dust on the edge, further out, is rarer than a tenth).
  std::vector<double> intercepts;
  intercepts.reserve(points.size());
  for (const Point& p : points) intercepts.push_back(b_of(p) - slope * a_of(p));
  const std::size_t at = outer_is_low ? n / 10 : n - 1 - n / 10;
  std::nth_element(intercepts.begin(), intercepts.begin() + at, intercepts.end());
  const double intercept = intercepts[at];
  std::vector<Point> near;
  const double scale = std::sqrt(1 + slope * slope);
  for (const Point& p : points) {
    if (std::abs(b_of(p) - slope * a_of(p) - intercept) / scale <= 3) near.push_back(p);
  }
  return fit_line(near);
}

std::optional<Point> intersect(const Line& a, const Line& b) {
  const double det = a.n.x * b.n.y - a.n.y * b.n.x;
  if (std::abs(det) < 1e-9) return std::nullopt;
  return Point{(a.c * b.n.y - b.c * a.n.y) / det, (a.n.x * b.c - b.n.x * a.c) / det};
}

std::vector<Point> edge_points(const FilmImage& im, Point a, Point b, double radius, float mid,
                               int count) {
  const Point along = b - a;
  const double len = length(along);
  const Point u = (1.0 / len) * along;
  const Point outward{u.y, -u.x};
  std::vector<Point> out;
  constexpr double kStep = 0.25;
  for (int i = 0; i < count; ++i) {
    const double t = 0.06 + 0.88 * (i + 0.5) / count;
    const Point p = a + (t * len) * u;
    // From outside inward: the first rise through `mid` after film below it.
    bool below = false;
    float previous = 0;
    for (double s = radius; s >= -radius; s -= kStep) {
      const Point q = p + s * outward;
      const float v = sample(im, q.x, q.y);
      if (v <= mid) {
        below = true;
      } else if (below) {
        const double f = (mid - previous) / (v - previous);  // previous <= mid < v
        out.push_back(p + (s + kStep * (1 - f)) * outward);
        break;
      }
      previous = v;
    }
  }
  return out;
}

double border_thickness(const FilmImage& im, const std::vector<Point>& points, Point inward,
                        float mid, double limit) {
  std::vector<double> runs;
  for (const Point& p : points) {
    double s = 0.5;
    while (s < limit && sample(im, p.x + s * inward.x, p.y + s * inward.y) > mid) s += 0.25;
    if (s < limit) runs.push_back(s);
  }
  if (runs.empty()) return 0;
  std::nth_element(runs.begin(), runs.begin() + runs.size() / 2, runs.end());
  return runs[runs.size() / 2];
}

Homography homography(const std::array<Point, 4>& from, const std::array<Point, 4>& to) {
  double a[8][9] = {};
  for (int i = 0; i < 4; ++i) {
    const double u = from[i].x, v = from[i].y, x = to[i].x, y = to[i].y;
    double* r0 = a[2 * i];
    double* r1 = a[2 * i + 1];
    r0[0] = u, r0[1] = v, r0[2] = 1, r0[6] = -u * x, r0[7] = -v * x, r0[8] = x;
    r1[3] = u, r1[4] = v, r1[5] = 1, r1[6] = -u * y, r1[7] = -v * y, r1[8] = y;
  }
  for (int c = 0; c < 8; ++c) {
    int pivot = c;
    for (int r = c + 1; r < 8; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    }
    for (int k = 0; k < 9; ++k) std::swap(a[c][k], a[pivot][k]);
    for (int r = 0; r < 8; ++r) {
      if (r == c || a[c][c] == 0) continue;
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < 9; ++k) a[r][k] -= f * a[c][k];
    }
  }
  Homography out;
  for (int i = 0; i < 8; ++i) out.h[i] = a[i][i] != 0 ? a[i][8] / a[i][i] : 0;
  out.h[8] = 1;
  return out;
}

std::uint32_t count_modules(const std::vector<float>& profile, double estimate, double* strength) {
  const std::size_t n = profile.size();
  double mean = 0;
  for (float v : profile) mean += v;
  mean /= n;
  double var = 0;
  for (float v : profile) var += (v - mean) * (v - mean);
  if (var <= 0) return 0;
  const double rms = std::sqrt(var / n);
  std::uint32_t best = 0;
  double best_mag = 0;
  const auto lo = static_cast<std::uint32_t>(std::max(21.0, estimate * 0.8));
  const auto hi = static_cast<std::uint32_t>(estimate * 1.25) + 2;
  for (std::uint32_t m = lo | 1; m <= hi; m += 2) {
    // The profile spans u in [0.03, 0.97] evenly; the phasor turns by a fixed step per sample
    // (renormalised now and then), which spares a sine and a cosine per sample.
    const double f = 2 * std::numbers::pi * m / 2.0;
    const double step = f * 0.94 / n;
    const double c = std::cos(step), sn = std::sin(step);
    double pr = std::cos(f * (0.03 + 0.47 / n)), pi = std::sin(f * (0.03 + 0.47 / n));
    double re = 0, im = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = profile[i] - mean;
      re += v * pr;
      im += v * pi;
      const double r = pr * c - pi * sn;
      pi = pr * sn + pi * c;
      pr = r;
      if ((i & 1023) == 1023) {
        const double norm = std::hypot(pr, pi);
        pr /= norm;
        pi /= norm;
      }
    }
    const double mag = std::hypot(re, im);
    if (mag > best_mag) {
      best_mag = mag;
      best = m;
    }
  }
  // A full-scale square wave gives about 0.9 here, noise about 1/sqrt(n).
  *strength = 2 * best_mag / n / (rms * std::sqrt(2.0));
  return best;
}

}  // namespace fw::data::detail
