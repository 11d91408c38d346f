#include "catalog/keeper.hpp"

#include <fmt/format.h>

#include "base/sha256.hpp"
#include "core/error.hpp"

namespace fw {

CatalogJob catalog_job(const Job& job, const Plan& plan, const std::filesystem::path& job_dir) {
  CatalogJob out;
  out.site = job.site;
  out.id = job.id;
  out.title = job.title;
  out.institution = job.institution;
  out.operator_name = job.operator_name;
  out.dir = std::filesystem::absolute(job_dir).lexically_normal();
  out.plan_sha256 = plan.hash(job);
  out.format = plan.format.name;
  out.film_length_m = plan.reels.empty() ? 0 : plan.reels.front().film_length_m;
  for (const auto& doc : job.documents) {
    CatalogDocument document{doc.id, doc.title, doc.metadata, {}, {}};
    for (const TocEntry& entry : doc.toc) {
      document.toc.push_back({entry.title, entry.page, entry.level, entry.metadata});
    }
    out.documents.push_back(std::move(document));
  }
  for (const auto& frame : plan.frames) {
    if (frame.source.ref.file.empty()) continue;
    auto& files = out.documents[frame.document].source_files;
    const std::string& file = frame.source.ref.file;
    if (files.empty() || files.back() != file) files.push_back(file);
  }
  return out;
}

void catalog_from_journal(Catalog& catalog, const CatalogJob& job, const JournalState& journal) {
  catalog.sync_job(job, journal);
  for (const JournalReel& reel : journal.reels) {
    if (reel.spoiled || !reel.closed) continue;
    const auto dir = job.dir / reel.id;
    std::error_code ec;
    const auto checksum = [&](const char* name) {
      return std::filesystem::is_regular_file(dir / name, ec) ? sha256_file(dir / name)
                                                              : std::string();
    };
    catalog.reel_closed(job.id, {job.id,
                                 reel.id,
                                 reel.attempt,
                                 reel.complete ? "complete" : "incomplete",
                                 static_cast<std::uint32_t>(reel.rows.size()),
                                 reel.film_used_m,
                                 checksum("index.csv"),
                                 checksum("manifest.sha256"),
                                 {},
                                 1,
                                 ""});
  }
  catalog.set_job_status(job.id, journal.finished ? "done" : "interrupted");
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

void RecordKeeper::resume(const JournalState& journal, const std::string& policy,
                          const nlohmann::json& extra) {
  catalog_.sync_job(job_, journal);
  release_documents();
  for (const auto& reel : journal.reels) attempts_[reel.id] = reel.attempt;
  nlohmann::json record = {
      {"event", "resume"}, {"policy", policy}, {"next_seq", journal.next_sequence}};
  record.update(extra);
  journal_.append(record);
  catalog_.add_event(job_.id, "resume",
                     fmt::format("resumed at frame {} of the plan (policy {})",
                                 journal.next_sequence + 1, policy));
}

void RecordKeeper::release_documents() {
  // The catalog holds them now; a long job's list of source files is not kept for the run.
  std::vector<CatalogDocument>().swap(job_.documents);
}

void RecordKeeper::spoil(const JournalReel& reel, const std::string& moved_to,
                         const std::string& reason) {
  flush();
  const std::uint32_t attempt = attempts_.count(reel.id) ? attempts_[reel.id] : reel.attempt;
  journal_.append({{"event", "reel_spoiled"},
                   {"reel", reel.id},
                   {"attempt", attempt},
                   {"frames", reel.rows.size()},
                   {"moved_to", moved_to},
                   {"reason", reason}});
  to_catalog([&] {
    catalog_.reel_closed(job_.id, {job_.id,
                                   reel.id,
                                   attempt,
                                   "spoiled",
                                   static_cast<std::uint32_t>(reel.rows.size()),
                                   0,
                                   "",
                                   "",
                                   {},
                                   1,
                                   ""});
    catalog_.add_event(job_.id, "reel_spoiled",
                       fmt::format("reel {} attempt {} spoiled after {} frames ({}); files in {}",
                                   reel.id, attempt, reel.rows.size(), reason, moved_to));
  });
  attempts_[reel.id] = attempt + 1;
}

void RecordKeeper::rewind(const JournalReel& reel, std::uint32_t on_film) {
  flush();
  const auto journaled = static_cast<std::uint32_t>(reel.rows.size());
  journal_.append({{"event", "reel_rewound"},
                   {"reel", reel.id},
                   {"frames", on_film},
                   {"lost", journaled - on_film}});
  to_catalog([&] {
    catalog_.add_event(job_.id, "reel_rewound",
                       fmt::format("reel {}: the film ends at frame {}; frames {}–{} were in the "
                                   "recorder's buffer when it stopped and are exposed again",
                                   reel.id, on_film, on_film + 1, journaled));
  });
}

void RecordKeeper::replanned(const std::string& plan_sha256, std::size_t frames,
                             const nlohmann::ordered_json& rendering,
                             const std::vector<std::string>& changes, std::uint64_t from) {
  flush();
  job_.plan_sha256 = plan_sha256;
  journal_.append({{"event", "replanned"},
                   {"plan_sha256", plan_sha256},
                   {"frames", frames},
                   {"rendering", rendering},
                   {"from_seq", from},
                   {"changes", changes}});
  std::string list;
  for (const auto& line : changes) list += "; " + line;
  to_catalog([&] {
    catalog_.add_event(job_.id, "replanned",
                       fmt::format("the plan changed from frame {} on, which was not on film yet{}",
                                   from + 1, list));
  });
}

void RecordKeeper::reel_loaded(const hal::ReelSpec& reel) {
  journal_.append(
      {{"event", "reel_loaded"}, {"reel", reel.reel_id}, {"first_frame", reel.first_frame}});
  const std::uint32_t attempt = attempts_.try_emplace(reel.reel_id, 1).first->second;
  to_catalog([&] { catalog_.reel_loaded(job_.id, reel.reel_id, attempt, reel.film_length_m); });
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
  to_catalog([&] {
    catalog_.reel_closed(job_.id, {job_.id,
                                   reel.id,
                                   attempts_[reel.id],
                                   reel.complete ? "complete" : "incomplete",
                                   reel.frames,
                                   reel.film_used_m,
                                   sha256_file(index),
                                   sha256_file(manifest),
                                   {},
                                   1,
                                   ""});
  });
}

template <class Write>
void RecordKeeper::to_catalog(Write&& write) {
  if (!catalog_error_.empty()) return;  // behind the journal for the rest of the run
  try {
    write();
  } catch (const Error& e) {
    // A server that went away stops the job (a shared queue's worker resumes it when the
    // server is back); a file that cannot be written must not spoil film in the recorder.
    if (e.kind() != ErrorKind::storage) throw;
    catalog_error_ = e.what();
    if (on_catalog_error) on_catalog_error(catalog_error_);
  }
}

void RecordKeeper::flush() {
  to_catalog([&] { catalog_.add_frames(job_.id, pending_); });
  pending_.clear();
}

void RecordKeeper::finish(const std::string& status, bool finished, const std::string& reason) {
  flush();
  if (finished) journal_.append({{"event", "finished"}});
  to_catalog([&] {
    catalog_.set_job_status(job_.id, status);
    catalog_.add_event(job_.id, status, reason.empty() ? "job " + status : reason);
  });
}

}  // namespace fw
