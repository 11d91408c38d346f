#include "catalog/resume.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "base/files.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kMaxLines = 8;

std::string show(const json& value) {
  std::string text = value.is_null() ? "(none)" : value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

// The leaves of `a` and `b` that differ, as "path: old → new".
void differences(const json& a, const json& b, const std::string& path,
                 std::vector<std::string>& out, std::size_t limit) {
  if (out.size() >= limit || a == b) return;
  const auto at = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      differences(value, b.contains(key) ? b.at(key) : json(), at(key), out, limit);
    }
    for (const auto& [key, value] : b.items()) {
      if (!a.contains(key)) differences(json(), value, at(key), out, limit);
    }
  } else if (a.is_array() && b.is_array()) {
    const std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i) {
      differences(a[i], b[i], fmt::format("{}[{}]", path, i), out, limit);
    }
    if (a.size() != b.size() && out.size() < limit) {
      out.push_back(fmt::format("{}: {} → {} entries", path, a.size(), b.size()));
    }
  } else {
    out.push_back(fmt::format("{}: {} → {}", path, show(a), show(b)));
  }
}

// "frame R0001-D001-0003 (document D001, page 3, /scans/p3.jpg)"
std::string frame_name(const json& frame) {
  std::string name = "frame " + frame.value("address", std::string("?"));
  const std::string document = frame.value("document", std::string());
  if (frame.value("kind", std::string()) == "page" || frame.contains("source")) {
    std::string detail = "document " + document;
    if (frame.value("page", 0) > 0) detail += fmt::format(", page {}", frame.value("page", 0));
    if (frame.contains("source") && frame.at("source").is_object()) {
      detail += ", " + frame.at("source").value("file", std::string());
    }
    name += " (" + detail + ")";
  }
  return name;
}

const json& frames_of(const json& plan) {
  static const json none = json::array();
  return plan.contains("frames") ? plan.at("frames") : none;
}

// The reel a frame of `plan` lies on ("R0002"), from its address.
std::string reel_of(const json& plan, std::size_t frame) {
  const json& frames = frames_of(plan);
  if (frame >= frames.size()) return "?";
  const std::string address = frames[frame].value("address", std::string());
  return address.substr(0, address.find('-'));
}

PlanChanges finish(PlanChanges changes, std::vector<std::string> lines, std::size_t more) {
  if (more > 0) lines.push_back(fmt::format("… and {} more difference(s)", more));
  changes.lines = std::move(lines);
  return changes;
}

}  // namespace

ReelPolicy parse_reel_policy(const std::string& text) {
  if (text == "continue") return ReelPolicy::continue_reel;
  if (text == "respool") return ReelPolicy::respool;
  throw Error(ErrorKind::usage, "expected continue or respool, got \"" + text + "\"");
}

const char* to_string(ReelPolicy policy) {
  return policy == ReelPolicy::respool ? "respool" : "continue";
}

namespace {

// Jobs started before the profiles folder was made absolute name their calibration file as
// --profiles was typed ("profiles/calibration/x.toml"); the same file (its sha256 and name)
// under the absolute folder is no change.
json as_filmed_calibration_file(const json& filmed, json now) {
  if (!filmed.is_object() || !now.is_object() || !filmed.contains("file") ||
      !now.contains("file") || !filmed.contains("sha256") || filmed["sha256"] != now["sha256"] ||
      !filmed["file"].is_string() || !now["file"].is_string()) {
    return now;
  }
  const fs::path was = filmed["file"].get<std::string>();
  const fs::path is = now["file"].get<std::string>();
  if (was.is_relative() && is.is_absolute() && is.filename() == was.filename()) {
    now["file"] = filmed["file"];
  }
  return now;
}

}  // namespace

