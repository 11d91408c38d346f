#include "color/density_curve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace fw {
namespace {

// Cubic Hermite on [x0, x1] with end values y0, y1 and end slopes m0, m1.
double hermite(double x, double x0, double x1, double y0, double y1, double m0, double m1) {
  const double h = x1 - x0;
  const double t = (x - x0) / h;
  const double t2 = t * t, t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * h * m0 + (-2 * t3 + 3 * t2) * y1 +
         (t3 - t2) * h * m1;
}

}  // namespace

DensityCurve DensityCurve::fit(std::vector<DensityReading> readings, const std::string& context,
                               double noise_d) {
  for (const auto& r : readings) {
    if (!(r.code >= 0 && r.code <= 255) || !(r.density >= 0 && r.density <= 8)) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: reading code {} density {}: expected code 0–255 and density "
                              "0–8",
                              context, r.code, r.density));
    }
  }
  std::stable_sort(readings.begin(), readings.end(),
                   [](const auto& a, const auto& b) { return a.code < b.code; });
  // Repeated codes (a step read twice, or two wedges) are averaged.
  std::vector<DensityReading> points;
  std::vector<int> counts;
  for (const auto& r : readings) {
    if (!points.empty() && points.back().code == r.code) {
      points.back().density =
          (points.back().density * counts.back() + r.density) / (counts.back() + 1);
      ++counts.back();
    } else {
      points.push_back(r);
      counts.push_back(1);
    }
  }
  if (points.size() < kMinReadings) {
    throw Error(ErrorKind::input,
                fmt::format("{}: {} distinct code values read; a curve needs at least {}", context,
                            points.size(), kMinReadings));
  }
  double highest = points.front().density;
  double highest_code = points.front().code;
  for (const auto& p : points) {
    if (p.density < highest - noise_d) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: density falls from {:.3f} D at code {:g} to {:.3f} D at code "
                              "{:g}: the readings are not monotone (more than {:.3f} D of noise); "
                              "check the step order and the densitometer",
                              context, highest, highest_code, p.density, p.code, noise_d));
    }
    if (p.density > highest) highest = p.density, highest_code = p.code;
  }
  // Pool adjacent violators: small dips become the mean of the run, weighted by readings.
  std::vector<DensityReading> pooled;
  std::vector<double> weight, first_code;
  std::vector<std::vector<double>> codes;
  for (std::size_t i = 0; i < points.size(); ++i) {
    pooled.push_back(points[i]);
    weight.push_back(counts[i]);
    codes.push_back({points[i].code});
    while (pooled.size() > 1 && pooled[pooled.size() - 2].density > pooled.back().density) {
      auto& a = pooled[pooled.size() - 2];
      const auto& b = pooled.back();
      const double w = weight[weight.size() - 2] + weight.back();
      a.density = (a.density * weight[weight.size() - 2] + b.density * weight.back()) / w;
      weight[weight.size() - 2] = w;
      codes[codes.size() - 2].insert(codes[codes.size() - 2].end(), codes.back().begin(),
                                     codes.back().end());
      pooled.pop_back();
      weight.pop_back();
      codes.pop_back();
    }
  }
  // A pooled run keeps every code at the run's density: flat, still monotone.
  DensityCurve curve;
  for (std::size_t i = 0; i < pooled.size(); ++i) {
    for (double code : codes[i]) curve.points_.push_back({code, pooled[i].density});
  }
  const auto& p = curve.points_;
  if (p.back().density - p.front().density < 0.1) {
    throw Error(ErrorKind::input,
                fmt::format("{}: densities span only {:.3f}–{:.3f} D; the wedge did not reach the "
                            "film's range",
                            context, p.front().density, p.back().density));
  }
  // Fritsch–Carlson: secant slopes, averaged at interior points, zero at a flat run or a
  // change of direction, then limited so that no interval overshoots.
  const std::size_t n = p.size();
  std::vector<double> secant(n - 1);
  for (std::size_t k = 0; k + 1 < n; ++k) {
    secant[k] = (p[k + 1].density - p[k].density) / (p[k + 1].code - p[k].code);
  }
  auto& m = curve.slopes_;
  m.assign(n, 0);
  m[0] = secant[0];
  m[n - 1] = secant[n - 2];
  for (std::size_t k = 1; k + 1 < n; ++k) {
    m[k] = secant[k - 1] * secant[k] <= 0 ? 0 : (secant[k - 1] + secant[k]) / 2;
  }
  for (std::size_t k = 0; k + 1 < n; ++k) {
    if (secant[k] == 0) {
      m[k] = m[k + 1] = 0;
      continue;
    }
    const double a = m[k] / secant[k], b = m[k + 1] / secant[k];
    const double s = a * a + b * b;
    if (s > 9) {
      const double tau = 3 / std::sqrt(s);
      m[k] = tau * a * secant[k];
      m[k + 1] = tau * b * secant[k];
    }
  }
  return curve;
}

double DensityCurve::density(double code) const {
  const auto& p = points_;
  if (code <= p.front().code) return p.front().density;
  if (code >= p.back().code) return p.back().density;
  const auto it = std::upper_bound(p.begin(), p.end(), code,
                                   [](double c, const DensityReading& r) { return c < r.code; });
  const std::size_t k = static_cast<std::size_t>(it - p.begin()) - 1;
  return hermite(code, p[k].code, p[k + 1].code, p[k].density, p[k + 1].density, slopes_[k],
                 slopes_[k + 1]);
}

double DensityCurve::code_for(double wanted) const {
  const auto& p = points_;
  if (wanted <= p.front().density) return p.front().code;
  if (wanted >= p.back().density) {
    // The first code that reaches the top (a flat shoulder is reached early).
    for (const auto& r : p) {
      if (r.density >= p.back().density) return r.code;
    }
  }
  // First interval whose upper end reaches the wanted density; bisect inside (monotone there).
  std::size_t k = 0;
  while (p[k + 1].density < wanted) ++k;
  double lo = p[k].code, hi = p[k + 1].code;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (density(mid) < wanted ? lo : hi) = mid;
  }
  return hi;
}

FitError leave_one_out_error(const DensityCurve& curve) {
  FitError error;
  const auto& p = curve.points();
  double sum_sq = 0;
  int count = 0;
  for (std::size_t i = 1; i + 1 < p.size(); ++i) {
    std::vector<DensityReading> others = p;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
    if (others.size() < DensityCurve::kMinReadings) break;
    DensityCurve without;
    try {
      without = DensityCurve::fit(others, "leave-one-out");
    } catch (const Error&) {
      continue;  // too few left to span the range: no estimate for this reading
    }
    const double e = std::abs(without.density(p[i].code) - p[i].density);
    sum_sq += e * e;
    ++count;
    if (e > error.max_d) error.max_d = e, error.worst_code = p[i].code;
  }
  error.rms_d = count ? std::sqrt(sum_sq / count) : 0;
  return error;
}

}  // namespace fw
