// The `sim` driver: a simulated film recorder honest enough to calibrate against.
//
// expose() checks the frame, places it on the film (out of film is known before anything is
// written), and hands a copy to the device buffer; it blocks while the buffer is full. A
// writer thread (the head) takes frames from the buffer at the profile's write rate and
// passes the exposed film on to a developer thread, which develops each frame (sim_physics,
// in parallel across rows) and writes the developed film: R0001/film/F000001.tif (density x
// 10000, 16-bit) and R0001/film/reel.json (where each frame lies on the film). The record
// is kept current so that a reel can be appended to after a stop (resume): reel.json holds the
// frames developed when it was last written, and film/reel.log adds one line per frame
// developed since. Appending a line costs the same at frame 10 and at frame 5000; rewriting
// the whole record after every frame was quadratic in the reel's length. reel.json is
// written whole, "complete", when the reel is unloaded, and the log is removed.
// Development runs beside the head, not inside its time slot: how long the host takes to
// simulate the chemistry must not change the machine's write rate. The developer queue is
// bounded (buffer_frames); a host too slow to develop at the write rate holds the head
// back, and reel.json counts those waits (`developer_waits`) so it never goes unnoticed.
//
// Underrun, as a real writer sees it: once a reel is loaded and frames are flowing, the
// film transport keeps moving. When the writer finishes a frame and the buffer is empty,
// the head starves; if the next frame arrives later than the profile's stall tolerance the
// transport had to stop and restart, which wastes film (stall_waste_mm) before that frame.
// The wait before the first frame and after the last one (until unload) is not an underrun.
// `underrun=record` (default) notes it in reel.json and status; `underrun=error` refuses the
// late frame with DeviceError(underrun). With rate=0 the writer is infinitely fast, so it
// can never be kept fed and underruns are not judged.
//
// Fiche (a fiche format in ReelSpec::film_format): the sim is a step-and-repeat camera. Each
// "reel" is one sheet (F0001 ...) standing in the gate; the camera steps it from cell to cell,
// frame n to the sheet's n-th cell (the header strip's tiles, then the image cells in reading
// order, as the planner numbers them), and writes each cell row by row at the write rate.
// There is no leader, trailer or gap, and no transport that must keep moving: a late frame
// costs time, not film, so there are no underruns. The sheet runs out of cells, not of
// length. A sheet stays in the gate until the next sheet is loaded: until then the camera
// can go on at its next cell (resume), afterwards it cannot.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/buffer_pool.hpp"
#include "base/error.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "hal/registry.hpp"
#include "sim/sim_film.hpp"
#include "sim/sim_physics.hpp"

