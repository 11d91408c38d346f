// What `plan` and `convert` print as the engine's convert operation reports it: the plan an
// operator checks before loading film (reels, frames per reel, film used, splits), decoded
// pages, resume and where the reels went.
#include "convert_printer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "api/plan_summary.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "ops/preflight_log.hpp"

namespace fw::cli {
namespace {

// What an operator checks before loading film: reels, frames per reel, film used, splits.
class Printer final : public api::ConvertListener {
 public:
  // The job's data frames, and what a 30.5 m reel holds as data frames on each roll format.
  static void print_data(const Job& job, const api::JobSettings& settings, const Plan& plan) {
    const data::Layout& l = *plan.data_layout;
    const api::DataSummary data = api::data_summary(settings, plan, 30.5);
    fmt::print(
        "data frames: {} files, {:.2f} MB, in {} frames ({}); module {:g} um, {} bit(s), "
        "{} net bytes a frame, outer code {} + {}\n",
        data.files, data.bytes / 1e6, data.frames, to_string(job.data.place), l.module_um(),
        l.code.bits_per_module, l.payload_bytes, l.code.group_data, l.code.group_parity);
    std::string capacity;
    for (const api::DataCapacity& format : data.capacity) {
      capacity += format.none.empty() ? fmt::format("{}{} {:.1f} MB", capacity.empty() ? "" : ", ",
                                                    format.format, format.bytes / 1e6)
                                      : fmt::format("{}{} none ({})", capacity.empty() ? "" : ", ",
                                                    format.format, format.none);
    }
    if (!capacity.empty()) fmt::print("  net data per 30.5 m reel at this pitch: {}\n", capacity);
  }

  void planned(const api::JobSettings& settings, const PreparedJob& prepared) override {
    const Job& job = settings.job;
    const Plan& plan = prepared.plan;
    const api::FrameCounts counts = api::count_frames(plan);
    const bool fiche = plan.format.layout == FilmLayout::fiche;
    fmt::print(
        "job {} \"{}\": {} documents, {} frames ({} pages{}, {} substitutes{}) on {} {}\n", job.id,
        job.title, job.documents.size(), plan.frames.size(), counts.pages,
        counts.separation_frames ? fmt::format(" in {} separation frames", counts.separation_frames)
                                 : "",
        counts.substitutes, counts.targets ? fmt::format(", {} targets", counts.targets) : "",
        plan.reels.size(), fiche ? "fiche" : "reel(s)");
    fmt::print("format {} at {:g}x, {} um pitch, {} {}, targets: {}{}\n", plan.format.name,
               job.defaults.reduction, plan.pitch_um, to_string(job.defaults.mode),
               to_string(job.polarity), plan.targets ? job.targets : std::string("none"),
               plan.targets && !job.operator_name.empty()
                   ? fmt::format(", each reel declared by {}", job.operator_name)
                   : std::string());
    if (plan.calibration && !plan.calibration->identity()) {
      const FrameCalibration& c = *plan.calibration;
      fmt::print("calibration {} (chosen by the {}), {} aim {:.2f} D, tone {:g}\n", c.label(),
                 c.chosen_by(), c.document_class(), c.aim_density(), c.tone());
    } else {
      fmt::print("calibration none: raw code values, the film's densities are not controlled\n");
    }
    if (prepared.checksums.used()) fmt::print("{}\n", prepared.checksums.line());
    if (plan.data_layout) print_data(job, settings, plan);
    for (const auto& reel : plan.reels) {
      const std::string range = reel.first_address.empty()
                                    ? std::string("no pages")
                                    : reel.first_address + " .. " + reel.last_address;
      if (fiche) {
        // The grid's cells in use (row 0 is the header strip): a separated page takes three.
        const auto first = plan.frames.begin() + static_cast<std::ptrdiff_t>(reel.first_frame);
        const auto cells =
            std::count_if(first, first + static_cast<std::ptrdiff_t>(reel.frame_count),
                          [](const PlannedFrame& f) { return f.grid_row > 0; });
        fmt::print("  {}: {} of {} frames, {}\n", reel.id, cells, plan.format.fiche.frames(),
                   range);
      } else {
        fmt::print("  {}: {} frames ({} pages), {:.2f} m of {:g} m film, {}\n", reel.id,
                   reel.frame_count, reel.pages, reel.film_used_m, reel.film_length_m, range);
      }
      if (reel.data_frames > 0) {
        fmt::print("    data: {} frames, {:.2f} MB of files\n", reel.data_frames,
                   reel.data_bytes / 1e6);
      }
      if (reel.continues_on_next) {
        const auto& split = plan.frames[reel.first_frame + reel.frame_count - 1];
        fmt::print("    split: document {} continues on {}\n", job.documents[split.document].id,
                   plan.reels[reel.number].id);
      }
    }
    for (const auto& skipped : plan.skipped) fmt::print("  skipped document {}\n", skipped);
    driver_ = job.driver;
    dir_ = settings.job_dir;
  }
  void decoded(const PreflightReport& report) override {
    fmt::print(
        "decode-all: {} page(s) decoded in {:.1f} s, {}\n", report.pages, report.seconds,
        report.bad.empty() ? std::string("none bad") : fmt::format("{} bad:", report.bad.size()));
    for (const BadPage& bad : report.bad) {
      fmt::print("  {}: {} ({})\n", bad.reel, bad.message, ops::policy_consequence(bad.policy));
    }
  }
  void resuming(std::size_t first, std::size_t frames, ReelPolicy policy) override {
    fmt::print("resuming at frame {} of {} (reel policy {}); {} frame(s) already on film\n",
               first + 1, frames, to_string(policy), first);
  }
  void note(const std::string& line) override { fmt::print("{}\n", line); }
  void exposed(const RunResult& run) override {
    fmt::print("exposed {} frames with the {} driver\n", run.frames_exposed, driver_);
    fmt::print("plan:     {}\n", (dir_ / "plan.json").string());
    for (const auto& reel : run.reels) {
      fmt::print("{}:    {} frames, {:.2f} m film\n", reel.id, reel.frames, reel.film_used_m);
      fmt::print("  index:    {}\n", (reel.dir / "index.csv").string());
      fmt::print("  manifest: {}\n", (reel.dir / "manifest.sha256").string());
      if (std::filesystem::is_directory(reel.dir / "frames")) {
        fmt::print("  frames:   {}\n", (reel.dir / "frames").string());
      }
      if (std::filesystem::is_regular_file(reel.dir / "film" / "reel.json")) {
        fmt::print("  film:     {} (developed film, density x 10000; reel.json: layout)\n",
                   (reel.dir / "film").string());
      }
    }
    std::fflush(stdout);
  }

 private:
  std::string driver_;
  std::filesystem::path dir_;
};

}  // namespace

std::unique_ptr<api::ConvertListener> make_convert_printer() {
  return std::make_unique<Printer>();
}

}  // namespace fw::cli
