#include "hal/buffer_pool.hpp"

#include <algorithm>

namespace fw::hal {

std::vector<std::uint8_t> BufferPool::take(std::size_t bytes) {
  {
    std::lock_guard lock(mutex_);
    // The smallest spare that fits, so that a large buffer stays for a large frame.
    auto best = spare_.end();
    for (auto it = spare_.begin(); it != spare_.end(); ++it) {
      if (it->capacity() >= bytes && (best == spare_.end() || it->capacity() < best->capacity()))
        best = it;
    }
    if (best != spare_.end()) {
      std::vector<std::uint8_t> buffer = std::move(*best);
      spare_.erase(best);
      return buffer;
    }
  }
  std::vector<std::uint8_t> buffer;
  buffer.reserve(bytes);
  return buffer;
}

void BufferPool::give(std::vector<std::uint8_t>&& buffer) {
  if (buffer.capacity() == 0) return;
  buffer.clear();
  std::vector<std::uint8_t> dropped;  // freed outside the lock
  {
    std::lock_guard lock(mutex_);
    spare_.push_back(std::move(buffer));
    if (spare_.size() > keep_) {
      // Drop the smallest: the large ones are the expensive ones to fault in again.
      auto smallest = std::min_element(spare_.begin(), spare_.end(), [](auto& a, auto& b) {
        return a.capacity() < b.capacity();
      });
      dropped = std::move(*smallest);
      spare_.erase(smallest);
    }
  }
}

std::size_t BufferPool::spares() const {
  std::lock_guard lock(mutex_);
  return spare_.size();
}

BufferPool& frame_buffers() {
  // Enough for every buffer of the frames in flight (tokens) and a driver's device buffer.
  static BufferPool pool(32);
  return pool;
}

}  // namespace fw::hal
