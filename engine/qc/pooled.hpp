// Inside engine/qc: an array whose memory is a buffer of the process's frame pool
// (hal/buffer_pool.hpp). A frame's planes (its film, its areas, its binned SSIM planes) are
// tens of MB each; freed to the heap, a worker thread's arena hands such blocks back to the
// system and the next frame faults them in again (half of verify's time went there). From
// the pool they stay resident and go to whichever thread checks the next frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "base/buffer_pool.hpp"

namespace fw::qc {

template <typename T>
class PooledArray {
 public:
  PooledArray() = default;
  explicit PooledArray(std::size_t n) : bytes_(frame_buffers().take(n * sizeof(T))) {
    bytes_.resize(n * sizeof(T));  // zeroed: T is a number
  }
  ~PooledArray() { release(); }
  PooledArray(PooledArray&& other) noexcept : bytes_(std::move(other.bytes_)) {}
  PooledArray& operator=(PooledArray&& other) noexcept {
    if (this != &other) {
      release();
      bytes_ = std::move(other.bytes_);
    }
    return *this;
  }
  PooledArray(const PooledArray&) = delete;
  PooledArray& operator=(const PooledArray&) = delete;

  T* data() { return reinterpret_cast<T*>(bytes_.data()); }
  const T* data() const { return reinterpret_cast<const T*>(bytes_.data()); }
  std::size_t size() const { return bytes_.size() / sizeof(T); }
  std::span<T> span() { return {data(), size()}; }
  std::span<const T> span() const { return {data(), size()}; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }

 private:
  void release() {
    if (bytes_.capacity() > 0) frame_buffers().give(std::move(bytes_));
    bytes_ = {};
  }
  std::vector<std::uint8_t> bytes_;
};

}  // namespace fw::qc
