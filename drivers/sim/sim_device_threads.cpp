// The sim recorder's two threads (sim_recorder.cpp says how the device works): the writer
// head takes frames from the device buffer at the write rate, and the developer develops what
// the head exposed and keeps the film's record current (sim_reel_record.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <thread>
#include <utility>

#include "base/buffer_pool.hpp"
#include "sim/sim_recorder.hpp"

namespace fw::drivers::sim {

void SimRecorder::rethrow_writer_error() {
  std::lock_guard lock(mutex_);
  if (writer_error_) std::rethrow_exception(writer_error_);
}

void SimRecorder::stop_threads() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  work_.notify_all();
  developed_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (developer_.joinable()) developer_.join();
}

void SimRecorder::fail(std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  writer_busy_ = false;
  if (!writer_error_) writer_error_ = std::move(error);
  space_.notify_all();
  developed_cv_.notify_all();
}

// The writer head: one frame at a time from the buffer, at the write rate; the exposed
// frame then goes on to the developer.
void SimRecorder::write_loop() {
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
void SimRecorder::develop_loop() {
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
        auto developed = sim::develop(recorder_, stock_, frame->pixels, frame->width, frame->height,
                                      frame->channels, grain_seed);
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
std::array<double, 4> SimRecorder::measure(const sim::DevelopedFrame& film) {
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

}  // namespace fw::drivers::sim
