// Page placement: physical page size / reduction = size on film, at the recorder's pitch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/frame_along.hpp"
#include "film/plan.hpp"

namespace fw {
namespace {

// The page's size on film in device pixels, axes named after the film: "along" runs
// with the film's travel, "across" spans its width.
struct FilmAxes {
  std::uint32_t along = 0;
  std::uint32_t across = 0;
};

struct FrameGeometry {
  std::uint32_t page_width_px = 0;
  std::uint32_t page_height_px = 0;
  std::uint32_t frame_width_px = 0;
  std::uint32_t frame_height_px = 0;
  std::uint32_t frame_along_px = 0;
  std::uint32_t image_across_px = 0;  // the image area; the blip track lies beyond it
  std::uint32_t track_px = 0;
  bool fits = false;
};

// Width and height are the upright page's, in mm, after rotation.
FrameGeometry frame_geometry(double width_mm, double height_mm, double reduction,
                             const FilmFormat& format, double pitch_um) {
  FrameGeometry geometry;
  geometry.page_width_px = mm_to_px(width_mm / reduction, pitch_um);
  geometry.page_height_px = mm_to_px(height_mm / reduction, pitch_um);
  const bool comic = format.orientation == Orientation::comic;
  const FilmAxes page = comic ? FilmAxes{geometry.page_width_px, geometry.page_height_px}
                              : FilmAxes{geometry.page_height_px, geometry.page_width_px};
  const std::uint32_t margin_px = mm_to_px(format.margin_mm, pitch_um);
  const bool fixed_length = format.frame_length_mm > 0;

  FilmAxes frame;
  geometry.image_across_px = mm_to_px(format.image_area_across_mm, pitch_um);
  geometry.track_px = mm_to_px(format.blips.track_mm, pitch_um);
  frame.across = geometry.image_across_px + geometry.track_px;
  frame.along =
      fixed_length ? mm_to_px(format.frame_length_mm, pitch_um) : page.along + 2 * margin_px;
  geometry.fits = page.across + 2 * margin_px <= geometry.image_across_px &&
                  (!fixed_length || page.along + 2 * margin_px <= frame.along);
  geometry.frame_along_px = frame.along;
  geometry.frame_width_px = comic ? frame.along : frame.across;
  geometry.frame_height_px = comic ? frame.across : frame.along;
  return geometry;
}

// The smallest reduction, to one decimal, at which the page fits (pixel rounding included).
double smallest_fitting_reduction(double width_mm, double height_mm, const FilmFormat& format,
                                  double pitch_um) {
  const bool comic = format.orientation == Orientation::comic;
  const double page_across_mm = comic ? height_mm : width_mm;
  const double page_along_mm = comic ? width_mm : height_mm;
  double bound = page_across_mm / (format.image_area_across_mm - 2 * format.margin_mm);
  if (format.frame_length_mm > 0) {
    bound = std::max(bound, page_along_mm / (format.frame_length_mm - 2 * format.margin_mm));
  }
  if (!std::isfinite(bound) || bound < 0.1) bound = 0.1;
  // Start a little below the continuous bound: rounding to whole pixels can go either way.
  long tenths = std::max(1L, static_cast<long>(std::floor(bound * 10)) - 2);
  const long give_up = tenths + 1000;  // margins wider than the frame: nothing fits
  while (tenths < give_up &&
         !frame_geometry(width_mm, height_mm, tenths / 10.0, format, pitch_um).fits) {
    ++tenths;
  }
  return tenths / 10.0;
}

std::string area_text(const FilmFormat& format) {
  if (format.frame_length_mm <= 0) return fmt::format("{:.1f} mm", format.image_area_across_mm);
  const bool comic = format.orientation == Orientation::comic;
  const double width = comic ? format.frame_length_mm : format.image_area_across_mm;
  const double height = comic ? format.image_area_across_mm : format.frame_length_mm;
  return fmt::format("{:.1f} x {:.1f} mm", width, height);
}

// The page's width and height upright, after `rotate`.
std::pair<double, double> upright_mm(const PageInfo& info, int rotate) {
  return rotate % 180 == 90 ? std::pair{info.height_mm, info.width_mm}
                            : std::pair{info.width_mm, info.height_mm};
}

// The reduction an oversize page is filmed at: the smallest whole one at which it fits, so
// that it reads as a ratio (1:34) on its target; on a format of a few reductions, the
// smallest of them that fits. 0 when none of the format's reductions does.
double oversize_reduction(double width_mm, double height_mm, const FilmFormat& format,
                          double pitch_um) {
  const double needed = smallest_fitting_reduction(width_mm, height_mm, format, pitch_um);
  if (!format.allowed_reductions.empty()) {
    double best = 0;
    for (const double allowed : format.allowed_reductions) {
      if (allowed >= needed - 1e-9 && (best == 0 || allowed < best)) best = allowed;
    }
    return best;
  }
  const double whole = std::ceil(needed - 1e-9);
  return whole <= format.max_reduction ? whole : 0;
}

}  // namespace

double page_reduction(const PageInfo& info, const PageSettings& settings, const FilmFormat& format,
                      double pitch_um) {
  if (settings.oversize == OversizePolicy::fail || !(pitch_um > 0) || !(info.width_mm > 0) ||
      !(info.height_mm > 0)) {
    return settings.reduction;
  }
  const auto [width_mm, height_mm] = upright_mm(info, settings.rotate);
  if (frame_geometry(width_mm, height_mm, settings.reduction, format, pitch_um).fits) {
    return settings.reduction;
  }
  double reduction = oversize_reduction(width_mm, height_mm, format, pitch_um);
  if (reduction == 0 && settings.oversize == OversizePolicy::split &&
      format.allowed_reductions.empty()) {
    FilmFormat wider = format;
    wider.max_reduction = kLargestOverviewReduction;
    reduction = oversize_reduction(width_mm, height_mm, wider, pitch_um);
  }
  // Beyond that place_page refuses the page at the document's own reduction, saying what it
  // needs.
  return reduction > 0 ? std::max(reduction, settings.reduction) : settings.reduction;
}

Placement place_page(const PageInfo& info, const PageSettings& settings, const FilmFormat& format,
                     double pitch_um) {
  if (!(pitch_um > 0)) {
    throw Error(ErrorKind::device, fmt::format("pixel pitch {} um is not a size", pitch_um));
  }
  check_reduction(format, settings.reduction);
  if (settings.rotate != 0 && settings.rotate != 90 && settings.rotate != 180 &&
      settings.rotate != 270) {
    throw Error(ErrorKind::job,
                fmt::format("rotate {} is not one of 0, 90, 180, 270", settings.rotate));
  }
  if (info.width_px == 0 || info.height_px == 0 || !(info.width_mm > 0) || !(info.height_mm > 0)) {
    throw Error(ErrorKind::input,
                fmt::format("page has no usable size ({} x {} px, {:.1f} x {:.1f} mm)",
                            info.width_px, info.height_px, info.width_mm, info.height_mm));
  }

  const bool quarter_turn = settings.rotate % 180 == 90;
  const auto [width_mm, height_mm] = upright_mm(info, settings.rotate);
  const std::uint32_t source_width_px = quarter_turn ? info.height_px : info.width_px;
  const std::uint32_t source_height_px = quarter_turn ? info.width_px : info.height_px;

  const FrameGeometry geometry =
      frame_geometry(width_mm, height_mm, settings.reduction, format, pitch_um);
  if (geometry.page_width_px == 0 || geometry.page_height_px == 0) {
    throw Error(ErrorKind::input,
                fmt::format("page {:.1f} x {:.1f} mm is smaller than one pixel at {}x", width_mm,
                            height_mm, settings.reduction));
  }
  if (!geometry.fits) {
    const double needed = smallest_fitting_reduction(width_mm, height_mm, format, pitch_um);
    std::string message = fmt::format(
        "page {:.1f} x {:.1f} mm does not fit the {} image area of {} at {}x; it needs at least "
        "{:.1f}x",
        width_mm, height_mm, area_text(format), format.name, settings.reduction, needed);
    if (needed > format.max_reduction) {
      message += fmt::format(", more than the format's maximum of {}x", format.max_reduction);
      if (settings.oversize == OversizePolicy::split && !format.allowed_reductions.empty()) {
        message +=
            " (oversize = \"split\" films a page's sections after a view of the whole page at "
            "one of the format's reductions: film it on a wider format)";
      } else if (settings.oversize == OversizePolicy::split && needed > kLargestOverviewReduction) {
        message += fmt::format(
            " (oversize = \"split\" films a page's sections after a view of the whole page, "
            "at up to {:g}x: film it on a wider format)",
            kLargestOverviewReduction);
      }
    } else if (const double reduction = oversize_reduction(width_mm, height_mm, format, pitch_um);
               settings.oversize == OversizePolicy::fail && reduction > 0) {
      message += fmt::format(
          " (oversize = \"reduce\", or --oversize reduce, films such a page at {:g}x behind a "
          "target that says so)",
          reduction);
    }
    throw Error(ErrorKind::input, message);
  }

  Placement placement;
  placement.frame_width_px = geometry.frame_width_px;
  placement.frame_height_px = geometry.frame_height_px;
  placement.rotate = settings.rotate;
  placement.page_width_px = geometry.page_width_px;
  placement.page_height_px = geometry.page_height_px;
  placement.scale_x = static_cast<double>(geometry.page_width_px) / source_width_px;
  placement.scale_y = static_cast<double>(geometry.page_height_px) / source_height_px;
  // The page is centred in the image area; the blip track lies below it on the film: under
  // the upright page in comic frames, to its right in cine frames.
  const bool comic = format.orientation == Orientation::comic;
  const std::uint32_t area_width = comic ? geometry.frame_width_px : geometry.image_across_px;
  const std::uint32_t area_height = comic ? geometry.image_across_px : geometry.frame_height_px;
  placement.page_x_px = (area_width - geometry.page_width_px) / 2;
  placement.page_y_px = (area_height - geometry.page_height_px) / 2;
  if (geometry.track_px > 0) {
    placement.track_x_px = comic ? 0 : geometry.image_across_px;
    placement.track_y_px = comic ? geometry.image_across_px : 0;
    placement.track_width_px = comic ? geometry.frame_width_px : geometry.track_px;
    placement.track_height_px = comic ? geometry.track_px : geometry.frame_height_px;
  }
  placement.length_mm = geometry.frame_along_px * pitch_um / 1000.0;
  return placement;
}

PageSections page_sections(const PageInfo& info, const PageSettings& settings,
                           const FilmFormat& format, double pitch_um) {
  const double overlap_mm = settings.section_overlap_mm;
  const auto [width_mm, height_mm] = upright_mm(info, settings.rotate);
  const bool quarter_turn = settings.rotate % 180 == 90;
  const double upright_width_px = quarter_turn ? info.height_px : info.width_px;
  const double upright_height_px = quarter_turn ? info.width_px : info.height_px;
  const bool comic = format.orientation == Orientation::comic;
  // What one frame holds of the document, less two pixels on film for rounding.
  const double slack_mm = 2 * pitch_um / 1000.0 * settings.reduction;
  const double across_mm =
      (format.image_area_across_mm - 2 * format.margin_mm) * settings.reduction - slack_mm;
  const double along_mm =
      format.frame_length_mm > 0
          ? (format.frame_length_mm - 2 * format.margin_mm) * settings.reduction - slack_mm
          : std::numeric_limits<double>::infinity();
  const double hold_x = comic ? along_mm : across_mm;
  const double hold_y = comic ? across_mm : along_mm;
  // Sections of one size along each axis, each overlapping the next by overlap_mm.
  const auto count = [&](double page_mm, double hold_mm) -> std::uint32_t {
    if (page_mm <= hold_mm) return 1;
    if (hold_mm <= overlap_mm) {
      throw Error(ErrorKind::input,
                  fmt::format("a section of {:.1f} mm at {:g}x on {} is no wider than the {:g} mm "
                              "its neighbour shares with it",
                              hold_mm, settings.reduction, format.name, overlap_mm));
    }
    return static_cast<std::uint32_t>(std::ceil((page_mm - overlap_mm) / (hold_mm - overlap_mm)));
  };
  PageSections out;
  out.columns = count(width_mm, hold_x);
  out.rows = count(height_mm, hold_y);
  const double section_width = (width_mm + (out.columns - 1) * overlap_mm) / out.columns;
  const double section_height = (height_mm + (out.rows - 1) * overlap_mm) / out.rows;
  PageSettings upright = settings;
  upright.rotate = 0;
  for (std::uint32_t row = 0; row < out.rows; ++row) {
    for (std::uint32_t column = 0; column < out.columns; ++column) {
      const double left = column * (section_width - overlap_mm) / width_mm;
      const double top = row * (section_height - overlap_mm) / height_mm;
      const double right = column + 1 == out.columns ? 1.0 : left + section_width / width_mm;
      const double bottom = row + 1 == out.rows ? 1.0 : top + section_height / height_mm;
      PageInfo part = info;
      part.width_mm = (right - left) * width_mm;
      part.height_mm = (bottom - top) * height_mm;
      part.width_px = std::max<std::uint32_t>(
          1, static_cast<std::uint32_t>(std::lround((right - left) * upright_width_px)));
      part.height_px = std::max<std::uint32_t>(
          1, static_cast<std::uint32_t>(std::lround((bottom - top) * upright_height_px)));
      Placement placement = place_page(part, upright, format, pitch_um);
      // The frame shows the part of the whole page, scaled as the whole page is.
      placement.rotate = settings.rotate;
      placement.scale_x = placement.page_width_px / ((right - left) * upright_width_px);
      placement.scale_y = placement.page_height_px / ((bottom - top) * upright_height_px);
      placement.crop_left = left;
      placement.crop_top = top;
      placement.crop_right = right;
      placement.crop_bottom = bottom;
      out.sections.push_back(placement);
    }
  }
  return out;
}

Placement with_frame_along(const Placement& placement, const FilmFormat& format,
                           std::uint32_t page_along_px, std::uint32_t frame_along_px,
                           double pitch_um) {
  Placement out = placement;
  if (format.orientation == Orientation::comic) {
    out.frame_width_px = frame_along_px;
    out.page_x_px = page_along_px;
    if (out.track_height_px > 0) out.track_width_px = frame_along_px;
  } else {
    out.frame_height_px = frame_along_px;
    out.page_y_px = page_along_px;
    if (out.track_width_px > 0) out.track_height_px = frame_along_px;
  }
  out.length_mm = frame_along_px * pitch_um / 1000.0;
  return out;
}

}  // namespace fw
