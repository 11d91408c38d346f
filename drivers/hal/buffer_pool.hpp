// Frame-sized byte buffers, recycled. A frame's pixels are allocated by a render thread and
// freed by the thread that exposed them, or by a driver's own writer thread; glibc gives every
// thread its own heap arena, and such hand-offs fragment the arenas so that the peak RSS
// creeps up with the length of the job (bench/README.md, "Memory"). Buffers taken from a pool
// come back to it, whatever thread returns them, and are reused without touching malloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace fw::hal {

class BufferPool {
 public:
  // Keeps at most `keep` spare buffers; a buffer given back beyond that is freed.
  explicit BufferPool(std::size_t keep) : keep_(keep) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty buffer whose capacity is at least `bytes`: a spare one when one is large enough.
  std::vector<std::uint8_t> take(std::size_t bytes);
  void give(std::vector<std::uint8_t>&& buffer);

  std::size_t spares() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::vector<std::uint8_t>> spare_;
  std::size_t keep_;
};

// The process's pool for frames, decoded pages and encoded frame files.
BufferPool& frame_buffers();

}  // namespace fw::hal