PlanChanges compare_plans(const json& filmed, const json& now) {
  PlanChanges changes;
  changes.first_frame = SIZE_MAX;
  std::vector<std::string> lines;
  std::size_t more = 0;
  const auto add = [&](std::string line) {
    if (lines.size() < kMaxLines) {
      lines.push_back(std::move(line));
    } else {
      ++more;
    }
  };
  // What is not a frame decides every frame: the format, the job, fonts, calibration... The
  // reels and the skipped pages follow from the frames.
  bool other_global = false;
  for (const auto& [key, value] : filmed.items()) {
    if (key == "frames" || key == "reels" || key == "skipped") continue;
    const json other = now.contains(key) ? now.at(key) : json();
    if (value == other) continue;
    if (key == "calibration" && value == as_filmed_calibration_file(value, other)) {
      add(
          fmt::format("calibration.file: {} → {} (the same file: its sha256 is unchanged; the "
                      "profiles folder is now recorded absolute)",
                      show(value["file"]), show(other["file"])));
      continue;
    }
    changes.global = true;
    if (key == "drawn_with" && other.is_object()) {
      // A template or font: named by its file, not as drawn_with.templates[3].sha256.
      try {
        changes.drawn = changed_between(drawn_with_from_json(value), drawn_with_from_json(other));
      } catch (const json::exception&) {
        changes.drawn.clear();
      }
      if (!changes.drawn.empty()) {
        for (const DrawnChange& change : changes.drawn) add(describe(change, "the job started"));
        continue;
      }
    }
    other_global = true;
    std::vector<std::string> found;
    differences(value, other, key, found, 3);
    for (auto& line : found) add(std::move(line));
  }
  for (const auto& [key, value] : now.items()) {
    if (!filmed.contains(key)) {
      changes.global = true;
      other_global = true;
      add(fmt::format("{}: (none) → {}", key, show(value)));
    }
  }
  changes.only_drawn_files = changes.global && !other_global;
  const json& before = frames_of(filmed);
  const json& after = frames_of(now);
  const std::size_t common = std::min(before.size(), after.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (before[i] == after[i]) continue;
    changes.first_frame = std::min(changes.first_frame, i);
    for (const char* key : {"address", "kind"}) {
      if (before[i].value(key, json()) != after[i].value(key, json())) changes.frames_moved = true;
    }
    // A page that has become a substitute says why first (its folder gone, the file damaged);
    // then the source: a replaced file is what an operator looks for.
    std::vector<std::string> found;
    if (after[i].value("kind", "") == "substitute" && before[i].value("kind", "") != "substitute") {
      found.push_back("now a substitute: " + after[i].value("reason", std::string("?")));
    }
    const json none;
    const auto source = [&](const json& frame) -> const json& {
      return frame.contains("source") ? frame.at("source") : none;
    };
    differences(source(before[i]), source(after[i]), "source", found, 4);
    json rest_before = before[i], rest_after = after[i];
    rest_before.erase("source");
    rest_after.erase("source");
    differences(rest_before, rest_after, "", found, 4);
    std::string line = frame_name(before[i]) + ": ";
    for (std::size_t k = 0; k < found.size(); ++k) line += (k ? "; " : "") + found[k];
    add(std::move(line));
  }
  if (before.size() != after.size()) {
    changes.frames_moved = true;
    changes.first_frame = std::min(changes.first_frame, common);
    add(fmt::format("the plan has {} frames, {} when the job started", after.size(),
                    before.size()));
  }
  // The reels follow from the frames, unless what a reel records of them is counted otherwise
  // (its pages, which its end target films).
  if (lines.empty() && filmed.contains("reels") && now.contains("reels") &&
      filmed["reels"] != now["reels"]) {
    std::vector<std::string> found;
    differences(filmed["reels"], now["reels"], "reels", found, 3);
    for (auto& line : found) add(std::move(line));
  }
  return finish(std::move(changes), std::move(lines), more);
}

namespace {

// What differs between the plan made now and the one the journal's film was made with (its
// plan.json and the rendering choices of its start record); nothing when the hashes agree.
PlanChanges changes_since_start(const Job& job, const Plan& plan, const JournalState& journal,
                                const fs::path& job_dir, json& filmed) {
  const std::string where = (job_dir / "journal.jsonl").string();
  if (journal.job_id != job.id) {
    throw Error(ErrorKind::job,
                fmt::format("{}: the journal is job {}, not {}", where, journal.job_id, job.id));
  }
  if (journal.plan_sha256 == plan.hash(job) && journal.frames_planned == plan.frames.size()) {
    return {};
  }
  const fs::path plan_file = job_dir / "plan.json";
  json now;
  try {
    filmed = json::parse(read_file(plan_file));
    std::string text;
    plan.write_json(job, [&](std::string_view piece) { text += piece; });
    now = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::job, fmt::format("{}: the plan changed since the job started, and "
                                            "{} cannot be read to say what: {}",
                                            where, plan_file.string(), e.what()));
  }
  PlanChanges changes = compare_plans(filmed, now);
  if (journal.start.contains("rendering")) {
    const json rendering = plan.rendering(job);
    std::vector<std::string> found;
    differences(journal.start.at("rendering"), rendering, "rendering", found, 3);
    if (!found.empty()) changes.global = true;
    changes.lines.insert(changes.lines.begin(), found.begin(), found.end());
  }
  if (!changes.changed()) {
    // plan.json was written by this run's start; only the rendering choices are not in it.
    changes.global = true;
    changes.lines.emplace_back(
        "the rendering choices (polarity, mode, threshold, colour route) differ from the "
        "journal's");
  }
  return changes;
}

