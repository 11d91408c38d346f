#include "film/blip.hpp"

#include <cmath>
#include <vector>

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

}  // namespace

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
    TextStyle style;
    style.size_px =
        size_for_cap_height_mm(track.address_height_mm, 1, pitch_um, engine->cap_height_em());
    style.language = "en";
    const Layout layout = engine->layout(frame.address, Box{}, style, "image address");
    // After the mark along the film (short frames have no room behind a batch-length mark),
    // centred across the rest of the track; exposed ink on clear film.
    const double x = offset + length + mm_to_px(0.3, pitch_um);
    const double free_across = across - width;
    const double y = width + std::max(0.0, (free_across - layout.height) / 2);
    engine->draw(layout, GreyImage{along, across, strip.data(), along}, x, y, 255);
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
