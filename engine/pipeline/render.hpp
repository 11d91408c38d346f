// The pipeline's render stage, shared by run_plan (pipeline.cpp) and render_frame (render.cpp).
#pragma once

#include <string>

#include "film/plan.hpp"
#include "job/job.hpp"

namespace fw {

// "reel R0001 frame 3 (document D001 page 3, scans/p3.png page 1)": where a frame failed.
std::string describe_frame(const Job& job, const PlannedFrame& frame);

// The bytes of a frame's pixels as render_frame makes them: its frame box times the samples
// its document's mode gives (3 for colour, 1 for grey, bitonal and separations).
std::size_t rendered_bytes(const Job& job, const PlannedFrame& frame);

}  // namespace fw
