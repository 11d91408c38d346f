#include "hal/buffer_pool.hpp"

#include <algorithm>

namespace fw::hal {

namespace {
// A spare that no request has fitted for this many takes is freed: a job's buffer sizes
// change (a colour document after grey ones, another frame format) and the old ones go.
constexpr std::size_t kIdleTakes = 256;

// New buffers are allocated in whole MiB (KiB when small), so that a frame and its encoded
// file, a few KB apart, come from the same buffers; the untouched tail is not resident.
std::size_t allocation_size(std::size_t bytes) {
  const std::size_t unit = bytes >= (1u << 20) ? 1u << 20 : 1u << 12;
  return (bytes + unit - 1) / unit * unit;
}
}  // namespace

std::vector<std::uint8_t> BufferPool::take(std::size_t bytes) {
  std::vector<std::vector<std::uint8_t>> idle;  // freed outside the lock
  std::vector<std::uint8_t> buffer;
  {
    std::lock_guard lock(mutex_);
    ++taken_;
    auto best = spare_.end();
    for (auto it = spare_.begin(); it != spare_.end(); ++it) {
      const std::size_t capacity = it->buffer.capacity();
      if (capacity >= bytes && capacity <= allocation_size(bytes) + bytes / 16 &&
          (best == spare_.end() || capacity < best->buffer.capacity()))
        best = it;
    }
    if (best != spare_.end()) {
      buffer = std::move(best->buffer);
      spare_.erase(best);
    } else {
      ++fresh_;
    }
    const auto stale = [&](const Spare& s) { return taken_ - s.given_at > kIdleTakes; };
    for (auto& s : spare_) {
      if (stale(s)) idle.push_back(std::move(s.buffer));
    }
    std::erase_if(spare_, stale);
  }
  if (buffer.capacity() == 0) buffer.reserve(allocation_size(bytes));
  return buffer;
}

void BufferPool::give(std::vector<std::uint8_t>&& buffer) {
  if (buffer.capacity() == 0) return;
  buffer.clear();
  std::vector<std::uint8_t> dropped;  // freed outside the lock
  {
    std::lock_guard lock(mutex_);
    spare_.push_back({std::move(buffer), taken_});
    if (spare_.size() > keep_) {
      dropped = std::move(spare_.front().buffer);
      spare_.erase(spare_.begin());
    }
  }
}

BufferPool::Stats BufferPool::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats{taken_, fresh_, spare_.size(), 0};
  for (const auto& s : spare_) stats.spare_bytes += s.buffer.capacity();
  return stats;
}

BufferPool& frame_buffers() {
  // Enough for every buffer of the frames in flight (tokens) and a driver's device buffer.
  static BufferPool pool(32);
  return pool;
}

}  // namespace fw::hal
