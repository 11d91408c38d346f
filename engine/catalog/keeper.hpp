// The record keeper: the pipeline's observer that makes every accepted frame durable.
// Per frame: one journal line, fsync'ed (the frame is done once it is on disk). The catalog
// gets the frames in batches of `batch_frames`, one SQLite transaction each, and at every
// reel's end: an fsync per frame is cheap beside rendering one, a transaction per frame is
// not, and the catalog is rebuilt from the journal on resume anyway.
//
// Resume (filmwriter convert --resume) after a stop: catalog/resume.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/journal.hpp"
#include "catalog/record.hpp"
#include "film/plan.hpp"
#include "hal/recorder.hpp"
#include "model/job.hpp"

namespace fw {

// What the catalog knows about a job: its documents and their source files, from the plan.
CatalogJob catalog_job(const Job& job, const Plan& plan, const std::filesystem::path& job_dir);

// Writes the job's current run into the catalog as its own records on disk say: the reels and
// frames from the journal, each closed reel's index.csv and manifest.sha256 checksums as they
// are now, and the job's status (done when the journal says finished, else interrupted).
// What `catalog rebuild` writes, and a resume of a finished job whose catalog fell behind.
void catalog_from_journal(Catalog& catalog, const CatalogJob& job, const JournalState& journal);

class RecordKeeper final : public RunObserver {
 public:
  RecordKeeper(const std::filesystem::path& job_dir, Catalog& catalog, CatalogJob job,
               std::size_t batch_frames = 32);

  // A fresh job: the journal's "start" record (with `extra` keys, e.g. how to rerun the job)
  // and the job's rows in the catalog.
  void start(const Plan& plan, const nlohmann::json& extra);
  // A resumed job: the catalog rebuilt from `journal`, a "resume" record appended (with `extra`'s
  // fields: what this run checked its sources by).
  void resume(const JournalState& journal, const std::string& policy,
              const nlohmann::json& extra = nlohmann::json::object());
  // The reel in the recorder is spoiled (`reason`): its files move to `moved_to` (relative to
  // the job folder), it is re-planned from its first frame on fresh film.
  void spoil(const JournalReel& reel, const std::string& moved_to, const std::string& reason);
  // The reel in the recorder holds only `on_film` of its journaled frames (the others died in
  // the device's buffer): they are exposed again. Read the journal again after this.
  void rewind(const JournalReel& reel, std::uint32_t on_film);
  // The job goes on with a new plan (sha256, frames, rendering) that differs from the old one
  // only from frame `from` on, which is not on film yet: `changes` say how.
  void replanned(const std::string& plan_sha256, std::size_t frames,
                 const nlohmann::ordered_json& rendering, const std::vector<std::string>& changes,
                 std::uint64_t from);

  void reel_loaded(const hal::ReelSpec& reel) override;
  void frame_exposed(const std::string& reel_id, std::uint64_t sequence,
                     const IndexRow& row) override;
  void reel_closed(const ClosedReel& reel) override;

  // Writes pending frames to the catalog and sets the job's status there, with an event of
  // that kind whose message is `reason` (the error that stopped a failed run), or "job STATUS";
  // `finished` also appends the journal's "finished" record.
  void finish(const std::string& status, bool finished, const std::string& reason = {});

  const std::filesystem::path& journal_file() const { return journal_.file(); }

  // A catalog that cannot be written during the run (locked past its busy timeout, disk full,
  // damaged: Error(storage)) does not stop the film: the frames go on into the journal, the
  // catalog gets nothing more this run, and this holds the first error ("" while every write
  // went through). `catalog rebuild` (or a resume) brings the catalog up to the journal.
  const std::string& catalog_error() const { return catalog_error_; }
  // Told once, when the catalog falls behind, with the error.
  std::function<void(const std::string& error)> on_catalog_error;

 private:
  template <class Write>
  void to_catalog(Write&& write);
  void flush();
  void release_documents();
  Journal journal_;
  Catalog& catalog_;
  CatalogJob job_;
  std::size_t batch_frames_;
  std::vector<CatalogFrame> pending_;
  std::map<std::string, std::uint32_t> attempts_;  // reel id -> current attempt
  std::string catalog_error_;
};

}  // namespace fw
