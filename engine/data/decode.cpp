// Developed film -> frame payloads (docs/data-frames.md, "Decoding").
//
// 1. Threshold (Otsu) and take the connected dense component with the largest bounding box:
//    the symbol's solid border ring. Its extreme points are rough corners.
// 2. Fit each outer edge of the ring as a line through many sub-pixel edge points (outliers
//    such as dust dropped); the four intersections are the symbol's corners.
// 3. The ring's thickness (3 modules) gives a rough module size; the timing tracks, read as
//    one long profile per side, give the exact module counts (the only strong frequency).
// 4. A homography maps module centres to the image; each module is sampled there.
// 5. The calibration bars give every level's density; local levels follow the film's density
//    variation tile by tile; each bit is read with a confidence.
// 6. The header (either copy, RS(192,128) + CRC) says what the frame is; the inner codewords
//    are unshuffled and decoded.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <numeric>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <vips/vips8>

#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "data/reed_solomon.hpp"
#include "data/symbol.hpp"

namespace fw::data {

using namespace detail;

namespace {

struct Point {
  double x = 0, y = 0;
};
Point operator+(Point a, Point b) {
  return {a.x + b.x, a.y + b.y};
}
Point operator-(Point a, Point b) {
  return {a.x - b.x, a.y - b.y};
}
Point operator*(double s, Point a) {
  return {s * a.x, s * a.y};
}
double length(Point a) {
  return std::hypot(a.x, a.y);
}

// Bilinear sample; pixel centres at integer coordinates, edges extended.
float sample(const FilmImage& im, double x, double y) {
  const double cx = std::clamp(x, 0.0, im.width - 1.0), cy = std::clamp(y, 0.0, im.height - 1.0);
  const auto x0 = static_cast<std::uint32_t>(cx), y0 = static_cast<std::uint32_t>(cy);
  const std::uint32_t x1 = std::min(x0 + 1, im.width - 1), y1 = std::min(y0 + 1, im.height - 1);
  const auto fx = static_cast<float>(cx - x0), fy = static_cast<float>(cy - y0);
  const float* d = im.darkness.data();
  const std::size_t w = im.width;
  const float top = d[y0 * w + x0] + fx * (d[y0 * w + x1] - d[y0 * w + x0]);
  const float bottom = d[y1 * w + x0] + fx * (d[y1 * w + x1] - d[y1 * w + x0]);
  return top + fy * (bottom - top);
}

struct Otsu {
  float threshold = 0, low = 0, high = 0;  // threshold and the two classes' means
};

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

// The dense connected component with the largest bounding box, by runs (union-find), with
// its extreme points in the four diagonal directions: rough corners of the border ring.
struct Blob {
  bool found = false;
  std::int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  // Its outermost pixels seen from each side: per row the leftmost and rightmost, per column
  // the topmost and bottommost. Most lie on the ring's outer edges; a scratch or dust joined
  // to the ring gives a few outliers.
  std::array<std::vector<Point>, 4> sides;  // top, right, bottom, left
};

Blob largest_blob_at(const FilmImage& im, float threshold);

// On a large image the blob is looked for at half resolution (a quarter of the pixels): the
// quiet zone still parts the symbol from what lies around it, and the edges are refined on
// the full image afterwards.
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

// A line n . p = c with unit normal n.
struct Line {
  Point n;
  double c = 0;
};

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

// Theil–Sen: the median of slopes between nearby points (the ring's edge and the parallel
// edges inside it agree), then the intercept; then a trimmed total least squares
// fit of the points close to that line.
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

// Sub-pixel points of the outer edge between rough corners a and b (clockwise, so the
// symbol lies to the right of a -> b), searched along the normal within `radius`.
std::vector<Point> edge_points(const FilmImage& im, Point a, Point b, double radius, float mid,
                               int count = 96) {
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

// Run length of dense film inward from edge points: the border's thickness, 3 modules.
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

// 3x3 homography mapping (u, v) -> image.
struct Homography {
  std::array<double, 9> h{};
  Point operator()(double u, double v) const {
    const double w = h[6] * u + h[7] * v + h[8];
    return {(h[0] * u + h[1] * v + h[2]) / w, (h[3] * u + h[4] * v + h[5]) / w};
  }
};

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

// Bilinear map of the unit square onto the corners (for the timing tracks, before the
// module counts are known).
Point unit_map(const std::array<Point, 4>& c, double u, double v) {
  return (1 - u) * (1 - v) * c[0] + u * (1 - v) * c[1] + u * v * c[2] + (1 - u) * v * c[3];
}

// The module count along a side: the track alternates dense and clear every module, so the
// profile's only strong frequency is count / 2 cycles per side. Returns 0 when no candidate
// stands out.
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

struct Grid {
  std::uint32_t nx = 0, ny = 0;
  std::vector<float> v;  // module samples, row-major
  float at(std::uint32_t x, std::uint32_t y) const { return v[std::size_t{y} * nx + x]; }
};

// Per-module levels from the bars (global) and from the data itself (local, tile by tile),
// so that the film's density variation across the frame does not move the thresholds.
struct Levels {
  int count = 2;
  std::array<float, 4> global{};
  std::uint32_t tiles_x = 0, tiles_y = 0, tile = 24;
  std::vector<std::array<float, 4>> local;

  std::array<float, 4> at(std::uint32_t x, std::uint32_t y) const {
    const double tx = std::clamp((x + 0.5) / tile - 0.5, 0.0, tiles_x - 1.0);
    const double ty = std::clamp((y + 0.5) / tile - 0.5, 0.0, tiles_y - 1.0);
    const auto x0 = static_cast<std::uint32_t>(tx), y0 = static_cast<std::uint32_t>(ty);
    const std::uint32_t x1 = std::min(x0 + 1, tiles_x - 1), y1 = std::min(y0 + 1, tiles_y - 1);
    const double fx = tx - x0, fy = ty - y0;
    std::array<float, 4> out{};
    for (int l = 0; l < count; ++l) {
      const double top = local[y0 * tiles_x + x0][l] * (1 - fx) + local[y0 * tiles_x + x1][l] * fx;
      const double bottom =
          local[y1 * tiles_x + x0][l] * (1 - fx) + local[y1 * tiles_x + x1][l] * fx;
      out[l] = static_cast<float>(top * (1 - fy) + bottom * fy);
    }
    return out;
  }
};

// Mean of the middle half: dust on a bar does not move it, and a mixture of two levels (a
// 2-bit bar read before the header says so) gives their middle.
float robust_mean(std::vector<float> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double sum = 0;
  const std::size_t a = v.size() / 4, b = std::max(a + 1, v.size() - v.size() / 4);
  for (std::size_t i = a; i < b; ++i) sum += v[i];
  return static_cast<float>(sum / (b - a));
}

std::optional<Levels> read_levels(const Layout& l, const Grid& g) {
  Levels out;
  out.count = 1 << l.code.bits_per_module;
  const int top = out.count - 1;
  std::array<std::vector<float>, 4> bar;
  for (std::uint32_t y :
       {kInterior + 1, kInterior + 2, l.modules_y - kInterior - 3, l.modules_y - kInterior - 2}) {
    for (std::uint32_t x0 = kInterior; x0 + kBarPatch <= l.modules_x - kInterior; x0 += kBarPatch) {
      const int level = bar_level((x0 - kInterior) / kBarPatch, l.code.bits_per_module);
      bar[level].push_back(g.at(x0 + 1, y));
      bar[level].push_back(g.at(x0 + 2, y));
    }
  }
  for (int i = 0; i < out.count; ++i) out.global[i] = robust_mean(bar[i]);
  for (int i = 1; i < out.count; ++i) {
    if (!(out.global[i] > out.global[i - 1])) return std::nullopt;
  }
  const float contrast = out.global[top] - out.global[0];
  out.tiles_x = (l.modules_x + out.tile - 1) / out.tile;
  out.tiles_y = (l.modules_y + out.tile - 1) / out.tile;
  out.local.resize(std::size_t{out.tiles_x} * out.tiles_y);
  // k-means on each tile's samples, started at the bars' levels; values far outside the
  // levels (dust, scratches) are clipped so that they cannot pull a level away.
  tbb::parallel_for(std::uint32_t{0}, out.tiles_y, [&](std::uint32_t ty) {
    std::vector<float> values;
    for (std::uint32_t tx = 0; tx < out.tiles_x; ++tx) {
      values.clear();
      for (std::uint32_t y = ty * out.tile; y < std::min(l.modules_y, (ty + 1) * out.tile); ++y) {
        for (std::uint32_t x = tx * out.tile; x < std::min(l.modules_x, (tx + 1) * out.tile); ++x) {
          values.push_back(std::clamp(g.at(x, y), out.global[0] - 0.25f * contrast,
                                      out.global[top] + 0.25f * contrast));
        }
      }
      std::array<float, 4> level = out.global;
      for (int iteration = 0; iteration < 4; ++iteration) {
        std::array<double, 4> sum{};
        std::array<int, 4> n{};
        for (float v : values) {
          int best = 0;
          for (int i = 1; i < out.count; ++i) {
            if (std::abs(v - level[i]) < std::abs(v - level[best])) best = i;
          }
          sum[best] += v;
          ++n[best];
        }
        for (int i = 0; i < out.count; ++i) {
          if (n[i] * 4 * out.count >= static_cast<int>(values.size())) {
            level[i] = static_cast<float>(sum[i] / n[i]);
          }
        }
      }
      bool sane = level[top] - level[0] > 0.5f * contrast;
      for (int i = 1; i < out.count; ++i) sane = sane && level[i] > level[i - 1];
      out.local[ty * out.tiles_x + tx] = sane ? level : out.global;
    }
  });
  return out;
}

// A module's level and how sure the reading is: 1 at a level, 0 at a threshold or far
// outside the levels (dust, a scratch).
struct Reading {
  int level = 0;
  float confidence = 0;
};
Reading read_module(const Levels& levels, const Grid& g, std::uint32_t x, std::uint32_t y) {
  const std::array<float, 4> lv = levels.at(x, y);
  const int top = levels.count - 1;
  const float v = g.at(x, y);
  const float span = lv[top] - lv[0];
  Reading r;
  for (int i = 1; i <= top; ++i) {
    if (v > (lv[i - 1] + lv[i]) / 2) r.level = i;
  }
  float distance = 1e9f;
  for (int i = 1; i <= top; ++i) {
    const float half = (lv[i] - lv[i - 1]) / 2;
    distance = std::min(distance, std::abs(v - (lv[i - 1] + half)) / half);
  }
  r.confidence = std::min(1.0f, distance);
  if (v > lv[top] + 0.6f * span || v < lv[0] - 0.6f * span) r.confidence = 0;
  return r;
}

struct Corrected {
  bool ok = false;
  int changed = 0;
  int margin = -1;
};

// Errors-only first (t = nroots/2: miscorrection odds about 1/t!); then, only with modules
// that read far outside the levels or on a threshold as erasures, while enough parity is
// left to check the result.
Corrected correct(const ReedSolomon& rs, std::span<std::uint8_t> word,
                  std::span<const float> confidence) {
  const int nroots = rs.parity();
  std::vector<std::uint8_t> before(word.begin(), word.end());
  const auto changed = [&] {
    int n = 0;
    for (std::size_t i = 0; i < word.size(); ++i) n += word[i] != before[i];
    return n;
  };
  ReedSolomon::Result r = rs.decode(word);
  if (r.ok) return {true, changed(), nroots / 2 - r.errors};
  std::vector<int> weak;
  for (std::size_t i = 0; i < confidence.size(); ++i) {
    if (confidence[i] < 0.2f) weak.push_back(static_cast<int>(i));
  }
  std::sort(weak.begin(), weak.end(), [&](int a, int b) { return confidence[a] < confidence[b]; });
  const int most = nroots - std::max(8, nroots / 4);
  if (weak.empty() || most <= 0) return {};
  weak.resize(std::min<std::size_t>(weak.size(), static_cast<std::size_t>(most)));
  r = rs.decode(word, weak);
  const int left = nroots - r.erasures;
  if (!r.ok || r.errors > left / 4) {
    std::copy(before.begin(), before.end(), word.begin());
    return {};
  }
  return {true, changed(), left / 2 - r.errors};
}

struct SymbolRead {
  bool ok = false;
  std::string error;
  FrameHeader header;
  std::uint32_t header_errors = 0;
};

// Reads the header from a sampled grid (one of the orientations tried).
SymbolRead read_header(const Layout& guess, const Grid& g, const Levels& levels) {
  SymbolRead out;
  const ReedSolomon code(kHeaderCodeword, kHeaderBytes);
  for (int copy = 0; copy < 2; ++copy) {
    const std::vector<std::uint32_t> modules = header_modules(guess, copy);
    std::vector<std::uint8_t> bytes(kHeaderCodeword, 0);
    std::vector<float> confidence(kHeaderCodeword, 1);
    const int top = levels.count - 1;
    for (std::size_t i = 0; i < modules.size(); ++i) {
      const std::uint32_t x = modules[i] & 0xFFFF, y = modules[i] >> 16;
      const std::array<float, 4> lv = levels.at(x, y);
      const float v = g.at(x, y), mid = (lv[0] + lv[top]) / 2, half = (lv[top] - lv[0]) / 2;
      if (v > mid) bytes[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
      confidence[i / 8] = std::min(confidence[i / 8], std::min(1.0f, std::abs(v - mid) / half));
    }
    for (std::uint32_t i = 0; i < kHeaderCodeword; ++i) bytes[i] ^= header_whiten(i);
    const Corrected c = correct(code, bytes, confidence);
    if (!c.ok) continue;
    FrameHeader h;
    if (!parse_header(bytes, h)) continue;
    if (h.modules_x != guess.modules_x || h.modules_y != guess.modules_y) continue;
    out.ok = true;
    out.header = h;
    out.header_errors = static_cast<std::uint32_t>(c.changed);
    return out;
  }
  out.error = "no readable header (both copies failed)";
  return out;
}

Grid transformed(const Grid& g, int variant) {
  if (variant == 0) return g;
  Grid out = g;
  for (std::uint32_t y = 0; y < g.ny; ++y) {
    for (std::uint32_t x = 0; x < g.nx; ++x) {
      const std::uint32_t sx = (variant & 1) ? g.nx - 1 - x : x;
      const std::uint32_t sy = (variant & 2) ? g.ny - 1 - y : y;
      out.v[std::size_t{y} * g.nx + x] = g.at(sx, sy);
    }
  }
  return out;
}

}  // namespace

FilmImage read_film_image(const std::filesystem::path& file) {
  try {
    vips::VImage image = vips::VImage::new_from_file(file.c_str());
    FilmImage out;
    std::string description;
    if (image.get_typeof("image-description") != 0)
      description = image.get_string("image-description");
    double scale = 0;
    if (const auto at = description.find("density x "); at != std::string::npos) {
      scale = std::atof(description.c_str() + at + 10);
    }
    if (image.bands() >= 3) image = image.colourspace(VIPS_INTERPRETATION_B_W);
    if (image.bands() > 1) image = image.extract_band(0);
    const bool is16 = image.format() == VIPS_FORMAT_USHORT;
    if (!is16 && image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_USHORT);
    out.width = static_cast<std::uint32_t>(image.width());
    out.height = static_cast<std::uint32_t>(image.height());
    out.darkness.resize(std::size_t{out.width} * out.height);
    std::size_t size = 0;
    void* data = image.write_to_memory(&size);
    if (image.format() == VIPS_FORMAT_USHORT) {
      const auto* p = static_cast<const std::uint16_t*>(data);
      if (scale > 0) {
        out.is_density = true;
        for (std::size_t i = 0; i < out.darkness.size(); ++i)
          out.darkness[i] = static_cast<float>(p[i] / scale);
      } else {
        // A transmission scan: density from the light that came through.
        std::array<float, 65536>* table = new std::array<float, 65536>;
        for (int v = 0; v < 65536; ++v)
          (*table)[v] = static_cast<float>(-std::log10(std::max(v, 1) / 65535.0));
        for (std::size_t i = 0; i < out.darkness.size(); ++i) out.darkness[i] = (*table)[p[i]];
        delete table;
      }
    } else {
      const auto* p = static_cast<const std::uint8_t*>(data);
      std::array<float, 256> table{};
      for (int v = 0; v < 256; ++v)
        table[v] = static_cast<float>(-std::log10(std::max(v, 1) / 255.0));
      for (std::size_t i = 0; i < out.darkness.size(); ++i) out.darkness[i] = table[p[i]];
    }
    g_free(data);
    return out;
  } catch (const vips::VError& e) {
    throw Error(ErrorKind::input, file.string() + ": cannot read film image: " + e.what());
  }
}

DecodedFrame decode_frame(const FilmImage& im, const std::string& source) {
  DecodedFrame out;
  out.source = source;
  const auto fail = [&](const std::string& why) {
    out.error = why;
    return out;
  };
  if (im.width < 32 || im.height < 32) return fail("image too small for a data frame");
  const Otsu levels0 = otsu(im);
  if (!(levels0.high - levels0.low > 0.05f)) return fail("no contrast: no data frame");
  const Blob blob = largest_blob(im, levels0.threshold);
  if (!blob.found || blob.x1 - blob.x0 < 40 || blob.y1 - blob.y0 < 40) {
    return fail("no symbol border found");
  }
  const float mid = levels0.threshold;
  // Each outer edge: a robust line through the blob's outermost pixels, then sub-pixel edge
  // points close to it (a scratch or dust across the edge drops out as an outlier).
  std::array<Line, 4> rough;
  for (int side = 0; side < 4; ++side) {
    const auto line = robust_line(blob.sides[side], side % 2 == 1, side == 0 || side == 3);
    if (!line) return fail("no straight symbol border found");
    rough[side] = *line;
  }
  std::array<Point, 4> corner;  // tl, tr, br, bl
  for (int i = 0; i < 4; ++i) {
    const auto c = intersect(rough[(i + 3) % 4], rough[i]);
    if (!c) return fail("the symbol border's edges do not meet");
    corner[i] = *c;
  }
  std::array<Line, 4> lines;
  std::array<std::vector<Point>, 4> points;
  for (int side = 0; side < 4; ++side) {
    // Clockwise, so the symbol lies to the right of a -> b.
    const Point a = corner[side], b = corner[(side + 1) % 4];
    if (length(b - a) < 40) return fail("no symbol border found");
    points[side] = edge_points(im, a, b, 6, mid);
    const auto line = fit_line(points[side]);
    if (!line) return fail("the symbol border's edges are not straight lines");
    lines[side] = *line;
  }
  for (int i = 0; i < 4; ++i) {
    const auto c = intersect(lines[(i + 3) % 4], lines[i]);
    if (!c) return fail("the symbol border's edges do not meet");
    corner[i] = *c;
  }
  const double width_px = (length(corner[1] - corner[0]) + length(corner[2] - corner[3])) / 2;
  const double height_px = (length(corner[3] - corner[0]) + length(corner[2] - corner[1])) / 2;
  const Point top_dir = corner[1] - corner[0];
  out.rotation_deg = std::atan2(top_dir.y, top_dir.x) * 180 / std::numbers::pi;

  // Rough module size from the border's thickness, inward from the top and left edges.
  const Point down = (1.0 / height_px) * (corner[3] - corner[0]);
  const Point right = (1.0 / width_px) * top_dir;
  const double thick = (border_thickness(im, points[0], down, mid, height_px / 8) +
                        border_thickness(im, points[3], right, mid, width_px / 8)) /
                       2;
  if (thick < 2) return fail("the symbol border is too thin for a data frame");
  const double module_est = thick / kBorder;

  // Exact module counts from the timing tracks (module ring 4), both sides of each direction.
  const auto track = [&](bool horizontal, bool far) {
    const double extent = horizontal ? width_px : height_px;
    const double across = horizontal ? height_px : width_px;
    const std::size_t n = static_cast<std::size_t>(extent * 2);
    std::vector<float> profile(n, 0);
    for (double depth : {4.3, 4.5, 4.7}) {
      const double d = depth * module_est / across;
      const double fixed = far ? 1 - d : d;
      for (std::size_t i = 0; i < n; ++i) {
        const double t = 0.03 + 0.94 * (i + 0.5) / n;
        const Point p = horizontal ? unit_map(corner, t, fixed) : unit_map(corner, fixed, t);
        profile[i] += sample(im, p.x, p.y);
      }
    }
    double strength = 0;
    const std::uint32_t count = count_modules(profile, extent / module_est, &strength);
    return std::pair{count, strength};
  };
  const auto best_count = [&](bool horizontal) -> std::uint32_t {
    const auto a = track(horizontal, false), b = track(horizontal, true);
    const auto& pick = a.second >= b.second ? a : b;
    return pick.second >= 0.25 ? pick.first : 0;
  };
  const std::uint32_t nx = best_count(true), ny = best_count(false);
  if (nx == 0 || ny == 0) return fail("no timing track: not a data frame");
  out.samples_per_module = (width_px / nx + height_px / ny) / 2;

  const Homography h = homography(
      {Point{0, 0}, Point{double(nx), 0}, Point{double(nx), double(ny)}, Point{0, double(ny)}},
      corner);
  Grid grid;
  grid.nx = nx;
  grid.ny = ny;
  grid.v.resize(std::size_t{nx} * ny);
  const bool taps = out.samples_per_module >= 2.5;
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, ny, 64), [&](const auto& rows) {
    for (std::uint32_t y = rows.begin(); y < rows.end(); ++y) {
      for (std::uint32_t x = 0; x < nx; ++x) {
        float v;
        if (taps) {
          v = 0;
          for (double dy : {-0.2, 0.2}) {
            for (double dx : {-0.2, 0.2}) {
              const Point p = h(x + 0.5 + dx, y + 0.5 + dy);
              v += sample(im, p.x, p.y);
            }
          }
          v /= 4;
        } else {
          const Point p = h(x + 0.5, y + 0.5);
          v = sample(im, p.x, p.y);
        }
        grid.v[std::size_t{y} * nx + x] = v;
      }
    }
  });

