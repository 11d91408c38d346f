// The `sim` driver: a simulated film recorder honest enough to calibrate against.
//
// expose() checks the frame, places it on the film (out of film is known before anything is
// written), and hands a copy to the device buffer; it blocks while the buffer is full. A
// writer thread takes frames from the buffer at the profile's write rate, develops them
// (sim_physics) and writes the developed film: R0001/film/F000001.tif (density x 10000,
// 16-bit) and, at unload, R0001/film/reel.json (where each frame lies on the film).
//
// Underrun, as a real writer sees it: once a reel is loaded and frames are flowing, the
// film transport keeps moving. When the writer finishes a frame and the buffer is empty,
// the head starves; if the next frame arrives later than the profile's stall tolerance the
// transport had to stop and restart, which wastes film (stall_waste_mm) before that frame.
// The wait before the first frame and after the last one (until unload) is not an underrun.
// `underrun=record` (default) notes it in reel.json and status; `underrun=error` refuses the
// late frame with DeviceError(underrun). With rate=0 the writer is infinitely fast, so it
// can never be kept fed and underruns are not judged.
#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "hal/registry.hpp"
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

bool parse_bool(const std::string& key, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  throw DeviceError(DeviceErrorKind::bad_option,
                    "sim driver: option " + key + ": expected true or false, got \"" + text + "\"");
}

struct LayoutEntry {
  std::uint32_t frame = 0;
  std::string address;
  std::string blip;
  std::string file;  // relative to the reel folder; empty without film output
  double start_mm = 0;
  double length_mm = 0;
  std::uint32_t width_px = 0, height_px = 0, channels = 1;
};

struct Underrun {
  std::uint32_t before_frame = 0;
  double stall_ms = 0;
  double wasted_mm = 0;
};

struct BufferedFrame {
  std::uint32_t number = 0;
  std::uint32_t width = 0, height = 0, channels = 1;
  std::uint32_t lines = 0;  // rows across the film: what the write rate counts
  std::vector<std::uint8_t> pixels;
  std::string file;  // relative, empty without film output
};

class SimRecorder final : public hal::Recorder {
 public:
  explicit SimRecorder(const hal::DriverOptions& options) {
    hal::OptionReader read("sim", options);
    profiles_ = read.text("profiles", default_profiles().string());
    recorder_ = sim::load_recorder(profiles_, read.text("recorder", "sim-default"));
    stock_ = sim::load_stock(profiles_, read.text("stock", "sim-negative"));
    seed_ = static_cast<std::uint64_t>(read.number("seed", 1, 0, 9.0e15));
    rate_scale_ = read.number("rate", 1, 0, 1e6);
    out_of_film_at_ = static_cast<std::uint32_t>(read.number("out_of_film_at", 0, 0, 1e9));
    disconnect_at_ = static_cast<std::uint32_t>(read.number("disconnect_at", 0, 0, 1e9));
    fault_at_ = static_cast<std::uint32_t>(read.number("fault_at", 0, 0, 1e9));
    stuck_at_ = static_cast<std::uint32_t>(read.number("stuck_buffer_at", 0, 0, 1e9));
    film_output_ = parse_bool("film_output", read.text("film_output", "true"));
    const std::string underrun = read.text("underrun", "record");
    if (underrun != "record" && underrun != "error") {
      throw DeviceError(
          DeviceErrorKind::bad_option,
          "sim driver: option underrun: expected record or error, got \"" + underrun + "\"");
    }
    underrun_is_error_ = underrun == "error";
    // Read by the engine (engine/color) to choose the calibration; the sim records them.
    calibration_ = read.text("calibration", "");
    document_class_ = read.text("document_class", "");
    tone_ = read.text("tone", "");
    read.finish();

    caps_.pixel_pitch_um = recorder_.pixel_pitch_um;
    caps_.max_width_px = recorder_.max_width_px;
    caps_.max_height_px = recorder_.max_height_px;
    // The stock decides what can be written: a B&W emulsion takes one channel only.
    for (int c : recorder_.channels) {
      if (static_cast<std::size_t>(c) == stock_.curves.size() || c == 1)
        caps_.channels.push_back(c);
    }
    if (stock_.curves.size() == 3) caps_.channels = {3};
    caps_.write_rate_lines_per_s = rate_scale_ * recorder_.write_rate_lines_per_s;
    caps_.buffer_frames = recorder_.buffer_frames;
  }

