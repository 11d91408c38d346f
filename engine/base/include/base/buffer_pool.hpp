// Frame-sized byte buffers, recycled. A frame's pixels are allocated by a render thread and
// freed by the thread that exposed them, or by a driver's own writer thread; glibc gives every
// thread its own heap arena, and such hand-offs fragment the arenas so that the peak RSS
// creeps up with the length of the job (bench/README.md, "Memory"). Buffers taken from a pool
// come back to it, whatever thread returns them, and are reused without touching malloc.
//
// A spare serves only a request of about its own size: a frame buffer lent to a smaller page
// would leave the page's buffer idle and make the next frame allocate, and the pool would
// creep up by one idle buffer at a time. Spares no request has wanted for a while are freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace fw {

class BufferPool {
 public:
  // Keeps at most `keep` spare buffers; a buffer given back beyond that frees the oldest spare.
  explicit BufferPool(std::size_t keep) : keep_(keep) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty buffer whose capacity is at least `bytes`: a spare one when one fits, that is,
  // holds `bytes` and is at most a sixteenth larger than a new buffer for it would be.
  std::vector<std::uint8_t> take(std::size_t bytes);
  // A buffer of `bytes` bytes left as they are: what a spare last held (zeros where it held
  // nothing). For a buffer its taker writes in full: zeroing 17 MB that are overwritten at
  // once cost a grey job 6 % of its CPU (bench/README.md).
  std::vector<std::uint8_t> take_unset(std::size_t bytes);
  void give(std::vector<std::uint8_t>&& buffer);

  // Makes `count` buffers for requests of `bytes` resident now (spares allocated and written
  // as needed) and keeps that many however long they sit idle; reserve(0, 0) ends it. The
  // pipeline reserves a buffer per token for its frames: how many frames are alive at once
  // depends on which frame happens to finish first, and without the reservation the peak
  // memory would creep up by a frame whenever a rarer overtaking happened, longer jobs being
  // likelier to meet it.
  void reserve(std::size_t count, std::size_t bytes);

  // Frees every spare buffer now, for a phase of the process that needs no frame buffers (verify
  // writing its report): kept, they would stay resident under whatever that phase allocates.
  void release_spares();

  struct Stats {
    std::size_t taken = 0;        // buffers handed out
    std::size_t fresh = 0;        // of those, newly allocated because no spare fitted
    std::size_t spares = 0;       // spare buffers held now
    std::size_t spare_bytes = 0;  // their capacity
    // Capacity of the buffers handed out and not given back (a buffer its taker frees itself
    // stays counted), and the most that spares and those together ever held: what the pool's
    // buffers cost the process at its peak.
    std::size_t lent_bytes = 0;
    std::size_t most_held_bytes = 0;
  };
  Stats stats() const;

 private:
  std::vector<std::uint8_t> pick(std::size_t bytes);  // a fitting spare or a new buffer
  std::size_t spare_bytes_locked() const;
  void note_held_locked();  // most_held_bytes_ from what is held now

  struct Spare {
    std::vector<std::uint8_t> buffer;
    std::size_t given_at;  // taken_ when it came back
  };
  mutable std::mutex mutex_;
  std::vector<Spare> spare_;  // oldest first
  std::size_t keep_;
  std::size_t taken_ = 0, fresh_ = 0;
  std::size_t lent_bytes_ = 0, most_held_bytes_ = 0;
  std::size_t reserved_count_ = 0, reserved_bytes_ = 0;
};

// The process's pool for frames, decoded pages and encoded frame files.
BufferPool& frame_buffers();

}  // namespace fw
