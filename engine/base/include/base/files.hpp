// Files that must survive a crash (kill -9, power loss): a reader finds the old version or the
// new one, never half of one, and a file is on disk before anything that says it is.
//
// The order is what makes it durable: the data is written to a temporary file beside the
// target and fsync'ed, the temporary is renamed over the target, and the folder is fsync'ed
// (the rename itself is only on disk then). A rename without the first fsync can leave an
// empty file under the new name after a power cut; without the last one, no file at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace fw {

// Writes `data` to PATH.tmp, fsyncs it, renames it over `path` and fsyncs the folder.
// Throws Error(internal) naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> data);

// The same, written in pieces (a file too large to build in memory first): nothing is at
// `path` until commit(); a file dropped uncommitted leaves the old version and no temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(std::string_view data);
  void commit();

 private:
  std::filesystem::path path_, tmp_;
  int fd_ = -1;
};

// A file another library wrote and closed at `written` (libvips saving a TIFF) put in place
// the same way: fsync, rename to `path`, fsync of the folder.
void publish_file(const std::filesystem::path& written, const std::filesystem::path& path);

// An append-only record (journal.jsonl, the sim's reel.log): each append() is one write() and
// an fdatasync, so a crash leaves whole records and at most a torn last one. The folder is
// fsync'ed when the file is created, or the file could vanish with its synced records.
class AppendFile {
 public:
  enum class Open { keep, truncate };
  explicit AppendFile(std::filesystem::path path, Open mode = Open::keep);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  void append(std::string_view data);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// Moves `file` aside to the first free "NAME.N.EXT" beside it (plan.1.json, plan.2.json, ...),
// so that a record is kept rather than replaced; returns where it went. Throws Error(storage)
// naming both paths when it cannot be moved.
std::filesystem::path keep_aside(const std::filesystem::path& file);

// Throws Error(input) naming the path when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes all of `data` to the open descriptor `fd`, through short writes and signals; throws
// Error(internal) naming `path` on failure.
void write_all(int fd, std::string_view data, const std::filesystem::path& path);

// Test hook: told of every fsync, rename and folder fsync the functions above make, once it
// succeeded, from whichever thread made it (tests/support/page_cache.hpp plays a power cut
// with it). Production code installs none.
class DurabilityObserver {
 public:
  virtual ~DurabilityObserver() = default;
  virtual void synced(const std::filesystem::path& file) = 0;
  virtual void renamed(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  virtual void synced_folder(const std::filesystem::path& folder) = 0;
};
// Installs `observer` (null: none) and returns the one it replaces.
DurabilityObserver* set_durability_observer(DurabilityObserver* observer);

}  // namespace fw
