#include "render/blip.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/blip_geometry.hpp"
#include "film/mark_box.hpp"
#include "text/text.hpp"

namespace fw {

using blip_detail::mark_length_mm;
using blip_detail::track_address;
using blip_detail::TrackAddress;
using blip_detail::TrackAxes;

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
  // comic frame column by column touched a new cache line for every pixel. A grey comic
  // frame's track rows are the strip's rows.
  if (axes.comic && channels == 1) {
    for (std::uint32_t c = 0; c < across; ++c) {
      std::copy_n(
          strip.begin() + std::ptrdiff_t{c} * along, along,
          image.pixels.begin() + static_cast<std::ptrdiff_t>(axes.index(0, c, image.width)));
    }
  } else if (axes.comic) {
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
