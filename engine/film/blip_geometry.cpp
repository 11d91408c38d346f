#include "film/blip_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/mark_box.hpp"
#include "text/text.hpp"

namespace fw {
namespace blip_detail {

double mark_length_mm(hal::BlipLevel level, const BlipTrack& track) {
  switch (level) {
    case hal::BlipLevel::page:
      return track.page_mm;
    case hal::BlipLevel::document:
      return track.document_mm;
    case hal::BlipLevel::batch:
      return track.batch_mm;
    case hal::BlipLevel::none:
      break;
  }
  return 0;
}

TrackAddress track_address(const std::string& address, hal::BlipLevel level,
                           std::uint32_t across_px, const FilmFormat& format, double pitch_um,
                           const TextEngine& text) {
  const BlipTrack& track = format.blips;
  TextStyle style;
  style.size_px =
      size_for_cap_height_mm(track.address_height_mm, 1, pitch_um, text.cap_height_em());
  style.language = "en";
  TrackAddress out;
  out.layout = text.layout(address, Box{}, style, "image address");
  // After the mark along the film (where a reader's eye finds it beside the blip), centred
  // across the part of the track the blip lane leaves; exposed ink on clear film.
  const std::uint32_t offset = mm_to_px(track.mark_offset_mm, pitch_um);
  const std::uint32_t length = mm_to_px(mark_length_mm(level, track), pitch_um);
  const std::uint32_t lane = std::min(across_px, mm_to_px(track.mark_width_mm, pitch_um));
  out.along = offset + length + mm_to_px(kAddressAfterMarkMm, pitch_um);
  const double free_across = across_px - lane;
  out.across = lane + std::max(0.0, (free_across - out.layout.height) / 2);
  const Rect& ink = out.layout.ink;
  out.ink_along_from = static_cast<std::int64_t>(std::floor(out.along + ink.x)) - 1;
  out.ink_along_to = static_cast<std::int64_t>(std::ceil(out.along + ink.x + ink.width)) + 1;
  out.ink_across_from = static_cast<std::int64_t>(std::floor(out.across + ink.y)) - 1;
  out.ink_across_to = static_cast<std::int64_t>(std::ceil(out.across + ink.y + ink.height)) + 1;
  return out;
}

}  // namespace blip_detail

using blip_detail::mark_length_mm;
using blip_detail::track_address;
using blip_detail::TrackAddress;

std::uint32_t least_track_length_px(const std::string& address, hal::BlipLevel level,
                                    const FilmFormat& format, double pitch_um,
                                    const TextEngine& text) {
  const BlipTrack& track = format.blips;
  const std::uint32_t across = mm_to_px(track.track_mm, pitch_um);
  if (across == 0) return 0;
  const std::uint32_t blip_end =
      mm_to_px(track.mark_offset_mm, pitch_um) + mm_to_px(mark_length_mm(level, track), pitch_um);
  const TrackMark mark = track_mark(across, format, pitch_um);
  // A pitch too coarse for 2 px modules leaves the track without a mark (film/mark_box.hpp).
  const std::uint32_t gap = std::max<std::uint32_t>(1, mm_to_px(0.05, pitch_um));
  const std::uint32_t mark_px = mark.size > 0 ? mark.size + mark.gap_px : 0;
  std::uint32_t least = std::max(blip_end, mark_px + gap);
  if (track.address_height_mm > 0 && !address.empty()) {
    const TrackAddress set = track_address(address, level, across, format, pitch_um, text);
    const std::uint32_t lane = std::min(across, mm_to_px(track.mark_width_mm, pitch_um));
    if (set.ink_across_from < lane || set.ink_across_to > across) {
      throw Error(
          ErrorKind::job,
          fmt::format("format {}: image addresses at {} mm capitals are {:.2f} mm high and "
                      "do not fit the {:.2f} mm of the {} mm blip track beside the {} mm blip "
                      "lane",
                      format.name, track.address_height_mm,
                      (set.ink_across_to - set.ink_across_from) * pitch_um / 1000.0,
                      (across - lane) * pitch_um / 1000.0, track.track_mm, track.mark_width_mm));
    }
    least = std::max(least, static_cast<std::uint32_t>(set.ink_along_to) + gap + mark_px);
  }
  return least;
}

}  // namespace fw
