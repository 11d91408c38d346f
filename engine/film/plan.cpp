#include "film/plan.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"

namespace fw {
namespace {

// Lengths are sums of many doubles; a rounding crumb must not push a document onto the
// next reel or past the end of the film.
constexpr double kLengthToleranceMm = 1e-6;

std::string reel_id(std::uint32_t number) {
  return fmt::format("R{:04}", number);
}

std::string frame_address(const std::string& reel, const std::string& document_id,
                          std::uint32_t page) {
  return fmt::format("{}-{}-{:04}", reel, document_id, page);
}

std::string page_context(const Document& document, std::uint32_t page, const SourcePage& source) {
  return fmt::format("{} page {} ({}, page {} in file)", document.id, page,
                     source.ref.file.string(), source.ref.page_in_file + 1);
}

// Substitutes for a document without a single good page get the frame of an upright A4 page.
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

// A document's frames in page order, before they are given reels and positions.
std::vector<PlannedFrame> document_frames(const Job& job, const FilmFormat& format,
                                          const hal::Capabilities& recorder,
                                          const DocumentPages& pages) {
  const Document& document = job.documents[pages.document];
  const PageSettings settings = settings_for(job, document);
  const double pitch_um = recorder.pixel_pitch_um;

  auto place = [&](const SourcePage& source, const PageSettings& page_settings,
                   const std::string& context) {
    Placement placement;
    try {
      placement = place_page(source.info, page_settings, format, pitch_um);
    } catch (const Error& error) {
      throw with_context(context, error);
    }
    check_recorder_limits(placement, recorder, context);
    return placement;
  };

  auto substitutes = pages.substitutes;
  std::sort(substitutes.begin(), substitutes.end());
  const std::size_t page_count = pages.pages.size() + substitutes.size();
  for (std::size_t i = 0; i < substitutes.size(); ++i) {
    const bool repeated = i > 0 && substitutes[i].first == substitutes[i - 1].first;
    if (substitutes[i].first >= page_count || repeated) {
      throw Error(ErrorKind::internal,
                  fmt::format("{}: substitute for page {} is outside the document's {} pages or "
                              "listed twice",
                              document.id, substitutes[i].first + 1, page_count));
    }
  }

  std::vector<PlannedFrame> frames;
  frames.reserve(page_count);
  std::optional<Placement> first_good_placement;
  auto next_good = pages.pages.begin();
  auto next_substitute = substitutes.begin();
  for (std::size_t position = 0; position < page_count; ++position) {
    PlannedFrame frame;
    frame.document = pages.document;
    frame.page = static_cast<std::uint32_t>(position + 1);
    frame.blip = position == 0 ? hal::BlipLevel::document : hal::BlipLevel::page;
    if (next_substitute != substitutes.end() && next_substitute->first == position) {
      frame.kind = FrameKind::substitute;
      frame.reason = next_substitute->second;
      ++next_substitute;
    } else {
      frame.kind = FrameKind::page;
      frame.source = *next_good;
      frame.placement = place(*next_good, settings, page_context(document, frame.page, *next_good));
      ++next_good;
    }
    if (!first_good_placement && frame.kind == FrameKind::page) {
      first_good_placement = frame.placement;
    }
    frames.push_back(std::move(frame));
  }

  if (!substitutes.empty()) {
    Placement substitute_placement;
    if (first_good_placement) {
      substitute_placement = *first_good_placement;
    } else {
      // Large originals filmed at a low reduction may leave no room for A4 at that
      // reduction; the substitute then uses the format's highest reduction, which fits.
      PageSettings upright = settings;
      upright.rotate = 0;
      const std::string context = fmt::format("{}: substitute frame (A4 portrait)", document.id);
      try {
        substitute_placement = place_page(a4_portrait(), upright, format, pitch_um);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::input) throw with_context(context, error);
        upright.reduction = format.max_reduction;
        substitute_placement = place_page(a4_portrait(), upright, format, pitch_um);
      }
      check_recorder_limits(substitute_placement, recorder, context);
    }
    for (PlannedFrame& frame : frames) {
      if (frame.kind == FrameKind::substitute) frame.placement = substitute_placement;
    }
  }
  return frames;
}

double frame_step_mm(const PlannedFrame& frame, const FilmFormat& format) {
  return frame.placement.length_mm + format.frame_gap_mm;
}

// Reels in the making: appends frames, opening a new reel when asked.
class ReelBuilder {
 public:
  ReelBuilder(Plan& plan, const FilmFormat& format)
      : plan_(plan),
        format_(format),
        usable_mm_((format.reel_length_m - format.leader_m - format.trailer_m) * 1000.0) {}

