#include "catalog/export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "base/csv.hpp"
#include "catalog/index.hpp"
#include "film/separation_geometry.hpp"

namespace fw {

const char* const kExportColumns =
    "job_id,reel,frame,address,blip,kind,document_id,title,page,source_file,source_page,"
    "source_sha256,frame_sha256,reel_status";

std::vector<std::string> describe_frames(const std::vector<CatalogFrame>& frames) {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < frames.size();) {
    const auto& first = frames[i];
    std::size_t j = i + 1;
    while (j < frames.size() && frames[j].job_id == first.job_id &&
           frames[j].reel_id == first.reel_id && frames[j].attempt == first.attempt &&
           frames[j].reel_target() == first.reel_target() &&
           (first.reel_target() || frames[j].row.document_id == first.row.document_id) &&
           (frames[j].row.frame == frames[j - 1].row.frame + 1 ||
            // A page filmed in sections: the target between its overview and its sections
            // (oversize = "split") is of the page too.
            (frames[j].row.frame == frames[j - 1].row.frame + 2 && frames[j].row.page > 0 &&
             frames[j].row.page == frames[j - 1].row.page &&
             section_of_address(frames[j].row.address) == 1))) {
      ++j;
    }
    const auto& last = frames[j - 1];
    std::string what;
    if (first.reel_target()) {
      std::vector<std::string> kinds;
      for (std::size_t k = i; k < j; ++k) {
        if (std::find(kinds.begin(), kinds.end(), frames[k].row.kind) == kinds.end())
          kinds.push_back(frames[k].row.kind);
      }
      what = fmt::format("reel targets ({})", fmt::join(kinds, ", "));
    } else {
      // Title targets and continued-to/from carry page 0: the range is of the document's pages.
      std::uint32_t low = 0, high = 0;
      for (std::size_t k = i; k < j; ++k) {
        const std::uint32_t page = frames[k].row.page;
        if (page == 0) continue;
        low = low ? std::min(low, page) : page;
        high = std::max(high, page);
      }
      what = fmt::format("document {} \"{}\"{}", first.row.document_id, first.title,
                         low ? fmt::format(" pages {}-{}", low, high) : "");
      // A substitute frame stands where its page would be: the source it names is not on film.
      // A colour page's separations are three such frames and one page.
      std::vector<std::uint32_t> substitutes;
      for (std::size_t k = i; k < j; ++k) {
        const IndexRow& row = frames[k].row;
        if (row.kind == "substitute" && (substitutes.empty() || substitutes.back() != row.page))
          substitutes.push_back(row.page);
      }
      if (!substitutes.empty()) {
        what += fmt::format(
            " ({} {} filmed as {}, not on film)", substitutes.size() == 1 ? "page" : "pages",
            fmt::join(substitutes, ", "), substitutes.size() == 1 ? "a substitute" : "substitutes");
      }
    }
    const std::string status =
        first.reel_status == "complete" ? "" : fmt::format(" [reel {}]", first.reel_status);
    lines.push_back(fmt::format("{} {} frames {}-{}: {} ({} .. {}){}", first.job_id, first.reel_id,
                                first.row.frame, last.row.frame, what, first.row.address,
                                last.row.address, status));
    i = j;
  }
  return lines;
}

std::string export_csv(const Catalog& catalog, const std::string& job_id,
                       const CsvOptions& options) {
  // The metadata columns: every key of the exported documents, in first-seen order.
  std::vector<std::string> keys;
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> metadata;
  for (const auto& job : catalog.jobs()) {
    if (!job_id.empty() && job.id != job_id) continue;
    for (const auto& doc : catalog.documents(job.id)) {
      auto& values = metadata[{job.id, doc.id}];
      for (const auto& [key, value] : doc.metadata) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
        values[key] = value;
      }
    }
  }
  const std::string fixed = std::string(",") + kExportColumns + ",";
  std::string out = options.bom ? "\xEF\xBB\xBF" : "";
  out += kExportColumns;
  for (const auto& key : keys) {
    const bool clash = fixed.find("," + key + ",") != std::string::npos;
    out += "," + csv_field(clash ? "metadata." + key : key);
  }
  out += "\n";
  for (const auto& f : catalog.frames(job_id, options.all_attempts)) {
    const auto& r = f.row;
    const bool reel = f.reel_target();
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}", csv_field(f.job_id), f.reel_id,
                       r.frame, csv_field(r.address), r.blip, r.kind,
                       reel ? "" : csv_field(r.document_id), csv_field(f.title), r.page,
                       csv_field(r.source_file), r.source_page, r.source_sha256, r.frame_sha256,
                       f.reel_status);
    const auto values = metadata.find({f.job_id, r.document_id});
    for (const auto& key : keys) {
      out += ",";
      if (reel || values == metadata.end()) continue;
      const auto value = values->second.find(key);
      if (value != values->second.end()) out += csv_field(value->second);
    }
    out += "\n";
  }
  return out;
}

