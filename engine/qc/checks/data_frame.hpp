// Check: a data frame (engine/data). Decoded from the developed film as `restore` reads it:
// it must be the frame the plan put here, every inner codeword must decode, and the margin
// (how many more symbol errors the worst codeword could have taken) is reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/data_frames.hpp"
#include "qc/measure.hpp"

namespace fw::qc {

struct DataFrameResult {
  std::string file;           // the file's name as restore writes it
  std::uint32_t frame = 0;    // 1-based frame of the file's data frames
  bool decoded = false;       // a symbol with a valid header was found
  std::uint64_t symbols = 0;  // inner-code symbols read
  std::uint64_t symbol_errors = 0;
  std::uint32_t max_errors = 0;  // in any one codeword
  int margin = 0;
  std::uint32_t codewords_failed = 0;
  double samples_per_module = 0, contrast_d = 0;
  std::vector<std::string> problems;
};

// `expected`: the file the plan put on this frame; `data_frame`: the frame's 0-based index
// among that file's data frames (PlannedFrame::data_frame).
DataFrameResult check_data_frame(const FilmPlane& film, const data::FileIdentity& expected,
                                 std::uint32_t data_frame);

}  // namespace fw::qc