namespace fw::drivers {
namespace {

using hal::DeviceError;
using hal::DeviceErrorKind;
using Clock = std::chrono::steady_clock;

std::filesystem::path default_profiles() {
  if (const char* env = std::getenv("FILMWRITER_PROFILES"); env && *env) return env;
  return FW_PROFILES_DIR;
}

struct LayoutEntry {
  std::uint32_t frame = 0;
  std::string address;
  std::string blip;
  std::string file;     // relative to the reel folder; empty without film output
  double start_mm = 0;  // roll film: along the film, from its start
  double length_mm = 0;
  // Fiche: the cell (plan.json's numbering) and where the frame lies on the sheet.
  std::optional<hal::FicheSheet::Cell> cell;
  double x_mm = 0, y_mm = 0, width_mm = 0, height_mm = 0;
  std::uint32_t width_px = 0, height_px = 0, channels = 1;
  // film_output=measure: densities of the developed frame (min, mean, 95th percentile, max).
  std::optional<std::array<double, 4>> measured;
  // With the dust fault option: the dust specks on the frame's developed film.
  std::optional<std::uint32_t> dust;
  // Of the frame's pixels as the host sent them: a frame sent again after a stop (host crash,
  // recorderd restart) is recognised and not exposed twice.
  std::string sha256;
};

// The film's own files (developed frames, reel.json, reel.log) cannot be written: a full disk
// or a folder that refuses them is the storage's failure, named with its path (exit 8), not the
// recorder's; anything else a base function reports is a device fault.
[[noreturn]] void film_storage_failure(const Error& error) {
  if (error.kind() == ErrorKind::storage) {
    throw Error(ErrorKind::storage, std::string("sim driver: ") + error.what());
  }
  throw DeviceError(DeviceErrorKind::fault, std::string("sim driver: ") + error.what());
}

struct Underrun {
  std::uint32_t before_frame = 0;
  double stall_ms = 0;
  double wasted_mm = 0;
};

// What the developed film holds: images, only their measured densities, or nothing.
enum class FilmOutput { images, measure, none };

struct BufferedFrame {
  std::uint32_t number = 0;
  std::uint32_t width = 0, height = 0, channels = 1;
  std::uint32_t lines = 0;  // rows across the film: what the write rate counts
  std::vector<std::uint8_t> pixels;
  std::string file;  // relative, empty without film output
};

class SimRecorder final : public hal::Recorder {
 public:
  SimRecorder(const hal::DriverOptions& options, const hal::OpenContext& context) {
    hal::OptionReader read("sim", options);
    // Its recorder and stock profiles where the job's other profiles are, unless told.
    profiles_ = read.text("profiles", context.profiles_dir.empty() ? default_profiles().string()
                                                                   : context.profiles_dir.string());
    recorder_ = sim::load_recorder(profiles_, read.text("recorder", "sim-default"));
    stock_ = sim::load_stock(profiles_, read.text("stock", "sim-negative"));
    seed_ = static_cast<std::uint64_t>(read.number("seed", 1, 0, 9.0e15));
    rate_scale_ = read.number("rate", 1, 0, 1e6);
    out_of_film_at_ = static_cast<std::uint32_t>(read.number("out_of_film_at", 0, 0, 1e9));
    disconnect_at_ = static_cast<std::uint32_t>(read.number("disconnect_at", 0, 0, 1e9));
    fault_at_ = static_cast<std::uint32_t>(read.number("fault_at", 0, 0, 1e9));
    stuck_at_ = static_cast<std::uint32_t>(read.number("stuck_buffer_at", 0, 0, 1e9));
    const std::string film = read.text("film_output", "true");
    if (film == "measure") {
      film_output_ = FilmOutput::measure;
    } else if (film == "true" || film == "1" || film == "yes") {
      film_output_ = FilmOutput::images;
    } else if (film == "false" || film == "0" || film == "no") {
      film_output_ = FilmOutput::none;
    } else {
      throw DeviceError(
          DeviceErrorKind::bad_option,
          "sim driver: option film_output: expected true, false or measure, got \"" + film + "\"");
    }
    const std::string underrun = read.text("underrun", "record");
    if (underrun != "record" && underrun != "error") {
      throw DeviceError(
          DeviceErrorKind::bad_option,
          "sim driver: option underrun: expected record or error, got \"" + underrun + "\"");
    }
    underrun_is_error_ = underrun == "error";
    // Damage to the film (sim_physics.hpp, damage_film): scratches along the film through
    // the whole reel, dust specks on every frame; placed from the seed.
    scratch_count_ = static_cast<std::uint32_t>(read.number("scratches", 0, 0, 1000));
    scratch_width_um_ = read.number("scratch_width_um", 10, 0.1, 10000);
    const std::string kind = read.text("scratch_kind", "mixed");
    if (kind == "clear") {
      scratch_kind_ = sim::ScratchKind::clear;
    } else if (kind == "dense") {
      scratch_kind_ = sim::ScratchKind::dense;
    } else if (kind != "mixed") {
      throw DeviceError(
          DeviceErrorKind::bad_option,
          "sim driver: option scratch_kind: expected clear, dense or mixed, got \"" + kind + "\"");
    }
    damage_.dust_per_cm2 = read.number("dust_per_cm2", 0, 0, 1e6);
    const std::string dust_at = read.text("dust_at", "film");
    if (dust_at != "film" && dust_at != "exposure") {
      throw DeviceError(
          DeviceErrorKind::bad_option,
          "sim driver: option dust_at: expected film or exposure, got \"" + dust_at + "\"");
    }
    damage_.dust_at_exposure = dust_at == "exposure";
    // Read by the engine (engine/color) to choose the calibration; the sim records them.
    calibration_ = read.text("calibration", "");
    document_class_ = read.text("document_class", "");
    tone_ = read.text("tone", "");
    read.finish();

    caps_.pixel_pitch_um = recorder_.pixel_pitch_um;
    caps_.max_width_px = recorder_.max_width_px;
    caps_.max_height_px = recorder_.max_height_px;
    // The stock decides what can be written: a B&W emulsion takes one channel only.
    caps_.channels.clear();
    for (int c : recorder_.channels) {
      if (static_cast<std::size_t>(c) == stock_.curves.size() || c == 1)
        caps_.channels.push_back(c);
    }
    if (stock_.curves.size() == 3) caps_.channels = {3};
    caps_.write_rate_lines_per_s = rate_scale_ * recorder_.write_rate_lines_per_s;
    caps_.buffer_frames = recorder_.buffer_frames;
    caps_.calibration = recorder_.calibration_for(stock_.name);
    film_reader_ = std::make_unique<sim::FilmReader>(hal::FilmMaterial{
        recorder_.name, stock_.name, fmt::format("simulated processing, seed {}", seed_)});
  }

  // The host going away does not stop the device: what it accepted (expose() returned) is
  // still written and developed, so that a job that failed can continue the reel. Only the
  // death of the device itself (a killed recorderd) loses its buffer.
  ~SimRecorder() override {
    if (loaded_) {
      std::unique_lock lock(mutex_);
      if (!stuck_ && wait_for_writer(lock, [&] { return buffer_.empty(); })) {
        space_.wait(lock, [&] { return developing_.empty() || writer_error_; });
      }
    }
    stop_threads();
  }

