// plan.json: the plan written out (streamed frame by frame, stable key order), the rendering
// choices beside it, and the plan's hash over both (sha256 of the text as written: no file is
// read).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/sha256.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "film/plan.hpp"

namespace fw {
namespace {

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
      {"allowed_reductions", format.allowed_reductions},
      {"layout", to_string(format.layout)},
      {"blip_track_mm", mm(format.blips.track_mm)},
      {"blip_width_mm", mm(format.blips.mark_width_mm)},
      {"blip_lengths_mm",
       {mm(format.blips.page_mm), mm(format.blips.document_mm), mm(format.blips.batch_mm)}},
  };
}

nlohmann::ordered_json fiche_json(const FicheGrid& grid) {
  return {
      {"width_mm", mm(grid.width_mm)},
      {"height_mm", mm(grid.height_mm)},
      {"columns", grid.columns},
      {"rows", grid.rows},
      {"header_rows", grid.header_rows},
      {"cell_width_mm", mm(grid.cell_width_mm)},
      {"cell_height_mm", mm(grid.cell_height_mm)},
      {"reading_order", to_string(grid.order)},
  };
}

nlohmann::ordered_json source_json(const SourcePage& source) {
  if (source.ref.file.empty()) return nullptr;
  nlohmann::ordered_json json;
  json["file"] = std::filesystem::path(source.ref.file).generic_string();
  json["page_in_file"] = source.ref.page_in_file + 1;  // 1-based, as index.csv and operators count
  json["pages_in_file"] = source.ref.pages_in_file;
  json["format"] = to_string(source.ref.format);
  // The file's EXIF/TIFF orientation, applied before `rotate`; the sizes below are upright.
  json["orientation"] = source.info.orientation;
  json["width_px"] = source.info.width_px;
  json["height_px"] = source.info.height_px;
  json["width_mm"] = mm(source.info.width_mm);
  json["height_mm"] = mm(source.info.height_mm);
  json["dpi"] = nine_places(source.info.dpi);
  json["dpi_from_job"] = source.info.dpi_from_job;
  return json;
}

nlohmann::ordered_json placement_json(const Placement& placement) {
  nlohmann::ordered_json json = {
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
      {"track",
       {placement.track_x_px, placement.track_y_px, placement.track_width_px,
        placement.track_height_px}},
  };
  if (placement.cropped()) {
    json["crop"] = {nine_places(placement.crop_left), nine_places(placement.crop_top),
                    nine_places(placement.crop_right), nine_places(placement.crop_bottom)};
  }
  return json;
}

}  // namespace

