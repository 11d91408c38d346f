// The record keeper: the pipeline's observer that makes every accepted frame durable.
// Per frame: one journal line, fsync'ed (the frame is done once it is on disk). The catalog
// gets the frames in batches of `batch_frames`, one SQLite transaction each, and at every
// reel's end: an fsync per frame is cheap beside rendering one, a transaction per frame is
// not, and the catalog is rebuilt from the journal on resume anyway.
//
// Resume (filmwriter convert --resume) after a crash: `plan_resume` replays the journal,
// applies the policy for the reel that was in the recorder and says where the pipeline
// starts again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/journal.hpp"
#include "catalog/record.hpp"
#include "film/plan.hpp"
#include "hal/recorder.hpp"
#include "job/job.hpp"

namespace fw {

// What the catalog knows about a job: its documents and their source files, from the plan.
CatalogJob catalog_job(const Job& job, const Plan& plan, const std::filesystem::path& job_dir);

class RecordKeeper final : public RunObserver {
 public:
  RecordKeeper(const std::filesystem::path& job_dir, Catalog& catalog, CatalogJob job,
               std::size_t batch_frames = 32);

  // A fresh job: the journal's "start" record (with `extra` keys, e.g. how to rerun the job)
  // and the job's rows in the catalog.
  void start(const Plan& plan, const nlohmann::json& extra);
  // A resumed job: the catalog rebuilt from `journal`, a "resume" record appended.
  void resume(const JournalState& journal, const std::string& policy);
  // The reel in the recorder is spoiled: its files move to `moved_to` (relative to the job
  // folder), it is re-planned from its first frame on fresh film.
  void spoil(const JournalReel& reel, const std::string& moved_to);

  void reel_loaded(const hal::ReelSpec& reel) override;
  void frame_exposed(const std::string& reel_id, std::uint64_t sequence,
                     const IndexRow& row) override;
  void reel_closed(const ClosedReel& reel) override;

  // Writes pending frames to the catalog and sets the job's status there; `finished` also
  // appends the journal's "finished" record.
  void finish(const std::string& status, bool finished);

  const std::filesystem::path& journal_file() const { return journal_.file(); }

 private:
  void flush();
  void release_documents();
  Journal journal_;
  Catalog& catalog_;
  CatalogJob job_;
  std::size_t batch_frames_;
  std::vector<CatalogFrame> pending_;
  std::map<std::string, std::uint32_t> attempts_;  // reel id -> current attempt
};

enum class ReelPolicy { continue_reel, respool };
ReelPolicy parse_reel_policy(const std::string& text);  // "continue" | "respool"

struct ResumePoint {
  std::size_t first_frame = 0;      // index into Plan::frames
  std::vector<IndexRow> reel_rows;  // the reel it falls in: its frames already on film
};

// Checks that `journal` belongs to this job and plan (Error(job) otherwise), applies `policy`
// to the reel that was in the recorder (closing it when all its frames were on film already,
// moving a spoiled reel's folder aside) and returns where the pipeline starts again.
ResumePoint plan_resume(const Job& job, const Plan& plan, const JournalState& journal,
                        ReelPolicy policy, hal::Recorder& recorder, RecordKeeper& keeper,
                        const std::filesystem::path& job_dir);

}  // namespace fw
