// A reel's package from what filmwriter keeps: the catalog, journal.jsonl's start record and
// qc.json. Nothing here is new information: mets.xml can always be written again from them
// (`filmwriter catalog export --format mets`).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/files.hpp"
#include "base/utc.hpp"
#include "catalog/catalog.hpp"
#include "catalog/inspection.hpp"
#include "catalog/journal.hpp"
#include "core/error.hpp"
#include "film/plan.hpp"
#include "film/plan_file.hpp"
#include "mets/mets.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;

struct Filming {
  std::string date;
  std::string driver;
  std::string operator_name;  // who declared the filming ("" when the job named nobody)
  // The checks of the sources by the runs that exposed the reel's frames, each a PREMIS
  // "fixity check" (empty when the job had no checksum manifests).
  std::vector<MetsEvent> source_checks;
};

// A run's check of the sources against the delivery's checksum manifests before it filmed
// (ingest/checksum_manifest.hpp), from its journal record's "checksums": run 0 is the job's
// first run, n its n-th resume, which checks the sources again before filming on.
std::optional<MetsEvent> fixity_check_of(const nlohmann::json& checksums, std::uint32_t run) {
  if (!checksums.is_object()) return std::nullopt;
  const auto strings = [&](const char* key) {
    std::vector<std::string> out;
    for (const auto& item : checksums.value(key, nlohmann::json::array())) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
    return out;
  };
  const std::vector<std::string> manifests = strings("manifests");
  if (manifests.empty()) return std::nullopt;
  const std::vector<std::string> algorithms = strings("algorithms");
  const std::vector<std::string> tag_manifests = strings("tag_manifests");
  const auto matched = checksums.value("files_matched", std::uint64_t{0});
  const auto failed = checksums.value("files_failed", std::uint64_t{0});
  MetsEvent event;
  event.type = "fixity check";
  event.date_time = checksums.value("checked_at", "");
  event.detail = fmt::format(
      "{}, the job's source files were checked against the delivery's checksum manifest(s) {} "
      "({}): {} file(s) match, {} failed",
      run == 0 ? "before filming" : fmt::format("before resumed run {} filmed on", run),
      fmt::join(manifests, ", "), fmt::join(algorithms, ", "), matched, failed);
  if (!tag_manifests.empty()) {
    event.detail += fmt::format("; the manifests matched the bag's tag manifest(s) {}",
                                fmt::join(tag_manifests, ", "));
  }
  event.outcome = failed == 0 ? "pass" : "fail";
  if (failed != 0) {
    event.outcome_notes.push_back(fmt::format(
        "{} file(s) unlisted, missing or not matching: none of their pages was filmed from "
        "them (each document's on_error: a substitute frame, or the document skipped)",
        failed));
  }
  event.agents = {"filmwriter"};
  return event;
}

// The filming date and recorder driver that convert put in journal.jsonl's "start" record, and
// the source checks of the runs (start and "resume" records) that exposed the frames of
// `reel_id`'s current attempt. A job filmed before the record carried them: the date from
// plan.json, the driver unknown; a reel the journal does not hold: the first run's check.
Filming filming_of(const fs::path& job_dir, const std::string& reel_id) {
  Filming filming;
  const fs::path file = job_dir / "journal.jsonl";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    const JournalState journal = read_journal(file);
    const nlohmann::json& start = journal.start;
    if (start.contains(kMetsFilmingKey) && start[kMetsFilmingKey].is_object()) {
      const auto& f = start[kMetsFilmingKey];
      filming.date = f.value("date", "");
      filming.driver = f.value("driver", "");
      filming.operator_name = f.value("operator", "");
    }
    std::set<std::uint32_t> runs;
    if (const JournalReel* reel = journal.find(reel_id)) {
      runs.insert(reel->row_runs.begin(), reel->row_runs.end());
    }
    if (runs.empty()) runs.insert(0);
    for (const std::uint32_t run : runs) {
      const nlohmann::json& record = run == 0 ? start : journal.resume_records.at(run - 1);
      if (auto checked = fixity_check_of(record.value("checksums", nlohmann::json()), run)) {
        filming.source_checks.push_back(std::move(*checked));
      }
    }
  }
  if (filming.date.empty()) filming.date = recorded_filming_date(job_dir / "plan.json");
  // Chronological: each check came before the filming it vouched for. A record from before a
  // check said when it ran (checked_at) gets the filming date.
  for (MetsEvent& checked : filming.source_checks) {
    if (checked.date_time.empty()) checked.date_time = filming.date;
  }
  return filming;
}

std::string calibration_of(const std::vector<IndexRow>& frames) {
  std::vector<std::string> seen;
  for (const IndexRow& r : frames) {
    if (r.calibration.empty()) continue;
    if (std::find(seen.begin(), seen.end(), r.calibration) == seen.end()) {
      seen.push_back(r.calibration);
    }
  }
  return seen.empty() ? "not recorded" : fmt::format("{}", fmt::join(seen, ", "));
}

