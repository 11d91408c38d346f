#include "base/buffer_pool.hpp"

#include <algorithm>

namespace fw {

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

// Whether a spare of `capacity` serves a request of `bytes`: it holds them and is at most a
// sixteenth larger than a new buffer for them would be.
bool fits(std::size_t capacity, std::size_t bytes) {
  return capacity >= bytes && capacity <= allocation_size(bytes) + bytes / 16;
}
}  // namespace

std::size_t BufferPool::spare_bytes_locked() const {
  std::size_t bytes = 0;
  for (const auto& s : spare_) bytes += s.buffer.capacity();
  return bytes;
}

void BufferPool::note_held_locked() {
  most_held_bytes_ = std::max(most_held_bytes_, lent_bytes_ + spare_bytes_locked());
}

std::vector<std::uint8_t> BufferPool::pick(std::size_t bytes) {
  std::vector<std::vector<std::uint8_t>> idle;  // freed outside the lock
  std::vector<std::uint8_t> buffer;
  {
    std::lock_guard lock(mutex_);
    ++taken_;
    auto best = spare_.end();
    for (auto it = spare_.begin(); it != spare_.end(); ++it) {
      const std::size_t capacity = it->buffer.capacity();
      if (fits(capacity, bytes) && (best == spare_.end() || capacity < best->buffer.capacity()))
        best = it;
    }
    if (best != spare_.end()) {
      buffer = std::move(best->buffer);
      spare_.erase(best);
      lent_bytes_ += buffer.capacity();
    } else {
      ++fresh_;
      lent_bytes_ += allocation_size(bytes);  // what the buffer is allocated with below
    }
    // Reserved buffers are kept, idle or not; the oldest fitting spares count as them.
    std::size_t reserved = 0;
    for (auto& s : spare_) {
      if (reserved < reserved_count_ && fits(s.buffer.capacity(), reserved_bytes_)) {
        ++reserved;
      } else if (taken_ - s.given_at > kIdleTakes) {
        idle.push_back(std::move(s.buffer));
      }
    }
    std::erase_if(spare_, [](const Spare& s) { return s.buffer.capacity() == 0; });
    note_held_locked();
  }
  if (buffer.capacity() == 0) buffer.reserve(allocation_size(bytes));
  return buffer;
}

std::vector<std::uint8_t> BufferPool::take(std::size_t bytes) {
  std::vector<std::uint8_t> buffer = pick(bytes);
  buffer.clear();
  return buffer;
}

std::vector<std::uint8_t> BufferPool::take_unset(std::size_t bytes) {
  std::vector<std::uint8_t> buffer = pick(bytes);
  // A spare keeps the length it was given back with: shrinking to `bytes` writes nothing, and
  // growing zeroes only what it never held.
  buffer.resize(bytes);
  return buffer;
}

void BufferPool::give(std::vector<std::uint8_t>&& buffer) {
  if (buffer.capacity() == 0) return;
  std::vector<std::uint8_t> dropped;  // freed outside the lock
  {
    std::lock_guard lock(mutex_);
    lent_bytes_ -= std::min(lent_bytes_, buffer.capacity());
    spare_.push_back({std::move(buffer), taken_});
    if (spare_.size() > keep_) {
      dropped = std::move(spare_.front().buffer);
      spare_.erase(spare_.begin());
    }
  }
}

void BufferPool::reserve(std::size_t count, std::size_t bytes) {
  std::size_t have = 0;
  {
    std::lock_guard lock(mutex_);
    reserved_count_ = count;
    reserved_bytes_ = bytes;
    for (const auto& s : spare_) have += fits(s.buffer.capacity(), bytes);
  }
  for (; have < count; ++have) {
    std::vector<std::uint8_t> buffer;
    buffer.resize(allocation_size(bytes));  // written, so that it is resident from now on
    std::lock_guard lock(mutex_);
    ++fresh_;
    spare_.push_back({std::move(buffer), taken_});
    note_held_locked();
  }
}

void BufferPool::release_spares() {
  std::vector<Spare> dropped;  // freed outside the lock
  std::lock_guard lock(mutex_);
  dropped.swap(spare_);
}

BufferPool::Stats BufferPool::stats() const {
  std::lock_guard lock(mutex_);
  return {taken_, fresh_, spare_.size(), spare_bytes_locked(), lent_bytes_, most_held_bytes_};
}

BufferPool& frame_buffers() {
  // Enough for every buffer of the frames in flight (tokens) and a driver's device buffer.
  static BufferPool pool(32);
  return pool;
}

}  // namespace fw
