#include <future>

#include "core/files.hpp"
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
    }
    result = it->second;
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

}  // namespace fw
