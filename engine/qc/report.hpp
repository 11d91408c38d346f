// Inside engine/qc: the human side of verify: contact sheets and report.html.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <vips/vips8>

namespace fw::qc {

struct Thumb {
  std::uint32_t frame = 0;
  std::string address;
  bool failed = false;
  // 8-bit grey JPEG, the film as it looks on a light box: a few KB a frame, so that a long
  // reel's pictures cost little until the contact sheet and the report are made.
  std::string jpeg;
};

struct ReelPictures {
  std::string reel;
  std::vector<Thumb> thumbs;
};

// A grid of the reel's frames, failures outlined in red; JPEG.
void write_contact_sheet(const ReelPictures& reel, const std::filesystem::path& file);

// One self-contained HTML page: summary and verdict, per reel the contact sheet, a density
// plot along the reel with the aim band, the resolution result, the failures linked to their
// frames, inspection history and the job's metadata. Images are data: URIs.
std::string report_html(const nlohmann::ordered_json& qc, const std::vector<ReelPictures>& reels,
                        const nlohmann::ordered_json& inspections);

}  // namespace fw::qc
