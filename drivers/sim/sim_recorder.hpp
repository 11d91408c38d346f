// The `sim` driver's recorder (sim_recorder.cpp says how it works), shared by the files that
// implement it: sim_recorder.cpp (options, load, expose, unload, placement on the film),
// sim_device_threads.cpp (the writer head and the developer), sim_reel_record.cpp (the film's
// own record: reel.json and reel.log) and sim_reel_resume.cpp (a reel appended to after a stop).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/files.hpp"
#include "hal/registry.hpp"
#include "sim/sim_film.hpp"
#include "sim/sim_physics.hpp"

namespace fw::drivers::sim {

using hal::DeviceError;
using hal::DeviceErrorKind;
using Clock = std::chrono::steady_clock;

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
[[noreturn]] void film_storage_failure(const Error& error);

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
  SimRecorder(const hal::DriverOptions& options, const hal::OpenContext& context);
  ~SimRecorder() override;
  void load(const hal::ReelSpec& reel) override;
  void expose(const hal::Frame& frame) override;
  hal::ReelReport unload() override;
  hal::Status status() const override;
  hal::Capabilities capabilities() const override { return caps_; }
  // append: a reel continues from its film's own record (sim_reel_resume.cpp); film_record:
  // reel.json and reel.log list the developed frames; film_readback: only when the frames are
  // developed into images (film_output=true).
  bool supports(std::string_view name) const override {
    return name == hal::capability::append || name == hal::capability::film_record ||
           (name == hal::capability::film_readback && film_output_ == FilmOutput::images);
  }
  const hal::FilmReader* film_reader() const override {
    return film_output_ == FilmOutput::images ? film_reader_.get() : nullptr;
  }
  std::optional<std::uint32_t> frames_on_film(const hal::ReelSpec& reel) override;

 private:
  DeviceError disconnected() const {
    return DeviceError(DeviceErrorKind::disconnected, "sim driver: recorder disconnected");
  }

  // How errors name what is loaded: "reel R0001", or "sheet F0001" on fiche.
  std::string unit() const { return (geometry_.fiche ? "sheet " : "reel ") + reel_.reel_id; }

  // Placement on the film and the head's timing (sim_recorder.cpp).
  void place_on_roll(std::uint32_t number, double length_mm, LayoutEntry& entry) const;
  void place_in_cell(const hal::Frame& frame, LayoutEntry& entry) const;
  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
  Clock::duration write_time(std::uint32_t lines) const;
  Clock::duration watchdog() const;
  void judge_underrun(std::uint32_t number);

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

  // The writer head and the developer (sim_device_threads.cpp).
  void rethrow_writer_error();
  void stop_threads();
  void fail(std::exception_ptr error);
  void write_loop();
  void develop_loop();
  static std::array<double, 4> measure(const sim::DevelopedFrame& film);
  // The film's own record, reel.json and reel.log (sim_reel_record.cpp).
  static nlohmann::ordered_json frame_record(const LayoutEntry& e);
  LayoutEntry read_frame_record(const nlohmann::json& f) const;
  nlohmann::ordered_json damage_record() const;
  static nlohmann::ordered_json underrun_record(const Underrun& u);
  double film_used_mm() const;
  nlohmann::ordered_json sheet_record() const;
  std::string record_developed(const LayoutEntry& e);
  void append_to_log(const std::string& lines);
  void write_layout(bool complete);
  std::filesystem::path log_file() const { return reel_.work_dir / "film" / "reel.log"; }

  // A reel appended to after a stop (sim_reel_resume.cpp).
  void append_to_reel(std::uint32_t first);
  void recognise_sent_again(std::uint32_t number, const std::string& sha256) const;

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

}  // namespace fw::drivers::sim
