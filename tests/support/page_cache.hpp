// A power cut, played at base's write layer (base/files.hpp's DurabilityObserver): what a disk
// would hold if the machine lost its page cache at a given moment. Only what filmwriter made
// durable survives: a file's bytes as of its last fsync, under the names its folder's last
// fsync recorded. A file renamed into place before its bytes were synced is empty; a name never
// synced into its folder is absent; a file written around base (no fsync at all) is absent.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/files.hpp"

namespace fw::test {

class PageCache final : public DurabilityObserver {
 public:
  using Disk = std::map<std::filesystem::path, std::string>;  // absolute path -> bytes

  PageCache();            // installs itself as the durability observer
  ~PageCache() override;  // and removes itself
  PageCache(const PageCache&) = delete;
  PageCache& operator=(const PageCache&) = delete;

  // The disk after a power cut now: every durable file under `root`.
  Disk disk(const std::filesystem::path& root) const;

  // Called after every change to what is durable (each is a moment a power cut can fall
  // between), from the thread that made it.
  std::function<void()> after_each_change;

  void synced(const std::filesystem::path& file) override;
  void renamed(const std::filesystem::path& from, const std::filesystem::path& to) override;
  void synced_folder(const std::filesystem::path& folder) override;

 private:
  struct Inode {
    std::optional<std::string> bytes;  // as of the last fsync; none: never synced
  };
  std::shared_ptr<Inode> live_inode(const std::filesystem::path& path);
  void changed() const;

  mutable std::mutex mutex_;
  std::map<std::filesystem::path, std::shared_ptr<Inode>> live_;  // names as the system sees them
  std::map<std::filesystem::path, std::shared_ptr<Inode>> durable_;  // names on the disk
  DurabilityObserver* replaced_ = nullptr;
};

}  // namespace fw::test
