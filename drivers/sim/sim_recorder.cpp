// The `sim` driver: a simulated film recorder honest enough to calibrate against.
//
// expose() checks the frame, places it on the film (out of film is known before anything is
// written), and hands a copy to the device buffer; it blocks while the buffer is full. A
// writer thread (the head) takes frames from the buffer at the profile's write rate and
// passes the exposed film on to a developer thread, which develops each frame (sim_physics,
// in parallel across rows) and writes the developed film: R0001/film/F000001.tif (density x
// 10000, 16-bit) and R0001/film/reel.json (where each frame lies on the film). The record
// is kept current so that a reel can be appended to after a stop (sim_reel_record.cpp,
// sim_reel_resume.cpp).
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
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "base/buffer_pool.hpp"
#include "base/sha256.hpp"
#include "sim/sim_recorder.hpp"

namespace fw::drivers {
namespace sim {
namespace {

std::filesystem::path default_profiles() {
  if (const char* env = std::getenv("FILMWRITER_PROFILES"); env && *env) return env;
  return FW_PROFILES_DIR;
}

}  // namespace

void film_storage_failure(const Error& error) {
  if (error.kind() == ErrorKind::storage) {
    throw Error(ErrorKind::storage, std::string("sim driver: ") + error.what());
  }
  throw DeviceError(DeviceErrorKind::fault, std::string("sim driver: ") + error.what());
}

SimRecorder::SimRecorder(const hal::DriverOptions& options, const hal::OpenContext& context) {
  hal::OptionReader read("sim", options);
  // Its recorder and stock profiles where the job's other profiles are (the engine says where
  // in the open context; -O profiles= is the engine's, resolved into it).
  profiles_ = context.profiles_dir.empty() ? default_profiles() : context.profiles_dir;
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
  read.finish();

  caps_.pixel_pitch_um = recorder_.pixel_pitch_um;
  caps_.max_width_px = recorder_.max_width_px;
  caps_.max_height_px = recorder_.max_height_px;
  // The stock decides what can be written: a B&W emulsion takes one channel only.
  caps_.channels.clear();
  for (int c : recorder_.channels) {
    if (static_cast<std::size_t>(c) == stock_.curves.size() || c == 1) caps_.channels.push_back(c);
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
SimRecorder::~SimRecorder() {
  if (loaded_) {
    std::unique_lock lock(mutex_);
    if (!stuck_ && wait_for_writer(lock, [&] { return buffer_.empty(); })) {
      space_.wait(lock, [&] { return developing_.empty() || writer_error_; });
    }
  }
  stop_threads();
}

void SimRecorder::load(const hal::ReelSpec& reel) {
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
  film_length_mm_ = 1000 * (reel.film_length_m > 0 ? reel.film_length_m : recorder_.film_length_m);
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

void SimRecorder::expose(const hal::Frame& frame) {
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
                      fmt::format("sim driver: {}: expected frame {}, got frame {}", unit(), number,
                                  frame.frame_number));
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

hal::ReelReport SimRecorder::unload() {
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

hal::Status SimRecorder::status() const {
  std::lock_guard lock(mutex_);
  std::string state = disconnected_ ? "disconnected"
                      : loaded_     ? "writing " + reel_.reel_id
                                    : "idle";
  if (!underruns_.empty()) state += fmt::format(", {} underrun(s)", underruns_.size());
  return {loaded_, accepted_, static_cast<std::uint32_t>(buffer_.size()), state, developed_};
}

// Roll film: the frame follows the last one after the format's gap; the film runs out at
// its length less the trailer.
void SimRecorder::place_on_roll(std::uint32_t number, double length_mm, LayoutEntry& entry) const {
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
void SimRecorder::place_in_cell(const hal::Frame& frame, LayoutEntry& entry) const {
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
    throw DeviceError(DeviceErrorKind::invalid_frame,
                      fmt::format("sim driver: {} frame {} ({}): {}x{} px is {:.3f} x {:.3f} "
                                  "mm, larger than the {} x {} mm cell",
                                  unit(), number, frame.address, frame.width, frame.height,
                                  width_mm, height_mm, sheet.cell_width_mm, sheet.cell_height_mm));
  }
  entry.cell = cell;
  entry.width_mm = width_mm;
  entry.height_mm = height_mm;
  entry.x_mm = cell->x_mm + (sheet.cell_width_mm - width_mm) / 2;
  entry.y_mm = cell->y_mm + (sheet.cell_height_mm - height_mm) / 2;
}

Clock::duration SimRecorder::write_time(std::uint32_t lines) const {
  if (caps_.write_rate_lines_per_s <= 0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(lines / caps_.write_rate_lines_per_s));
}

// Longer than the largest frame takes to write, never shorter than the profile's watchdog.
Clock::duration SimRecorder::watchdog() const {
  const auto longest = write_time(std::max(caps_.max_width_px, caps_.max_height_px));
  return std::max(std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(recorder_.watchdog_s)),
                  2 * longest);
}

void SimRecorder::judge_underrun(std::uint32_t number) {
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

}  // namespace sim

void register_sim_driver(hal::Registry& registry) {
  registry.add(
      {"sim",
       "simulated recorder: exposes onto a simulated film stock and writes the developed film "
       "(R0001/film/F000001.tif, density x 10000, and film/reel.json); on a fiche format a "
       "step-and-repeat camera, one sheet per reel, a frame per cell",
       {{"recorder", "recorder profile in profiles/recorders (default sim-default)"},
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
         "under it stays clear on a negative) (default film)"}},
       [](const hal::DriverOptions& options,
          const hal::OpenContext& context) -> std::unique_ptr<hal::Recorder> {
         return std::make_unique<sim::SimRecorder>(options, context);
       }});
}

}  // namespace fw::drivers
