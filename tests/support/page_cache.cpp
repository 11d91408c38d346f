#include "support/page_cache.hpp"

#include <algorithm>

#include "base/files.hpp"

namespace fw::test {
namespace {

std::filesystem::path normal(const std::filesystem::path& path) {
  return std::filesystem::absolute(path).lexically_normal();
}

bool under(const std::filesystem::path& path, const std::filesystem::path& root) {
  const auto [end, ignored] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return end == root.end();
}

}  // namespace

PageCache::PageCache() : replaced_(set_durability_observer(this)) {}

PageCache::~PageCache() {
  set_durability_observer(replaced_);
}

std::shared_ptr<PageCache::Inode> PageCache::live_inode(const std::filesystem::path& path) {
  auto& inode = live_[path];
  if (!inode) inode = std::make_shared<Inode>();  // a file the model had not heard of
  return inode;
}

void PageCache::synced(const std::filesystem::path& file) {
  {
    const std::lock_guard lock(mutex_);
    live_inode(normal(file))->bytes = read_file(file);
  }
  changed();
}

void PageCache::renamed(const std::filesystem::path& from, const std::filesystem::path& to) {
  {
    const std::lock_guard lock(mutex_);
    const auto inode = live_inode(normal(from));
    live_.erase(normal(from));
    live_[normal(to)] = inode;
  }
  changed();
}

void PageCache::synced_folder(const std::filesystem::path& folder) {
  {
    const std::lock_guard lock(mutex_);
    const auto dir = normal(folder);
    // Names removed since (std::filesystem::remove does not go through base) are gone.
    std::erase_if(live_, [&](const auto& entry) {
      return entry.first.parent_path() == dir && !std::filesystem::exists(entry.first);
    });
    std::erase_if(durable_, [&](const auto& entry) {
      return entry.first.parent_path() == dir && !live_.contains(entry.first);
    });
    for (const auto& [path, inode] : live_) {
      if (path.parent_path() == dir) durable_[path] = inode;
    }
  }
  changed();
}

void PageCache::changed() const {
  if (after_each_change) after_each_change();
}

PageCache::Disk PageCache::disk(const std::filesystem::path& root) const {
  const std::lock_guard lock(mutex_);
  const auto top = normal(root);
  Disk disk;
  for (const auto& [path, inode] : durable_) {
    if (under(path, top)) disk[path] = inode->bytes.value_or("");
  }
  return disk;
}

}  // namespace fw::test
