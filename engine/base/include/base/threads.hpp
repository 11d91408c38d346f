// How many threads a stage runs on: an option of 0 means one per core.
#pragma once

#include <algorithm>
#include <thread>

namespace fw {

inline unsigned threads_or_all_cores(unsigned requested) {
  return requested != 0 ? requested : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace fw
