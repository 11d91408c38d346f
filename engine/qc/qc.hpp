// Verification (QC) of what the recorder produced: `filmwriter verify` reads each reel's
// developed film (the simulated recorder's now; a scan of real film later, through the same
// files) and checks it against the plan, the index and the job's sources:
//   completeness and order (every planned frame once, in order, blip level and frame mark
//   read back), densities (background per page frame, base + fog, uniformity within a frame
//   and along the reel), resolution on the technical target (modulation per chart group,
//   finest resolved group, quality index), content (SSIM of each frame against its source
//   rendered again the same way). Limits come from profiles/qc/<name>.toml.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "film/plan.hpp"
#include "model/job.hpp"

namespace fw {

// profiles/qc/<name>.toml (docs/micrographics.md#density-aims-and-limits,
// #resolution-and-the-quality-index and #density-and-resolution).
struct QcProfile {
  std::filesystem::path file;
  std::vector<std::pair<std::string, std::pair<double, double>>> background;  // class -> range
  double positive_background_max = 0.30;
  double base_fog_max = 0.10;
  double frame_uniformity = 0.10;  // +- around the frame's background
  double reel_uniformity = 0.20;   // +- around the reel's mean background
  double min_modulation = 0.20;    // a chart group is resolved at or above this
  double e_height_mm = 1.0;        // the job's smallest lowercase "e" (document plane)
  double qi_required = 8.0;
  // A reel whose QI is below qi_required fails, unless the profile says `qi_below_required =
  // "warn"`: then it passes with a warning that says so (printed, in qc.json and the report).
  bool qi_below_required_fails = true;
  double ssim_min = 0.90;        // mean over the frame
  double ssim_block_min = 0.90;  // the worst block
  double block_mm = 0.25;        // block side on film
};
// Throws Error(job) naming the file, line and key.
QcProfile load_qc_profile(const std::filesystem::path& profiles_dir, const std::string& name);

struct VerifyProgress {
  std::string reel;
  std::uint64_t frames_done = 0;   // checked, over the job
  std::uint64_t frames_total = 0;  // planned, over the job
};

struct VerifyOptions {
  std::filesystem::path profiles_dir;
  std::function<void(const VerifyProgress&)> on_progress;  // after each frame; may be empty
  std::filesystem::path catalog;  // inspection history for the report; empty: none
  bool contact_sheets = true;     // R0001/contact.jpg
  bool report = true;             // report.html
  unsigned threads = 0;           // frames checked at once; 0: one per core
  // The job's plan.json as the job started: the templates and fonts its frames were drawn
  // with are compared with the files now on disk before the frames are drawn again.
  // `plan_recorded` false: no plan.json to ask (nothing is said); drawn_with empty: a plan.json
  // written before filmwriter recorded them (a warning says so).
  bool plan_recorded = false;
  std::optional<DrawnWith> drawn_with;
  // What the plan made now differs in from the one filmed, beyond the templates and fonts (a
  // source folder gone, a page replaced by one of another size, a key changed): the frames'
  // failures follow from it, so it is the first failure.
  std::vector<std::string> plan_changes;
};

struct QcResult {
  bool passed = true;
  std::vector<std::string> failures;  // "R0001 frame 5 (R0001-D001-0003): ...", in order
  // What passes but an operator must know: "R0001: QI 6.3 below the required 8 ...".
  std::vector<std::string> warnings;
  nlohmann::ordered_json json;  // what qc.json holds
  std::filesystem::path qc_json, report_html;
  std::vector<std::filesystem::path> contact_sheets;
};

// Verifies every reel of the prepared job in prepared.job_dir and writes qc.json (and the
// report and contact sheets when asked). Throws Error(job) when the job was never run.
QcResult verify_job(const Job& job, const PreparedJob& prepared, const QcProfile& profile,
                    const VerifyOptions& options);

}  // namespace fw