std::string change_lines(const PlanChanges& changes) {
  std::string list;
  for (const auto& line : changes.lines) list += "\n  " + line;
  return list;
}

}  // namespace

PlanChanges changes_since_filmed(const Job& job, const Plan& plan, const JournalState& journal,
                                 const fs::path& job_dir) {
  json filmed;
  return changes_since_start(job, plan, journal, job_dir, filmed);
}

void check_finished(const Job& job, const Plan& plan, const JournalState& journal,
                    const fs::path& job_dir) {
  const PlanChanges changes = changes_since_filmed(job, plan, journal, job_dir);
  if (!changes.changed()) return;
  // The first line says it all (a queue's failed/NAME.reason keeps the first line).
  throw Error(ErrorKind::job,
              fmt::format("{}: job {} finished filming another plan, so nothing of this job file "
                          "was filmed: if it is another job, give it its own id (its id key, or "
                          "--id); to film it in place of the finished one, --overwrite (the "
                          "catalog keeps the earlier run). What differs:{}",
                          (job_dir / "journal.jsonl").string(), job.id, change_lines(changes)));
}

PlanChanges check_resumable(const Job& job, const Plan& plan, const JournalState& journal,
                            ReelPolicy policy, const fs::path& job_dir) {
  const std::string where = (job_dir / "journal.jsonl").string();
  json filmed;
  PlanChanges changes = changes_since_start(job, plan, journal, job_dir, filmed);
  if (!changes.changed()) return changes;
  const JournalReel* in_recorder = journal.in_recorder();
  std::size_t resume_from = journal.next_sequence;
  if (policy == ReelPolicy::respool && in_recorder) resume_from = in_recorder->first_sequence;
  if (!changes.global && changes.first_frame >= resume_from) return changes;

  // The first line says it all, what to do included: a queue's failed/NAME.reason keeps only
  // it, and a job file queued under the id of an unfinished job lands here.
  constexpr const char* kAnotherJob =
      "if this job file is another job, give it an id of its own (its id key, or --id)";
  std::string advice;
  if (changes.only_drawn_files && !changes.drawn.empty()) {
    // One reel would carry targets (or addresses) of two kinds: film cannot be edited.
    std::string files;
    for (const DrawnChange& change : changes.drawn) {
      if (change.planned_sha256.empty()) continue;
      files += fmt::format("{}{} (sha256 {})", files.empty() ? "" : ", ", change.file,
                           short_sha256(change.planned_sha256));
    }
    advice = fmt::format(
        "the frames still to film would be drawn differently from those on film: put back {} "
        "as it was when the job started, or film the job again from the start as a new job with "
        "--overwrite; {}",
        files.empty() ? std::string("the files the job started with") : files, kAnotherJob);
  } else if (changes.global) {
    advice = fmt::format(
        "what changed touches every frame: put back what changed, or film the job again from the "
        "start with --overwrite; {}",
        kAnotherJob);
  } else if (in_recorder && changes.first_frame >= in_recorder->first_sequence) {
    advice = fmt::format(
        "the first change is on reel {}, which was in the recorder: resume with --reel-policy "
        "respool to film that reel again from its first frame with the new plan (its film is "
        "recorded as spoiled), or put back the file it was made from",
        in_recorder->id);
  } else {
    advice = fmt::format(
        "the first change is on reel {}, which is already on film: put back the file it was "
        "made from, or film the job again with --overwrite; {}",
        reel_of(filmed, changes.first_frame), kAnotherJob);
  }
  throw Error(ErrorKind::job,
              fmt::format("{}: the plan changed since the job started ({} of {} frames on film), "
                          "so job {} cannot resume onto the same film: {}. What differs:{}",
                          where, journal.next_sequence, journal.frames_planned, job.id, advice,
                          change_lines(changes)));
}

void accept_new_plan(const Job& job, const Plan& plan, const PlanChanges& changes,
                     const JournalState& journal, RecordKeeper& keeper, const fs::path& job_dir) {
  // The plan the film so far was made with stays beside the new one.
  const fs::path plan_file = job_dir / "plan.json";
  if (fs::exists(plan_file)) keep_aside(plan_file);
  AtomicFile file(plan_file);
  plan.write_json(job, [&](std::string_view piece) { file.write(piece); });
  file.commit();
  keeper.replanned(plan.hash(job), plan.frames.size(), plan.rendering(job), changes.lines,
                   journal.next_sequence);
}