  // The header says the code; until then read the fixed parts as 1 bit per module. A frame
  // read mirrored or upside down (film scanned from the base side, a reel wound backwards)
  // is tried in the other orientations.
  SymbolRead read;
  Grid oriented;
  Levels levels;
  std::string why = "no readable header";
  for (int variant = 0; variant < 4 && !read.ok; ++variant) {
    oriented = transformed(grid, variant);
    Layout guess;
    try {
      guess = layout_for_symbol(nx, ny, CodeParams{});
    } catch (const Error& e) {
      return fail(e.what());
    }
    const auto lv = read_levels(guess, oriented);
    if (!lv) {
      why = "the calibration bars do not read as levels";
      continue;
    }
    levels = *lv;
    read = read_header(guess, oriented, levels);
    if (!read.ok) why = read.error;
  }
  if (!read.ok) return fail(why + fmt::format(" ({} x {} modules found)", nx, ny));
  out.is_data_frame = true;
  out.header = read.header;
  out.header_errors = read.header_errors;
  const FrameHeader& hd = out.header;

  Layout layout;
  try {
    layout = layout_for_symbol(nx, ny, hd.code);
  } catch (const Error& e) {
    return fail(std::string("header: ") + e.what());
  }
  if (layout.codewords != hd.codewords) {
    return fail(
        fmt::format("header: {} codewords, the layout holds {}", hd.codewords, layout.codewords));
  }
  if (hd.code.bits_per_module != 1) {
    const auto lv = read_levels(layout, oriented);
    if (!lv) return fail("the calibration bars do not read as four levels");
    levels = *lv;
  }
  out.contrast_d = levels.global[levels.count - 1] - levels.global[0];