  ~SimRecorder() override { stop_writer(); }

  hal::Capabilities capabilities() const override { return caps_; }

  void load(const hal::ReelSpec& reel) override {
    if (disconnected_) throw disconnected();
    if (loaded_) {
      throw DeviceError(DeviceErrorKind::fault,
                        "sim driver: reel " + reel_.reel_id + " is still loaded; unload it first");
    }
    geometry_ = reel.film_format.empty() ? sim::FormatGeometry{}
                                         : sim::load_format_geometry(profiles_, reel.film_format);
    if (!reel.stock.empty() && reel.stock != stock_.name) {
      throw DeviceError(DeviceErrorKind::bad_option, "sim driver: reel " + reel.reel_id +
                                                         " asks for stock " + reel.stock + " but " +
                                                         stock_.name + " is loaded (option stock)");
    }
    if (reel.first_frame > 1) {
      // The developed-film layout of a reel is written once, at unload; appending to a reel
      // the sim did not finish would misplace frames on the film, so it refuses.
      throw DeviceError(DeviceErrorKind::fault,
                        fmt::format("sim driver: reel {}: cannot append at frame {}: the "
                                    "simulated recorder films whole reels only",
                                    reel.reel_id, reel.first_frame));
    }
    reel_ = reel;
    film_length_mm_ =
        1000 * (reel.film_length_m > 0 ? reel.film_length_m : recorder_.film_length_m);
    cursor_mm_ = 1000 * geometry_.leader_m;
    layout_.clear();
    underruns_.clear();
    accepted_ = 0;
    if (film_output_) {
      std::error_code ec;
      std::filesystem::create_directories(reel.work_dir / "film", ec);
      if (ec) {
        throw DeviceError(
            DeviceErrorKind::fault,
            "sim driver: cannot create " + (reel.work_dir / "film").string() + ": " + ec.message());
      }
    }
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
    loaded_ = true;
  }

  void expose(const hal::Frame& frame) override {
    if (disconnected_) throw disconnected();
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "sim driver: no reel loaded");
    rethrow_writer_error();
    hal::check_frame(caps_, frame);
    const std::uint32_t number = accepted_ + 1;
    if (frame.frame_number != number) {
      throw DeviceError(DeviceErrorKind::invalid_frame,
                        fmt::format("sim driver: reel {}: expected frame {}, got frame {}",
                                    reel_.reel_id, number, frame.frame_number));
    }
    const std::string where = fmt::format("sim driver: reel {} frame {}", reel_.reel_id, number);
    if (number == disconnect_at_) {
      disconnected_ = true;
      throw DeviceError(DeviceErrorKind::disconnected, where + ": recorder disconnected");
    }
    if (number == fault_at_) {
      throw DeviceError(DeviceErrorKind::fault, where + ": device fault (injected, fault_at)");
    }
    const std::uint32_t lines = geometry_.comic ? frame.width : frame.height;
    const double length_mm = lines * caps_.pixel_pitch_um / 1000.0;
    const double end_mm = film_length_mm_ - 1000 * geometry_.trailer_m;
    if (number == out_of_film_at_) {
      throw DeviceError(DeviceErrorKind::out_of_film,
                        where + ": out of film (injected, out_of_film_at)");
    }
    judge_underrun(number);
    if (cursor_mm_ + length_mm > end_mm) {
      throw DeviceError(DeviceErrorKind::out_of_film,
                        fmt::format("{}: out of film: the frame needs {:.2f} mm at {:.2f} mm but "
                                    "the usable film ends at {:.2f} mm ({:.1f} m less {:.1f} m "
                                    "trailer)",
                                    where, length_mm, cursor_mm_, end_mm, film_length_mm_ / 1000,
                                    geometry_.trailer_m));
    }