void require_resume_capabilities(const Job& job, const JournalState& journal, ReelPolicy policy,
                                 const hal::Recorder& recorder) {
  const JournalReel* loaded = journal.in_recorder();
  if (policy != ReelPolicy::continue_reel || !loaded || loaded->rows.empty()) return;
  if (recorder.supports(hal::capability::append)) return;
  throw Error(ErrorKind::usage,
              fmt::format("{}: reel {} holds {} frame(s): {}; resume with --reel-policy respool "
                          "to film the reel again on fresh film",
                          job.id, loaded->id, loaded->rows.size(),
                          hal::lacks_capability(job.driver, hal::capability::append,
                                                "resuming with policy continue")));
}

std::uint32_t rewind_to_film(const Job& job, const Plan& plan, const JournalState& journal,
                             hal::Recorder& recorder, RecordKeeper& keeper,
                             const fs::path& job_dir) {
  const JournalReel* loaded = journal.in_recorder();
  if (!loaded || loaded->rows.empty()) return 0;
  const auto planned = std::ranges::find(plan.reels, loaded->id, &PlannedReel::id);
  if (planned == plan.reels.end()) return 0;  // plan_resume names it
  // A device without its own record of the film: every frame it accepted is on it.
  if (!recorder.supports(hal::capability::film_record)) return 0;
  std::optional<std::uint32_t> on_film;
  try {
    on_film = recorder.frames_on_film(plan.reel_spec(*planned, job.id, job_dir / loaded->id));
  } catch (const hal::DeviceError& e) {
    throw Error(ErrorKind::device,
                "reel " + loaded->id + ": resume: " + hal::to_string(e.kind()) + ": " + e.what());
  }
  if (!on_film || *on_film >= loaded->rows.size()) return 0;
  keeper.rewind(*loaded, *on_film);
  return static_cast<std::uint32_t>(loaded->rows.size()) - *on_film;
}

ResumePoint plan_resume(const Job& job, const Plan& plan, const JournalState& journal,
                        ReelPolicy policy, hal::Recorder& recorder, RecordKeeper& keeper,
                        const fs::path& job_dir, const std::string& reason) {
  const auto where = keeper.journal_file().string();
  ResumePoint point;
  point.first_frame = journal.next_sequence;
  const JournalReel* loaded = journal.in_recorder();
  if (!loaded) return point;
  const auto planned = std::ranges::find(plan.reels, loaded->id, &PlannedReel::id);
  if (planned == plan.reels.end()) {
    throw Error(ErrorKind::job, where + ": reel " + loaded->id + " is not in the plan");
  }
  const auto reel_dir = job_dir / loaded->id;
  if (policy == ReelPolicy::respool) {
    // The film in the recorder is lost: keep its files for the record, expose it again.
    const std::string moved_to = fmt::format("spoiled/{}-attempt{}", loaded->id, loaded->attempt);
    fs::create_directories(job_dir / "spoiled");
    if (fs::exists(reel_dir)) fs::rename(reel_dir, job_dir / moved_to);
    keeper.spoil(*loaded, moved_to, reason);
    point.first_frame = planned->first_frame;
    return point;
  }
  if (loaded->rows.size() < planned->frame_count) {
    point.reel_rows = loaded->rows;
    return point;
  }
  // Every frame of the reel was on film but the crash came before it was closed: close it.
  hal::ReelSpec spec = plan.reel_spec(*planned, job.id, reel_dir);
  spec.first_frame = static_cast<std::uint32_t>(loaded->rows.size() + 1);
  try {
    recorder.load(spec);
    keeper.reel_loaded(spec);
    const hal::ReelReport report = recorder.unload();
    ReelIndex index(reel_dir);
    for (const auto& row : loaded->rows) index.add(row);
    index.write(report.files, report.sha256);
    keeper.reel_closed({loaded->id, reel_dir, static_cast<std::uint32_t>(loaded->rows.size()),
                        report.film_used_m > 0 ? report.film_used_m : planned->film_used_m, true});
  } catch (const hal::DeviceError& e) {
    throw Error(ErrorKind::device,
                "reel " + loaded->id + ": resume: " + hal::to_string(e.kind()) + ": " + e.what());
  }
  return point;
}

}  // namespace fw
