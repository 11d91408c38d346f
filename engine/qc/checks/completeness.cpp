#include "qc/checks/completeness.hpp"

#include <fmt/format.h>

namespace fw::qc {

ReelCompleteness check_reel_completeness(const PlannedReel& reel,
                                         const std::set<std::uint32_t>& on_film,
                                         const std::filesystem::path& index_csv,
                                         const std::filesystem::path& film_folder) {
  ReelCompleteness out;
  out.on_film = on_film;
  if (std::filesystem::exists(index_csv)) {
    for (IndexRow& row : read_index(index_csv)) out.index[row.frame] = std::move(row);
  } else {
    out.failures.emplace_back("index.csv is missing");
  }
  if (on_film.empty()) {
    // A reel filmed by the tiff driver has the frames it sent beside where the film would be:
    // they are the recorder's input, not what it made of it.
    const std::filesystem::path sent = film_folder.parent_path() / "frames";
    out.failures.push_back(fmt::format(
        "no developed film in {} (none of the reel's {} frames): verify reads each frame's film "
        "there (F000001.tif ..., 16-bit, density x 10000), as the sim driver develops it or a "
        "densitometric scan of the real film gives it{}",
        film_folder.string(), reel.frame_count,
        std::filesystem::is_directory(sent)
            ? fmt::format("; {} holds the frames sent to the recorder, not film", sent.string())
            : ""));
  }
  for (std::uint32_t n : on_film) {
    if (n == 0 || n > reel.frame_count) {
      out.failures.push_back(fmt::format("frame {} is on the film but not in the plan ({} frames)",
                                         n, reel.frame_count));
    }
  }
  return out;
}

FrameCompleteness check_frame_completeness(const PlannedFrame& frame,
                                           const ReelCompleteness& reel) {
  FrameCompleteness out;
  const auto row = reel.index.find(frame.number);
  if (row == reel.index.end()) {
    out.problems.emplace_back("not in index.csv");
  } else {
    out.row = &row->second;
    if (row->second.address != frame.address) {
      out.problems.push_back(
          fmt::format("index.csv says {}, the plan {}", row->second.address, frame.address));
    }
  }
  out.on_film = reel.on_film.contains(frame.number);
  if (!out.on_film) out.problems.emplace_back(kMissingOnFilm);
  return out;
}

std::optional<std::string> check_same_render(const IndexRow* row, const std::string& sha256) {
  if (!row || row->frame_sha256 == sha256) return std::nullopt;
  return "the job now renders another frame than the one sent (sources or profiles changed "
         "since filming): the comparison below is against today's render";
}

std::optional<std::string> check_frame_size(std::uint32_t film_width, std::uint32_t film_height,
                                            std::uint32_t planned_width,
                                            std::uint32_t planned_height) {
  if (film_width == planned_width && film_height == planned_height) return std::nullopt;
  return fmt::format("the film frame is {}x{} px, the plan's {}x{} px", film_width, film_height,
                     planned_width, planned_height);
}

}  // namespace fw::qc
