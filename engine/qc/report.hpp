// Inside engine/qc: the human side of verify: contact sheets and report.html.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qc/thumbnails.hpp"

namespace fw::qc {

struct Thumb {
  std::uint32_t frame = 0;
  std::string address;
  bool failed = false;
  // 8-bit grey JPEG, the film as it looks on a light box (a few KB), in the job's
  // ThumbnailStore: read back one row of the sheet at a time.
  ThumbnailStore::Ref jpeg;
  // On a fiche, the frame's cell (the plan's: header strip row 0, columns from 1).
  std::uint32_t grid_row = 0, grid_column = 0;
};

struct ReelPictures {
  std::string reel;
  std::vector<Thumb> thumbs;
  // A fiche's grid (columns, image rows below the header strip): the sheet and the report lay
  // the frames out as they lie on the fiche, so its header reads across. 0: roll film.
  std::uint32_t grid_columns = 0, grid_rows = 0;
};

// A grid of the reel's frames, 8 across (a fiche: its own grid, empty cells white), failures
// outlined in red; JPEG. Made a row at a time as the encoder writes the file: memory does not
// grow with the reel.
void write_contact_sheet(const ReelPictures& reel, const ThumbnailStore& thumbnails,
                         const std::filesystem::path& file);

// One self-contained HTML page: summary and verdict, per reel the contact sheet, a density
// plot along the reel with the aim band, the resolution result, the failures linked to their
// frames, inspection history and the job's metadata. Images are data: URIs. Written to `file`
// (atomically) as it is made, never whole in memory: a long reel's page is several MB.
void write_report_html(const std::filesystem::path& file, const nlohmann::ordered_json& qc,
                       const std::vector<ReelPictures>& reels, const ThumbnailStore& thumbnails,
                       const nlohmann::ordered_json& inspections);

}  // namespace fw::qc
