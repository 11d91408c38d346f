#include "ops/queue.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"
#include "ingest/ingest.hpp"

namespace fw::ops {

namespace fs = std::filesystem;

QueueDir::QueueDir(const fs::path& root) : root_(fs::absolute(root).lexically_normal()) {
  std::error_code ec;
  if (fs::exists(root_, ec) && !fs::is_directory(root_, ec)) {
    throw Error(ErrorKind::usage, root_.string() + ": expected a queue folder, got a file");
  }
  for (const auto& folder : {incoming(), running(), done(), failed()}) {
    fs::create_directories(folder, ec);
    if (ec) {
      throw Error(ErrorKind::usage,
                  fmt::format("cannot create queue folder {}: {}", folder.string(), ec.message()));
    }
  }
}

std::vector<fs::path> QueueDir::jobs_in(const fs::path& folder) {
  std::vector<fs::path> jobs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".") || entry.path().extension() != ".toml") continue;
    if (!entry.is_regular_file()) continue;
    jobs.push_back(entry.path());
  }
  std::sort(jobs.begin(), jobs.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.filename().string(), b.filename().string());
  });
  return jobs;
}

fs::path QueueDir::sidecar(const fs::path& job, const std::string& ext) {
  return job.parent_path() / (job.stem().string() + "." + ext);
}

// Not const, though clang-tidy finds no member written: it moves a job between folders.
std::optional<fs::path> QueueDir::take_next() {  // NOLINT(readability-make-member-function-const)
  if (auto left = jobs_in(running()); !left.empty()) return left.front();
  for (const auto& job : jobs_in(incoming())) {
    // rename(2) is atomic: a job is in exactly one folder at any moment.
    const fs::path target = running() / job.filename();
    std::error_code ec;
    fs::rename(job, target, ec);
    if (!ec) return target;
  }
  return std::nullopt;
}

fs::path QueueDir::move_to(const fs::path& job, const fs::path& folder) const {
  const std::string stem = job.stem().string();
  std::string name = stem;
  for (int n = 2; fs::exists(folder / (name + ".toml")) || fs::exists(folder / (name + ".log")) ||
                  fs::exists(folder / (name + ".reason"));
       ++n) {
    name = fmt::format("{}-{}", stem, n);
  }
  fs::path target = folder / (name + ".toml");
  for (const std::string ext : {"log", "reason", "attempts"}) {
    const fs::path from = sidecar(job, ext);
    if (fs::exists(from)) fs::rename(from, folder / (name + "." + ext));
  }
  fs::rename(job, target);
  return target;
}

}  // namespace fw::ops