  double usable_mm() const { return usable_mm_; }
  double room_mm() const { return usable_mm_ - used_mm_; }

  void start_reel() {
    PlannedReel reel;
    reel.number = static_cast<std::uint32_t>(plan_.reels.size() + 1);
    reel.id = reel_id(reel.number);
    reel.first_frame = plan_.frames.size();
    reel.film_length_m = format_.reel_length_m;
    plan_.reels.push_back(reel);
    used_mm_ = 0;
    update_film_used();
  }

  void append(PlannedFrame frame, const Job& job) {
    PlannedReel& reel = plan_.reels.back();
    frame.sequence = plan_.frames.size();
    frame.reel = reel.number;
    frame.number = static_cast<std::uint32_t>(reel.frame_count + 1);
    frame.film_position_mm = format_.leader_m * 1000.0 + used_mm_;
    frame.address = frame_address(reel.id, job.documents[frame.document].id, frame.page);
    used_mm_ += frame_step_mm(frame, format_);
    ++reel.frame_count;
    plan_.frames.push_back(std::move(frame));
    update_film_used();
  }

 private:
  void update_film_used() {
    plan_.reels.back().film_used_m = format_.leader_m + used_mm_ / 1000.0 + format_.trailer_m;
  }

  Plan& plan_;
  const FilmFormat& format_;
  double usable_mm_;
  double used_mm_ = 0;
};

// Lengths rounded to the micrometre, so that plan.json does not carry float noise from sums.
double mm(double value) {
  return std::round(value * 1e3) / 1e3;
}
double metres(double value) {
  return std::round(value * 1e6) / 1e6;
}
// Scales, resolutions and pitches: nine decimals are exact enough and print the same everywhere.
double nine_places(double value) {
  return std::round(value * 1e9) / 1e9;
}

nlohmann::ordered_json format_json(const FilmFormat& format) {
  nlohmann::ordered_json lengths = nlohmann::ordered_json::array();
  for (double length : format.reel_lengths_m) lengths.push_back(metres(length));
  return {
      {"name", format.name},
      {"description", format.description},
      {"film_width_mm", mm(format.film_width_mm)},
      {"image_area_across_mm", mm(format.image_area_across_mm)},
      {"frame_length_mm", mm(format.frame_length_mm)},
      {"frame_gap_mm", mm(format.frame_gap_mm)},
      {"margin_mm", mm(format.margin_mm)},
      {"orientation", to_string(format.orientation)},
      {"leader_m", metres(format.leader_m)},
      {"trailer_m", metres(format.trailer_m)},
      {"reel_length_m", metres(format.reel_length_m)},
      {"reel_lengths_m", lengths},
      {"min_reduction", format.min_reduction},
      {"max_reduction", format.max_reduction},
  };
}

nlohmann::ordered_json source_json(const SourcePage& source) {
  if (source.ref.file.empty()) return nullptr;
  nlohmann::ordered_json json;
  json["file"] = source.ref.file.generic_string();
  json["page_in_file"] = source.ref.page_in_file + 1;  // 1-based, as index.csv and operators count
  json["pages_in_file"] = source.ref.pages_in_file;
  json["format"] = to_string(source.ref.format);
  json["width_px"] = source.info.width_px;
  json["height_px"] = source.info.height_px;
  json["width_mm"] = mm(source.info.width_mm);
  json["height_mm"] = mm(source.info.height_mm);
  json["dpi"] = nine_places(source.info.dpi);
  json["dpi_from_job"] = source.info.dpi_from_job;
  return json;
}

nlohmann::ordered_json placement_json(const Placement& placement) {
  return {
      {"frame_width_px", placement.frame_width_px},
      {"frame_height_px", placement.frame_height_px},
      {"rotate", placement.rotate},
      {"scale_x", nine_places(placement.scale_x)},
      {"scale_y", nine_places(placement.scale_y)},
      {"page_x_px", placement.page_x_px},
      {"page_y_px", placement.page_y_px},
      {"page_width_px", placement.page_width_px},
      {"page_height_px", placement.page_height_px},
      {"length_mm", mm(placement.length_mm)},
  };
}

}  // namespace