    BufferedFrame buffered{number,
                           frame.width,
                           frame.height,
                           frame.channels,
                           lines,
                           std::vector<std::uint8_t>(frame.pixels.begin(), frame.pixels.end()),
                           film_output_ ? fmt::format("film/F{:06}.tif", number) : ""};
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
    }
    work_.notify_one();
    layout_.push_back({number, frame.address, hal::to_string(frame.blip),
                       film_output_ ? fmt::format("film/F{:06}.tif", number) : "", cursor_mm_,
                       length_mm, frame.width, frame.height, frame.channels});
    cursor_mm_ += length_mm + geometry_.frame_gap_mm;
    accepted_ = number;
  }

  hal::ReelReport unload() override {
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "sim driver: no reel loaded");
    loaded_ = false;
    bool drained = false;
    {
      std::unique_lock lock(mutex_);
      drained = wait_for_writer(lock, [&] { return buffer_.empty(); });
    }
    stop_writer();
    if (!drained) {
      throw DeviceError(DeviceErrorKind::fault,
                        fmt::format("sim driver: reel {}: buffer stuck: {} frame(s) never "
                                    "reached the film",
                                    reel_.reel_id, buffer_.size()));
    }
    rethrow_writer_error();
    hal::ReelReport report;
    report.frames = accepted_;
    report.film_used_m = (cursor_mm_ + 1000 * geometry_.trailer_m) / 1000;
    for (const auto& entry : layout_) {
      if (!entry.file.empty()) report.files.emplace_back(entry.file);
    }
    write_layout();
    report.files.emplace_back("film/reel.json");
    return report;
  }

  hal::Status status() const override {
    std::lock_guard lock(mutex_);
    std::string state = disconnected_ ? "disconnected"
                        : loaded_     ? "writing " + reel_.reel_id
                                      : "idle";
    if (!underruns_.empty()) state += fmt::format(", {} underrun(s)", underruns_.size());
    return {loaded_, accepted_, static_cast<std::uint32_t>(buffer_.size()), state};
  }

 private:
  DeviceError disconnected() const {
    return DeviceError(DeviceErrorKind::disconnected, "sim driver: recorder disconnected");
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
  // the watchdog time: a head that is still developing a large frame is slow, not stuck.
  template <class Done>
  bool wait_for_writer(std::unique_lock<std::mutex>& lock, Done done) {
    while (!done() && !writer_error_) {
      space_.wait_for(lock, std::chrono::milliseconds(20));
      if (!done() && !writer_busy_ && Clock::now() - last_progress_ > watchdog()) return false;
    }
    return true;
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

  void stop_writer() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    work_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  // The writer head: one frame at a time from the buffer, at the write rate.
  void write_loop() {
    Clock::time_point head_free = Clock::now();
    for (;;) {
      const BufferedFrame* frame = nullptr;
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
      const auto start = std::max(Clock::now(), head_free);
      try {
        if (!frame->file.empty()) {
          const std::uint64_t grain_seed =
              seed_ * 0x100000001B3ull ^ (std::uint64_t{reel_.reel_number} << 32) ^ frame->number;
          const auto developed = sim::develop(recorder_, stock_, frame->pixels, frame->width,
                                              frame->height, frame->channels, grain_seed);
          sim::save_developed(developed, caps_.pixel_pitch_um, reel_.work_dir / frame->file);
        }
      } catch (...) {
        std::lock_guard lock(mutex_);
        writer_busy_ = false;
        writer_error_ = std::current_exception();
        space_.notify_all();
        return;
      }
      head_free = start + write_time(frame->lines);
      std::this_thread::sleep_until(head_free);
      {
        std::lock_guard lock(mutex_);
        buffer_.pop_front();
        writer_busy_ = false;
        last_progress_ = Clock::now();
        if (buffer_.empty()) idle_since_ = last_progress_;
      }
      space_.notify_all();
    }
  }

  void write_layout() const {
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
    json["film_length_mm"] = film_length_mm_;
    json["leader_mm"] = 1000 * geometry_.leader_m;
    json["film_used_mm"] = cursor_mm_ + 1000 * geometry_.trailer_m;
    json["frames"] = nlohmann::ordered_json::array();
    for (const auto& e : layout_) {
      json["frames"].push_back({{"frame", e.frame},
                                {"address", e.address},
                                {"blip", e.blip},
                                {"file", e.file},
                                {"start_mm", e.start_mm},
                                {"length_mm", e.length_mm},
                                {"width_px", e.width_px},
                                {"height_px", e.height_px},
                                {"channels", e.channels}});
    }
    json["underruns"] = nlohmann::ordered_json::array();
    for (const auto& u : underruns_) {
      json["underruns"].push_back(
          {{"before_frame", u.before_frame}, {"stall_ms", u.stall_ms}, {"wasted_mm", u.wasted_mm}});
    }
    const auto dir = reel_.work_dir / "film";
    std::filesystem::create_directories(dir);
    const auto tmp = dir / "reel.json.tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << json.dump(2) << '\n';
      if (!out.flush()) {
        throw DeviceError(DeviceErrorKind::fault,
                          "sim driver: cannot write " + (dir / "reel.json").string());
      }
    }
    std::filesystem::rename(tmp, dir / "reel.json");
  }

  // Configuration.
  std::filesystem::path profiles_;
  sim::RecorderProfile recorder_;
  sim::Stock stock_;
  std::uint64_t seed_ = 1;
  double rate_scale_ = 1;
  std::uint32_t out_of_film_at_ = 0, disconnect_at_ = 0, fault_at_ = 0, stuck_at_ = 0;
  bool film_output_ = true;
  bool underrun_is_error_ = false;
  std::string calibration_, document_class_, tone_;
  hal::Capabilities caps_;

  // The reel, touched only by the caller's thread.
  hal::ReelSpec reel_;
  sim::FormatGeometry geometry_;
  bool loaded_ = false;
  bool disconnected_ = false;
  double film_length_mm_ = 0;
  double cursor_mm_ = 0;
  std::uint32_t accepted_ = 0;
  std::vector<LayoutEntry> layout_;

  // Shared with the writer thread, under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable work_, space_;
  std::deque<BufferedFrame> buffer_;
  std::optional<Clock::time_point> idle_since_;
  std::vector<Underrun> underruns_;
  std::exception_ptr writer_error_;
  bool stuck_ = false;
  bool quit_ = false;
  bool writer_busy_ = false;
  Clock::time_point last_progress_;
  std::thread writer_;
};

}  // namespace

