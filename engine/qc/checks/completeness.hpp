// Check: completeness and order. Every planned frame once on film and in index.csv under its
// planned address, no frame on film the plan does not have, the film frame the size the plan
// says, and the frame rendered today the frame that was sent (index.csv's frame_sha256).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalog/index.hpp"
#include "film/plan.hpp"

namespace fw::qc {

struct ReelCompleteness {
  std::set<std::uint32_t> on_film;          // frame numbers found on the film
  std::map<std::uint32_t, IndexRow> index;  // index.csv's rows by frame number
  std::vector<std::string> failures;        // about the reel ("index.csv is missing", ...)
};
// `index_csv`: the reel's index.csv, read when it exists; `film_folder` names the film in a
// failure.
ReelCompleteness check_reel_completeness(const PlannedReel& reel,
                                         const std::set<std::uint32_t>& on_film,
                                         const std::filesystem::path& index_csv,
                                         const std::filesystem::path& film_folder);

// A planned frame's problem when the film does not hold it.
inline constexpr const char* kMissingOnFilm = "missing on the film";

struct FrameCompleteness {
  bool on_film = false;
  const IndexRow* row = nullptr;  // the frame's index row, null when it has none
  std::vector<std::string> problems;
};
FrameCompleteness check_frame_completeness(const PlannedFrame& frame, const ReelCompleteness& reel);

// The render's sha256 against the index's: a problem when the job now renders another frame.
std::optional<std::string> check_same_render(const IndexRow* row, const std::string& sha256);
// The film frame's size against the plan's.
std::optional<std::string> check_frame_size(std::uint32_t film_width, std::uint32_t film_height,
                                            std::uint32_t planned_width,
                                            std::uint32_t planned_height);

}  // namespace fw::qc
