// A planned frame's pixels: the pipeline's parallel render stage (decode, place, grey/bitonal/
// colour, targets, blip track, frame mark, calibration, sha256), shared by run_plan
// (pipeline/pipeline.cpp) and verify, which renders each frame again to compare it with the
// film (engine/qc). Below both, so that neither depends on the other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "film/plan.hpp"
#include "ingest/ingest.hpp"
#include "model/job.hpp"

namespace fw {

// "reel R0001 frame 3 (document D001 page 3, scans/p3.png page 1)": where a frame failed.
std::string describe_frame(const Job& job, const PlannedFrame& frame);

// The bytes of a frame's pixels as render_frame makes them: its frame box times the samples
// its document's mode gives (3 for colour, 1 for grey, bitonal and separations).
std::size_t rendered_bytes(const Job& job, const PlannedFrame& frame);

// The parallel stage on its own (benches and tests use it). Throws Error(input) naming the
// reel, frame, document, page and source file, unless the document's policy is `substitute`.
struct RenderedFrame {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t channels = 1;
  std::vector<std::uint8_t> pixels;
  std::string sha256;
  std::string source_sha256;
  // Set when the page failed to render and its document's policy put a substitute frame in
  // its place: the reason, as written on the frame and in the index.
  std::string substitute_reason;
  // The page's paper level (color/paper.hpp, in page terms) that calibration exposed at the
  // aim density; 0 when the frame was not scaled to its paper (targets, colour, uncalibrated).
  std::uint8_t paper = 0;
};
// Calibrate::yes (the pipeline's way) maps the finished frame's code values through the plan's
// calibration (engine/color) before the sha256: one pass, and the checksum is of the frame as
// the recorder gets it. Calibrate::no keeps the code values as rendered (verify reads both:
// what the page says, and what was sent); calibrate_rendered() then finishes the job.
enum class Calibrate { yes, no };
RenderedFrame render_frame(const Job& job, const Plan& plan, const PlannedFrame& frame,
                           SourceHashes& hashes, Calibrate calibrate = Calibrate::yes);
// The plan's calibration on a frame rendered with Calibrate::no: a calibrated grey page is
// first scaled so that its own paper (aged, yellowed) is exposed like white paper, then every
// code value goes through the LUT. Updates pixels, paper and sha256.
void calibrate_rendered(const Job& job, const Plan& plan, const PlannedFrame& frame,
                        RenderedFrame& out);

}  // namespace fw
