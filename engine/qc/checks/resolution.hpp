// Check: resolution on the technical target. The modulation of each chart group across its
// vertical and horizontal bars, (high - low) / (background - ink) on the film; a group is
// resolved at the profile's least modulation. The quality index the MS23 way: QI = p x h, p
// the finest resolved pattern in lp/mm on the document, h the height of the smallest "e". The
// verdict judges the recorder: a group the pitch can write that does not resolve fails; a
// required QI that no group on the chart reaches fails or warns as the QC profile says
// (`qi_below_required`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "film/target_layout.hpp"
#include "qc/measure.hpp"
#include "qc/qc.hpp"

namespace fw::qc {

struct ChartGroupResult {
  double document_lp_per_mm = 0, film_lp_per_mm = 0;
  double modulation_vertical_bars = 0, modulation_horizontal_bars = 0;
  bool resolved = false;
};

struct ResolutionResult {
  std::uint32_t frame = 0;
  std::vector<ChartGroupResult> groups;
  double finest_document = 0;  // lp/mm resolved in both directions, every coarser one too
  double finest_drawn = 0;     // the finest group the chart has (the pitch can write)
  double reduction = 1;
  std::vector<double> left_out;  // frequencies the recorder's pitch cannot write
  double quality_index = 0, quality_index_limit_of_pitch = 0;
  double quality_index_required = 0, quality_index_of_sources = 0;
  bool meets_required = false;
  std::optional<std::string> problem;
};

// `background` and `ink`: the densities of the target's paper and full ink on this film.
ResolutionResult check_resolution(const FilmPlane& film, const ChartLayout& chart,
                                  double background, double ink, bool negative, double reduction,
                                  std::uint32_t frame, const QcProfile& profile,
                                  double quality_index_of_sources);

// A reel's QI against the masters' requirement (its worst chart): nothing when it meets it,
// else what to say, as a failure or a warning as the profile says.
struct QualityIndexShortfall {
  std::string what;
  bool fails = true;
};
std::optional<QualityIndexShortfall> judge_quality_index(const ResolutionResult& worst,
                                                         const QcProfile& profile);

}  // namespace fw::qc