  hal::Capabilities capabilities() const override { return caps_; }
  const hal::FilmReader* film_reader() const override { return film_reader_.get(); }

  void load(const hal::ReelSpec& reel) override {
    if (disconnected_) throw disconnected();
    if (loaded_) {
      throw DeviceError(DeviceErrorKind::fault,
                        "sim driver: reel " + reel_.reel_id + " is still loaded; unload it first");
    }
    geometry_ = reel.geometry;
    if (!reel.stock.empty() && reel.stock != stock_.name) {
      throw DeviceError(DeviceErrorKind::bad_option, "sim driver: reel " + reel.reel_id +
                                                         " asks for stock " + reel.stock + " but " +
                                                         stock_.name + " is loaded (option stock)");
    }
    reel_ = reel;
    // The reel's scratches: the same seed and reel, the same places across the film.
    damage_.scratches = sim::make_scratches(
        scratch_count_, scratch_width_um_, scratch_kind_,
        sim::mix_seed(seed_ * 0x100000001B3ull ^ (std::uint64_t{reel.reel_number} << 32)));
    film_length_mm_ =
        1000 * (reel.film_length_m > 0 ? reel.film_length_m : recorder_.film_length_m);
    cursor_mm_ = 1000 * geometry_.leader_m;
    {
      std::lock_guard lock(mutex_);
      layout_.clear();
      log_.reset();
      underruns_logged_ = 0;
      waits_logged_ = 0;
      underruns_.clear();
      developed_ = 0;
      developer_waits_ = 0;
    }
    accepted_ = 0;
    std::error_code ec;
    std::filesystem::create_directories(reel.work_dir / "film", ec);
    if (ec == std::errc::no_space_on_device) {
      // A full disk is the storage's failure (exit 8); a file in the way stays the device's.
      film_storage_failure(
          Error(ErrorKind::storage,
                (reel.work_dir / "film").string() + ": cannot create the folder: " + ec.message()));
    }
    if (ec) {
      throw DeviceError(
          DeviceErrorKind::fault,
          "sim driver: cannot create " + (reel.work_dir / "film").string() + ": " + ec.message());
    }
    if (reel.first_frame > 1 || reel.keep_film) {
      // A step-and-repeat camera keeps the sheet in its gate after the last cell (unload, or
      // a stop on a fault) and goes on at the next cell when asked; the sheet leaves the gate
      // only when the film advances to the next sheet, and then cannot come back in register.
      if (geometry_.fiche && last_sheet_ && last_sheet_->first != reel.work_dir) {
        throw DeviceError(DeviceErrorKind::fault,
                          fmt::format("sim driver: {}: cannot append at frame {}: the sheet left "
                                      "the camera when {} was loaded after it (resume with "
                                      "--reel-policy respool)",
                                      unit(), reel.first_frame, last_sheet_->second));
      }
      append_to_reel(reel.first_frame);
    }
    if (geometry_.fiche) last_sheet_ = {reel.work_dir, "sheet " + reel.reel_id};
    {
      std::lock_guard lock(mutex_);
      idle_since_.reset();
      last_progress_ = Clock::now();
      writer_busy_ = false;
      writer_error_ = nullptr;
      stuck_ = false;
      quit_ = false;
    }
    writer_ = std::thread([this] { write_loop(); });
    developer_ = std::thread([this] { develop_loop(); });
    loaded_ = true;
  }

  void expose(const hal::Frame& frame) override {
    if (disconnected_) throw disconnected();
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "sim driver: no reel loaded");
    rethrow_writer_error();
    hal::check_frame(caps_, frame);
    const std::string sha256 = frame.sha256.empty() ? sha256_hex(frame.pixels) : frame.sha256;
    if (frame.frame_number >= 1 && frame.frame_number <= accepted_) {
      recognise_sent_again(frame.frame_number, sha256);
      return;
    }
    const std::uint32_t number = accepted_ + 1;
    if (frame.frame_number != number) {
      throw DeviceError(DeviceErrorKind::invalid_frame,
                        fmt::format("sim driver: {}: expected frame {}, got frame {}", unit(),
                                    number, frame.frame_number));
    }
    const std::string where = fmt::format("sim driver: {} frame {}", unit(), number);
    if (number == disconnect_at_) {
      disconnected_ = true;
      throw DeviceError(DeviceErrorKind::disconnected, where + ": recorder disconnected");
    }
    if (number == fault_at_) {
      throw DeviceError(DeviceErrorKind::fault, where + ": device fault (injected, fault_at)");
    }
    if (number == out_of_film_at_) {
      throw DeviceError(DeviceErrorKind::out_of_film,
                        where + ": out of film (injected, out_of_film_at)");
    }
    LayoutEntry entry;
    entry.frame = number;
    entry.address = frame.address;
    entry.blip = hal::to_string(frame.blip);
    entry.width_px = frame.width;
    entry.height_px = frame.height;
    entry.channels = frame.channels;
    entry.sha256 = sha256;
    // On a sheet the head writes the cell row by row; on roll film a line runs across the film.
    const std::uint32_t lines = geometry_.fiche || !geometry_.comic ? frame.height : frame.width;
    const double length_mm = lines * caps_.pixel_pitch_um / 1000.0;
    if (geometry_.fiche) {
      place_in_cell(frame, entry);
    } else {
      judge_underrun(number);
      place_on_roll(number, length_mm, entry);
    }