  // Slots: bytes and their weakest module's confidence, unwhitened.
  const std::vector<std::uint32_t> modules = slot_modules(layout);
  const auto map = slot_map(layout);
  const std::uint32_t per_slot = 8 / static_cast<std::uint32_t>(hd.code.bits_per_module);
  std::vector<std::uint8_t> slot_bytes(layout.slots);
  std::vector<float> slot_conf(layout.slots);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, layout.slots, 4096), [&](const auto& r) {
    for (std::uint32_t s = r.begin(); s < r.end(); ++s) {
      std::uint32_t byte = 0;
      float conf = 1;
      for (std::uint32_t m = 0; m < per_slot; ++m) {
        const std::uint32_t packed = modules[std::size_t{s} * per_slot + m];
        const Reading rd = read_module(levels, oriented, packed & 0xFFFF, packed >> 16);
        const int bits = hd.code.bits_per_module == 1 ? rd.level : (rd.level ^ (rd.level >> 1));
        byte = (byte << hd.code.bits_per_module) | static_cast<std::uint32_t>(bits);
        conf = std::min(conf, rd.confidence);
      }
      slot_bytes[s] = static_cast<std::uint8_t>(byte) ^ map->whiten[s];
      slot_conf[s] = conf;
    }
  });

  const auto n = static_cast<std::uint32_t>(hd.code.inner_n),
             k = static_cast<std::uint32_t>(hd.code.inner_k);
  const std::uint32_t cw = layout.codewords;
  out.payload.assign(layout.payload_bytes, 0);
  out.known.assign(cw, 0);
  std::vector<int> changed(cw, 0), margin(cw, -1);
  const ReedSolomon rs(static_cast<int>(n), static_cast<int>(k));
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, cw, 64), [&](const auto& r) {
    std::vector<std::uint8_t> word(n);
    std::vector<float> conf(n);
    for (std::uint32_t c = r.begin(); c < r.end(); ++c) {
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::uint32_t s = map->shuffle[std::size_t{j} * cw + c];
        word[j] = slot_bytes[s];
        conf[j] = slot_conf[s];
      }
      const Corrected result = correct(rs, word, conf);
      if (!result.ok) continue;
      out.known[c] = 1;
      changed[c] = result.changed;
      margin[c] = result.margin;
      std::copy(word.begin(), word.begin() + k, out.payload.begin() + std::size_t{c} * k);
    }
  });
  out.min_margin = static_cast<int>(n - k);
  for (std::uint32_t c = 0; c < cw; ++c) {
    if (!out.known[c]) {
      ++out.codewords_failed;
      out.min_margin = -1;
      continue;
    }
    out.symbol_errors += static_cast<std::uint64_t>(changed[c]);
    out.max_errors =
        std::max<std::uint32_t>(out.max_errors, static_cast<std::uint32_t>(changed[c]));
    out.min_margin = std::min(out.min_margin, margin[c]);
  }
  if (out.codewords_failed > 0) {
    out.error = fmt::format("{} of {} codewords could not be corrected", out.codewords_failed, cw);
  }
  return out;
}

}  // namespace fw::data
