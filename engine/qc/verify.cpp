// filmwriter verify: the developed film against the plan, the index and the sources. The job's
// frame: limits, the technical target's template, each reel verified by qc/reel_verifier.hpp,
// then qc.json, the contact sheets and the report.
#include <fmt/format.h>
#include <malloc.h>

#include <optional>

#include "base/buffer_pool.hpp"
#include "base/files.hpp"
#include "base/utc.hpp"
#include "catalog/catalog.hpp"
#include "catalog/inspection.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "qc/qc.hpp"
#include "qc/qc_json.hpp"
#include "qc/reel_verifier.hpp"
#include "qc/report.hpp"
#include "qc/thumbnails.hpp"

namespace fw {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr std::size_t kTrimEveryFrames = 16;

std::pair<double, double> aim_range(const std::string& document_class, const QcProfile& profile) {
  const std::string cls = document_class.empty() ? "high-contrast" : document_class;
  for (const auto& [name, range] : profile.background) {
    if (name == cls) return range;
  }
  throw Error(ErrorKind::job, fmt::format("{}: no background range for document class \"{}\"",
                                          profile.file.string(), cls));
}

// Cornell's digital QI for the documents' scans: bitonal dpi x 0.039 h / 3, grey / 2.
double source_qi(const Job& job, const PreparedJob& prepared, double e_mm) {
  double qi = 0;
  for (const PlannedFrame& frame : prepared.plan.frames) {
    if (frame.kind != FrameKind::page || frame.source.info.dpi <= 0) continue;
    const bool bitonal =
        settings_for(job, job.documents[frame.document]).mode == ImageMode::bitonal;
    const double q = frame.source.info.dpi * 0.039 * e_mm / (bitonal ? 3 : 2);
    qi = qi == 0 ? q : std::min(qi, q);
  }
  return qi;
}

Json inspections_of(const Job& job, const fs::path& catalog_file) {
  Json inspections = Json::array();
  // A server's catalog (a URL) is there for the asking; a file only once convert made it.
  if (catalog_file.empty() || (!is_catalog_url(catalog_file) && !fs::exists(catalog_file))) {
    return inspections;
  }
  const Catalog catalog(catalog_file);
  for (const Inspection& i : list_inspections(catalog, job.id)) {
    inspections.push_back({{"reel", i.reel},
                           {"date", i.date},
                           {"ad_strip", i.ad_strip},
                           {"densities", i.densities},
                           {"notes", i.notes},
                           {"recorded_at", i.recorded_at},
                           {"earlier_filming", i.earlier_filming}});
  }
  return inspections;
}

// A template or font plan.json recorded that is not the same on disk now, and the frames of
// the plan drawn with it: those are drawn again with the file as it is now, so a difference
// between them and the film may be the file's, not the filming's.
struct DrawnCheck {
  DrawnChange change;
  std::uint64_t frames = 0;         // frames drawn with it
  std::vector<std::string> failed;  // of those, the ones verify failed (addresses)
};

bool draws_with(const Job& job, const Plan& plan, const PlannedFrame& frame,
                const DrawnChange& change) {
  const bool target = is_target(frame.kind) || frame.kind == FrameKind::substitute;
  if (change.role == "template") {
    return target && drawn_file_name(frame_template_file(job, plan, frame)) == change.file;
  }
  // A font or the font set: every target's text and every image address in a blip track.
  const bool address = frame.placement.track_width_px > 0 && frame.placement.track_height_px > 0 &&
                       plan.format.blips.address_height_mm > 0;
  return target || address;
}

// The plan made now is not the one filmed: the first failure, naming what changed, as the
// reason for the frames' own (a frame "on the film but not in the plan", another address).
void report_plan_changes(const VerifyOptions& options, const std::filesystem::path& job_dir,
                         QcResult& result) {
  if (options.plan_changes.empty()) return;
  const std::string failure = fmt::format(
      "the job plans other frames now than it filmed ({}): {}; the frames are compared with "
      "the plan made now, so their failures below may all follow from this: put back the "
      "sources, profiles and settings the job was filmed with, and verify again",
      (job_dir / "plan.json").string(), fmt::join(options.plan_changes, "; "));
  result.passed = false;
  result.json["verdict"] = "fail";
  result.failures.insert(result.failures.begin(), failure);
  Json all = Json::array({failure});
  for (const auto& f : result.json["failures"]) all.push_back(f);
  result.json["failures"] = std::move(all);
}

// qc.json's drawn_with, the warnings and the failures that name a changed file; the failures
// come first, as the reason for the frames' own.
void report_drawn_files(const VerifyOptions& options, const std::vector<DrawnCheck>& checks,
                        QcResult& result) {
  Json& out = result.json;
  if (!options.plan_recorded) return;
  if (!options.drawn_with) {
    out["drawn_with"] = {{"recorded", false}};
    const std::string warning =
        "plan.json records no templates or fonts (the job was planned by an earlier "
        "filmwriter): a target that differs from the one drawn now may come from a template "
        "or font changed since filming";
    result.warnings.push_back(warning);
    out["warnings"].push_back(warning);
    return;
  }
  Json changed = Json::array();
  std::vector<std::string> failures;
  for (const DrawnCheck& check : checks) {
    const DrawnChange& c = check.change;
    const bool instead = c.planned_sha256.empty();
    const char* status = instead                ? "drawn instead"
                         : c.missing            ? "missing"
                         : c.now_sha256.empty() ? "no longer drawn"
                                                : "changed";
    const auto digest = [](const std::string& sha256) {
      return sha256.empty() ? Json(nullptr) : Json(sha256);
    };
    changed.push_back({{"role", c.role},
                       {"file", c.file},
                       {"status", status},
                       {"sha256_planned", digest(c.planned_sha256)},
                       {"sha256_now", digest(c.now_sha256)},
                       {"frames", check.frames},
                       {"frames_failed", check.failed.size()}});
    const std::string what = describe(c, "the job was filmed");
    const std::string advice = instead ? "take it away (or put back the files the job was "
                                         "filmed with)"
                                       : "put back the file as it was when the job was filmed";
    if (check.failed.empty()) {
      const std::string warning = fmt::format(
          "{}: the {} frame(s) on the film drawn with it are drawn again with the files as they "
          "are now and still match; {} to verify them against what was filmed",
          what, check.frames, advice);
      result.warnings.push_back(warning);
      out["warnings"].push_back(warning);
      continue;
    }
    std::string list;
    for (std::size_t i = 0; i < check.failed.size() && i < 5; ++i) {
      list += (i ? ", " : "") + check.failed[i];
    }
    if (check.failed.size() > 5) list += fmt::format(", … {} more", check.failed.size() - 5);
    failures.push_back(fmt::format(
        "{}: {} of the {} frame(s) drawn with it differ from the frames drawn now ({}), and "
        "this change may be why; {} and verify again",
        what, check.failed.size(), check.frames, list, advice));
  }
  out["drawn_with"] = {{"recorded", true}, {"changed", changed}};
  if (failures.empty()) return;
  result.passed = false;
  out["verdict"] = "fail";
  result.failures.insert(result.failures.begin(), failures.begin(), failures.end());
  Json all = Json::array();
  for (const std::string& failure : failures) all.push_back(failure);
  for (const auto& failure : out["failures"]) all.push_back(failure);
  out["failures"] = std::move(all);
}

}  // namespace