    const std::string file =
        film_output_ == FilmOutput::images ? sim::film_frame_file(number).string() : "";
    // The device's buffer memory: the same few frame buffers go round (base/buffer_pool.hpp).
    // Without film output nothing develops the pixels: the head's timing needs only the lines,
    // and copying them would put the simulated device's buffer in the host's memory for nothing.
    std::vector<std::uint8_t> pixels;
    if (film_output_ != FilmOutput::none) {
      pixels = frame_buffers().take(frame.pixels.size());
      pixels.assign(frame.pixels.begin(), frame.pixels.end());
    }
    BufferedFrame buffered{number, frame.width,       frame.height, frame.channels,
                           lines,  std::move(pixels), file};
    entry.file = file;
    {
      std::unique_lock lock(mutex_);
      // Back-pressure: wait for room; a buffer that does not move is a stuck device.
      if (!wait_for_writer(lock, [&] { return buffer_.size() < caps_.buffer_frames; })) {
        throw DeviceError(DeviceErrorKind::fault,
                          fmt::format("{}: buffer stuck: no frame left the {}-frame buffer for "
                                      "{:.1f} s",
                                      where, caps_.buffer_frames, seconds(watchdog())));
      }
      if (writer_error_) std::rethrow_exception(writer_error_);
      buffer_.push_back(std::move(buffered));
      idle_since_.reset();
      if (buffer_.size() == 1) last_progress_ = Clock::now();  // the watchdog starts now
      layout_.push_back(std::move(entry));
    }
    work_.notify_all();
    if (!geometry_.fiche) cursor_mm_ += length_mm + geometry_.frame_gap_mm;
    accepted_ = number;
  }

  hal::ReelReport unload() override {
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "sim driver: no reel loaded");
    loaded_ = false;
    bool drained = false;
    std::size_t left = 0;
    {
      std::unique_lock lock(mutex_);
      drained = wait_for_writer(lock, [&] { return buffer_.empty(); });
      left = buffer_.size();
      // What the head wrote is processed before the reel counts as developed.
      if (drained) {
        space_.wait(lock, [&] { return developing_.empty() || writer_error_; });
      }
    }
    stop_threads();
    if (!drained) {
      throw DeviceError(DeviceErrorKind::fault,
                        fmt::format("sim driver: {}: buffer stuck: {} frame(s) never "
                                    "reached the film",
                                    unit(), left));
    }
    rethrow_writer_error();
    hal::ReelReport report;
    report.frames = accepted_;
    report.film_used_m = film_used_mm() / 1000;
    std::lock_guard lock(mutex_);
    for (const auto& entry : layout_) {
      if (!entry.file.empty()) report.files.emplace_back(entry.file);
    }
    write_layout(true);
    report.files.emplace_back("film/reel.json");
    return report;
  }

  hal::Status status() const override {
    std::lock_guard lock(mutex_);
    std::string state = disconnected_ ? "disconnected"
                        : loaded_     ? "writing " + reel_.reel_id
                                      : "idle";
    if (!underruns_.empty()) state += fmt::format(", {} underrun(s)", underruns_.size());
    return {loaded_, accepted_, static_cast<std::uint32_t>(buffer_.size()), state, developed_};
  }

 private:
  DeviceError disconnected() const {
    return DeviceError(DeviceErrorKind::disconnected, "sim driver: recorder disconnected");
  }

  // How errors name what is loaded: "reel R0001", or "sheet F0001" on fiche.
  std::string unit() const { return (geometry_.fiche ? "sheet " : "reel ") + reel_.reel_id; }

  // Roll film: the frame follows the last one after the format's gap; the film runs out at
  // its length less the trailer.
  void place_on_roll(std::uint32_t number, double length_mm, LayoutEntry& entry) const {
    const double end_mm = film_length_mm_ - 1000 * geometry_.trailer_m;
    if (cursor_mm_ + length_mm > end_mm) {
      throw DeviceError(DeviceErrorKind::out_of_film,
                        fmt::format("sim driver: {} frame {}: out of film: the frame needs {:.2f} "
                                    "mm at {:.2f} mm but the usable film ends at {:.2f} mm ({:.1f} "
                                    "m less {:.1f} m trailer)",
                                    unit(), number, length_mm, cursor_mm_, end_mm,
                                    film_length_mm_ / 1000, geometry_.trailer_m));
    }
    entry.start_mm = cursor_mm_;
    entry.length_mm = length_mm;
  }

