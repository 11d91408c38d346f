// Runs a plan: a oneTBB parallel_pipeline of
//   [serial, in order] next planned frame
//   [parallel]         render (decode, scale, place, code values, sha256), then
//                      Recorder::prepare (the driver's encoding and checksums)
//   [serial, in order] Recorder::expose (device I/O only), then the reel's index row
// At most `tokens` frames are in flight, so memory is bounded by tokens x frame size,
// never by the job's length.
//
// libvips threading: the pipeline parallelises across frames, so each frame is rendered by
// one libvips worker (init_vips(..., 1)). Letting libvips also spawn a pool per image would
// oversubscribe the cores and make memory per frame unpredictable.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "catalog/record.hpp"
#include "film/plan.hpp"
#include "hal/recorder.hpp"
#include "ingest/ingest.hpp"
#include "model/job.hpp"
#include "pipeline/preflight.hpp"
#include "render/render.hpp"

namespace fw {

class FrameSpool;

struct Progress {
  std::uint64_t frames_done = 0;
  std::uint64_t frames_total = 0;
  std::uint32_t reel = 0;
};

struct RunOptions {
  unsigned threads = 0;  // 0: one per core
  unsigned tokens = 0;   // frames in flight; 0: 2 x threads
  // Set by a signal handler: no frame goes to the recorder after it (the one being exposed
  // finishes, and the recorder writes what its buffer holds); frames in flight are dropped.
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const Progress&)> on_progress;
  // Told about each reel loaded and closed and each frame the recorder accepted (the journal
  // and the catalog); may be null.
  RunObserver* observer = nullptr;
  // Resume: start at plan.frames[first_frame]. When that is inside a reel, the reel already
  // holds `resumed_rows` (its earlier frames) and is loaded with ReelSpec::first_frame.
  std::size_t first_frame = 0;
  std::vector<IndexRow> resumed_rows;
  // The plan's frames, moved out of `plan.frames` so that a long job's run does not hold them
  // all (film/frame_spool.hpp); null: read from plan.frames.
  FrameSpool* spool = nullptr;
  // Before each reel's first exposure (and on resume, before the reel's next one), every page
  // it still has to film is decoded in full (pipeline/preflight.hpp), with `threads`. A page
  // that fails stops the job before the reel is loaded (Error(input) naming it: policy
  // `fail`) or is filmed as a substitute frame with the reason found (policy `substitute`).
  // false: a bad page is found by the render stage when the reel reaches it.
  bool preflight = true;
  std::function<void(const PreflightProgress&)> on_preflight_progress;
  // Each reel's preflight outcome, before the run acts on it (logs, warnings); may be empty.
  std::function<void(const PreflightReport&)> on_preflight;
};

struct ReelResult {
  std::string id;
  std::filesystem::path dir;
  std::uint32_t frames = 0;
  double film_used_m = 0;
  bool complete = false;
};

struct RunResult {
  std::uint64_t frames_exposed = 0;
  std::vector<ReelResult> reels;
};

// Renders and exposes every planned frame into `job_dir` (<output>/<job id>). On any error the
// reel in progress keeps an index and manifest of the frames the recorder accepted, and
// the error is rethrown with its reel, frame and source named.
RunResult run_plan(const Job& job, const Plan& plan, hal::Recorder& recorder,
                   const std::filesystem::path& job_dir, const RunOptions& options);

// Everything before the first exposure: the format, the sources (expand + probe, with each
// document's failure policy) and the plan. Pure but for reading the sources' headers.
// The scanned pages are not kept: the plan holds every page it films. `calibration_dir`: where
// a calibration is looked up by name (the recorder's profiles folder); empty: profiles_dir.
PreparedJob prepare_job(const Job& job, const hal::Capabilities& recorder,
                        const std::filesystem::path& profiles_dir,
                        const std::filesystem::path& calibration_dir = {});

}  // namespace fw
