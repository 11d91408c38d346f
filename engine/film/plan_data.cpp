// Data frames in the plan: their symbol layout and frame on a format, the file identity in
// their header, and how many bytes a reel of them holds.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/plan.hpp"
#include "film/plan_frames.hpp"

namespace fw {

using planner::lengthened;
using planner::target_placement;
using planner::TargetFrame;
using planner::TrackSizer;

std::pair<Placement, data::Layout> data_frame_layout(const Job& job, const FilmFormat& format,
                                                     double pitch_um) {
  if (format.layout != FilmLayout::roll) {
    throw Error(ErrorKind::job, fmt::format("data_frames: format {} is fiche; data frames are "
                                            "written on roll film only",
                                            format.name));
  }
  const std::uint32_t margin_px = mm_to_px(format.margin_mm, pitch_um);
  const std::uint32_t across_px = mm_to_px(format.image_area_across_mm, pitch_um);
  const std::uint32_t track_px = mm_to_px(format.blips.track_mm, pitch_um);
  const std::uint32_t area_across = across_px > 2 * margin_px ? across_px - 2 * margin_px : 0;
  const std::uint32_t fixed_px =
      format.frame_length_mm > 0 ? mm_to_px(format.frame_length_mm, pitch_um) : 0;
  const std::uint32_t area_along =
      fixed_px > 0 ? (fixed_px > 2 * margin_px ? fixed_px - 2 * margin_px : 0) : area_across;
  const std::uint32_t frame_along = fixed_px > 0 ? fixed_px : area_along + 2 * margin_px;
  const bool comic = format.orientation == Orientation::comic;
  Placement p;
  p.frame_width_px = comic ? frame_along : across_px + track_px;
  p.frame_height_px = comic ? across_px + track_px : frame_along;
  p.page_x_px = margin_px;
  p.page_y_px = margin_px;
  p.page_width_px = comic ? area_along : area_across;
  p.page_height_px = comic ? area_across : area_along;
  if (track_px > 0) {
    p.track_x_px = comic ? 0 : across_px;
    p.track_y_px = comic ? across_px : 0;
    p.track_width_px = comic ? p.frame_width_px : track_px;
    p.track_height_px = comic ? track_px : p.frame_height_px;
  }
  p.length_mm = frame_along * pitch_um / 1000.0;
  data::FrameGeometry geometry;
  geometry.width_px = p.page_width_px;
  geometry.height_px = p.page_height_px;
  geometry.pitch_um = pitch_um;
  geometry.module_px = job.data.module_px;
  data::CodeParams code;
  code.bits_per_module = job.data.bits_per_module;
  code.group_data = static_cast<int>(job.data.group_data);
  code.group_parity = static_cast<int>(job.data.group_parity);
  try {
    return {p, data::Layout::make(geometry, code)};
  } catch (const Error& e) {
    throw Error(ErrorKind::job, fmt::format("data_frames on format {} at {} um: {}", format.name,
                                            pitch_um, e.what()));
  }
}

data::FileIdentity data_identity(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  const MasterFile& master = plan.masters.at(frame.document).at(frame.data_file);
  // The header has 8 bytes for the reel: its label ("R0001"), as in the frames' addresses.
  return {job.id, plan.reels.at(frame.reel - 1).label, job.documents.at(frame.document).id,
          frame.data_file + 1, master.name};
}

double data_capacity_bytes(const Job& job, const FilmFormat& format, double pitch_um,
                           double reel_length_m) {
  const auto [placement, layout] = data_frame_layout(job, format, pitch_um);
  // The frame with its blip track's least length for an address like "R0001-D001-M01-0001".
  TrackSizer sizer(format, pitch_um, nullptr);
  const Placement frame =
      lengthened(placement, sizer.least_px("R0001-D001-M01-0001", hal::BlipLevel::none), false,
                 format, pitch_um, [] { return std::string("a data frame"); });
  double usable_mm = (reel_length_m - format.leader_m - format.trailer_m) * 1000.0;
  const bool targets = job.targets != "none";
  // The targets at the job's reduction, or the nearest the format allows.
  Job at_format = job;
  at_format.defaults.reduction =
      std::clamp(job.defaults.reduction, format.min_reduction, format.max_reduction);
  const TargetFrame target = target_placement(at_format, format, pitch_um);
  const double target_mm = target.placement.length_mm + format.frame_gap_mm;
  usable_mm -= target_mm * ((targets ? 4 : 0) + 2);  // the reel's targets, the data target's 2
  const auto frames = static_cast<std::uint64_t>(
      std::max(0.0, std::floor(usable_mm / (frame.length_mm + format.frame_gap_mm))));
  const auto group = static_cast<std::uint64_t>(layout.code.group_data) +
                     static_cast<std::uint64_t>(layout.code.group_parity);
  const std::uint64_t data_frames =
      frames / group * static_cast<std::uint64_t>(layout.code.group_data) +
      std::min<std::uint64_t>(frames % group, static_cast<std::uint64_t>(layout.code.group_data));
  return static_cast<double>(data_frames * layout.payload_bytes);
}

}  // namespace fw
