#include "api/settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "base/strings.hpp"
#include "catalog/catalog.hpp"
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
  add(o.oversize.has_value(), "--oversize");
  add(o.dpi.has_value(), "--dpi");
  add(o.id.has_value(), "--id");
  add(o.title.has_value(), "--title");
  add(o.site.has_value(), "--site");
  add(o.operator_name.has_value(), "--operator");
  add(o.reel_contents.has_value(), "--reel-contents");
  add(o.calibration.has_value(), "--calibration");
  add(!o.driver_options.empty(), "-O");
  add(!o.checksums.empty(), "--checksums");
  add(!r.profiles.empty(), "--profiles");
  add(!r.base_dir.empty(), "--base-dir");
  return flags;
}

// The job output folder `named` stands for: itself, or the one job of an --out folder; ""
// for a job file or a scans folder. An --out folder with several jobs is refused, listing them.
fs::path output_job_dir(const fs::path& named) {
  std::error_code ec;
  if (!fs::is_directory(named, ec)) return {};
  if (is_job_output(named)) return named;
  const auto jobs = jobs_in_output(named);
  if (jobs.size() > 1) {
    std::string names;
    for (const auto& j : jobs) names += "\n  " + j.string();
    throw Error(ErrorKind::usage, fmt::format("{} holds {} jobs; name one of them:{}",
                                              named.string(), jobs.size(), names));
  }
  return jobs.empty() ? fs::path() : jobs.front();
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  const bool same = fs::equivalent(a, b, ec);
  if (!ec) return same;
  return fs::absolute(a).lexically_normal() == fs::absolute(b).lexically_normal();
}

// A flag given to verify against what the job's film was made with: Error(usage) when they
// differ, naming the key, the recorded value and the flag's.
void refuse_contradictions(const JobRequest& flags, const JobSettings& recorded,
                           const fs::path& journal) {
  Job with_flags = recorded.job;
  JobOverrides overrides = flags.overrides;
  // --out and --id found the job; --threads is not a setting of its film.
  overrides.output.reset();
  overrides.id.reset();
  overrides.threads.reset();
  apply_overrides(with_flags, overrides);
  const Job& was = recorded.job;
  auto refuse = [&](const std::string& key, const std::string& recorded_value,
                    const std::string& flag) {
    throw Error(ErrorKind::usage,
                fmt::format("{}: job {} was filmed with {} = {}; {} contradicts it (drop the flag: "
                            "verify takes the settings the film was made with from the journal)",
                            journal.string(), was.id, key, recorded_value, flag));
  };
  auto number = [](const std::optional<double>& value) {
    return value ? fmt::format("{:g}", *value) : std::string("none");
  };
  const JobOverrides& o = flags.overrides;
  if (o.format && with_flags.format != was.format) {
    refuse("format", quote(was.format), "--format " + *o.format);
  }
  if (o.reduction && with_flags.defaults.reduction != was.defaults.reduction) {
    refuse("reduction", fmt::format("{:g}", was.defaults.reduction),
           fmt::format("--reduction {:g}", *o.reduction));
  }
  if (o.mode && with_flags.defaults.mode != was.defaults.mode) {
    refuse("mode", quote(to_string(was.defaults.mode)),
           fmt::format("--mode {}", to_string(*o.mode)));
  }
  if (o.polarity && with_flags.polarity != was.polarity) {
    refuse("polarity", quote(to_string(was.polarity)),
           fmt::format("--polarity {}", to_string(*o.polarity)));
  }
  if (o.oversize && with_flags.defaults.oversize != was.defaults.oversize) {
    refuse("oversize", quote(to_string(was.defaults.oversize)),
           fmt::format("--oversize {}", to_string(*o.oversize)));
  }
  if (o.dpi && with_flags.defaults.dpi != was.defaults.dpi) {
    refuse("dpi", number(was.defaults.dpi), fmt::format("--dpi {:g}", *o.dpi));
  }
  if (o.title && with_flags.title != was.title) {
    refuse("title", quote(was.title), "--title " + quote(*o.title));
  }
  if (o.site && with_flags.site != was.site) {
    refuse("site", was.site.empty() ? "none" : quote(was.site), "--site " + *o.site);
  }
  if (o.reel_contents && with_flags.reel_contents != was.reel_contents) {
    refuse("reel_contents", was.reel_contents ? "true" : "false", "--reel-contents");
  }
  // Every reel's declaration names the operator the job started with.
  if (o.operator_name && with_flags.operator_name != was.operator_name) {
    refuse("operator", was.operator_name.empty() ? "none" : quote(was.operator_name),
           "--operator " + quote(*o.operator_name));
  }
  if (o.driver && with_flags.driver != was.driver) {
    refuse("recorder.driver", quote(was.driver), "--driver " + *o.driver);
  }
  if (o.calibration && with_flags.calibration.profile != was.calibration.profile) {
    refuse("calibration",
           was.calibration.profile.empty() ? "the recorder's" : quote(was.calibration.profile),
           "--calibration " + *o.calibration);
  }
  for (const auto& [key, value] : o.driver_options) {
    // The engine's keys were resolved out of the driver options: compare them as given.
    const auto& options = hal::is_engine_option(key) ? recorded.engine_options : was.driver_options;
    const auto it = options.find(key);
    if (it == options.end() || it->second != value) {
      refuse("recorder.options." + key, it == options.end() ? "unset" : quote(it->second),
             fmt::format("-O {}={}", key, value));
    }
  }
  if (!flags.profiles.empty() && !same_file(flags.profiles, recorded.profiles_dir)) {
    refuse("the profiles folder", recorded.profiles_dir.string(),
           "--profiles " + flags.profiles.string());
  }
}