  // Fiche (a step-and-repeat camera): the sheet stands in the gate and the camera steps it
  // from cell to cell, the header strip's tiles first, then the image cells in reading order.
  // Frame n goes to the sheet's n-th cell, centred in it; the sheet runs out when its cells
  // do, and a frame larger than a cell would expose its neighbours.
  void place_in_cell(const hal::Frame& frame, LayoutEntry& entry) const {
    const hal::FicheSheet& sheet = geometry_.sheet;
    const std::uint32_t number = entry.frame;
    const auto cell = sheet.cell_of(number);
    if (!cell) {
      throw DeviceError(
          DeviceErrorKind::out_of_film,
          fmt::format("sim driver: {} frame {} ({}): out of film: the sheet has {} cells ({} "
                      "rows of {}) below its {}-tile header strip, and all of them are exposed",
                      unit(), number, frame.address, sheet.image_cells(), sheet.rows, sheet.columns,
                      sheet.header_cells()));
    }
    const double pitch_mm = frame.pixel_pitch_um / 1000;
    const double width_mm = frame.width * pitch_mm, height_mm = frame.height * pitch_mm;
    // Half a pixel of slack: the planner rounds the cell to whole pixels.
    if (width_mm > sheet.cell_width_mm + pitch_mm / 2 ||
        height_mm > sheet.cell_height_mm + pitch_mm / 2) {
      throw DeviceError(
          DeviceErrorKind::invalid_frame,
          fmt::format("sim driver: {} frame {} ({}): {}x{} px is {:.3f} x {:.3f} "
                      "mm, larger than the {} x {} mm cell",
                      unit(), number, frame.address, frame.width, frame.height, width_mm, height_mm,
                      sheet.cell_width_mm, sheet.cell_height_mm));
    }
    entry.cell = cell;
    entry.width_mm = width_mm;
    entry.height_mm = height_mm;
    entry.x_mm = cell->x_mm + (sheet.cell_width_mm - width_mm) / 2;
    entry.y_mm = cell->y_mm + (sheet.cell_height_mm - height_mm) / 2;
  }

  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  Clock::duration write_time(std::uint32_t lines) const {
    if (caps_.write_rate_lines_per_s <= 0) return Clock::duration::zero();
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(lines / caps_.write_rate_lines_per_s));
  }

  // Longer than the largest frame takes to write, never shorter than the profile's watchdog.
  Clock::duration watchdog() const {
    const auto longest = write_time(std::max(caps_.max_width_px, caps_.max_height_px));
    return std::max(std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(recorder_.watchdog_s)),
                    2 * longest);
  }

  // Waits until `done` or a writer error. Returns false when the writer made no progress for
  // the watchdog time: a head that is busy (writing, or waiting for the developer) is slow,
  // not stuck.
  template <class Done>
  bool wait_for_writer(std::unique_lock<std::mutex>& lock, Done done) {
    while (!done() && !writer_error_) {
      space_.wait_for(lock, std::chrono::milliseconds(20));
      if (!done() && !writer_busy_ && Clock::now() - last_progress_ > watchdog()) return false;
    }
    return true;
  }

  // The film's own record of a reel not loaded: reel.json and the lines reel.log adds (a last
  // line cut short by the stop never reached the disk). nullopt when it is another reel's or
  // unreadable; load() then says what is wrong.
  std::optional<std::uint32_t> frames_on_film(const hal::ReelSpec& reel) override {
    const auto dir = reel.work_dir / "film";
    if (!std::filesystem::exists(dir / "reel.json")) return 0;
    std::set<std::uint32_t> frames;
    try {
      std::ifstream in(dir / "reel.json", std::ios::binary);
      const auto json = nlohmann::json::parse(in);
      if (json.at("reel") != reel.reel_id || json.at("job") != reel.job_id) return std::nullopt;
      for (const auto& f : json.at("frames")) frames.insert(f.at("frame").get<std::uint32_t>());
      std::ifstream log(dir / "reel.log", std::ios::binary);
      std::string line;
      while (std::getline(log, line) && !log.eof()) {
        const auto record = nlohmann::json::parse(line);
        if (record.contains("frame")) frames.insert(record.at("frame").get<std::uint32_t>());
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
  void append_to_reel(std::uint32_t first) {
    const auto file = reel_.work_dir / "film" / "reel.json";
    const std::string where =
        fmt::format("sim driver: {}: cannot append at frame {}", unit(), first);
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
        const auto number = f.at("frame").get<std::uint32_t>();
        if (!more || number <= layout_.size()) return;  // a line reel.json already holds
        if (number >= first && !f.contains("sha256")) {
          more = false;
          return;
        }
        LayoutEntry e;
        e.frame = number;
        e.address = f.at("address").get<std::string>();
        e.blip = f.at("blip").get<std::string>();
        e.file = f.at("file").get<std::string>();
        if (geometry_.fiche) {
          e.cell = hal::FicheSheet::Cell{f.at("cell").at("row").get<std::uint32_t>(),
                                         f.at("cell").at("column").get<std::uint32_t>(), 0, 0};
          e.x_mm = f.at("x_mm").get<double>();
          e.y_mm = f.at("y_mm").get<double>();
          e.width_mm = f.at("width_mm").get<double>();
          e.height_mm = f.at("height_mm").get<double>();
        } else {
          e.start_mm = f.at("start_mm").get<double>();
          e.length_mm = f.at("length_mm").get<double>();
        }
        e.width_px = f.at("width_px").get<std::uint32_t>();
        e.height_px = f.at("height_px").get<std::uint32_t>();
        e.channels = f.at("channels").get<std::uint32_t>();
        e.sha256 = f.value("sha256", "");
        if (f.contains("measured")) e.measured = f.at("measured").get<std::array<double, 4>>();
        if (f.contains("dust")) e.dust = f.at("dust").get<std::uint32_t>();
        layout_.push_back(std::move(e));
      };
      const auto add_underrun = [&](const nlohmann::json& u) {
        const auto before = u.at("before_frame").get<std::uint32_t>();
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
  void recognise_sent_again(std::uint32_t number, const std::string& sha256) const {
    std::lock_guard lock(mutex_);
    const LayoutEntry& on_film = layout_.at(number - 1);
    if (on_film.sha256 == sha256) return;
    throw DeviceError(
        DeviceErrorKind::invalid_frame,
        fmt::format("sim driver: {} frame {} is already on the film {}", unit(), number,
                    on_film.sha256.empty() ? "and cannot be checked (no checksum)"
                                           : "with different pixels"));
  }

  void judge_underrun(std::uint32_t number) {
    if (caps_.write_rate_lines_per_s <= 0) return;
    double stall_ms = 0;
    {
      std::lock_guard lock(mutex_);
      if (!idle_since_) return;
      stall_ms = 1000 * seconds(Clock::now() - *idle_since_);
    }
    if (stall_ms <= recorder_.stall_tolerance_ms) return;
    if (underrun_is_error_) {
      throw DeviceError(DeviceErrorKind::underrun,
                        fmt::format("sim driver: reel {} frame {}: buffer underrun: the writer "
                                    "waited {:.0f} ms for this frame (tolerance {:.0f} ms)",
                                    reel_.reel_id, number, stall_ms, recorder_.stall_tolerance_ms));
    }
    std::lock_guard lock(mutex_);
    underruns_.push_back({number, stall_ms, recorder_.stall_waste_mm});
    cursor_mm_ += recorder_.stall_waste_mm;
  }

  void rethrow_writer_error() {
    std::lock_guard lock(mutex_);
    if (writer_error_) std::rethrow_exception(writer_error_);
  }

  void stop_threads() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    work_.notify_all();
    developed_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (developer_.joinable()) developer_.join();
  }

  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    writer_busy_ = false;
    if (!writer_error_) writer_error_ = error;
    space_.notify_all();
    developed_cv_.notify_all();
  }

  // The writer head: one frame at a time from the buffer, at the write rate; the exposed
  // frame then goes on to the developer.
  void write_loop() {
    Clock::time_point head_free = Clock::now();
    for (;;) {
      BufferedFrame* frame = nullptr;
      {
        std::unique_lock lock(mutex_);
        work_.wait(lock, [&] { return quit_ || (!buffer_.empty() && !stuck_); });
        if (quit_) return;
        frame = &buffer_.front();
        if (frame->number == stuck_at_) {
          stuck_ = true;  // the device hangs: nothing leaves the buffer again
          continue;
        }
        writer_busy_ = true;
      }
      head_free = std::max(Clock::now(), head_free) + write_time(frame->lines);
      std::this_thread::sleep_until(head_free);
      {
        std::unique_lock lock(mutex_);
        if (developing_.size() >= caps_.buffer_frames) {
          // At rate 0 the head has no rate to keep: waiting for the developer is expected.
          if (caps_.write_rate_lines_per_s > 0) ++developer_waits_;
          developed_cv_.wait(lock, [&] {
            return quit_ || writer_error_ || developing_.size() < caps_.buffer_frames;
          });
          if (quit_ || writer_error_) return;
        }
        developing_.push_back(std::move(buffer_.front()));
        buffer_.pop_front();
        writer_busy_ = false;
        last_progress_ = Clock::now();
        if (buffer_.empty()) idle_since_ = last_progress_;
      }
      space_.notify_all();
      work_.notify_all();
    }
  }

  // The processor: develops what the head exposed, in order, and keeps reel.json current.
  void develop_loop() {
    for (;;) {
      BufferedFrame* frame = nullptr;
      {
        std::unique_lock lock(mutex_);
        work_.wait(lock, [&] { return quit_ || !developing_.empty(); });
        if (developing_.empty()) return;  // quit_ with nothing left
        frame = &developing_.front();
      }
      try {
        std::optional<std::array<double, 4>> measured;
        std::optional<std::uint32_t> dust;
        if (film_output_ != FilmOutput::none) {
          const std::uint64_t grain_seed =
              seed_ * 0x100000001B3ull ^ (std::uint64_t{reel_.reel_number} << 32) ^ frame->number;
          auto developed = sim::develop(recorder_, stock_, frame->pixels, frame->width,
                                        frame->height, frame->channels, grain_seed);
          if (damage_.any()) {
            dust = sim::damage_film(developed, stock_, damage_, caps_.pixel_pitch_um,
                                    !geometry_.fiche && geometry_.comic, grain_seed);
          }
          if (film_output_ == FilmOutput::images) {
            sim::save_developed(developed, caps_.pixel_pitch_um, reel_.work_dir / frame->file);
          } else {
            measured = measure(developed);
          }
        }
        std::string record;
        {
          std::lock_guard lock(mutex_);
          developed_ = frame->number;
          layout_.at(frame->number - 1).measured = measured;  // entry i is frame i + 1
          if (damage_.dust_per_cm2 > 0) layout_.at(frame->number - 1).dust = dust;
          record = record_developed(layout_.at(frame->number - 1));
        }
        // Its fdatasync outside the lock: the head and expose() must not wait for the disk.
        if (!record.empty()) append_to_log(record);
        std::vector<std::uint8_t> done;
        {
          std::lock_guard lock(mutex_);
          done = std::move(frame->pixels);
          developing_.pop_front();
        }
        frame_buffers().give(std::move(done));
      } catch (const Error& e) {
        // The developed film cannot be written: the disk is full, the folder refuses it.
        const std::string where = fmt::format("{} frame {}: ", unit(), frame->number);
        try {
          film_storage_failure(Error(e.kind(), where + e.what()));
        } catch (...) {
          fail(std::current_exception());
        }
        return;
      } catch (...) {
        fail(std::current_exception());
        return;
      }
      developed_cv_.notify_all();
      space_.notify_all();
    }
  }

  // Minimum, mean, 95th percentile and maximum density of a developed frame.
  static std::array<double, 4> measure(const sim::DevelopedFrame& film) {
    std::vector<std::uint32_t> histogram(65536);
    double sum = 0;
    for (std::uint16_t v : film.density) {
      ++histogram[v];
      sum += v;
    }
    const std::size_t n = film.density.size();
    std::array<double, 4> out{0, n ? sum / n / sim::kDensityScale : 0, 0, 0};
    std::size_t seen = 0;
    for (std::size_t v = 0; v < histogram.size(); ++v) {
      if (!histogram[v]) continue;
      const double density = v / sim::kDensityScale;
      if (seen == 0) out[0] = density;
      if (seen < 0.95 * n && seen + histogram[v] >= 0.95 * n) out[2] = density;
      seen += histogram[v];
      out[3] = density;
    }
    return out;
  }

  static nlohmann::ordered_json frame_record(const LayoutEntry& e) {
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

  // The fault options' damage, in reel.json: where the scratches are and how much dust.
  nlohmann::ordered_json damage_record() const {
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

  static nlohmann::ordered_json underrun_record(const Underrun& u) {
    return {{"before_frame", u.before_frame}, {"stall_ms", u.stall_ms}, {"wasted_mm", u.wasted_mm}};
  }

  // Film a reel uses: leader, frames, gaps, wasted film and trailer; a fiche sheet is cut
  // from 105 mm film, so it uses its length along that film whatever it holds.
  double film_used_mm() const {
    return geometry_.fiche ? geometry_.sheet.width_mm : cursor_mm_ + 1000 * geometry_.trailer_m;
  }

  nlohmann::ordered_json sheet_record() const {
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

  std::filesystem::path log_file() const { return reel_.work_dir / "film" / "reel.log"; }

  // The record of a frame just developed (called under mutex_): the lines to append to
  // reel.log (append_to_log), after the frame's file, which save_developed made durable first.
  // The first frame developed since the reel was loaded writes reel.json instead, with all the
  // reel's frames so far, starts an empty log beside it and returns nothing.
  std::string record_developed(const LayoutEntry& e) {
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
  void append_to_log(const std::string& lines) {
    try {
      log_->append(lines);
    } catch (const Error& error) {
      film_storage_failure(error);
    }
  }

  // reel.json (called under mutex_): until the reel is unloaded it lists the frames developed
  // so far ("complete": false). Complete, it replaces the log.
  void write_layout(bool complete) {
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
    json["calibration"] = calibration_;
    json["document_class"] = document_class_;
    json["tone"] = tone_;
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

  // Configuration.
  std::filesystem::path profiles_;
  sim::RecorderProfile recorder_;
  sim::Stock stock_;
  std::uint64_t seed_ = 1;
  double rate_scale_ = 1;
  std::uint32_t out_of_film_at_ = 0, disconnect_at_ = 0, fault_at_ = 0, stuck_at_ = 0;
  FilmOutput film_output_ = FilmOutput::images;
  bool underrun_is_error_ = false;
  std::uint32_t scratch_count_ = 0;
  double scratch_width_um_ = 10;
  sim::ScratchKind scratch_kind_ = sim::ScratchKind::mixed;
  sim::FilmDamage damage_;  // its scratches placed at each load()
  std::string calibration_, document_class_, tone_;
  hal::Capabilities caps_;
  std::unique_ptr<sim::FilmReader> film_reader_;

  // The reel, touched only by the caller's thread (the threads read reel_ and geometry_,
  // which do not change while a reel is loaded).
  hal::ReelSpec reel_;
  hal::FilmGeometry geometry_;
  bool loaded_ = false;
  bool disconnected_ = false;
  // Fiche: the sheet in the camera's gate (the last one loaded), while this device lives.
  std::optional<std::pair<std::filesystem::path, std::string>> last_sheet_;  // folder, name
  double film_length_mm_ = 0;
  double cursor_mm_ = 0;
  std::uint32_t accepted_ = 0;

  // Shared with the writer and developer threads, under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable work_, space_, developed_cv_;
  std::deque<BufferedFrame> buffer_;      // the device buffer, in front of the head
  std::deque<BufferedFrame> developing_;  // exposed, waiting for the processor
  std::deque<LayoutEntry> layout_;        // a vector's growth room would double it
  std::optional<AppendFile> log_;         // film/reel.log, open once a frame was developed
  std::size_t underruns_logged_ = 0;      // underruns_[0, underruns_logged_) are on record
  std::uint64_t waits_logged_ = 0;
  std::uint32_t developed_ = 0;
  std::uint64_t developer_waits_ = 0;
  std::optional<Clock::time_point> idle_since_;
  std::vector<Underrun> underruns_;
  std::exception_ptr writer_error_;
  bool stuck_ = false;
  bool quit_ = false;
  bool writer_busy_ = false;
  Clock::time_point last_progress_;
  std::thread writer_;
  std::thread developer_;
};

}  // namespace

void register_sim_driver(hal::Registry& registry) {
  registry.add(
      {"sim",
       "simulated recorder: exposes onto a simulated film stock and writes the developed film "
       "(R0001/film/F000001.tif, density x 10000, and film/reel.json); on a fiche format a "
       "step-and-repeat camera, one sheet per reel, a frame per cell",
       {{"profiles", "profiles folder (default: FILMWRITER_PROFILES or the installed profiles)"},
        {"recorder", "recorder profile in profiles/recorders (default sim-default)"},
        {"stock", "film stock profile in profiles/stocks (default sim-negative)"},
        {"seed", "grain seed; the same job and seed give the same film (default 1)"},
        {"rate", "write-rate scale: 1 real time, 0 as fast as possible (default 1)"},
        {"film_output",
         "true: write the developed film images; measure: develop but record only densities in "
         "reel.json; false: no development (default true)"},
        {"underrun", "record (note in reel.json, waste film) or error (default record)"},
        {"out_of_film_at", "inject: out of film at frame N of a reel (default 0: never)"},
        {"disconnect_at", "inject: disconnect at frame N (default 0: never)"},
        {"fault_at", "inject: device fault at frame N (default 0: never)"},
        {"stuck_buffer_at", "inject: the buffer stops moving at frame N (default 0: never)"},
        {"scratches",
         "fault: N scratches along the film's travel through every frame of the reel, at "
         "seeded places across it (default 0)"},
        {"scratch_width_um", "width of each scratch in um (default 10)"},
        {"scratch_kind",
         "clear (emulsion scratched off: base + fog), dense (a base scratch: reads 3.0 D) or "
         "mixed, each at random (default mixed)"},
        {"dust_per_cm2",
         "fault: dust specks per cm2 of film on every frame, 10-50 um, seeded (default 0)"},
        {"dust_at",
         "film (on the developed film: opaque, 4.0 D) or exposure (in the gate: the emulsion "
         "under it stays clear on a negative) (default film)"},
        {"calibration", "calibration profile the engine applies (name or .toml file)"},
        {"document_class", "aim density class of the calibration (default: the profile's)"},
        {"tone", "tone reproduction exponent for grey pages (default 1: linear in density)"}},
       [](const hal::DriverOptions& options,
          const hal::OpenContext& context) -> std::unique_ptr<hal::Recorder> {
         return std::make_unique<SimRecorder>(options, context);
       }});
}

}  // namespace fw::drivers