// The reel's verification event in qc.json (`file`), if verify checked the reel.
std::optional<MetsEvent> verification_in(const nlohmann::json& qc, const fs::path& file,
                                         const std::string& reel_id) {
  for (const auto& reel : qc.value("reels", nlohmann::json::array())) {
    if (reel.value("reel", "") != reel_id) continue;
    MetsEvent event;
    event.type = "verification";
    event.date_time = qc.value("verified_at", "");
    if (event.date_time.empty()) {  // qc.json written before it said when
      const auto written = std::chrono::file_clock::to_sys(fs::last_write_time(file));
      event.date_time =
          utc_timestamp(std::chrono::time_point_cast<std::chrono::system_clock::duration>(written));
    }
    event.detail = fmt::format("filmwriter verify, QC profile {}",
                               fs::path(qc.value("profile", "")).filename().string());
    event.outcome = reel.value("verdict", "");
    const auto failures = reel.value("failures", std::vector<std::string>{});
    // The first failures name what failed; qc.json and report.html hold them all.
    constexpr std::size_t kListed = 20;
    for (std::size_t i = 0; i < failures.size() && i < kListed; ++i) {
      event.outcome_notes.push_back(failures[i]);
    }
    if (failures.size() > kListed) {
      event.outcome_notes.push_back(
          fmt::format("and {} more failure(s): see qc.json", failures.size() - kListed));
    }
    for (const auto& w : reel.value("warnings", std::vector<std::string>{})) {
      event.outcome_notes.push_back("warning: " + w);
    }
    event.agents = {"filmwriter"};
    return event;
  }
  return std::nullopt;
}

// verify's verdict on the reel, from the job's qc.json, when verify ran.
std::optional<MetsEvent> verification_of(const fs::path& job_dir, const std::string& reel_id) {
  const fs::path file = job_dir / "qc.json";
  if (!fs::is_regular_file(file)) return std::nullopt;
  try {
    return verification_in(nlohmann::json::parse(read_file(file)), file, reel_id);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::job, fmt::format("{}: {}", file.string(), e.what()));
  }
}

std::string densities_text(const std::vector<double>& densities) {
  std::vector<std::string> d;
  d.reserve(densities.size());
  for (double v : densities) d.push_back(fmt::format("{:.2f}", v));
  return fmt::format("{}", fmt::join(d, ", "));
}

// metsHdr's CREATEDATE: now, or SOURCE_DATE_EPOCH when it is set (reproducible-builds.org, as
// the targets' date: a rerun with a fixed "now" writes the same package).
std::string created_now() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    char* end = nullptr;
    const long long seconds = std::strtoll(epoch, &end, 10);
    if (end != nullptr && *end == '\0' && seconds >= 0) {
      return utc_timestamp(
          std::chrono::system_clock::from_time_t(static_cast<std::time_t>(seconds)));
    }
  }
  return utc_timestamp_now();
}

// The reel on the shelf: the current run's last attempt of the reel that is not spoiled.
const CatalogReel* shelf_reel(const std::vector<CatalogReel>& reels, const std::string& reel_id) {
  const CatalogReel* reel = nullptr;
  for (const CatalogReel& r : reels) {
    if (r.reel_id == reel_id && r.status != "spoiled" && (!reel || r.attempt > reel->attempt)) {
      reel = &r;
    }
  }
  return reel;
}

}  // namespace