QcResult verify_job(const Job& job, const PreparedJob& prepared, const QcProfile& profile,
                    const VerifyOptions& options) {
  const Plan& plan = prepared.plan;
  const fs::path& job_dir = prepared.job_dir;
  if (!fs::exists(job_dir)) {
    throw Error(ErrorKind::job, job_dir.string() + ": no such job output (was the job run?)");
  }
  // The calibration the plan resolved (the job's, or its recorder's): the frames are
  // rendered again through it, and its document class decides the aim.
  const FrameCalibration identity;
  const FrameCalibration& calibration = plan.calibration ? *plan.calibration : identity;
  const auto [aim_low, aim_high] = aim_range(calibration.document_class(), profile);
  QcResult result;
  Json& out = result.json;
  out["job"] = {{"id", job.id}, {"title", job.title}, {"institution", job.institution}};
  out["job"]["documents"] = Json::array();
  for (const Document& doc : job.documents) {
    Json d{{"id", doc.id}, {"title", doc.title}, {"metadata", Json::object()}};
    for (const auto& [k, v] : doc.metadata) d["metadata"][k] = v;
    out["job"]["documents"].push_back(d);
  }
  out["profile"] = profile.file.string();
  out["calibration"] = calibration.record();
  out["limits"] = {{"background", {aim_low, aim_high}},
                   {"positive_background_max", profile.positive_background_max},
                   {"base_fog_max", profile.base_fog_max},
                   {"frame_uniformity", profile.frame_uniformity},
                   {"reel_uniformity", profile.reel_uniformity},
                   {"min_modulation", profile.min_modulation},
                   {"e_height_mm", profile.e_height_mm},
                   {"qi_required", profile.qi_required},
                   {"ssim_min", profile.ssim_min},
                   {"ssim_block_min", profile.ssim_block_min}};
  // When: the reel's METS package dates its PREMIS verification event with it.
  out["verified_at"] = utc_timestamp_now();
  out["verdict"] = "pass";
  out["failures"] = Json::array();
  out["warnings"] = Json::array();
  out["polarity"] = to_string(job.polarity);
  out["reels"] = Json::array();
  // A document left out under on_error = "skip-document" is on no reel, so no reel's checks
  // meet it: convert warned of it, and the QC record does too.
  for (const std::string& skipped : plan.skipped) {
    const std::string warning = fmt::format(
        "a document is not on the film (on_error = \"skip-document\"): skipped document {}",
        skipped);
    result.warnings.push_back(warning);
    out["warnings"].push_back(warning);
  }

  // The files recorded against the disk before anything is drawn again.
  std::vector<DrawnCheck> drawn_checks;
  if (options.drawn_with) {
    for (DrawnChange& change : changed_on_disk(*options.drawn_with)) {
      drawn_checks.push_back({std::move(change), 0, {}});
    }
    // A file unchanged on disk can still stop being drawn with: another font found first
    // (a job's own fonts folder), another template set. Those the plan made now draws with
    // instead are named too.
    if (plan.drawn_with) {
      for (DrawnChange& change : changed_between(*options.drawn_with, *plan.drawn_with)) {
        const bool instead =
            change.planned_sha256.empty() || (change.now_sha256.empty() && !change.missing);
        if (instead) drawn_checks.push_back({std::move(change), 0, {}});
      }
    }
  }

  std::optional<TargetTemplate> technical;
  if (plan.targets) {
    technical = load_template(
        template_file(plan.profiles_dir.empty() ? options.profiles_dir : plan.profiles_dir,
                      job.targets, FrameKind::technical_target));
  }
  SourceHashes hashes;
  qc::VerifySetup setup;
  setup.job = &job;
  setup.plan = &plan;
  setup.profile = &profile;
  setup.technical = technical ? &*technical : nullptr;
  setup.aim_low = aim_low;
  setup.aim_high = aim_high;
  setup.source_qi = source_qi(job, prepared, profile.e_height_mm);
  setup.hashes = &hashes;
  setup.threads = options.threads;

  std::uint64_t frames_checked = 0, frames_total = 0;
  for (const PlannedReel& reel : plan.reels) frames_total += reel.frame_count;
  std::vector<qc::ReelPictures> pictures;
  // The thumbnails wait for the contact sheets and the report in a file, not on the heap.
  qc::ThumbnailStore thumbnails(job_dir);
  for (const PlannedReel& reel : plan.reels) {
    const fs::path reel_dir = job_dir / reel.id;
    std::vector<qc::ThumbnailStore::Ref> stored;
    const qc::ReelVerdict verdict =
        qc::verify_reel(setup, reel, reel_dir, [&](qc::FrameVerdict& frame) {
          stored.push_back(thumbnails.add(frame.thumbnail_jpeg));
          std::string().swap(frame.thumbnail_jpeg);
          // The heap in use is flat along the reel (the frame pool's buffers), but what the
          // frames' checks free stays resident in malloc's arenas: RSS grew by ~45 MB over 200
          // frames with no more heap in use (heaptrack against /proc; bench/README.md,
          // "verify"). Handing the free pages back every few frames keeps it level.
          if (stored.size() % kTrimEveryFrames == 0) malloc_trim(0);
          if (options.on_progress) options.on_progress({reel.id, ++frames_checked, frames_total});
        });
    // The frames' buffers (film, render, areas, SSIM planes: some 120 MB a frame in flight for
    // a 16 mm A4 frame at 2.5 um) stay in the pool as spares when the reel's checks end. Kept,
    // they sit resident under the JSON, contact sheet and report, whose size grows with the
    // reel, and the peak became the two added (bench/README.md, "verify"). The next reel
    // allocates its own again: one reel's time against a few frames' allocations.
    frame_buffers().release_spares();
    malloc_trim(0);
    Json r = qc::reel_json(verdict, aim_low, aim_high);
    for (const auto& w : verdict.warnings) {
      result.warnings.push_back(w);
      out["warnings"].push_back(w);
    }
    if (!verdict.passed()) {
      out["verdict"] = "fail";
      result.passed = false;
    }
    for (const auto& f : verdict.failures) {
      result.failures.push_back(f);
      out["failures"].push_back(f);
    }
    for (DrawnCheck& check : drawn_checks) {
      for (const qc::FrameVerdict& f : verdict.frames) {
        const std::size_t index = reel.first_frame + f.frame - 1;
        if (f.frame == 0 || index >= plan.frames.size()) continue;
        // A frame missing from the film is missing whatever it was drawn with.
        if (!f.present || !draws_with(job, plan, plan.frames[index], check.change)) continue;
        ++check.frames;
        if (!f.passed()) check.failed.push_back(f.address);
      }
    }
    qc::ReelPictures pics{reel.id, {}};
    // A fiche's sheet is laid out as the fiche when every frame has its cell in the plan.
    bool every_cell = plan.format.layout == FilmLayout::fiche;
    pics.thumbs.reserve(verdict.frames.size());
    for (std::size_t i = 0; i < verdict.frames.size(); ++i) {
      const qc::FrameVerdict& f = verdict.frames[i];
      qc::Thumb& thumb = pics.thumbs.emplace_back(qc::Thumb{
          .frame = f.frame, .address = f.address, .failed = !f.passed(), .jpeg = stored.at(i)});
      const std::size_t index = reel.first_frame + f.frame - 1;
      if (f.frame == 0 || index >= plan.frames.size() || plan.frames[index].grid_column == 0) {
        every_cell = false;
        continue;
      }
      thumb.grid_row = plan.frames[index].grid_row;
      thumb.grid_column = plan.frames[index].grid_column;
    }
    if (every_cell) {
      pics.grid_columns = plan.format.fiche.columns;
      pics.grid_rows = plan.format.fiche.rows;
    }
    if (options.contact_sheets && !pics.thumbs.empty() && fs::is_directory(reel_dir)) {
      const auto file = reel_dir / "contact.jpg";
      qc::write_contact_sheet(pics, thumbnails, file);
      result.contact_sheets.push_back(file);
      r["contact_sheet"] = reel.id + "/contact.jpg";
    }
    out["reels"].push_back(std::move(r));
    pictures.push_back(std::move(pics));
  }
  report_drawn_files(options, drawn_checks, result);
  report_plan_changes(options, job_dir, result);
  result.qc_json = job_dir / "qc.json";
  write_file_atomic(result.qc_json, out.dump(2) + "\n");
  if (options.report) {
    result.report_html = job_dir / "report.html";
    qc::write_report_html(result.report_html, out, pictures, thumbnails,
                          inspections_of(job, options.catalog));
  }
  return result;
}

}  // namespace fw