const char* to_string(FrameKind kind) {
  switch (kind) {
    case FrameKind::page:
      return "page";
    case FrameKind::substitute:
      return "substitute";
  }
  return "page";
}

Plan plan_reels(const Job& job, const FilmFormat& format, const hal::Capabilities& recorder,
                const std::vector<DocumentPages>& documents) {
  if (!(recorder.pixel_pitch_um > 0)) {
    throw Error(ErrorKind::device, fmt::format("the recorder reports a pixel pitch of {} um",
                                               recorder.pixel_pitch_um));
  }
  Plan plan;
  plan.job_id = job.id;
  plan.format = format;
  plan.pitch_um = recorder.pixel_pitch_um;

  ReelBuilder reels(plan, format);
  for (const DocumentPages& pages : documents) {
    if (pages.document >= job.documents.size()) {
      throw Error(ErrorKind::internal, fmt::format("document index {} is outside the job's {} "
                                                   "documents",
                                                   pages.document, job.documents.size()));
    }
    const Document& document = job.documents[pages.document];
    if (pages.skipped) {
      plan.skipped.push_back(fmt::format("{}: {}", document.id, pages.skip_reason));
      continue;
    }
    std::vector<PlannedFrame> frames = document_frames(job, format, recorder, pages);
    double document_mm = 0;
    for (const PlannedFrame& frame : frames) {
      const double step_mm = frame_step_mm(frame, format);
      if (step_mm > reels.usable_mm() + kLengthToleranceMm) {
        throw Error(
            ErrorKind::input,
            fmt::format("{} page {}: the frame and its gap ({:.3f} mm) are longer than "
                        "the usable film of a {} m reel ({:.3f} mm)",
                        document.id, frame.page, step_mm, format.reel_length_m, reels.usable_mm()));
      }
      document_mm += step_mm;
    }
    if (frames.empty()) continue;

    // Documents stay whole on a reel; one longer than a whole reel fills the reel it starts on.
    const bool longer_than_a_reel = document_mm > reels.usable_mm() + kLengthToleranceMm;
    if (plan.reels.empty() ||
        (!longer_than_a_reel && document_mm > reels.room_mm() + kLengthToleranceMm)) {
      reels.start_reel();
    }
    for (PlannedFrame& frame : frames) {
      if (frame_step_mm(frame, format) > reels.room_mm() + kLengthToleranceMm) reels.start_reel();
      reels.append(std::move(frame), job);
    }
  }
  return plan;
}

std::string Plan::to_json(const Job& job) const {
  nlohmann::ordered_json reels_json = nlohmann::ordered_json::array();
  for (const PlannedReel& reel : reels) {
    reels_json.push_back({
        {"id", reel.id},
        {"number", reel.number},
        {"first_frame", reel.first_frame},
        {"frames", reel.frame_count},
        {"film_used_m", metres(reel.film_used_m)},
        {"film_length_m", metres(reel.film_length_m)},
    });
  }
  nlohmann::ordered_json frames_json = nlohmann::ordered_json::array();
  for (const PlannedFrame& frame : frames) {
    if (frame.document >= job.documents.size()) {
      throw Error(ErrorKind::internal,
                  fmt::format("frame {} names document index {}, but the job has {} documents",
                              frame.sequence, frame.document, job.documents.size()));
    }
    frames_json.push_back({
        {"sequence", frame.sequence},
        {"reel", frame.reel},
        {"number", frame.number},
        {"kind", to_string(frame.kind)},
        {"document", job.documents[frame.document].id},
        {"page", frame.page},
        {"address", frame.address},
        {"blip", hal::to_string(frame.blip)},
        {"source", source_json(frame.source)},
        {"placement", placement_json(frame.placement)},
        {"film_position_mm", mm(frame.film_position_mm)},
        {"reason", frame.reason},
    });
  }
  const nlohmann::ordered_json plan = {
      {"job", {{"id", job_id}, {"title", job.title}}},
      {"format", format_json(format)},
      {"pixel_pitch_um", nine_places(pitch_um)},
      {"reels", reels_json},
      {"frames", frames_json},
      {"skipped", skipped},
  };
  return plan.dump(2) + "\n";
}

std::string Plan::hash(const Job& job) const {
  Sha256 digest;
  digest.update(to_json(job));
  return digest.hex();
}

}  // namespace fw
