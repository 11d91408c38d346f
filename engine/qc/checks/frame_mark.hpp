// Check: the frame mark. The DataMatrix (render/frame_mark.hpp) decoded from the film where
// mark_box says it is, against the reel, frame and source hash it must carry.
#pragma once

#include <string>
#include <vector>

#include "film/mark_box.hpp"
#include "qc/measure.hpp"
#include "render/frame_mark.hpp"

namespace fw::qc {

struct MarkResult {
  MarkBox box;
  std::string expected;  // the payload
  std::string read;      // empty: unreadable
  std::vector<std::string> problems;
};

// `clear` and `exposed`: the densities of unexposed film and of a full exposure (the tone's
// ends), to make the light-box picture the decoder reads. Call it for frames with a box.
MarkResult check_frame_mark(const FilmPlane& film, const MarkBox& box, double clear, double exposed,
                            const FrameMark& expected);

}  // namespace fw::qc
