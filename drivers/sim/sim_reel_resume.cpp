// Resume on the sim: what a reel not loaded holds on its film, and a reel appended to after a
// stop (policy continue), from the film's own record (sim_reel_record.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "base/json_fields.hpp"
#include "sim/sim_recorder.hpp"

namespace fw::drivers::sim {

// The film's own record of a reel not loaded: reel.json and the lines reel.log adds (a last
// line cut short by the stop never reached the disk). nullopt when it is another reel's or
// unreadable; load() then says what is wrong.
std::optional<std::uint32_t> SimRecorder::frames_on_film(const hal::ReelSpec& reel) {
  const auto dir = reel.work_dir / "film";
  if (!std::filesystem::exists(dir / "reel.json")) return 0;
  std::set<std::uint32_t> frames;
  try {
    std::ifstream in(dir / "reel.json", std::ios::binary);
    const auto json = nlohmann::json::parse(in);
    if (json.at("reel") != reel.reel_id || json.at("job") != reel.job_id) return std::nullopt;
    for (const auto& f : json.at("frames")) frames.insert(json_get<std::uint32_t>(f, "frame"));
    std::ifstream log(dir / "reel.log", std::ios::binary);
    std::string line;
    while (std::getline(log, line) && !log.eof()) {
      const auto record = nlohmann::json::parse(line);
      if (record.contains("frame")) frames.insert(json_get<std::uint32_t>(record, "frame"));
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  std::uint32_t count = 0;
  while (frames.contains(count + 1)) ++count;
  return count;
}

// Resume (policy continue): the reel already holds frames 1 .. first - 1. The film's own
// record (reel.json and the frames reel.log adds to it) says where they lie; frames the
// recorder took but never developed were lost with its buffer when it stopped. The film may
// hold more frames than the host knows of (it stopped before their expose() returned):
// they stay, status() reports them, and expose() recognises them by their sha256 when they
// come again. With keep_film (the device itself restarted) the reel may hold no frame yet.
void SimRecorder::append_to_reel(std::uint32_t first) {
  const auto file = reel_.work_dir / "film" / "reel.json";
  const std::string where = fmt::format("sim driver: {}: cannot append at frame {}", unit(), first);
  // No record: no frame was developed on this reel yet (they all died in the buffer).
  if (!std::filesystem::exists(file)) {
    if (first == 1) return;  // keep_film: nothing on film yet, a fresh reel
    const std::string lost =
        first == 2 ? "frame 1 was" : fmt::format("frames 1–{} were", first - 1);
    throw DeviceError(DeviceErrorKind::fault,
                      fmt::format("{}: no frame reached the film ({} missing); {} in the "
                                  "recorder's buffer when it stopped (resume with --reel-policy "
                                  "respool)",
                                  where, file.string(), lost));
  }
  nlohmann::json json;
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw DeviceError(DeviceErrorKind::fault, where + ": cannot read " + file.string());
    json = nlohmann::json::parse(in);
    const auto same = [&](const char* key, const nlohmann::json& value) {
      if (json.at(key) != value) {
        throw DeviceError(DeviceErrorKind::fault,
                          fmt::format("{}: the reel was started with {} {}, now {}", where, key,
                                      json.at(key).dump(), value.dump()));
      }
    };
    same("reel", reel_.reel_id);
    same("job", reel_.job_id);
    same("film_format", reel_.film_format);
    same("recorder", recorder_.name);
    same("stock", stock_.name);
    same("seed", seed_);
    if (damage_.any() || json.contains("damage")) {
      const nlohmann::json now = nlohmann::json::parse(damage_record().dump());
      const nlohmann::json then = json.value("damage", nlohmann::json());
      if (then != now) {
        throw DeviceError(DeviceErrorKind::fault,
                          fmt::format("{}: the reel was started with damage {}, now {}", where,
                                      then.dump(), now.dump()));
      }
    }
    if (geometry_.fiche) {
      same("sheet", nlohmann::json::parse(sheet_record().dump()));
    } else {
      same("film_length_mm", film_length_mm_);
    }
    std::lock_guard lock(mutex_);
    // Frames beyond what the host knows are kept when they can be recognised; a record
    // without checksums (an older sim) has them exposed again.
    bool more = true;
    const auto add_frame = [&](const nlohmann::json& f) {
      const auto number = json_get<std::uint32_t>(f, "frame");
      if (!more || number <= layout_.size()) return;  // a line reel.json already holds
      if (number >= first && !f.contains("sha256")) {
        more = false;
        return;
      }
      layout_.push_back(read_frame_record(f));
    };
    const auto add_underrun = [&](const nlohmann::json& u) {
      const auto before = json_get<std::uint32_t>(u, "before_frame");
      if (!underruns_.empty() && before <= underruns_.back().before_frame) return;
      underruns_.push_back(
          {before, u.at("stall_ms").get<double>(), u.at("wasted_mm").get<double>()});
    };
    for (const auto& f : json.at("frames")) add_frame(f);
    for (const auto& u : json.at("underruns")) add_underrun(u);
    developer_waits_ = json.value("developer_waits", std::uint64_t{0});
    std::ifstream log(log_file(), std::ios::binary);
    std::string line;
    while (std::getline(log, line)) {
      // A last line cut short by the stop: that frame's record never reached the disk.
      if (log.eof()) break;
      const auto record = nlohmann::json::parse(line);
      if (record.contains("frame")) add_frame(record);
      if (record.contains("underrun")) add_underrun(record.at("underrun"));
      if (record.contains("developer_waits")) developer_waits_ = record.at("developer_waits");
    }
    std::erase_if(underruns_, [&](const Underrun& u) { return u.before_frame > layout_.size(); });
  } catch (const nlohmann::json::exception& e) {
    throw DeviceError(DeviceErrorKind::fault, where + ": " + file.string() +
                                                  " (or reel.log beside it) is not a sim " +
                                                  "reel record: " + e.what());
  }
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < layout_.size(); ++i) {
    if (layout_[i].frame != i + 1) {
      throw DeviceError(DeviceErrorKind::fault,
                        fmt::format("{}: {} lists frame {} in place of frame {}", where,
                                    file.string(), layout_[i].frame, i + 1));
    }
  }
  if (layout_.size() < first - 1) {
    const std::size_t on_film = layout_.size();
    const std::string lost = on_film + 1 == first - 1
                                 ? fmt::format("frame {} was", first - 1)
                                 : fmt::format("frames {}–{} were", on_film + 1, first - 1);
    throw DeviceError(DeviceErrorKind::fault,
                      fmt::format("{}: the developed film ends at frame {}; {} in the "
                                  "recorder's buffer when it stopped and never reached the film "
                                  "(resume with --reel-policy respool)",
                                  where, on_film, lost));
  }
  if (!layout_.empty() && !geometry_.fiche) {
    const LayoutEntry& last = layout_.back();
    cursor_mm_ = last.start_mm + last.length_mm + geometry_.frame_gap_mm;
  }
  accepted_ = static_cast<std::uint32_t>(layout_.size());
  developed_ = accepted_;
}

// A frame the film already holds, sent again after a stop: accepted without exposing it
// twice when its pixels are the ones on film; anything else would double-expose the film.
void SimRecorder::recognise_sent_again(std::uint32_t number, const std::string& sha256) const {
  std::lock_guard lock(mutex_);
  const LayoutEntry& on_film = layout_.at(number - 1);
  if (on_film.sha256 == sha256) return;
  throw DeviceError(DeviceErrorKind::invalid_frame,
                    fmt::format("sim driver: {} frame {} is already on the film {}", unit(), number,
                                on_film.sha256.empty() ? "and cannot be checked (no checksum)"
                                                       : "with different pixels"));
}

}  // namespace fw::drivers::sim