namespace {

nlohmann::ordered_json toc_json(const CatalogTocPlace& place) {
  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
  for (const auto& [key, value] : place.toc.metadata) metadata[key] = value;
  return {
      {"entry", place.entry},     {"title", place.toc.title}, {"level", place.toc.level},
      {"page", place.toc.page},   {"metadata", metadata},     {"reel", place.reel_id},
      {"attempt", place.attempt}, {"frame", place.frame},     {"last_frame", place.last_frame},
      {"address", place.address}, {"blips", place.blips},     {"reel_status", place.reel_status}};
}

}  // namespace

std::vector<std::string> describe_toc(const std::vector<CatalogTocPlace>& places) {
  std::vector<std::string> lines;
  for (const CatalogTocPlace& p : places) {
    const std::string entry =
        fmt::format("TOC entry {} \"{}\" (level {}) of document {} \"{}\" page {}", p.entry,
                    p.toc.title, p.toc.level, p.document_id, p.document_title, p.toc.page);
    if (p.reel_id.empty()) {
      lines.push_back(fmt::format("{}: {} [not on film]", p.job_id, entry));
      continue;
    }
    const std::string frames = p.last_frame > p.frame
                                   ? fmt::format("frames {}-{}", p.frame, p.last_frame)
                                   : fmt::format("frame {}", p.frame);
    std::string line = fmt::format("{} {} {}: {} ({}), blip {} from the reel start", p.job_id,
                                   p.reel_id, frames, entry, p.address, p.blips);
    if (p.reel_status != "complete") line += fmt::format(" [reel {}]", p.reel_status);
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string export_json(const Catalog& catalog, const std::string& job_id, bool all_attempts) {
  nlohmann::ordered_json jobs = nlohmann::ordered_json::array();
  for (const auto& job : catalog.jobs()) {
    if (!job_id.empty() && job.id != job_id) continue;
    nlohmann::ordered_json j = {{"id", job.id},
                                {"title", job.title},
                                {"institution", job.institution},
                                {"operator", job.operator_name},
                                {"status", job.status},
                                {"format", job.format},
                                {"plan_sha256", job.plan_sha256},
                                {"dir", job.dir.string()}};
    j["documents"] = nlohmann::ordered_json::array();
    const std::vector<CatalogTocPlace> toc = catalog.toc(job.id);
    for (const auto& doc : catalog.documents(job.id)) {
      nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
      for (const auto& [key, value] : doc.metadata) metadata[key] = value;
      nlohmann::ordered_json document = {{"id", doc.id},
                                         {"title", doc.title},
                                         {"metadata", metadata},
                                         {"source_files", doc.source_files}};
      nlohmann::ordered_json entries = nlohmann::ordered_json::array();
      for (const CatalogTocPlace& place : toc) {
        if (place.document_id == doc.id) entries.push_back(toc_json(place));
      }
      if (!entries.empty()) document["toc"] = std::move(entries);
      j["documents"].push_back(std::move(document));
    }
    j["reels"] = nlohmann::ordered_json::array();
    for (const auto& reel : catalog.reels(job.id, all_attempts)) {
      j["reels"].push_back({{"id", reel.reel_id},
                            {"attempt", reel.attempt},
                            {"run", reel.run},
                            {"superseded_at", reel.superseded_at},
                            {"status", reel.status},
                            {"frames", reel.frames},
                            {"film_used_m", reel.film_used_m},
                            {"index_sha256", reel.index_sha256},
                            {"manifest_sha256", reel.manifest_sha256}});
    }
    j["frames"] = nlohmann::ordered_json::array();
    for (const auto& f : catalog.frames(job.id, all_attempts)) {
      const auto& r = f.row;
      j["frames"].push_back({{"reel", f.reel_id},
                             {"attempt", f.attempt},
                             {"frame", r.frame},
                             {"address", r.address},
                             {"blip", r.blip},
                             {"kind", r.kind},
                             {"document_id", f.reel_target() ? "" : r.document_id},
                             {"page", r.page},
                             {"source_file", r.source_file},
                             {"source_page", r.source_page},
                             {"source_sha256", r.source_sha256},
                             {"frame_sha256", r.frame_sha256},
                             {"reel_status", f.reel_status}});
    }
    jobs.push_back(std::move(j));
  }
  nlohmann::ordered_json out = {{"catalog_schema", Catalog::latest_version()}, {"jobs", jobs}};
  return out.dump(2) + "\n";
}

}  // namespace fw
