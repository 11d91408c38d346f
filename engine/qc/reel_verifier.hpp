// Inside engine/qc: a reel verified by composing the checks of engine/qc/checks/, each frame
// on its own (frames in parallel, results kept in order), then what is judged along the reel.
// The results are typed; qc/qc_json.hpp turns them into qc.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "film/target_layout.hpp"
#include "ingest/ingest.hpp"
#include "model/job.hpp"
#include "qc/checks/blip.hpp"
#include "qc/checks/completeness.hpp"
#include "qc/checks/content.hpp"
#include "qc/checks/data_frame.hpp"
#include "qc/checks/density.hpp"
#include "qc/checks/frame_mark.hpp"
#include "qc/checks/resolution.hpp"
#include "qc/checks/tone.hpp"
#include "qc/checks/track.hpp"
#include "qc/film_reader.hpp"
#include "qc/qc.hpp"

namespace fw::qc {

// What every frame of the job is checked against.
struct VerifySetup {
  const Job* job = nullptr;
  const Plan* plan = nullptr;
  const QcProfile* profile = nullptr;
  const TargetTemplate* technical = nullptr;  // the technical target's template; null: none
  double aim_low = 1.0, aim_high = 1.2;       // background on a negative (document class)
  double source_qi = 0;                       // the sources' digital QI (Cornell)
  SourceHashes* hashes = nullptr;             // thread-safe
  unsigned threads = 0;                       // 0: one per core
};

// A substitute frame on film: the page it stands for, which is not on the film.
struct SubstituteFor {
  std::string document;  // the document's id
  std::uint32_t page = 0;
  std::string file;             // the page's source file; empty for a page the job inserted
  std::uint32_t file_page = 1;  // the page within that file, from 1
  std::string reason;  // as the frame shows it; empty when the source renders as a page now
  // The job declares it ([[documents.substitute]]: a page lost before scanning, a notice it
  // inserts): an irregularity the job records on purpose, not a page that failed.
  bool declared = false;
};

// Everything measured on one frame; a check that did not apply is empty.
struct FrameVerdict {
  std::uint32_t frame = 0;
  std::string address;
  FrameKind kind = FrameKind::page;  // what is on film: a substitute where index.csv says so
  std::optional<SubstituteFor> substitute;
  bool present = false;
  std::uint32_t width = 0, height = 0, channels = 0;  // of the film; 0 when missing
  bool size_ok = false;
  std::optional<DensityResult> density;
  std::optional<ContentResult> content;
  std::optional<BlipResult> blip;
  std::optional<TrackResult> track;
  std::optional<MarkResult> mark;
  std::optional<ResolutionResult> resolution;
  std::optional<DataFrameResult> data;  // data frames: decoded, not compared
  std::vector<std::string> problems;    // in the order the checks ran, then along the reel
  std::string thumbnail_jpeg;           // the film as on a light box, 160 px; JPEG
  bool passed() const { return problems.empty(); }
};

struct ReelVerdict {
  std::string reel;
  std::uint32_t frames_planned = 0, frames_on_film = 0;
  // Frames on film that stand for a page that could not be filmed (each a warning); the
  // job's declared substitutes are not among them.
  std::uint32_t substitutes = 0;
  std::uint32_t channels = 1;  // the most layers a frame was judged on
  ReelTone tone;
  std::vector<FrameVerdict> frames;
  double base_fog_max = 0;
  ReelDensity density;
  std::optional<ResolutionResult> resolution;  // the worst chart on the reel
  // Its QI below the required one: a failure, or a warning where the QC profile says so.
  enum class QiShortfall { none, warning, failure } qi_shortfall = QiShortfall::none;
  // The reel's data frames: how many were checked and decoded, their symbol errors and the
  // least margin.
  struct DataSummary {
    std::uint32_t checked = 0;  // data frames found on the film and read
    std::uint32_t frames = 0;   // of which decoded
    std::uint64_t symbols = 0, symbol_errors = 0;
    int least_margin = -1;
  } data;
  std::vector<std::string> failures;  // "R0001: frame 5 (...): ...", in order
  std::vector<std::string> warnings;
  bool passed() const { return failures.empty(); }
};

// "grey" on one layer, else "red", "green", "blue".
const char* channel_name(std::uint32_t channels, std::uint32_t c);

// Verifies one reel (or fiche sheet) whose folder is `reel_dir`. `on_frame` is called after
// each frame, in order, with its verdict before the reel keeps it: it may take out what the
// caller keeps elsewhere (the thumbnail, which verify_job stores off the heap).
ReelVerdict verify_reel(const VerifySetup& setup, const PlannedReel& reel,
                        const std::filesystem::path& reel_dir,
                        const std::function<void(FrameVerdict&)>& on_frame);

}  // namespace fw::qc
