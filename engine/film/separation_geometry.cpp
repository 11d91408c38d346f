#include "film/separation_geometry.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/frame_along.hpp"

namespace fw {
namespace {

// The smallest strip worth drawing: a cross a reader can find and steps it can average.
constexpr std::uint32_t kLeastStripPx = 12;
constexpr std::uint32_t kLeastStepPx = 4;

bool comic(const FilmFormat& format) {
  return format.orientation == Orientation::comic;
}

// Frame axes by the film: comic frames run along the film in x, cine frames in y.
struct Axes {
  std::uint32_t page_along = 0;  // where the page starts along the film
  std::uint32_t page_length = 0;
  std::uint32_t frame_along = 0;
};

Axes axes(const Placement& p, const FilmFormat& format) {
  if (comic(format)) return {p.page_x_px, p.page_width_px, p.frame_width_px};
  return {p.page_y_px, p.page_height_px, p.frame_height_px};
}

// A rectangle given by film axes, in frame pixels.
PixelRect rect(const FilmFormat& format, std::uint32_t along, std::uint32_t across,
               std::uint32_t length, std::uint32_t width) {
  if (comic(format)) return {along, across, length, width};
  return {across, along, width, length};
}

}  // namespace

const char* to_string(Separation separation) {
  switch (separation) {
    case Separation::none:
      return "";
    case Separation::red:
      return "R";
    case Separation::green:
      return "G";
    case Separation::blue:
      return "B";
  }
  return "";
}

std::array<std::uint8_t, kSeparationSteps> separation_step_values() {
  std::array<std::uint8_t, kSeparationSteps> values{};
  for (std::size_t i = 0; i < kSeparationSteps; ++i) {
    values[i] = static_cast<std::uint8_t>(std::lround(255.0 * i / (kSeparationSteps - 1)));
  }
  return values;
}

Placement with_separation_strip(const Placement& page, const FilmFormat& format, double pitch_um) {
  const std::uint32_t strip_px = mm_to_px(kSeparationStripMm, pitch_um);
  const std::uint32_t margin_px = std::max<std::uint32_t>(1, mm_to_px(format.margin_mm, pitch_um));
  if (strip_px < kLeastStripPx) {
    throw Error(ErrorKind::input,
                fmt::format("colour separations: the {} mm calibration strip is only {} px at "
                            "{} um pitch (at least {} px)",
                            kSeparationStripMm, strip_px, pitch_um, kLeastStripPx));
  }
  const Axes a = axes(page, format);
  // The page keeps its margin at the leading side; the strip follows it, then a margin.
  const std::uint32_t page_along = std::min(a.page_along, margin_px);
  const std::uint32_t needed = page_along + a.page_length + margin_px + strip_px + margin_px;
  std::uint32_t frame_along = a.frame_along;
  if (format.frame_length_mm > 0 || format.layout == FilmLayout::fiche) {
    if (needed > a.frame_along) {
      throw Error(ErrorKind::input,
                  fmt::format("colour separations: the page ({:.2f} mm along the film) and the "
                              "{} mm calibration strip do not fit the {:.2f} mm frame of {}; "
                              "use a higher reduction",
                              a.page_length * pitch_um / 1000.0, kSeparationStripMm,
                              a.frame_along * pitch_um / 1000.0, format.name));
    }
  } else {
    frame_along = needed;
  }
  const Placement out = with_frame_along(page, format, page_along, frame_along, pitch_um);
  // The strip must hold its crosses and steps across the image area.
  separation_strip(out, format, pitch_um);
  return out;
}

SeparationStrip separation_strip(const Placement& placement, const FilmFormat& format,
                                 double pitch_um) {
  const std::uint32_t strip_px = mm_to_px(kSeparationStripMm, pitch_um);
  const std::uint32_t margin_px = std::max<std::uint32_t>(1, mm_to_px(format.margin_mm, pitch_um));
  const Axes a = axes(placement, format);
  // Across the film: the image area, which is the frame less the blip track.
  const std::uint32_t frame_across =
      comic(format) ? placement.frame_height_px : placement.frame_width_px;
  const std::uint32_t track_across =
      comic(format) ? placement.track_height_px : placement.track_width_px;
  const std::uint32_t image_across = frame_across - track_across;
  const std::uint32_t strip_along = a.page_along + a.page_length + margin_px;
  if (strip_along + strip_px > a.frame_along || image_across < 2 * margin_px) {
    throw Error(ErrorKind::internal,
                fmt::format("colour separations: the frame ({} x {} px) has no room for the "
                            "calibration strip after the page",
                            placement.frame_width_px, placement.frame_height_px));
  }
  const std::uint32_t across = margin_px;
  const std::uint32_t width = image_across - 2 * margin_px;
  // A square cross at each end, a quarter of the strip's length clear of the steps.
  const std::uint32_t cross = strip_px;
  const std::uint32_t gap = strip_px / 4;
  const std::uint32_t fixed = 2 * cross + 2 * gap;
  const std::uint32_t step = width > fixed ? (width - fixed) / kSeparationSteps : 0;
  if (step < kLeastStepPx) {
    throw Error(ErrorKind::input,
                fmt::format("colour separations: {} grey steps and two registration crosses do "
                            "not fit across the {:.2f} mm image area at {} um pitch",
                            kSeparationSteps, width * pitch_um / 1000.0, pitch_um));
  }
  SeparationStrip strip;
  strip.area = rect(format, strip_along, across, strip_px, width);
  const std::uint32_t last_cross = across + width - cross;
  strip.crosses[0] = rect(format, strip_along, across, strip_px, cross);
  strip.crosses[1] = rect(format, strip_along, last_cross, strip_px, cross);
  for (std::size_t i = 0; i < 2; ++i) {
    strip.cross_centre_x[i] = strip.crosses[i].x + strip.crosses[i].width / 2;
    strip.cross_centre_y[i] = strip.crosses[i].y + strip.crosses[i].height / 2;
  }
  // The steps fill the room between the crosses; any remainder goes to the gaps evenly.
  const std::uint32_t spare = width - fixed - step * static_cast<std::uint32_t>(kSeparationSteps);
  std::uint32_t at = across + cross + gap + spare / 2;
  for (std::size_t i = 0; i < kSeparationSteps; ++i) {
    strip.steps[i] = rect(format, strip_along, at, strip_px, step);
    at += step;
  }
  return strip;
}

namespace {

// Whether address[first, last) is digits only, at least one; with `letter`, after it.
bool number_at(const std::string& address, std::size_t first, std::size_t last, char letter = 0) {
  if (letter != 0) {
    if (first >= last || address[first] != letter) return false;
    ++first;
  }
  if (first >= last) return false;
  for (std::size_t i = first; i < last; ++i) {
    if (address[i] < '0' || address[i] > '9') return false;
  }
  return true;
}

}  // namespace

Separation separation_of_address(const std::string& address) {
  // "<reel>-<document>-<page>[-S<section>]-<R|G|B>": a number (the page, or the section) is the
  // part before the letter.
  const auto dash = address.rfind('-');
  if (dash == std::string::npos || dash + 2 != address.size() || dash == 0) {
    return Separation::none;
  }
  const auto before = address.rfind('-', dash - 1);
  if (before == std::string::npos ||
      !(number_at(address, before + 1, dash) || number_at(address, before + 1, dash, 'S'))) {
    return Separation::none;
  }
  switch (address.back()) {
    case 'R':
      return Separation::red;
    case 'G':
      return Separation::green;
    case 'B':
      return Separation::blue;
    default:
      return Separation::none;
  }
}

std::uint32_t section_of_address(const std::string& address) {
  // "<reel>-<document>-<page>-S<section>[-<R|G|B>]"
  std::size_t end = address.size();
  if (separation_of_address(address) != Separation::none) end -= 2;
  const auto dash = address.rfind('-', end == 0 ? 0 : end - 1);
  if (dash == std::string::npos || dash == 0 || !number_at(address, dash + 1, end, 'S')) return 0;
  const auto before = address.rfind('-', dash - 1);
  if (before == std::string::npos || !number_at(address, before + 1, dash)) return 0;
  std::uint64_t section = 0;
  for (std::size_t i = dash + 2; i < end && section <= UINT32_MAX; ++i) {
    section = section * 10 + static_cast<std::uint64_t>(address[i] - '0');
  }
  return section <= UINT32_MAX ? static_cast<std::uint32_t>(section) : 0;
}

}  // namespace fw
