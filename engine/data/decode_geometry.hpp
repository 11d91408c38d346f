// Finding a data frame's symbol on the developed film (decode.cpp, steps 1-4): the image's
// two density classes, the border ring as the largest dense blob, its edges fitted as lines,
// the corners, the module counts along the timing tracks, and the homography that maps module
// centres to the image. Private to engine/data.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "data/data_frames.hpp"

namespace fw::data::detail {

struct Point {
  double x = 0, y = 0;
};
inline Point operator+(Point a, Point b) {
  return {a.x + b.x, a.y + b.y};
}
inline Point operator-(Point a, Point b) {
  return {a.x - b.x, a.y - b.y};
}
inline Point operator*(double s, Point a) {
  return {s * a.x, s * a.y};
}
inline double length(Point a) {
  return std::hypot(a.x, a.y);
}

// Bilinear sample; pixel centres at integer coordinates, edges extended.
inline float sample(const FilmImage& im, double x, double y) {
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
Otsu otsu(const FilmImage& im);

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

// On a large image the blob is looked for at half resolution (a quarter of the pixels): the
// quiet zone still parts the symbol from what lies around it, and the edges are refined on
// the full image afterwards.
Blob largest_blob(const FilmImage& im, float threshold);

// A line n . p = c with unit normal n.
struct Line {
  Point n;
  double c = 0;
};

// A total least squares fit, refitted without the points far from it (a few times at most);
// nullopt when fewer than 6 points are left.
std::optional<Line> fit_line(std::vector<Point> points);

// Theil–Sen: the median of slopes between nearby points (the ring's edge and the parallel
// edges inside it agree), then the intercept; then a trimmed total least squares
// fit of the points close to that line.
std::optional<Line> robust_line(const std::vector<Point>& points, bool vertical, bool outer_is_low);

std::optional<Point> intersect(const Line& a, const Line& b);

// Sub-pixel points of the outer edge between rough corners a and b (clockwise, so the
// symbol lies to the right of a -> b), searched along the normal within `radius`.
std::vector<Point> edge_points(const FilmImage& im, Point a, Point b, double radius, float mid,
                               int count = 96);

// Run length of dense film inward from edge points: the border's thickness, 3 modules.
double border_thickness(const FilmImage& im, const std::vector<Point>& points, Point inward,
                        float mid, double limit);

// 3x3 homography mapping (u, v) -> image.
struct Homography {
  std::array<double, 9> h{};
  Point operator()(double u, double v) const {
    const double w = h[6] * u + h[7] * v + h[8];
    return {(h[0] * u + h[1] * v + h[2]) / w, (h[3] * u + h[4] * v + h[5]) / w};
  }
};

Homography homography(const std::array<Point, 4>& from, const std::array<Point, 4>& to);

// Bilinear map of the unit square onto the corners (for the timing tracks, before the
// module counts are known).
inline Point unit_map(const std::array<Point, 4>& c, double u, double v) {
  return (1 - u) * (1 - v) * c[0] + u * (1 - v) * c[1] + u * v * c[2] + (1 - u) * v * c[3];
}

// The module count along a side: the track alternates dense and clear every module, so the
// profile's only strong frequency is count / 2 cycles per side. Returns 0 when no candidate
// stands out.
std::uint32_t count_modules(const std::vector<float>& profile, double estimate, double* strength);

}  // namespace fw::data::detail
