// A plan's frames on disk. The plan holds some 500 bytes a frame (source file, placement,
// address, ...): 5 MB for 10,000 pages, 750 MB for a collection of 1.5 million. The pipeline
// needs them one at a time and in order, so a run moves them into a spool before it starts,
// and its memory does not grow with the job (bench/README.md, "Memory").
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "film/plan.hpp"

namespace fw {

class FrameSpool {
 public:
  // Moves `frames` into an unnamed file in `dir`: it has no name to leave behind, and its
  // space goes back when the spool is dropped or the process dies. Throws Error(internal)
  // naming `dir` when it cannot be written.
  FrameSpool(std::vector<PlannedFrame>&& frames, const std::filesystem::path& dir);
  ~FrameSpool();
  FrameSpool(const FrameSpool&) = delete;
  FrameSpool& operator=(const FrameSpool&) = delete;

  std::size_t size() const { return count_; }
  // Frame `index` (0-based). Reading on from the last frame read costs no seek; reading
  // backwards starts again from the nearest checkpoint. Not thread-safe: one reader.
  PlannedFrame read(std::size_t index);

 private:
  void fill(std::uint64_t offset, std::size_t at_least);
  int fd_ = -1;
  std::size_t count_ = 0;
  std::filesystem::path dir_;
  std::vector<std::uint64_t> checkpoints_;  // byte offset of every kCheckpoint-th frame
  // The read window: bytes [window_offset_, window_offset_ + window_.size()) of the file.
  std::string window_;
  std::uint64_t window_offset_ = 0;
  std::size_t cursor_ = 0;  // within window_: where frame next_ starts
  std::size_t next_ = 0;    // the frame at cursor_
  std::uint64_t file_size_ = 0;
};

}  // namespace fw
