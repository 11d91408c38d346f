// Inside engine/qc: the frames' thumbnails kept in a temporary file for the job, not on the
// heap, until the contact sheets and the report are made. A 30 m reel has some 2,400 frames;
// held in memory, their JPEGs grew verify's peak with the reel's length (bench/README.md,
// "verify").
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

namespace fw::qc {

class ThumbnailStore {
 public:
  // Where one thumbnail's JPEG is in the store.
  struct Ref {
    std::uint64_t offset = 0;
    std::uint32_t size = 0;
  };
  // A file created in `dir` and unlinked at once: it is gone with the process, however that
  // ends. Throws Error(storage) naming `dir`.
  explicit ThumbnailStore(const std::filesystem::path& dir);
  ~ThumbnailStore();
  ThumbnailStore(const ThumbnailStore&) = delete;
  ThumbnailStore& operator=(const ThumbnailStore&) = delete;

  Ref add(std::string_view jpeg);
  // Safe from any thread. Throws Error(storage).
  std::string read(Ref ref) const;

 private:
  std::filesystem::path file_;  // for messages: it is unlinked
  int fd_ = -1;
  std::mutex append_;
  std::uint64_t end_ = 0;
};

}  // namespace fw::qc
