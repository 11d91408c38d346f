// The parallel render stage: a planned frame in, device code values out. Pages are decoded
// and placed by engine/raster, substitutes and targets are drawn by render/target.hpp, and every
// frame then gets its blip mark and image address in the format's blip track. On the
// `separations` colour route a page's frame is one channel of the page rendered in colour,
// with the calibration strip of render/separation.hpp beside it, and every other frame of
// the document (targets, substitutes) is grey: the stock takes one channel.
#include "render/render.hpp"

#include <fmt/format.h>

#include <list>
#include <memory>
#include <mutex>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "color/calibration.hpp"
#include "color/paper.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "ingest/checksum_manifest.hpp"
#include "ingest/ingest.hpp"
#include "raster/raster.hpp"
#include "render/blip.hpp"
#include "render/frame_mark.hpp"
#include "render/separation.hpp"
#include "render/substitute.hpp"
#include "render/target.hpp"

namespace fw {
namespace {

RasterSettings raster_settings(const Job& job, const Document& doc) {
  const PageSettings s = settings_for(job, doc);
  const bool separations =
      s.mode == ImageMode::colour && s.colour_route == ColourRoute::separations;
  return {separations ? ImageMode::grey : s.mode, job.polarity, s.threshold};
}

// The encoders of the files being filmed: an encoder hashes its file once and is shared by
// the file's frames on a reel (its header names the reel). A few are kept, most recent first.
std::shared_ptr<const data::FileEncoder> file_encoder(const Job& job, const Plan& plan,
                                                      const PlannedFrame& frame) {
  static std::mutex mutex;
  static std::list<std::pair<std::string, std::shared_ptr<const data::FileEncoder>>> kept;
  const data::Layout& layout = plan.data_layout.value();
  const data::FileIdentity identity = data_identity(job, plan, frame);
  const MasterFile& master = plan.masters.at(frame.document).at(frame.data_file);
  const std::string key =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}x{}/{}/{}/{}+{}", identity.job, identity.reel,
                  identity.document, identity.file_index, master.path, layout.modules_x,
                  layout.modules_y, layout.code.bits_per_module, layout.geometry.module_px,
                  layout.code.group_data, layout.code.group_parity);
  {
    std::lock_guard lock(mutex);
    for (auto it = kept.begin(); it != kept.end(); ++it) {
      if (it->first != key) continue;
      kept.splice(kept.begin(), kept, it);
      return kept.front().second;
    }
  }
  auto encoder = std::make_shared<const data::FileEncoder>(layout, identity,
                                                           std::filesystem::path(master.path));
  if (encoder->file_size() != master.size) {
    throw Error(ErrorKind::input,
                fmt::format("{}: {} bytes now, {} when the job was planned: the file changed; "
                            "plan the job again",
                            master.path, encoder->file_size(), master.size));
  }
  std::lock_guard lock(mutex);
  kept.emplace_front(key, encoder);
  if (kept.size() > 4) kept.pop_back();
  return encoder;
}

// A data frame: the symbol (device code values: 255 exposes a module dense, whatever the
// polarity) in the frame's data area, unexposed film around it.
FrameImage render_data(const Job& job, const Plan& plan, const PlannedFrame& frame,
                       std::string& file_sha256) {
  const auto encoder = file_encoder(job, plan, frame);
  const data::FramePixels symbol = encoder->frame(frame.data_frame);
  const Placement& p = frame.placement;
  FrameImage image;
  image.width = p.frame_width_px;
  image.height = p.frame_height_px;
  image.channels = 1;
  image.pixels.assign(std::size_t{image.width} * image.height, 0);
  if (symbol.width != p.page_width_px || symbol.height != p.page_height_px ||
      p.page_x_px + symbol.width > image.width || p.page_y_px + symbol.height > image.height) {
    throw Error(ErrorKind::internal, "data frame: the symbol does not match its frame's area");
  }
  for (std::uint32_t y = 0; y < symbol.height; ++y) {
    std::copy_n(symbol.pixels.begin() + std::size_t{y} * symbol.width, symbol.width,
                image.pixels.begin() + std::size_t{p.page_y_px + y} * image.width + p.page_x_px);
  }
  file_sha256 = encoder->sha256_hex();
  return image;
}

}  // namespace

std::string describe_frame(const Job& job, const PlannedFrame& frame) {
  const Document& doc = job.documents[frame.document];
  std::string text = fmt::format("reel {} frame {} (", reel_id(job.site, frame.reel), frame.number);
  if (is_target(frame.kind) || frame.kind == FrameKind::data) {
    text += fmt::format("{} {}", to_string(frame.kind), frame.address);
  } else {
    text += fmt::format("document {} page {}", doc.id, frame.page);
    if (frame.section > 0) {
      text += fmt::format(" section {} of {}", frame.section, frame.sections);
    }
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
      frame.separation == Separation::none && frame.kind != FrameKind::data;
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
  } else if (frame.kind == FrameKind::data) {
    try {
      image = render_data(job, plan, frame, out.source_sha256);
    } catch (const Error& e) {
      throw with_context(describe_frame(job, frame), e);
    }
  } else if (is_target(frame.kind)) {
    try {
      image = render_target(job, plan, frame, settings);
    } catch (const Error& e) {
      throw with_context(describe_frame(job, frame), e);
    }
  } else {
    try {
      // The page's load closes as the lambda returns, on this thread: a JPEG whose last rows
      // libjpeg warned about fails here, not on film with grey rows (decode_page_checked).
      decode_page_checked(frame.source.ref, [&] {
        const vips::VImage page = open_page(frame.source, frame.placement.scale_x, job.limits);
        if (frame.separation != Separation::none) {
          RasterSettings colour = settings;
          colour.mode = ImageMode::colour;
          image = separation_channel(render_page(page, frame.placement, colour), frame.separation);
        } else {
          image = render_page(page, frame.placement, settings);
        }
      });
      out.source_sha256 = hashes.get(frame.source.ref.file);
      // Checked against the delivery's manifest when the job was planned: a file changed
      // since (overwritten, damaged) is not the file the supplier's checksums vouched for.
      if (const std::string checked = checked_sha256(frame.source.ref);
          !checked.empty() && checked != out.source_sha256) {
        throw Error(ErrorKind::input,
                    fmt::format("{}: changed since it was checked against the delivery's "
                                "checksums when the job was planned (SHA-256 {} then, {} now); "
                                "find out what changed it, then plan the job again",
                                frame.source.ref.file, checked, out.source_sha256));
      }
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
