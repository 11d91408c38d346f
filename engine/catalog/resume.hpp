// Resume (filmwriter convert --resume) after a stop: the journal says what reached the film,
// the device may say less (frames that died in its buffer), and the plan made now may differ
// from the one the job started with (a replaced source page). These decide where the run
// starts again, or refuse with what changed and what the operator can do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/journal.hpp"
#include "catalog/keeper.hpp"
#include "film/plan.hpp"
#include "hal/recorder.hpp"
#include "model/job.hpp"

namespace fw {

enum class ReelPolicy { continue_reel, respool };
ReelPolicy parse_reel_policy(const std::string& text);  // "continue" | "respool"
const char* to_string(ReelPolicy policy);

// The plan made now against the one the job started with (its plan.json and the rendering
// choices its journal recorded).
struct PlanChanges {
  std::vector<std::string> lines;  // each names a frame, file, profile or key: old → new
  bool global = false;             // more than frames changed: format, job, fonts, calibration...
  // The templates and fonts (plan.json's drawn_with) that are not as the job started with:
  // each is also a line, naming the file.
  std::vector<DrawnChange> drawn;
  // Only the templates and fonts changed, nothing else that decides every frame.
  bool only_drawn_files = false;
  std::size_t first_frame = 0;  // the first planned frame (0-based) that differs
  // Frames added or removed, or another kind of frame or another address in a frame's place:
  // the frames on film no longer line up with the plan's.
  bool frames_moved = false;
  bool changed() const { return !lines.empty(); }
};
PlanChanges compare_plans(const nlohmann::json& filmed, const nlohmann::json& now);

// Checks that `journal` belongs to this job and that the frames already on film are the ones
// the plan made now has there; Error(job) otherwise, naming each change and what to do. A plan
// that differs only after the point the run starts again from (with `policy`) is accepted:
// the returned changes are recorded by accept_new_plan().
PlanChanges check_resumable(const Job& job, const Plan& plan, const JournalState& journal,
                            ReelPolicy policy, const std::filesystem::path& job_dir);

// What the plan made now differs in from the one the journal's film was made with (plan.json
// and the rendering choices of the journal's start record): nothing when the hashes agree.
PlanChanges changes_since_filmed(const Job& job, const Plan& plan, const JournalState& journal,
                                 const std::filesystem::path& job_dir);

// A job whose journal says it finished: its film cannot take more, so the plan made now must
// be the one it was filmed with (a queue resumes every job it runs, and another job file with
// the same id must not pass as this one, done). Error(job) listing the changes otherwise.
void check_finished(const Job& job, const Plan& plan, const JournalState& journal,
                    const std::filesystem::path& job_dir);

// Records an accepted new plan: plan.json is replaced (the one filmed so far kept beside it as
// plan.N.json), the journal gets a "replanned" record with the changes.
void accept_new_plan(const Job& job, const Plan& plan, const PlanChanges& changes,
                     const JournalState& journal, RecordKeeper& keeper,
                     const std::filesystem::path& job_dir);

// Policy continue on a reel that holds frames needs a recorder that appends to it
// (hal::capability::append): Error(usage) naming the driver and the capability otherwise, before
// anything of the resume is recorded.
void require_resume_capabilities(const Job& job, const JournalState& journal, ReelPolicy policy,
                                 const hal::Recorder& recorder);

// Policy continue, before the catalog is rebuilt: asks the recorder how many frames of the
// reel in it reached its film and rewinds the journal to them. Returns the frames to expose
// again (0 when the film holds every journaled frame, or the device cannot tell: it lacks
// hal::capability::film_record, or its record does not know the reel).
std::uint32_t rewind_to_film(const Job& job, const Plan& plan, const JournalState& journal,
                             hal::Recorder& recorder, RecordKeeper& keeper,
                             const std::filesystem::path& job_dir);

struct ResumePoint {
  std::size_t first_frame = 0;      // index into Plan::frames
  std::vector<IndexRow> reel_rows;  // the reel it falls in: its frames already on film
};

// Applies `policy` to the reel that was in the recorder (closing it when all its frames were
// on film already, moving a spoiled reel's folder aside) and returns where the pipeline
// starts again. Call check_resumable() first.
ResumePoint plan_resume(const Job& job, const Plan& plan, const JournalState& journal,
                        ReelPolicy policy, hal::Recorder& recorder, RecordKeeper& keeper,
                        const std::filesystem::path& job_dir, const std::string& reason);

}  // namespace fw
