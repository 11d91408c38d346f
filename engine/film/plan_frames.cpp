// The reel planner's shared pieces (film/plan_frames.hpp): addresses, the units a reel never
// splits, the recorder's limits, the target frame and frame lengths for the blip track.
#include "film/plan_frames.hpp"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/blip_geometry.hpp"
#include "film/frame_along.hpp"
#include "film/separation_geometry.hpp"
#include "text/text.hpp"

namespace fw::planner {

std::string page_context(const Document& document, std::uint32_t page, const SourcePage& source) {
  return fmt::format("{} page {} ({}, page {} in file)", document.id, page, source.ref.file,
                     source.ref.page_in_file + 1);
}

std::string frame_address(const std::string& reel, const std::string& document_id,
                          std::uint32_t page, Separation separation, std::uint32_t section) {
  std::string address = fmt::format("{}-{}-{:04}", reel, document_id, page);
  if (section > 0) address += fmt::format("-S{}", section);
  if (separation != Separation::none) address += fmt::format("-{}", to_string(separation));
  return address;
}

std::string planned_address(const std::string& reel, const std::string& document_id,
                            const PlannedFrame& frame) {
  if (frame.kind == FrameKind::reduction_change) {
    return fmt::format("{}-{}-{}{:04}", reel, document_id, frame.sections > 0 ? "SECT" : "RATIO",
                       frame.page);
  }
  return frame_address(reel, document_id, frame.page, frame.separation, frame.section);
}

std::string data_address(const std::string& reel, const std::string& document_id,
                         std::uint32_t file, std::uint32_t frame) {
  return fmt::format("{}-{}-M{:02}-{:04}", reel, document_id, file + 1, frame + 1);
}

std::size_t unit_frames(const std::vector<PlannedFrame>& frames, std::size_t i) {
  if (frames[i].kind == FrameKind::data) {
    return std::clamp<std::size_t>(frames[i].data_unit, 1, frames.size() - i);
  }
  // A reduction-change target goes with the page it announces.
  if (frames[i].kind == FrameKind::reduction_change && i + 1 < frames.size()) {
    return 1 + unit_frames(frames, i + 1);
  }
  std::size_t unit =
      frames[i].separation == Separation::red ? std::min<std::size_t>(3, frames.size() - i) : 1;
  // A page's overview goes with its sections' target and its sections.
  if (frames[i].sections > 0 && frames[i].section == 0 && frames[i].kind == FrameKind::page) {
    while (i + unit < frames.size() && continues_unit(frames[i + unit])) ++unit;
  }
  return unit;
}
bool continues_unit(const PlannedFrame& frame) {
  if (frame.kind == FrameKind::data) return frame.data_unit == 0;
  // A page's sections and the target before them follow its overview.
  if (frame.sections > 0 && (frame.section > 0 || frame.kind == FrameKind::reduction_change)) {
    return true;
  }
  return frame.separation == Separation::green || frame.separation == Separation::blue;
}

PageInfo a4_portrait() {
  PageInfo info;
  info.width_mm = 210;
  info.height_mm = 297;
  info.dpi = 300;
  info.width_px = 2480;
  info.height_px = 3508;
  return info;
}

void check_recorder_limits(const Placement& placement, const hal::Capabilities& recorder,
                           const std::string& context) {
  const auto fail = [&](std::string_view dimension, std::uint32_t limit) {
    throw Error(
        ErrorKind::input,
        fmt::format("{}: frame {} x {} px exceeds the recorder's maximum {} of {} px", context,
                    placement.frame_width_px, placement.frame_height_px, dimension, limit));
  };
  if (recorder.max_width_px != 0 && placement.frame_width_px > recorder.max_width_px) {
    fail("width", recorder.max_width_px);
  }
  if (recorder.max_height_px != 0 && placement.frame_height_px > recorder.max_height_px) {
    fail("height", recorder.max_height_px);
  }
}

TargetFrame target_placement(const Job& job, const FilmFormat& format, double pitch_um) {
  PageInfo a4 = a4_portrait();
  a4.width_mm = kTargetWidthMm;
  a4.height_mm = kTargetHeightMm;
  PageSettings settings = job.defaults;
  settings.rotate = 0;
  try {
    return {place_page(a4, settings, format, pitch_um), settings.reduction};
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::input) throw with_context("targets", error);
  }
  settings.reduction =
      format.allowed_reductions.empty() ? format.max_reduction : format.allowed_reductions.back();
  return {place_page(a4, settings, format, pitch_um), settings.reduction};
}

std::uint32_t TrackSizer::least_px(const std::string& address, hal::BlipLevel level) {
  if (!has_track()) return 0;
  std::string pattern = address;
  for (char& c : pattern) {
    if (c >= '0' && c <= '9') c = kDigit;
  }
  auto key = std::make_pair(pattern, static_cast<int>(level));
  const auto found = cache_.find(key);
  if (found != cache_.end()) return found->second;
  std::uint32_t least = 0;
  for (char digit = '0'; digit <= '9'; ++digit) {
    std::string reading = pattern;
    std::replace(reading.begin(), reading.end(), kDigit, digit);
    least = std::max(least, least_track_length_px(reading, level, format_, pitch_um_, engine()));
    if (reading == pattern) break;  // no digits: one reading
  }
  cache_.emplace(std::move(key), least);
  return least;
}

const TextEngine& TrackSizer::engine() {
  if (text_ == nullptr) {
    default_ = TextEngine::load_default();
    text_ = default_.get();
  }
  return *text_;
}

Placement lengthened(const Placement& placement, std::uint32_t least_px, bool separation,
                     const FilmFormat& format, double pitch_um,
                     const std::function<std::string()>& what) {
  const bool comic = format.orientation == Orientation::comic;
  const std::uint32_t along = comic ? placement.frame_width_px : placement.frame_height_px;
  if (along >= least_px) return placement;
  if (format.frame_length_mm > 0) {
    throw Error(
        ErrorKind::job,
        fmt::format("format {}: its {:.2f} mm frames are shorter than the {:.2f} mm "
                    "{} needs for its blip mark, image address and frame mark",
                    format.name, along * pitch_um / 1000.0, least_px * pitch_um / 1000.0, what()));
  }
  const std::uint32_t page_length = comic ? placement.page_width_px : placement.page_height_px;
  std::uint32_t content = page_length;
  if (separation) {
    const std::uint32_t margin_px =
        std::max<std::uint32_t>(1, mm_to_px(format.margin_mm, pitch_um));
    content += margin_px + mm_to_px(kSeparationStripMm, pitch_um);
  }
  return with_frame_along(placement, format, (least_px - content) / 2, least_px, pitch_um);
}

}  // namespace fw::planner
