#include <future>

#include "base/sha256.hpp"
#include "ingest/ingest.hpp"

namespace fw {

std::string SourceHashes::get(const std::filesystem::path& file) {
  std::promise<std::string> promise;
  std::shared_future<std::string> result;
  bool compute = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = done_.try_emplace(file.lexically_normal().string());
    if (inserted) {
      it->second = promise.get_future().share();
      compute = true;
      order_.push_back(it->first);
    }
    result = it->second;
    // A caller still waiting on a dropped file's hash holds its own copy of the future.
    if (order_.size() > kKept) {
      done_.erase(order_.front());
      order_.pop_front();
    }
  }
  // Hash outside the lock: other files proceed in parallel, and callers for this file wait on
  // the future rather than on the mutex. A failure is stored and rethrown to every caller.
  if (compute) {
    try {
      promise.set_value(sha256_file(file));
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
  return result.get();
}

std::size_t SourceHashes::kept() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_.size();
}

}  // namespace fw
