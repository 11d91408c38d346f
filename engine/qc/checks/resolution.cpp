#include "qc/checks/resolution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace fw::qc {
namespace {

// (high - low) / contrast of a profile across the bars: the mean of its top and bottom fifths.
double modulation(std::vector<double> profile, double contrast) {
  std::sort(profile.begin(), profile.end());
  const std::size_t k = std::max<std::size_t>(1, profile.size() / 5);
  double low = 0, high = 0;
  for (std::size_t i = 0; i < k; ++i) {
    low += profile[i] / k;
    high += profile[profile.size() - 1 - i] / k;
  }
  return (high - low) / contrast;
}

}  // namespace

ResolutionResult check_resolution(const FilmPlane& film, const ChartLayout& chart,
                                  double background, double ink, bool negative, double reduction,
                                  std::uint32_t frame, const QcProfile& profile,
                                  double quality_index_of_sources) {
  ResolutionResult r;
  r.frame = frame;
  r.reduction = reduction;
  r.left_out = chart.left_out;
  // Dense minus thin: paper is dense on a negative, ink on a positive.
  const double contrast = std::max(1e-6, negative ? background - ink : ink - background);
  bool all_so_far = true;
  for (const ChartGroup& g : chart.groups) {
    std::vector<double> across_x, across_y;
    const std::uint32_t q0 = g.height / 4, q1 = 3 * g.height / 4;
    for (std::uint32_t x = g.x; x < g.x + g.width && x < film.width; ++x) {
      double s = 0;
      for (std::uint32_t y = g.y + q0; y < g.y + q1; ++y) s += film.at(x, y);
      across_x.push_back(s / std::max<std::uint32_t>(1, q1 - q0));
    }
    for (std::uint32_t y = g.y; y < g.y + g.width && y < film.height; ++y) {
      double s = 0;
      for (std::uint32_t x = g.horizontal_x + q0; x < g.horizontal_x + q1; ++x) s += film.at(x, y);
      across_y.push_back(s / std::max<std::uint32_t>(1, q1 - q0));
    }
    ChartGroupResult gr;
    gr.document_lp_per_mm = g.document_lp_per_mm;
    gr.film_lp_per_mm = g.film_lp_per_mm;
    gr.modulation_vertical_bars = across_x.empty() ? 0 : modulation(across_x, contrast);
    gr.modulation_horizontal_bars = across_y.empty() ? 0 : modulation(across_y, contrast);
    gr.resolved = gr.modulation_vertical_bars >= profile.min_modulation &&
                  gr.modulation_horizontal_bars >= profile.min_modulation;
    all_so_far = all_so_far && gr.resolved;
    if (all_so_far) r.finest_document = g.document_lp_per_mm;
    r.finest_drawn = std::max(r.finest_drawn, g.document_lp_per_mm);
    r.groups.push_back(gr);
  }
  r.quality_index = r.finest_document * profile.e_height_mm;
  r.quality_index_limit_of_pitch = r.finest_drawn * profile.e_height_mm;
  r.quality_index_required = profile.qi_required;
  r.quality_index_of_sources = quality_index_of_sources;
  r.meets_required = r.quality_index + 1e-9 >= profile.qi_required;
  if (r.finest_document + 1e-9 < r.finest_drawn) {
    r.problem = fmt::format(
        "resolution: finest resolved group {:g} lp/mm ({:g} on film), the recorder must "
        "resolve {:g}; QI {:.1f}",
        r.finest_document, r.finest_document * reduction, r.finest_drawn, r.quality_index);
  }
  return r;
}

std::optional<QualityIndexShortfall> judge_quality_index(const ResolutionResult& worst,
                                                         const QcProfile& profile) {
  if (worst.meets_required) return std::nullopt;
  // The figures as qc.json gives them.
  return QualityIndexShortfall{
      fmt::format("QI {:.1f} below the required {:g} (finest resolved group {:g} lp/mm on the "
                  "document, {:g} on film; e = {:g} mm; the chart's finest group the recorder's "
                  "pitch can write gives QI {:.1f})",
                  round3(worst.quality_index), profile.qi_required, worst.finest_document,
                  round3(worst.finest_document * worst.reduction), profile.e_height_mm,
                  round3(worst.quality_index_limit_of_pitch)),
      profile.qi_below_required_fails};
}

}  // namespace fw::qc
