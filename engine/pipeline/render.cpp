// The parallel render stage: a planned frame in, device code values out. Pages are decoded
// and placed by engine/raster, substitutes and targets are drawn by engine/film, and every
// frame then gets its blip mark and image address in the format's blip track. On the
// `separations` colour route a page's frame is one channel of the page rendered in colour,
// with the calibration strip of engine/film/separation beside it, and every other frame of
// the document (targets, substitutes) is grey: the stock takes one channel.
#include "pipeline/render.hpp"

#include <fmt/format.h>

#include "base/sha256.hpp"
#include "color/calibration.hpp"
#include "color/paper.hpp"
#include "core/error.hpp"
#include "film/blip.hpp"
#include "film/separation.hpp"
#include "film/substitute.hpp"
#include "film/target.hpp"
#include "pipeline/pipeline.hpp"
#include "qc/mark.hpp"
#include "raster/raster.hpp"

namespace fw {
namespace {

RasterSettings raster_settings(const Job& job, const Document& doc) {
  const PageSettings s = settings_for(job, doc);
  const bool separations =
      s.mode == ImageMode::colour && s.colour_route == ColourRoute::separations;
  return {separations ? ImageMode::grey : s.mode, job.polarity, s.threshold};
}

}  // namespace

std::string describe_frame(const Job& job, const PlannedFrame& frame) {
  const Document& doc = job.documents[frame.document];
  std::string text = fmt::format("reel R{:04} frame {} (", frame.reel, frame.number);
  if (is_target(frame.kind)) {
    text += fmt::format("{} {}", to_string(frame.kind), frame.address);
  } else {
    text += fmt::format("document {} page {}", doc.id, frame.page);
    if (frame.separation != Separation::none) {
      text += fmt::format(" separation {}", to_string(frame.separation));
    }
  }
  if (!frame.source.ref.file.empty()) {
    text += fmt::format(", {} page {}", frame.source.ref.file, frame.source.ref.page_in_file + 1);
  }
  return text + ")";
}

std::size_t rendered_bytes(const Job& job, const PlannedFrame& frame) {
  const bool colour =
      raster_settings(job, job.documents.at(frame.document)).mode == ImageMode::colour &&
      frame.separation == Separation::none;
  return std::size_t{frame.placement.frame_width_px} * frame.placement.frame_height_px *
         (colour ? 3 : 1);
}

void calibrate_rendered(const Job& job, const Plan& plan, const PlannedFrame& frame,
                        RenderedFrame& out) {
  const FrameCalibration* calibration = plan.calibration.get();
  if (!calibration || calibration->identity()) return;
  // Only a grey page is scaled to its paper: colour pages keep their paper's colour (on colour
  // film and in separations, whose strip must match the page), targets are drawn on white.
  const bool grey_page = frame.kind == FrameKind::page && out.substitute_reason.empty() &&
                         frame.separation == Separation::none && out.channels == 1 &&
                         settings_for(job, job.documents[frame.document]).mode == ImageMode::grey;
  if (grey_page) {
    const Placement& p = frame.placement;
    const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
    const Paper paper = find_paper(out.pixels, out.width, out.height,
                                   {p.page_x_px, p.page_y_px, p.page_width_px, p.page_height_px},
                                   job.polarity == Polarity::negative, paper_block_px(pitch_um));
    if (paper.found) out.paper = paper.level;
  }
  calibration->apply(out.pixels, out.channels, out.paper, job.polarity == Polarity::negative);
  out.sha256 = sha256_hex(out.pixels);
}

RenderedFrame render_frame(const Job& job, const Plan& plan, const PlannedFrame& frame,
                           SourceHashes& hashes, Calibrate calibrate) {
  const Document& doc = job.documents[frame.document];
  const RasterSettings settings = raster_settings(job, doc);
  FrameImage image;
  RenderedFrame out;
  if (frame.kind == FrameKind::substitute) {
    image = render_substitute(job, plan, frame, frame.reason, settings);
    out.substitute_reason = frame.reason;
  } else if (is_target(frame.kind)) {
    try {
      image = render_target(job, plan, frame, settings);
    } catch (const Error& e) {
      throw with_context(describe_frame(job, frame), e);
    }
  } else {
    try {
      vips::VImage page = open_page(frame.source, frame.placement.scale_x, job.limits);
      if (frame.separation != Separation::none) {
        RasterSettings colour = settings;
        colour.mode = ImageMode::colour;
        image = separation_channel(render_page(page, frame.placement, colour), frame.separation);
      } else {
        image = render_page(page, frame.placement, settings);
      }
      out.source_sha256 = hashes.get(frame.source.ref.file);
    } catch (const Error& e) {
      if (settings_for(job, doc).on_error != FailurePolicy::substitute) {
        throw with_context(describe_frame(job, frame), e);
      }
      out = {};
      image = render_substitute(job, plan, frame, e.what(), settings);
      out.substitute_reason = e.what();
    }
  }
  const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  try {
    // A separation keeps its strip even when a substitute took the page's place: the reader
    // finds the same crosses and scale on all three frames.
    if (frame.separation != Separation::none) {
      draw_separation_strip(image, frame.placement, plan.format, pitch_um);
    }
    draw_blip_track(image, frame, plan.format, pitch_um, plan.text.get());
    draw_frame_mark(image, frame, plan.format, pitch_um, out.source_sha256);  // engine/qc
  } catch (const Error& e) {
    throw with_context(describe_frame(job, frame), e);
  }
  out.width = image.width;
  out.height = image.height;
  out.channels = image.channels;
  out.pixels = std::move(image.pixels);
  if (calibrate == Calibrate::yes && plan.calibration && !plan.calibration->identity()) {
    calibrate_rendered(job, plan, frame, out);  // hashes the calibrated frame
  } else {
    out.sha256 = sha256_hex(out.pixels);
  }
  return out;
}

}  // namespace fw
