#include "mets/toc_export.hpp"

#include <fmt/format.h>
#include <vips/vips.h>

#include <algorithm>
#include <map>

#include "base/csv.hpp"
#include "base/files.hpp"
#include "core/error.hpp"
#include "mets/mets.hpp"

namespace fw {
namespace {

// The page as libvips names it: a multi-page TIFF or a PDF with its page (0-based).
std::string page_name(const std::string& file, std::uint32_t source_page) {
  const char* loader = vips_foreign_find_load(file.c_str());
  const std::string name = loader ? loader : "";
  if (name.find("Tiff") != std::string::npos || name.find("Pdf") != std::string::npos) {
    return fmt::format("{}[page={}]", file, source_page > 0 ? source_page - 1 : 0);
  }
  return file;
}

// The page, upright (EXIF/TIFF orientation applied), at most `px` on its longer side, as JPEG.
std::string page_jpeg(const std::string& file, std::uint32_t source_page, int px) {
  VipsImage* thumbnail = nullptr;
  const std::string name = page_name(file, source_page);
  if (vips_thumbnail(name.c_str(), &thumbnail, px, "height", px, "size", VIPS_SIZE_DOWN, nullptr) !=
      0) {
    const std::string message = vips_error_buffer();
    vips_error_clear();
    throw Error(ErrorKind::input, fmt::format("{}: cannot make the TOC image: {}", file, message));
  }
  void* buffer = nullptr;
  std::size_t length = 0;
  const int failed =
      vips_jpegsave_buffer(thumbnail, &buffer, &length, "Q", 85, "strip", TRUE, nullptr);
  g_object_unref(thumbnail);
  if (failed != 0) {
    const std::string message = vips_error_buffer();
    vips_error_clear();
    throw Error(ErrorKind::input, fmt::format("{}: cannot make the TOC image: {}", file, message));
  }
  std::string bytes(static_cast<const char*>(buffer), length);
  g_free(buffer);
  return bytes;
}

}  // namespace

const char* const kTocColumns =
    "job_id,document_id,document_title,entry,level,title,page,reel,frame,last_frame,address,"
    "blips,image,mods,reel_status";

TocPackage export_toc_package(const Catalog& catalog, const std::string& job_id,
                              const std::filesystem::path& dir, int image_px) {
  TocPackage package;
  const std::vector<CatalogTocPlace> places = catalog.toc(job_id);
  std::vector<std::string> keys;
  for (const CatalogTocPlace& place : places) {
    for (const auto& [key, value] : place.toc.metadata) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  std::filesystem::create_directories(dir);
  // Each document's MODS record, written by the METS package's own writer (engine/mets); a
  // job is fiche when its sheets are (the planner names them F0001, rolls R0001). Every job of
  // the catalog when no job is named, as the rows are.
  std::vector<std::string> job_ids;
  if (job_id.empty()) {
    for (const CatalogJob& job : catalog.jobs()) job_ids.push_back(job.id);
  } else {
    job_ids.push_back(job_id);
  }
  std::map<std::pair<std::string, std::string>, std::vector<MetsTocDivision>> toc_of;
  for (const CatalogTocPlace& place : places) {
    toc_of[{place.job_id, place.document_id}].push_back(
        {place.toc.title, place.toc.level, place.toc.page});
  }
  // (job, document) -> its record's path relative to dir
  std::map<std::pair<std::string, std::string>, std::string> mods_of;
  for (const std::string& job : job_ids) {
    const auto reels = catalog.reels(job);
    const bool fiche = !reels.empty() && reels.front().reel_id.starts_with('F');
    for (CatalogDocument& d : catalog.documents(job)) {
      const std::filesystem::path relative = std::filesystem::path("mods") / job / (d.id + ".xml");
      const std::string xml = mods_record_xml(
          job, {d.id, std::move(d.title), std::move(d.metadata), toc_of[{job, d.id}]}, fiche);
      std::filesystem::create_directories((dir / relative).parent_path());
      write_file_atomic(dir / relative, xml);
      mods_of[{job, d.id}] = relative.generic_string();
      ++package.records;
    }
  }
  std::string csv = kTocColumns;
  for (const std::string& key : keys) csv += "," + csv_field(key);
  csv += "\n";
  for (const CatalogTocPlace& place : places) {
    ++package.entries;
    std::string image;
    if (place.reel_id.empty()) {
      package.warnings.push_back(fmt::format("{} {} TOC entry {} \"{}\": page {} is not on film",
                                             place.job_id, place.document_id, place.entry,
                                             place.toc.title, place.toc.page));
    } else if (place.source_file.empty()) {
      package.warnings.push_back(fmt::format(
          "{} {} TOC entry {} \"{}\": page {} ({}) is a substitute without a source file",
          place.job_id, place.document_id, place.entry, place.toc.title, place.toc.page,
          place.address));
    } else {
      const std::filesystem::path relative = std::filesystem::path("images") / place.job_id /
                                             place.document_id /
                                             fmt::format("{:04}.jpg", place.entry);
      try {
        const std::string bytes = page_jpeg(place.source_file, place.source_page, image_px);
        std::filesystem::create_directories((dir / relative).parent_path());
        write_file_atomic(dir / relative, bytes);
        image = relative.generic_string();
        ++package.images;
      } catch (const Error& e) {
        package.warnings.push_back(fmt::format("{} {} TOC entry {} \"{}\": {}", place.job_id,
                                               place.document_id, place.entry, place.toc.title,
                                               e.what()));
      }
    }
    const std::vector<std::string> fields = {
        place.job_id,
        place.document_id,
        place.document_title,
        std::to_string(place.entry),
        std::to_string(place.toc.level),
        place.toc.title,
        std::to_string(place.toc.page),
        place.reel_id,
        place.frame ? std::to_string(place.frame) : "",
        place.last_frame ? std::to_string(place.last_frame) : "",
        place.address,
        place.frame ? std::to_string(place.blips) : "",
        image,
        mods_of[{place.job_id, place.document_id}],
        place.reel_status};
    std::string row;
    for (const std::string& field : fields) row += (row.empty() ? "" : ",") + csv_field(field);
    for (const std::string& key : keys) {
      row += ",";
      for (const auto& [name, value] : place.toc.metadata) {
        if (name == key) row += csv_field(value);
      }
    }
    csv += row + "\n";
  }
  write_file_atomic(dir / "toc.csv", csv);
  return package;
}

}  // namespace fw
