// The sim's record of a reel on its film: film/reel.json (where each frame lies on the film)
// and film/reel.log, written as frames are developed and read back to append to the reel after
// a stop (sim_reel_resume.cpp). The record is kept current so that a reel can be appended to
// after a stop: reel.json holds the frames developed when it was last written, and reel.log
// adds one line per frame developed since. Appending a line costs the same at frame 10 and at
// frame 5000; rewriting the whole record after every frame was quadratic in the reel's length.
// reel.json is written whole, "complete", when the reel is unloaded, and the log is removed.
#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "base/json_fields.hpp"
#include "sim/sim_recorder.hpp"

namespace fw::drivers::sim {

nlohmann::ordered_json SimRecorder::frame_record(const LayoutEntry& e) {
  nlohmann::ordered_json f;
  if (e.cell) {
    f = {{"frame", e.frame},
         {"address", e.address},
         {"blip", e.blip},
         {"file", e.file},
         {"cell", {{"row", e.cell->row}, {"column", e.cell->column}}},
         {"x_mm", e.x_mm},
         {"y_mm", e.y_mm},
         {"width_mm", e.width_mm},
         {"height_mm", e.height_mm},
         {"width_px", e.width_px},
         {"height_px", e.height_px},
         {"channels", e.channels}};
  } else {
    f = {{"frame", e.frame},       {"address", e.address},     {"blip", e.blip},
         {"file", e.file},         {"start_mm", e.start_mm},   {"length_mm", e.length_mm},
         {"width_px", e.width_px}, {"height_px", e.height_px}, {"channels", e.channels}};
  }
  if (e.measured) f["measured"] = *e.measured;
  if (e.dust) f["dust"] = *e.dust;
  f["sha256"] = e.sha256;
  return f;
}

// A frame's record as frame_record() wrote it, on the film this reel is on.
LayoutEntry SimRecorder::read_frame_record(const nlohmann::json& f) const {
  LayoutEntry e;
  e.frame = json_get<std::uint32_t>(f, "frame");
  e.address = f.at("address").get<std::string>();
  e.blip = f.at("blip").get<std::string>();
  e.file = f.at("file").get<std::string>();
  if (geometry_.fiche) {
    e.cell = hal::FicheSheet::Cell{json_get<std::uint32_t>(f.at("cell"), "row"),
                                   json_get<std::uint32_t>(f.at("cell"), "column"), 0, 0};
    e.x_mm = f.at("x_mm").get<double>();
    e.y_mm = f.at("y_mm").get<double>();
    e.width_mm = f.at("width_mm").get<double>();
    e.height_mm = f.at("height_mm").get<double>();
  } else {
    e.start_mm = f.at("start_mm").get<double>();
    e.length_mm = f.at("length_mm").get<double>();
  }
  e.width_px = json_get<std::uint32_t>(f, "width_px");
  e.height_px = json_get<std::uint32_t>(f, "height_px");
  e.channels = json_get<std::uint32_t>(f, "channels");
  e.sha256 = f.value("sha256", "");
  if (f.contains("measured")) e.measured = f.at("measured").get<std::array<double, 4>>();
  if (f.contains("dust")) e.dust = json_get<std::uint32_t>(f, "dust");
  return e;
}

// The fault options' damage, in reel.json: where the scratches are and how much dust.
nlohmann::ordered_json SimRecorder::damage_record() const {
  nlohmann::ordered_json scratches = nlohmann::ordered_json::array();
  for (const sim::Scratch& s : damage_.scratches) {
    scratches.push_back(
        {{"across", s.across}, {"width_um", s.width_um}, {"kind", s.clear ? "clear" : "dense"}});
  }
  return {{"scratches", scratches},
          {"travel", geometry_.fiche || !geometry_.comic ? "height" : "width"},
          {"dust_per_cm2", damage_.dust_per_cm2},
          {"dust_at", damage_.dust_at_exposure ? "exposure" : "film"}};
}

nlohmann::ordered_json SimRecorder::underrun_record(const Underrun& u) {
  return {{"before_frame", u.before_frame}, {"stall_ms", u.stall_ms}, {"wasted_mm", u.wasted_mm}};
}

// Film a reel uses: leader, frames, gaps, wasted film and trailer; a fiche sheet is cut
// from 105 mm film, so it uses its length along that film whatever it holds.
double SimRecorder::film_used_mm() const {
  return geometry_.fiche ? geometry_.sheet.width_mm : cursor_mm_ + 1000 * geometry_.trailer_m;
}

nlohmann::ordered_json SimRecorder::sheet_record() const {
  const hal::FicheSheet& s = geometry_.sheet;
  return {{"width_mm", s.width_mm},
          {"height_mm", s.height_mm},
          {"columns", s.columns},
          {"rows", s.rows},
          {"header_rows", s.header_rows},
          {"cell_width_mm", s.cell_width_mm},
          {"cell_height_mm", s.cell_height_mm},
          {"reading_order", s.by_rows ? "rows" : "columns"}};
}

// The record of a frame just developed (called under mutex_): the lines to append to
// reel.log (append_to_log), after the frame's file, which save_developed made durable first.
// The first frame developed since the reel was loaded writes reel.json instead, with all the
// reel's frames so far, starts an empty log beside it and returns nothing.
std::string SimRecorder::record_developed(const LayoutEntry& e) {
  if (!log_) {
    write_layout(false);
    try {
      log_.emplace(log_file(), AppendFile::Open::truncate);
    } catch (const Error& error) {
      film_storage_failure(error);
    }
    underruns_logged_ = static_cast<std::size_t>(std::ranges::count_if(
        underruns_, [&](const Underrun& u) { return u.before_frame <= developed_; }));
    waits_logged_ = developer_waits_;
    return {};
  }
  std::string lines;
  for (; underruns_logged_ < underruns_.size() &&
         underruns_[underruns_logged_].before_frame <= e.frame;
       ++underruns_logged_) {
    lines += nlohmann::ordered_json{{"underrun", underrun_record(underruns_[underruns_logged_])}}
                 .dump() +
             '\n';
  }
  if (waits_logged_ != developer_waits_) {
    waits_logged_ = developer_waits_;
    lines += nlohmann::ordered_json{{"developer_waits", developer_waits_}}.dump() + '\n';
  }
  return lines + frame_record(e).dump() + '\n';
}

// One write() and an fdatasync: a stop leaves whole lines and at most a torn last one. Only
// the developer thread appends while a reel is loaded.
void SimRecorder::append_to_log(const std::string& lines) {
  try {
    log_->append(lines);
  } catch (const Error& error) {
    film_storage_failure(error);
  }
}

// reel.json (called under mutex_): until the reel is unloaded it lists the frames developed
// so far ("complete": false). Complete, it replaces the log.
void SimRecorder::write_layout(bool complete) {
  nlohmann::ordered_json json;
  json["reel"] = reel_.reel_id;
  json["job"] = reel_.job_id;
  json["film_format"] = reel_.film_format;
  json["recorder"] = recorder_.name;
  json["stock"] = stock_.name;
  json["channels"] = stock_.channel_names;
  json["seed"] = seed_;
  json["pixel_pitch_um"] = caps_.pixel_pitch_um;
  json["density_scale"] = sim::kDensityScale;
  if (damage_.any()) json["damage"] = damage_record();
  if (geometry_.fiche) {
    json["layout"] = "fiche";
    json["sheet"] = sheet_record();
  } else {
    json["film_length_mm"] = film_length_mm_;
    json["leader_mm"] = 1000 * geometry_.leader_m;
  }
  std::size_t frames = 0;
  while (frames < layout_.size() && (complete || layout_[frames].frame <= developed_)) ++frames;
  // A placeholder no job string can hold (a control character, escaped by dump()).
  const std::string placeholder = R"(\u0001frames\u0001)";
  json["frames"] =
      "\x01"
      "frames\x01";
  if (geometry_.fiche) {
    const std::uint32_t on_sheet = static_cast<std::uint32_t>(frames);
    const std::uint32_t header = std::min(on_sheet, geometry_.sheet.header_cells());
    json["header_tiles"] = header;
    json["cells_used"] = on_sheet - header;
    json["film_used_mm"] = film_used_mm();
  } else {
    double end_mm = 1000 * geometry_.leader_m;
    if (frames > 0) {
      const LayoutEntry& last = layout_[frames - 1];
      end_mm = last.start_mm + last.length_mm + geometry_.frame_gap_mm;
    }
    json["film_used_mm"] = (complete ? cursor_mm_ : end_mm) + 1000 * geometry_.trailer_m;
  }
  json["complete"] = complete;
  json["underruns"] = nlohmann::ordered_json::array();
  for (const auto& u : underruns_) {
    if (complete || u.before_frame <= developed_) json["underruns"].push_back(underrun_record(u));
  }
  json["developer_waits"] = developer_waits_;
  const auto dir = reel_.work_dir / "film";
  try {
    // The frames are written one by one: the text of them all would be as large as the file.
    const std::string text = json.dump(2);
    const std::string key = "\"frames\": \"" + placeholder + "\"";
    const std::size_t at = text.find(key);
    if (at == std::string::npos) throw std::logic_error("sim driver: reel.json frames key");
    AtomicFile out(dir / "reel.json");
    std::string chunk(std::string_view(text).substr(0, at));
    chunk += "\"frames\": [";
    for (std::size_t i = 0; i < frames; ++i) {
      chunk += (i ? ",\n    " : "\n    ") + frame_record(layout_[i]).dump();
      if (chunk.size() >= (1 << 20)) {
        out.write(chunk);
        chunk.clear();
      }
    }
    chunk += frames ? "\n  ]" : "]";
    chunk += std::string_view(text).substr(at + key.size());
    chunk += '\n';
    out.write(chunk);
    out.commit();
  } catch (const Error& e) {
    film_storage_failure(e);
  }
  if (complete) {
    // reel.json now holds every line of the log; a stop before this is harmless, since a
    // frame's line and its entry in reel.json are the same record.
    log_.reset();
    std::error_code ignored;
    std::filesystem::remove(log_file(), ignored);
  }
}

}  // namespace fw::drivers::sim