// The engine's settings given as driver options (the older spelling of --calibration and
// --profiles), taken out of the job's driver options into the job's calibration choice and the
// profiles folder, so that no driver sees them.
void resolve_engine_options(JobSettings& s) {
  hal::DriverOptions& options = s.job.driver_options;
  // Where a key came from, for messages: the -O flag or the job file's [recorder.options].
  const auto origin = [&](const std::string& key) {
    return s.request.overrides.driver_options.contains(key) ? "-O " + key
                                                            : "recorder.options." + key;
  };
  for (const std::string& key : hal::engine_option_keys()) {
    // An empty value chooses nothing, as it never did.
    if (auto value = hal::take_option(options, key); value && !value->empty()) {
      s.engine_options[key] = std::move(*value);
    }
  }
  const auto given = [&](const std::string& key) {
    const auto it = s.engine_options.find(key);
    return it == s.engine_options.end() ? std::string() : it->second;
  };
  // The recorder's own profiles (the sim's recorders and stocks) and the calibrations it is
  // calibrated with; formats, targets and fonts stay in the job's profiles folder.
  const std::string dir = given("profiles");
  s.recorder_profiles_dir = dir.empty() ? s.profiles_dir : fs::absolute(dir).lexically_normal();
  CalibrationChoice& choice = s.job.calibration;
  if (!choice.profile.empty()) {
    for (const char* key : {"calibration", "document_class", "tone"}) {
      if (given(key).empty()) continue;
      const std::string job_key = choice.line
                                      ? fmt::format("job file line {}: calibration", choice.line)
                                      : std::string("--calibration");
      throw Error(ErrorKind::job,
                  fmt::format("{} and {} both choose the calibration; keep only the job's "
                              "calibration key (or --calibration)",
                              job_key, origin(key)));
    }
    return;
  }
  // document_class and tone refine the calibration the options choose. Without one, the
  // calibration is the recorder's, which a job file cannot refine either ([calibration] needs
  // its profile), and the tone or class asked for would not be applied: refuse rather than
  // film without it.
  const std::string name = given("calibration");
  if (name.empty()) {
    for (const char* key : {"document_class", "tone"}) {
      if (given(key).empty()) continue;
      throw Error(ErrorKind::job,
                  fmt::format("{0}: {1} refines the calibration that calibration=NAME chooses, "
                              "and none is chosen (the recorder's own is used as its profile "
                              "says), so it would not be applied: name the calibration too "
                              "({2}calibration=NAME, or the job file's [calibration] table with "
                              "profile = \"NAME\" and {1})",
                              origin(key), key,
                              origin(key).starts_with("-O") ? "-O " : "recorder.options."));
    }
    return;
  }
  choice.profile = name;
  choice.chosen_by = "recorder options";
  choice.origin = "recorder.options.calibration";
  choice.document_class = given("document_class");
  if (const std::string text = given("tone"); !text.empty()) {
    char* end = nullptr;
    const double tone = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !(tone >= 0.2 && tone <= 5)) {
      throw Error(ErrorKind::job,
                  fmt::format("{}: expected a number 0.2–5, got \"{}\"", origin("tone"), text));
    }
    choice.tone = tone;
  }
}

}  // namespace

