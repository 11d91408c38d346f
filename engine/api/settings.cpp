#include "api/settings.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/files.hpp"
#include "catalog/journal.hpp"
#include "core/error.hpp"
#include "film/format.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

bool is_job_output(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "journal.jsonl", ec);
}

// The job flags a request carries, by their command-line names (for the refusal below).
std::vector<std::string> job_flags(const JobRequest& r) {
  const JobOverrides& o = r.overrides;
  std::vector<std::string> flags;
  auto add = [&](bool given, const char* flag) {
    if (given) flags.emplace_back(flag);
  };
  add(o.output.has_value(), "--out");
  add(o.driver.has_value(), "--driver");
  add(o.threads.has_value(), "--threads");
  add(o.format.has_value(), "--format");
  add(o.reduction.has_value(), "--reduction");
  add(o.mode.has_value(), "--mode");
  add(o.polarity.has_value(), "--polarity");
  add(o.dpi.has_value(), "--dpi");
  add(o.id.has_value(), "--id");
  add(o.title.has_value(), "--title");
  add(o.calibration.has_value(), "--calibration");
  add(!o.driver_options.empty(), "-O");
  add(!r.profiles.empty(), "--profiles");
  add(!r.base_dir.empty(), "--base-dir");
  return flags;
}

}  // namespace

JobSettings resolve(const JobRequest& request) {
  JobSettings s;
  s.request = request;
  if (fs::is_directory(request.source)) {
    s.job = job_from_directory(request.source, request.overrides);
  } else {
    if (request.base_dir.empty()) {
      s.job = load_job(request.source);
    } else {
      std::string text;
      try {
        text = read_file(request.source);
      } catch (const Error& e) {
        throw Error(ErrorKind::job, e.what());
      }
      s.job = parse_job(text, request.source.string(), request.base_dir);
      s.job.file = fs::absolute(request.source).lexically_normal();
    }
    apply_overrides(s.job, request.overrides);
  }
  s.profiles_dir = request.profiles.empty() ? default_profiles_dir() : request.profiles;
  // --catalog, else the job's `catalog` key, else <output>/catalog.sqlite.
  s.catalog_file = !request.catalog.empty() ? request.catalog
                   : !s.job.catalog.empty() ? s.job.catalog
                                            : s.job.output / "catalog.sqlite";
  s.catalog_file = fs::absolute(s.catalog_file).lexically_normal();
  s.job_dir = s.job.output / s.job.id;
  return s;
}

RecorderSettings resolve_recorder(const std::string& driver,
                                  const std::vector<std::string>& options,
                                  const std::filesystem::path& profiles) {
  RecorderSettings s;
  s.driver = driver;
  for (const auto& kv : options) {
    auto [key, value] = parse_key_value(kv, "--driver-option");
    s.options[key] = std::move(value);
  }
  s.profiles_dir = profiles.empty() ? default_profiles_dir() : profiles;
  return s;
}

std::unique_ptr<hal::Recorder> open_recorder(const JobSettings& settings,
                                             const hal::Registry& drivers) {
  return open_recorder(
      RecorderSettings{settings.job.driver, settings.job.driver_options, settings.profiles_dir},
      drivers);
}

std::unique_ptr<hal::Recorder> open_recorder(const RecorderSettings& settings,
                                             const hal::Registry& drivers) {
  try {
    return drivers.open(settings.driver, settings.options, {settings.profiles_dir});
  } catch (const hal::DeviceError& e) {
    // A recorder that refuses the job's options is a job problem; one that is not there, the
    // device's.
    const auto kind =
        e.kind() == hal::DeviceErrorKind::bad_option ? ErrorKind::job : ErrorKind::device;
    throw Error(kind, std::string("recorder: ") + e.what());
  }
}

std::vector<fs::path> jobs_in_output(const fs::path& out) {
  std::vector<fs::path> jobs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(out, ec)) {
    if (entry.is_directory() && is_job_output(entry.path())) jobs.push_back(entry.path());
  }
  std::sort(jobs.begin(), jobs.end());
  return jobs;
}

JobRequest recorded_request(const fs::path& job_dir) {
  const fs::path journal = job_dir / "journal.jsonl";
  const JournalState state = read_journal(journal);
  if (!state.start.contains("request")) {
    throw Error(ErrorKind::job, fmt::format("{}:1: the start record names no job request (a job "
                                            "started by an older filmwriter): name its job file",
                                            journal.string()));
  }
  return JobRequest::from_json(state.start.at("request"), journal.string() + ":1");
}

JobRequest locate_job(const fs::path& named, const JobRequest& flags) {
  std::error_code ec;
  if (!fs::exists(named, ec)) {
    throw Error(ErrorKind::usage, named.string() + ": no such job file or folder");
  }
  fs::path job_dir;
  if (fs::is_directory(named)) {
    if (is_job_output(named)) {
      job_dir = named;
    } else if (const auto jobs = jobs_in_output(named); !jobs.empty()) {
      if (jobs.size() > 1) {
        std::string names;
        for (const auto& j : jobs) names += "\n  " + j.string();
        throw Error(ErrorKind::usage, fmt::format("{} holds {} jobs; name one of them:{}",
                                                  named.string(), jobs.size(), names));
      }
      job_dir = jobs.front();
    }
  }
  if (job_dir.empty()) {
    // A job file, or a scans folder: the flags complete it, as they did for convert.
    JobRequest request = flags;
    request.source = named;
    return request;
  }
  if (const auto given = job_flags(flags); !given.empty()) {
    std::string list;
    for (const auto& f : given) list += (list.empty() ? "" : ", ") + f;
    throw Error(ErrorKind::usage,
                fmt::format("{}: a job's output carries the settings its film was made with; "
                            "drop {} (or name the job file to plan it anew)",
                            job_dir.string(), list));
  }
  JobRequest request = recorded_request(job_dir);
  if (!flags.catalog.empty()) request.catalog = flags.catalog;
  return request;
}

std::unique_ptr<ops::InstanceLock> lock_job(const std::filesystem::path& job_dir) {
  const std::filesystem::path dir = job_dir.lexically_normal();
  const std::filesystem::path parent = dir.parent_path().empty() ? "." : dir.parent_path();
  std::filesystem::create_directories(parent);
  try {
    return std::make_unique<ops::InstanceLock>(parent / ("." + dir.filename().string() + ".lock"));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::busy) throw;
    throw Error(ErrorKind::busy,
                fmt::format("job {} is being written by another filmwriter ({}); wait for it to "
                            "end, or stop it and run `filmwriter convert --resume {}`",
                            dir.string(), e.what(), dir.string()));
  }
}

}  // namespace fw::api
