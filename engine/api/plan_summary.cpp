#include "api/plan_summary.hpp"

#include "core/error.hpp"
#include "film/format.hpp"

namespace fw::api {

FrameCounts count_frames(const Plan& plan) {
  FrameCounts counts;
  for (const auto& f : plan.frames) {
    counts.pages += f.kind == FrameKind::page && begins_page(f);
    counts.substitutes += f.kind == FrameKind::substitute && begins_page(f);
    counts.targets += is_target(f.kind);
    counts.separation_frames += f.separation != Separation::none;
  }
  return counts;
}

DataSummary data_summary(const JobSettings& settings, const Plan& plan, double reel_length_m) {
  DataSummary summary;
  for (const auto& masters : plan.masters) {
    for (const MasterFile& m : masters) summary.bytes += m.size, ++summary.files;
  }
  for (const auto& reel : plan.reels) summary.frames += reel.data_frames;
  for (const FilmFormat& format : list_formats(settings.profiles_dir)) {
    if (format.layout != FilmLayout::roll) continue;
    try {
      summary.capacity.push_back(
          {format.name, data_capacity_bytes(settings.job, format, plan.pitch_um, reel_length_m),
           ""});
    } catch (const Error& e) {
      summary.capacity.push_back({format.name, 0, e.what()});
    }
  }
  return summary;
}

}  // namespace fw::api