void register_sim_driver(hal::Registry& registry) {
  registry.add(
      {"sim",
       "simulated recorder: exposes onto a simulated film stock and writes the developed film "
       "(R0001/film/F000001.tif, density x 10000, and film/reel.json)",
       {{"profiles", "profiles folder (default: FILMWRITER_PROFILES or the installed profiles)"},
        {"recorder", "recorder profile in profiles/recorders (default sim-default)"},
        {"stock", "film stock profile in profiles/stocks (default sim-negative)"},
        {"seed", "grain seed; the same job and seed give the same film (default 1)"},
        {"rate", "write-rate scale: 1 real time, 0 as fast as possible (default 1)"},
        {"film_output", "true: write the developed film images (default true)"},
        {"underrun", "record (note in reel.json, waste film) or error (default record)"},
        {"out_of_film_at", "inject: out of film at frame N of a reel (default 0: never)"},
        {"disconnect_at", "inject: disconnect at frame N (default 0: never)"},
        {"fault_at", "inject: device fault at frame N (default 0: never)"},
        {"stuck_buffer_at", "inject: the buffer stops moving at frame N (default 0: never)"},
        {"calibration", "calibration profile the engine applies (name or .toml file)"},
        {"document_class", "aim density class of the calibration (default: the profile's)"},
        {"tone", "tone reproduction exponent for grey pages (default 1: linear in density)"}},
       [](const hal::DriverOptions& options) -> std::unique_ptr<hal::Recorder> {
         return std::make_unique<SimRecorder>(options);
       }});
}

}  // namespace fw::drivers
