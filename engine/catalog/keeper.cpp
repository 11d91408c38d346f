#include "catalog/keeper.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/files.hpp"

namespace fw {

CatalogJob catalog_job(const Job& job, const Plan& plan, const std::filesystem::path& job_dir) {
  CatalogJob out;
  out.id = job.id;
  out.title = job.title;
  out.institution = job.institution;
  out.dir = std::filesystem::absolute(job_dir).lexically_normal();
  out.plan_sha256 = plan.hash(job);
  out.format = plan.format.name;
  out.film_length_m = plan.reels.empty() ? 0 : plan.reels.front().film_length_m;
  for (const auto& doc : job.documents)
    out.documents.push_back({doc.id, doc.title, doc.metadata, {}});
  for (const auto& frame : plan.frames) {
    if (frame.source.ref.file.empty()) continue;
    auto& files = out.documents[frame.document].source_files;
    const std::string& file = frame.source.ref.file;
    if (files.empty() || files.back() != file) files.push_back(file);
  }
  return out;
}

RecordKeeper::RecordKeeper(const std::filesystem::path& job_dir, Catalog& catalog, CatalogJob job,
                           std::size_t batch_frames)
    : journal_(job_dir / "journal.jsonl"),
      catalog_(catalog),
      job_(std::move(job)),
      batch_frames_(batch_frames) {}

void RecordKeeper::start(const Plan& plan, const nlohmann::json& extra) {
  nlohmann::json record = {{"event", "start"},
                           {"job", job_.id},
                           {"plan_sha256", job_.plan_sha256},
                           {"frames", plan.frames.size()},
                           {"reels", plan.reels.size()}};
  record.update(extra);
  journal_.append(record);
  catalog_.start_job(job_);
  release_documents();
  catalog_.add_event(
      job_.id, "start",
      fmt::format("{} frames on {} reel(s) planned", plan.frames.size(), plan.reels.size()));
}

void RecordKeeper::resume(const JournalState& journal, const std::string& policy) {
  catalog_.sync_job(job_, journal);
  release_documents();
  for (const auto& reel : journal.reels) attempts_[reel.id] = reel.attempt;
  journal_.append({{"event", "resume"}, {"policy", policy}, {"next_seq", journal.next_sequence}});
  catalog_.add_event(job_.id, "resume",
                     fmt::format("resumed at frame {} of the plan (policy {})",
                                 journal.next_sequence + 1, policy));
}

void RecordKeeper::release_documents() {
  // The catalog holds them now; a long job's list of source files is not kept for the run.
  std::vector<CatalogDocument>().swap(job_.documents);
}

void RecordKeeper::spoil(const JournalReel& reel, const std::string& moved_to) {
  flush();
  const std::uint32_t attempt = attempts_.count(reel.id) ? attempts_[reel.id] : reel.attempt;
  journal_.append({{"event", "reel_spoiled"},
                   {"reel", reel.id},
                   {"attempt", attempt},
                   {"frames", reel.rows.size()},
                   {"moved_to", moved_to}});
  catalog_.reel_closed(job_.id, {job_.id,
                                 reel.id,
                                 attempt,
                                 "spoiled",
                                 static_cast<std::uint32_t>(reel.rows.size()),
                                 0,
                                 "",
                                 "",
                                 {}});
  catalog_.add_event(job_.id, "reel_spoiled",
                     fmt::format("reel {} attempt {} spoiled after {} frames; files in {}", reel.id,
                                 attempt, reel.rows.size(), moved_to));
  attempts_[reel.id] = attempt + 1;
}

void RecordKeeper::reel_loaded(const hal::ReelSpec& reel) {
  journal_.append(
      {{"event", "reel_loaded"}, {"reel", reel.reel_id}, {"first_frame", reel.first_frame}});
  auto [it, inserted] = attempts_.try_emplace(reel.reel_id, 1);
  catalog_.reel_loaded(job_.id, reel.reel_id, it->second, reel.film_length_m);
}

void RecordKeeper::frame_exposed(const std::string& reel_id, std::uint64_t sequence,
                                 const IndexRow& row) {
  journal_.append(frame_record(reel_id, sequence, row));
  pending_.push_back({job_.id, reel_id, row, {}, {}});
  if (pending_.size() >= batch_frames_) flush();
}

void RecordKeeper::reel_closed(const ClosedReel& reel) {
  flush();
  journal_.append({{"event", "reel_closed"},
                   {"reel", reel.id},
                   {"complete", reel.complete},
                   {"frames", reel.frames},
                   {"film_used_m", reel.film_used_m}});
  const auto index = reel.dir / "index.csv";
  const auto manifest = reel.dir / "manifest.sha256";
  catalog_.reel_closed(job_.id, {job_.id,
                                 reel.id,
                                 attempts_[reel.id],
                                 reel.complete ? "complete" : "incomplete",
                                 reel.frames,
                                 reel.film_used_m,
                                 sha256_file(index),
                                 sha256_file(manifest),
                                 {}});
}

void RecordKeeper::flush() {
  catalog_.add_frames(job_.id, pending_);
  pending_.clear();
}

void RecordKeeper::finish(const std::string& status, bool finished) {
  flush();
  if (finished) journal_.append({{"event", "finished"}});
  catalog_.set_job_status(job_.id, status);
  catalog_.add_event(job_.id, status, "job " + status);
}

ReelPolicy parse_reel_policy(const std::string& text) {
  if (text == "continue") return ReelPolicy::continue_reel;
  if (text == "respool") return ReelPolicy::respool;
  throw Error(ErrorKind::usage, "expected continue or respool, got \"" + text + "\"");
}

ResumePoint plan_resume(const Job& job, const Plan& plan, const JournalState& journal,
                        ReelPolicy policy, hal::Recorder& recorder, RecordKeeper& keeper,
                        const std::filesystem::path& job_dir) {
  const auto where = keeper.journal_file().string();
  if (journal.job_id != job.id) {
    throw Error(ErrorKind::job,
                fmt::format("{}: the journal is job {}, not {}", where, journal.job_id, job.id));
  }
  if (journal.plan_sha256 != plan.hash(job) || journal.frames_planned != plan.frames.size()) {
    throw Error(ErrorKind::job,
                where +
                    ": the plan changed since the job started (job file, sources or "
                    "profiles differ); cannot resume onto the same film");
  }
  ResumePoint point;
  point.first_frame = journal.next_sequence;
  const JournalReel* loaded = journal.in_recorder();
  if (!loaded) return point;
  const PlannedReel* planned = nullptr;
  for (const auto& reel : plan.reels) {
    if (reel.id == loaded->id) planned = &reel;
  }
  if (!planned) throw Error(ErrorKind::job, where + ": reel " + loaded->id + " is not in the plan");
  const auto reel_dir = job_dir / loaded->id;
  if (policy == ReelPolicy::respool) {
    // The film in the recorder is lost: keep its files for the record, expose it again.
    const std::string moved_to = fmt::format("spoiled/{}-attempt{}", loaded->id, loaded->attempt);
    std::filesystem::create_directories(job_dir / "spoiled");
    if (std::filesystem::exists(reel_dir)) std::filesystem::rename(reel_dir, job_dir / moved_to);
    keeper.spoil(*loaded, moved_to);
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