std::string default_site(const fs::path& job_dir) {
  // A job that has started keeps the site it started with, whichever host resumes it (a
  // shared queue's next worker has a FILMWRITER_SITE of its own): the journal's start record.
  std::ifstream journal(job_dir / "journal.jsonl");
  std::string first;
  if (journal && std::getline(journal, first)) {
    const auto start = nlohmann::json::parse(first, nullptr, false);
    if (start.is_object() && start.value("event", "") == "start") {
      return start.value("site", std::string());
    }
  }
  const char* env = std::getenv("FILMWRITER_SITE");
  if (env == nullptr || *env == '\0') return {};
  if (!is_site(env)) {
    throw Error(ErrorKind::usage,
                fmt::format("FILMWRITER_SITE: expected {}, got \"{}\"", site_rule(), env));
  }
  return env;
}

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
  // Absolute, as the journal records it: plan.json names the calibration file under it, and a
  // resume that takes the folder from the journal (no --profiles) must plan the same text.
  s.profiles_dir =
      fs::absolute(request.profiles.empty() ? default_profiles_dir() : request.profiles)
          .lexically_normal();
  resolve_engine_options(s);
  // --catalog, else the job's `catalog` key, else FILMWRITER_CATALOG, else
  // <output>/catalog.sqlite. A postgresql:// URL stays as written.
  s.catalog_file = !request.catalog.empty() ? request.catalog
                   : !s.job.catalog.empty() ? s.job.catalog
                                            : default_catalog(s.job.output / "catalog.sqlite");
  if (!is_catalog_url(s.catalog_file)) {
    s.catalog_file = fs::absolute(s.catalog_file).lexically_normal();
  }
  s.job_dir = s.job.output / s.job.id;
  if (s.job.site.empty()) s.job.site = default_site(s.job_dir);
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
  // The engine's keys, as resolve() takes them from a job's options.
  if (const auto dir = hal::take_option(s.options, "profiles"); dir && !dir->empty()) {
    s.recorder_profiles_dir = *dir;
  }
  for (const char* key : {"calibration", "document_class", "tone"}) {
    if (s.options.contains(key)) {
      throw Error(ErrorKind::usage,
                  fmt::format("-O {}: a job's density calibration, not a setting of the {} "
                              "recorder; drop it (calibrate measures the recorder without one)",
                              key, driver));
    }
  }
  return s;
}

std::unique_ptr<hal::Recorder> open_recorder(const JobSettings& settings,
                                             const hal::Registry& drivers) {
  return open_recorder(RecorderSettings{settings.job.driver, settings.job.driver_options,
                                        settings.profiles_dir, settings.recorder_profiles_dir},
                       drivers);
}

std::unique_ptr<hal::Recorder> open_recorder(const RecorderSettings& settings,
                                             const hal::Registry& drivers) {
  try {
    return drivers.open(settings.driver, settings.options,
                        {settings.recorder_profiles_dir.empty() ? settings.profiles_dir
                                                                : settings.recorder_profiles_dir});
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
  const fs::path job_dir = output_job_dir(named);
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

LocatedJob locate_job_as_run(const fs::path& named, const JobRequest& flags) {
  LocatedJob located;
  located.request = locate_job(named, flags);
  if (!output_job_dir(named).empty()) return located;  // the output's own record already
  // A job file or scans folder: where would the flags' job have put its output?
  const JobSettings asked = resolve(located.request);
  if (!is_job_output(asked.job_dir)) return located;  // never run: the flags are all there is
  const fs::path journal = asked.job_dir / "journal.jsonl";
  if (!read_journal(journal).start.contains("request")) return located;  // an older journal
  JobRequest recorded = recorded_request(asked.job_dir);
  if (!same_file(recorded.source, named)) {
    throw Error(ErrorKind::usage,
                fmt::format("{}: job {} was filmed from {}, not {}; name that job file or the "
                            "job's output folder {}",
                            journal.string(), asked.job.id, recorded.source.string(),
                            named.string(), asked.job_dir.string()));
  }
  located.recorded_flags = flags_text(recorded);
  // The output is where the journal was found (an output folder copied elsewhere is verified
  // where it is now, not where it was filmed).
  recorded.overrides.output = asked.job.output;
  recorded.overrides.id = asked.job.id;
  if (!flags.catalog.empty()) recorded.catalog = flags.catalog;
  refuse_contradictions(flags, resolve(recorded), journal);
  located.request = recorded;
  located.journal = journal;
  return located;
}

std::string flags_text(const JobRequest& r) {
  const JobOverrides& o = r.overrides;
  std::vector<std::string> words;
  auto add = [&](const char* flag, const std::string& value) {
    words.emplace_back(flag);
    // Quoted only where a shell would need it.
    const bool plain = !value.empty() && value.find_first_of(" \t\"'\\$`") == std::string::npos;
    words.push_back(plain ? value : quote(value));
  };
  if (o.output) add("--out", o.output->string());
  if (o.id) add("--id", *o.id);
  if (o.format) add("--format", *o.format);
  if (o.reduction) add("--reduction", fmt::format("{:g}", *o.reduction));
  if (o.mode) add("--mode", to_string(*o.mode));
  if (o.polarity) add("--polarity", to_string(*o.polarity));
  if (o.oversize) add("--oversize", to_string(*o.oversize));
  if (o.dpi) add("--dpi", fmt::format("{:g}", *o.dpi));
  if (o.title) add("--title", *o.title);
  if (o.site) add("--site", *o.site);
  if (o.operator_name) add("--operator", *o.operator_name);
  if (o.reel_contents.value_or(false)) words.emplace_back("--reel-contents");
  if (o.driver) add("--driver", *o.driver);
  if (o.calibration) add("--calibration", *o.calibration);
  for (const auto& [key, value] : o.driver_options) add("-O", key + "=" + value);
  if (o.threads) add("--threads", std::to_string(*o.threads));
  if (!r.profiles.empty()) add("--profiles", r.profiles.string());
  if (!r.base_dir.empty()) add("--base-dir", r.base_dir.string());
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  return text;
}

}  // namespace fw::api