void Plan::write_json(const Job& job, const std::function<void(std::string_view)>& out) const {
  nlohmann::ordered_json reels_json = nlohmann::ordered_json::array();
  for (const PlannedReel& reel : reels) {
    reels_json.push_back({
        {"id", reel.id},
        {"number", reel.number},
        {"first_frame", reel.first_frame},
        {"frames", reel.frame_count},
        {"film_used_m", metres(reel.film_used_m)},
        {"film_length_m", metres(reel.film_length_m)},
        {"pages", reel.pages},
        {"continues_from_previous", reel.continues_from_previous},
        {"continues_on_next", reel.continues_on_next},
    });
    if (data_layout) {
      reels_json.back()["data_frames"] = reel.data_frames;
      reels_json.back()["data_bytes"] = reel.data_bytes;
    }
  }
  // Data frames: the symbol's layout and code, and every master file with its frames.
  std::vector<std::vector<data::FrameCount>> counts(masters.size());
  nlohmann::ordered_json data_json;
  if (data_layout) {
    const data::Layout& l = *data_layout;
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (std::size_t d = 0; d < masters.size(); ++d) {
      for (std::size_t f = 0; f < masters[d].size(); ++f) {
        const MasterFile& m = masters[d][f];
        counts[d].push_back(data::frames_for_file(l, m.size, m.name));
        files.push_back({{"document", job.documents.at(d).id},
                         {"file", f + 1},
                         {"name", m.name},
                         {"path", std::filesystem::path(m.path).generic_string()},
                         {"size", m.size},
                         {"data_frames", counts[d].back().data},
                         {"parity_frames", counts[d].back().parity}});
      }
    }
    data_json = {
        {"format_version", data::kFormatVersion},
        {"place", to_string(job.data.place)},
        {"module_px", l.geometry.module_px},
        {"module_um", nine_places(l.module_um())},
        {"bits_per_module", l.code.bits_per_module},
        {"symbol_modules", {l.modules_x, l.modules_y}},
        {"inner_code", fmt::format("RS({}, {})", l.code.inner_n, l.code.inner_k)},
        {"outer_group", {{"data", l.code.group_data}, {"parity", l.code.group_parity}}},
        {"payload_bytes_per_frame", l.payload_bytes},
        {"placement", placement_json(data_placement)},
        {"files", files},
    };
  }
  nlohmann::ordered_json format_entry = format_json(format);
  if (format.layout == FilmLayout::fiche) format_entry["fiche"] = fiche_json(format.fiche);
  // The frames are written one at a time where the placeholder stands, each indented as
  // inside the whole document: a document of every frame at once cost ~9 KB per page at plan
  // time (95 MB for 10,000 pages), more than the frames in flight need.
  const std::string placeholder = R"("\u0001frames\u0001")";
  nlohmann::ordered_json job_json{{"id", job_id}, {"title", job.title}};
  if (!job.site.empty()) job_json["site"] = job.site;
  if (!job.operator_name.empty()) job_json["operator"] = job.operator_name;
  nlohmann::ordered_json plan = {
      {"job", job_json},
      {"format", format_entry},
      {"targets", targets ? job.targets : std::string("none")},
      {"filming_date", filming_date},
      {"fonts", font_set},
      {"pixel_pitch_um", nine_places(pitch_um)},
      {"calibration",
       calibration ? calibration->record() : nlohmann::ordered_json{{"profile", "none"}}},
  };
  // Beside the calibration: the templates and fonts every frame's text is drawn with. Absent
  // from plans made by hand and from a job resumed whose plan.json predates them.
  if (drawn_with) plan["drawn_with"] = drawn_with_json(*drawn_with);
  plan["reels"] = reels_json;
  plan["frames"] =
      "\x01"
      "frames\x01";
  plan["skipped"] = skipped;
  if (data_layout) plan["data"] = data_json;
  const std::string text = plan.dump(2) + "\n";
  const std::size_t at = text.find(placeholder);
  if (at == std::string::npos) throw Error(ErrorKind::internal, "plan.json: frames placeholder");
  out(std::string_view(text).substr(0, at));
  out(frames.empty() ? "[]" : "[");
  bool first = true;
  for (const PlannedFrame& frame : frames) {
    if (frame.document >= job.documents.size()) {
      throw Error(ErrorKind::internal,
                  fmt::format("frame {} names document index {}, but the job has {} documents",
                              frame.sequence, frame.document, job.documents.size()));
    }
    nlohmann::ordered_json json = {
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
        {"reduction", nine_places(frame.reduction)},
    };
    if (!frame.note.empty()) json["note"] = frame.note;
    if (frame.kind == FrameKind::substitute) json["target"] = frame.target;
    if (frame.other_reel != 0) json["other_reel"] = frame.other_reel;
    if (frame.announced_reduction > 0) {
      json["announced_reduction"] = nine_places(frame.announced_reduction);
    }
    if (frame.kind == FrameKind::toc_target) {
      // What the frame lists: in plan.json, so that a changed table of contents changes the
      // plan's hash and a resume refuses it.
      nlohmann::ordered_json entries = nlohmann::ordered_json::array();
      const Document& document = job.documents[frame.document];
      for (std::uint32_t e = frame.toc_first; e < frame.toc_first + frame.toc_count; ++e) {
        const TocEntry& entry = document.toc.at(e);
        const TocPlace& place = toc.at(frame.document).at(e);
        entries.push_back({{"entry", e + 1},
                           {"title", entry.title},
                           {"page", entry.page},
                           {"level", entry.level},
                           {"reel", place.reel},
                           {"frame", place.frame},
                           {"address", place.address}});
      }
      json["toc"] = std::move(entries);
    }
    if (frame.kind == FrameKind::reel_contents) {
      // The documents it lists: a reel that holds other documents changes the plan's hash.
      const std::vector<ReelDocument>& listed = reels.at(frame.reel - 1).documents;
      nlohmann::ordered_json entries = nlohmann::ordered_json::array();
      for (std::uint32_t e = frame.toc_first;
           e < frame.toc_first + frame.toc_count && e < listed.size(); ++e) {
        const ReelDocument& d = listed[e];
        entries.push_back({{"entry", e + 1},
                           {"document", job.documents.at(d.document).id},
                           {"frames", {d.first_frame, d.last_frame}},
                           {"first_page", d.first_page},
                           {"last_page", d.last_page},
                           {"pages", d.pages},
                           {"data_frames", d.data_frames},
                           {"from_reel", d.from_reel},
                           {"to_reel", d.to_reel}});
      }
      json["reel_contents"] = std::move(entries);
    }
    if (format.layout == FilmLayout::fiche) {
      json["grid"] = {{"row", frame.grid_row}, {"column", frame.grid_column}};
    }
    if (frame.pixel_pitch_um > 0) json["pixel_pitch_um"] = nine_places(frame.pixel_pitch_um);
    if (frame.separation != Separation::none) json["separation"] = to_string(frame.separation);
    if (frame.sections > 0) {
      json["section"] = frame.section;
      json["sections"] = frame.sections;
      json["section_columns"] = frame.section_columns;
    }
    if (frame.kind == FrameKind::data) {
      const data::FrameCount& count = counts.at(frame.document).at(frame.data_file);
      const auto group =
          static_cast<std::uint32_t>(data_layout->code.group_data + data_layout->code.group_parity);
      const std::uint32_t in_group = frame.data_frame % group;
      const std::uint32_t group_start = frame.data_frame - in_group;
      const std::uint32_t group_data = std::min<std::uint32_t>(
          static_cast<std::uint32_t>(data_layout->code.group_data),
          count.data -
              group_start / group * static_cast<std::uint32_t>(data_layout->code.group_data));
      json["data"] = {{"file", frame.data_file + 1},
                      {"name", masters.at(frame.document).at(frame.data_file).name},
                      {"frame", frame.data_frame + 1},
                      {"frames", count.total()},
                      {"group", frame.data_frame / group + 1},
                      {"parity", in_group >= group_data}};
    }
    std::string entry = (first ? "\n" : ",\n") + json.dump(2);
    first = false;
    for (std::size_t i = 0; (i = entry.find('\n', i)) != std::string::npos; i += 5) {
      entry.insert(i + 1, "    ");
    }
    out(entry);
  }
  if (!frames.empty()) out("\n  ]");
  out(std::string_view(text).substr(at + placeholder.size()));
}

std::string Plan::to_json(const Job& job) const {
  std::string text;
  write_json(job, [&](std::string_view piece) { text += piece; });
  return text;
}

nlohmann::ordered_json Plan::rendering(const Job& job) const {
  nlohmann::ordered_json rendering = {{"polarity", to_string(job.polarity)}};
  for (const Document& document : job.documents) {
    const PageSettings s = settings_for(job, document);
    rendering["documents"].push_back({{"id", document.id},
                                      {"mode", to_string(s.mode)},
                                      {"threshold", s.threshold},
                                      {"colour_route", to_string(s.colour_route)}});
  }
  return rendering;
}

std::string Plan::hash(const Job& job) const {
  // What decides a frame's pixels beyond the plan: a resume with another polarity, mode,
  // threshold or calibration would put frames of two kinds on one reel, so it must be refused.
  // The calibration (profile, its file's sha256, class, tone) and the templates and fonts the
  // frames are drawn with (each file's sha256) are in plan.json itself.
  Sha256 digest;
  write_json(job, [&](std::string_view piece) { digest.update(piece); });
  digest.update(rendering(job).dump());
  return digest.hex();
}

}  // namespace fw