MetsPackage reel_package(const Catalog& catalog, const std::string& job_id,
                         const std::string& reel_id, std::optional<std::vector<IndexRow>> rows) {
  MetsPackage p;
  const auto jobs = catalog.jobs();
  const auto job = std::find_if(jobs.begin(), jobs.end(), [&](auto& j) { return j.id == job_id; });
  if (job == jobs.end()) {
    throw Error(ErrorKind::job,
                fmt::format("{}: the catalog holds no job {}", catalog.location(), job_id));
  }
  const auto reels = catalog.reels(job_id);
  const CatalogReel* reel = shelf_reel(reels, reel_id);
  if (!reel) {
    throw Error(ErrorKind::job, fmt::format("{}: job {} has no reel {} on film", catalog.location(),
                                            job_id, reel_id));
  }
  p.job_id = job_id;
  p.job_title = job->title;
  p.institution = job->institution;
  p.format = job->format;
  p.reel_id = reel_id;
  p.fiche = reel_id.starts_with('F');  // the planner names fiche sheets F0001, rolls R0001
  p.attempt = reel->attempt;
  p.reel_status = reel->status;
  p.film_used_m = reel->film_used_m;
  p.index_sha256 = reel->index_sha256;
  p.manifest_sha256 = reel->manifest_sha256;
  p.created = created_now();
  if (rows) {
    p.frames = std::move(*rows);
  } else {
    for (CatalogFrame& f : catalog.frames(job_id)) {
      if (f.reel_id == reel_id && f.attempt == reel->attempt) p.frames.push_back(std::move(f.row));
    }
  }
  // The documents with a frame on this reel (a reel target carries the reel's first document
  // id without belonging to it).
  std::set<std::string> on_reel;
  for (const IndexRow& r : p.frames) {
    if (!is_reel_target(r.kind)) on_reel.insert(r.document_id);
  }
  // Each document's table of contents (the catalog's, as the job gave it): the logical
  // structMap nests the pages under its entries.
  std::map<std::string, std::vector<MetsTocDivision>> toc_of;
  for (const CatalogTocPlace& place : catalog.toc(job_id)) {
    toc_of[place.document_id].push_back({place.toc.title, place.toc.level, place.toc.page});
  }
  for (CatalogDocument& d : catalog.documents(job_id)) {
    if (!on_reel.count(d.id)) continue;
    p.documents.push_back({d.id, std::move(d.title), std::move(d.metadata), toc_of[d.id]});
  }

  Filming filming = filming_of(job->dir, reel_id);
  p.agents.push_back({"filmwriter", "filmwriter", "software", FW_VERSION});
  if (!filming.driver.empty()) {
    p.agents.push_back({"recorder", "recorder driver " + filming.driver, "hardware", ""});
  }
  if (!filming.operator_name.empty()) {
    p.agents.push_back({"operator", filming.operator_name, "person", ""});
  }
  if (!p.institution.empty())
    p.agents.push_back({"institution", p.institution, "organization", ""});

  for (MetsEvent& checked : filming.source_checks) p.events.push_back(std::move(checked));
  MetsEvent filmed;
  filmed.type = "filming";
  filmed.date_time = filming.date.empty() ? "unknown" : filming.date;
  filmed.detail = fmt::format(
      "reel {} attempt {}: {} frame(s) on film format {}, {:.2f} m of film used; recorder "
      "driver {}; density calibration {}",
      reel_id, p.attempt, p.frames.size(), p.format, p.film_used_m,
      filming.driver.empty() ? "not recorded" : filming.driver, calibration_of(p.frames));
  filmed.outcome = p.reel_status;
  filmed.agents = {"filmwriter"};
  if (!filming.driver.empty()) filmed.agents.emplace_back("recorder");
  if (!filming.operator_name.empty()) filmed.agents.emplace_back("operator");
  p.events.push_back(std::move(filmed));
  if (auto verified = verification_of(job->dir, reel_id)) p.events.push_back(std::move(*verified));
  for (const Inspection& i : list_inspections(catalog, job_id, reel_id)) {
    if (i.earlier_filming) continue;  // about film that is no longer on the shelf
    MetsEvent inspected;
    inspected.type = "inspection";
    inspected.date_time = i.date;
    inspected.detail =
        fmt::format("vault inspection #{}: A-D strip {}; densities [{}]{}", i.id, i.ad_strip,
                    densities_text(i.densities), i.notes.empty() ? "" : "; notes: " + i.notes);
    inspected.outcome = fmt::format("A-D strip {}", i.ad_strip);
    if (!p.institution.empty()) inspected.agents = {"institution"};
    p.events.push_back(std::move(inspected));
  }
  return p;
}

fs::path write_reel_mets(const Catalog& catalog, const std::string& job_id,
                         const std::string& reel_id, const fs::path& reel_dir, bool from_index) {
  std::optional<std::vector<IndexRow>> rows;
  if (from_index) rows = read_index(reel_dir / "index.csv");
  const std::string xml = mets_xml(reel_package(catalog, job_id, reel_id, std::move(rows)));
  fs::create_directories(reel_dir);
  fs::path file = reel_dir / "mets.xml";
  write_file_atomic(file, xml);
  return file;
}

std::vector<fs::path> export_mets(const Catalog& catalog, const std::string& job_id,
                                  const fs::path& out_dir) {
  std::vector<fs::path> written;
  const auto jobs = catalog.jobs();
  const auto job = std::find_if(jobs.begin(), jobs.end(), [&](auto& j) { return j.id == job_id; });
  if (job == jobs.end()) {
    throw Error(ErrorKind::job,
                fmt::format("{}: the catalog holds no job {}", catalog.location(), job_id));
  }
  // The job's frames read once and split by reel attempt (not once per reel).
  std::map<std::pair<std::string, std::uint32_t>, std::vector<IndexRow>> rows;
  for (CatalogFrame& f : catalog.frames(job_id)) {
    rows[{f.reel_id, f.attempt}].push_back(std::move(f.row));
  }
  const auto reels = catalog.reels(job_id);
  std::set<std::string> done;
  for (const CatalogReel& reel : reels) {
    if (reel.status == "spoiled" || !done.insert(reel.reel_id).second) continue;
    const fs::path dir = (out_dir.empty() ? job->dir : out_dir) / reel.reel_id;
    auto found = rows.find({reel.reel_id, shelf_reel(reels, reel.reel_id)->attempt});
    std::vector<IndexRow> reel_rows;
    if (found != rows.end()) reel_rows = std::move(found->second);
    const std::string xml =
        mets_xml(reel_package(catalog, job_id, reel.reel_id, std::move(reel_rows)));
    fs::create_directories(dir);
    write_file_atomic(dir / "mets.xml", xml);
    written.push_back(dir / "mets.xml");
  }
  return written;
}

}  // namespace fw
