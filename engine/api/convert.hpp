// plan, convert and resume: a job's settings in, reels on film (or a plan) out. The CLI parses
// flags into JobSettings and ConvertOptions, calls convert(), and prints what the listener and
// the result tell it; everything between (the overwrite rule, the catalog, the journal, the
// resume sequence, preflight, the frame spool, finishing after an error) happens here.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "api/settings.hpp"
#include "catalog/keeper.hpp"
#include "catalog/resume.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/preflight.hpp"

namespace fw::api {

struct ConvertOptions {
  enum class Mode {
    convert,  // expose the frames
    plan,     // write plan.json, expose nothing
    dry_run,  // read every header and plan; write nothing
  };
  Mode mode = Mode::convert;
  bool decode_all = false;  // plan and dry run: decode every page of the job in full
  bool overwrite = false;   // replace the reels of an earlier run in the job's folder
  bool resume = false;      // continue from the job's journal
  ReelPolicy reel_policy = ReelPolicy::continue_reel;
  bool preflight = true;                    // decode each reel's pages before its first exposure
  unsigned tokens = 0;                      // frames in flight; 0: the pipeline's default
  const std::atomic<bool>* stop = nullptr;  // SIGINT/SIGTERM: stop after the frames in flight
  bool progress_bar = false;                // a terminal: draw progress bars on stderr
};

// What an operator sees while a job is prepared and run; the CLI prints it. Progress, reels
// and the summary go through ops::Log (text or JSON lines) as the run goes.
class ConvertListener {
 public:
  virtual ~ConvertListener() = default;
  virtual void planned(const JobSettings&, const PreparedJob&) {}
  virtual void decoded(const PreflightReport&) {}  // decode_all: every page of the job
  // Resume starts at plan frame `first` (0-based) of `frames`.
  virtual void resuming(std::size_t /*first*/, std::size_t /*frames*/, ReelPolicy) {}
  virtual void note(const std::string&) {}   // a line worth telling ("kept 2 inspections ...")
  virtual void exposed(const RunResult&) {}  // the run is over: where the reels are
};

struct ConvertResult {
  std::filesystem::path job_dir;
  std::filesystem::path plan_json;  // empty for a dry run
  RunResult run;                    // the reels exposed (empty for plan and dry run)
  bool already_finished = false;    // resume of a job that had finished: nothing to do
  std::uint64_t warnings = 0;
};

// Throws fw::Error with its kind (exit code) and context; a run that fails keeps what the
// recorder accepted (index, manifest, journal, catalog) before the error leaves.
ConvertResult convert(const JobSettings& settings, const hal::Registry& drivers,
                      const ConvertOptions& options, ConvertListener& listener);

}  // namespace fw::api
