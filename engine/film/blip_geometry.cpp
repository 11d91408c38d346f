#include "film/blip.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/mark_box.hpp"
#include "text/text.hpp"

namespace fw {
namespace {

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

// The track in film axes: `along` runs with the film, `across` from the image area outwards.
// Comic frames have the track under the page (along = x), cine frames right of it (along = y).
struct TrackAxes {
  bool comic = true;
  const Placement* placement = nullptr;
  std::uint32_t along_px() const {
    return comic ? placement->track_width_px : placement->track_height_px;
  }
  std::uint32_t across_px() const {
    return comic ? placement->track_height_px : placement->track_width_px;
  }
  // Frame pixel index of (along, across).
  std::size_t index(std::uint32_t along, std::uint32_t across, std::uint32_t frame_width) const {
    const std::uint32_t x = comic ? placement->track_x_px + along : placement->track_x_px + across;
    const std::uint32_t y = comic ? placement->track_y_px + across : placement->track_y_px + along;
    return std::size_t(y) * frame_width + x;
  }
};

// Room between the blip mark and the address along the film.
constexpr double kAddressAfterMarkMm = 0.3;

// The image address as it is set in a blip track `across_px` wide, in track axes (along the
// film from the frame's leading edge, across it from the track's inner edge), in pixels. `ink_*`
// is the ink's extent in whole pixels, one pixel wider on every side than the outlines for
// anti-aliasing and hinting: [from, to).
struct TrackAddress {
  Layout layout;
  double along = 0, across = 0;  // the layout box's top-left corner
  std::int64_t ink_along_from = 0, ink_along_to = 0;
  std::int64_t ink_across_from = 0, ink_across_to = 0;
};

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

}  // namespace

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

void draw_blip_track(FrameImage& image, const PlannedFrame& frame, const FilmFormat& format,
                     double pitch_um, const TextEngine* text) {
  const Placement& p = frame.placement;
  if (p.track_width_px == 0 || p.track_height_px == 0) return;
  const BlipTrack& track = format.blips;
  const TrackAxes axes{format.orientation == Orientation::comic, &p};
  const std::uint32_t channels = image.channels;

  // The track as one grey strip in film axes (along x, across y), then copied into the frame.
  const std::uint32_t along = axes.along_px(), across = axes.across_px();
  std::vector<std::uint8_t> strip(std::size_t(along) * across, 0);
  const std::uint32_t offset = mm_to_px(track.mark_offset_mm, pitch_um);
  const std::uint32_t length = mm_to_px(mark_length_mm(frame.blip, track), pitch_um);
  const std::uint32_t width = std::min(across, mm_to_px(track.mark_width_mm, pitch_um));
  for (std::uint32_t y = 0; y < width; ++y) {
    for (std::uint32_t x = offset; x < offset + length && x < along; ++x) {
      strip[std::size_t(y) * along + x] = 255;
    }
  }
  if (track.address_height_mm > 0 && !frame.address.empty()) {
    const TextEngine* engine = text != nullptr ? text : TextEngine::load_default().get();
    const TrackAddress set =
        track_address(frame.address, frame.blip, across, format, pitch_um, *engine);
    // The planner sized the frame for this address and the frame mark behind it; anything
    // else is a planning error, and a clipped address must not reach the film.
    const MarkBox box = mark_box(p, format, pitch_um);
    const bool comic = axes.comic;
    const std::int64_t mark_from =
        box.size == 0 ? along : std::int64_t{comic ? box.x - p.track_x_px : box.y - p.track_y_px};
    if (set.ink_along_from < 0 || set.ink_along_to > mark_from || set.ink_across_from < 0 ||
        set.ink_across_to > across) {
      throw Error(ErrorKind::internal,
                  fmt::format("frame {} ({}): the image address needs track pixels {}..{} along "
                              "the film, but the frame's track has {} and the frame mark starts "
                              "at {}",
                              frame.number, frame.address, set.ink_along_from, set.ink_along_to,
                              along, mark_from));
    }
    engine->draw(set.layout, GreyImage{along, across, strip.data(), along}, set.along, set.across,
                 255);
  }
  const auto copy = [&](std::uint32_t a, std::uint32_t c) {
    const std::uint8_t value = strip[std::size_t(c) * along + a];
    const std::size_t at = axes.index(a, c, image.width) * channels;
    for (std::uint32_t channel = 0; channel < channels; ++channel)
      image.pixels[at + channel] = value;
  };
  // Frame rows outermost (along the film is x in comic frames, y in cine frames): walking a
  // comic frame column by column touched a new cache line for every pixel.
  if (axes.comic) {
    for (std::uint32_t c = 0; c < across; ++c)
      for (std::uint32_t a = 0; a < along; ++a) copy(a, c);
  } else {
    for (std::uint32_t a = 0; a < along; ++a)
      for (std::uint32_t c = 0; c < across; ++c) copy(a, c);
  }
}

hal::BlipLevel read_blip(const FrameImage& image, const Placement& placement,
                         const FilmFormat& format, double pitch_um) {
  if (placement.track_width_px == 0 || placement.track_height_px == 0) return hal::BlipLevel::none;
  const TrackAxes axes{format.orientation == Orientation::comic, &placement};
  // Read along the middle of the mark lane, as a reader's sensor would.
  const std::uint32_t lane = mm_to_px(format.blips.mark_width_mm, pitch_um) / 2;
  std::uint32_t run = 0, longest = 0;
  for (std::uint32_t a = 0; a < axes.along_px(); ++a) {
    const bool marked = image.pixels[axes.index(a, lane, image.width) * image.channels] >= 128;
    run = marked ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  if (longest == 0) return hal::BlipLevel::none;
  const double length_mm = longest * pitch_um / 1000.0;
  hal::BlipLevel best = hal::BlipLevel::page;
  double best_error = 1e9;
  for (hal::BlipLevel level :
       {hal::BlipLevel::page, hal::BlipLevel::document, hal::BlipLevel::batch}) {
    const double error = std::abs(length_mm - mark_length_mm(level, format.blips));
    if (error < best_error) {
      best_error = error;
      best = level;
    }
  }
  return best;
}

}  // namespace fw
