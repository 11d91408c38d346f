// What a plan warns of, before and as it is filmed (engine/api/convert_steps.hpp).
#include <algorithm>

#include <fmt/format.h>

#include "api/convert_steps.hpp"
#include "color/calibration.hpp"
#include "ops/log.hpp"

namespace fw::api {

namespace {

// Oversize pages filmed at a higher reduction than their document's (oversize = "reduce"):
// legible, but smaller on film than the rest, so said once per reduction-change target.
PlanWarning oversize_warning(const Job& job, const Plan& plan, const PlannedFrame& notice) {
  const Document& document = job.documents.at(notice.document);
  std::uint32_t last = notice.page;
  for (std::size_t k = notice.sequence + 1;
       k < plan.frames.size() && plan.frames[k].kind == FrameKind::page &&
       plan.frames[k].reduction == notice.announced_reduction;
       ++k) {
    last = plan.frames[k].page;
  }
  const std::string pages = last == notice.page ? fmt::format("page {}", notice.page)
                                                : fmt::format("pages {}-{}", notice.page, last);
  const double own = settings_for(job, document).reduction;
  nlohmann::json fields = {{"document", document.id},
                           {"first_page", notice.page},
                           {"last_page", last},
                           {"reduction", notice.announced_reduction},
                           {"document_reduction", own},
                           {"address", notice.address},
                           {"reel", plan.reels.at(notice.reel - 1).id}};
  // oversize = "split": the overview is followed by the sections' own target and the sections.
  const PlannedFrame* sections = nullptr;
  for (std::size_t k = notice.sequence + 1; k < std::min(plan.frames.size(), notice.sequence + 5);
       ++k) {
    const PlannedFrame& frame = plan.frames[k];
    if (frame.kind != FrameKind::reduction_change) continue;
    if (frame.sections > 0 && frame.page == notice.page) sections = &frame;
    break;
  }
  std::string message = fmt::format(
      "document {} ({}) {}: too large for {:g}x, filmed {}at {:g}x behind the "
      "reduction-change target {}",
      document.id, document.key, pages, own, sections ? "whole " : "", notice.announced_reduction,
      notice.address);
  if (sections) {
    fields["sections"] = sections->sections;
    fields["section_columns"] = sections->section_columns;
    fields["sections_address"] = sections->address;
    message += fmt::format(
        ", then in {} sections ({} x {}) at {:g}x behind {} (oversize = "
        "\"split\")",
        sections->sections, sections->sections / sections->section_columns,
        sections->section_columns, own, sections->address);
  } else {
    message += " (oversize = \"reduce\")";
  }
  return {"oversize_page", std::move(fields), {std::move(message), {}}};
}

}  // namespace

// What the plan itself warns of: every page a substitute takes the place of (one warning per
// page, naming it and why), every document left out, and filming without a calibration.
// Frames before `first` are on film already (resume) and warned of in their own run.
std::vector<PlanWarning> plan_warnings(const Job& job, const Plan& plan, std::size_t first) {
  std::vector<PlanWarning> out;
  for (std::size_t i = first; i < plan.frames.size(); ++i) {
    const PlannedFrame& frame = plan.frames[i];
    if (frame.kind == FrameKind::reduction_change) {
      // A page's sections are told of with its overview.
      if (frame.sections == 0) out.push_back(oversize_warning(job, plan, frame));
      continue;
    }
    if (frame.kind != FrameKind::substitute) continue;
    const Document& document = job.documents.at(frame.document);
    const std::string label = fmt::format("{} ({})", document.id, document.key);
    const nlohmann::json substitute = {{"document", document.id},  {"page", frame.page},
                                       {"address", frame.address}, {"file", frame.source.ref.file},
                                       {"target", frame.target},   {"reason", frame.reason}};
    nlohmann::json fields = substitute;
    fields["reel"] = plan.reels.at(frame.reel - 1).id;
    out.push_back(
        {"substitute",
         std::move(fields),
         {ops::substitute_warning(label, frame.page, frame.address, frame.reason), substitute}});
  }
  // Text in a scans folder (a readme, a list of the pages) is no page: said once, not filmed.
  if (first == 0) {
    for (const std::string& file : plan.left_out) {
      out.push_back({"not_a_page",
                     {{"file", file}},
                     {fmt::format("document {} is text, not a page file: not filmed (every "
                                  "other file of a folder is a page; a text file is not)",
                                  file),
                      {}}});
    }
  }
  for (const std::string& skipped : plan.skipped) {
    out.push_back({"skipped_document", {}, {"skipped document " + skipped, {}}});
  }
  // What the job asks for on target frames that its film has none of. A table of contents is
  // filmed on TOC target frames behind the document's title target:
  // a fiche sheet has no target frames (its header strip is its eye-legible title), nor has a
  // roll filmed with targets = "none". The entries stay findable: in the catalog, each sheet's
  // or reel's mets.xml and the toc-csv package, each with its page's frame address. Only on
  // the first run (a resume warned of it then).
  if (!plan.targets && first == 0) {
    const bool fiche = plan.format.layout == FilmLayout::fiche;
    for (const Document& document : job.documents) {
      if (document.toc.empty()) continue;
      out.push_back(
          {"toc_not_filmed",
           {{"document", document.id}, {"entries", document.toc.size()}},
           {fmt::format("document {} ({}): its table of contents ({} entries) is not filmed: {}; "
                        "its entries are in the catalog (catalog find --title), in mets.xml and "
                        "in the toc-csv package, each with its page's frame address",
                        document.id, document.key, document.toc.size(),
                        fiche ? "a fiche sheet carries no target frames (its header strip and "
                                "pages only), so there is no title frame for TOC frames to "
                                "follow (docs/formats.md#fiche-and-tables-of-contents)"
                              : "targets = \"none\" films no title or TOC target frames"),
            {}}});
    }
    // The same for the operator's declaration and the reel contents, target frames too.
    const std::string why = fiche ? "a fiche sheet carries no target frames" : "targets = \"none\"";
    if (!job.operator_name.empty()) {
      out.push_back(
          {"declaration_not_filmed",
           {{"operator", job.operator_name}},
           {fmt::format("operator = \"{}\": the operator's declaration is not filmed: {}; the "
                        "operator is recorded in plan.json, the journal and each {}'s mets.xml",
                        job.operator_name, why, fiche ? "sheet" : "reel"),
            {}}});
    }
    if (job.reel_contents) {
      out.push_back(
          {"reel_contents_not_filmed",
           {},
           {fmt::format("reel_contents = true: no reel contents frame is filmed: {}; each {}'s "
                        "documents are in its index.csv, the catalog and mets.xml",
                        why, fiche ? "sheet" : "reel"),
            {}}});
    }
  }
  if (!plan.calibration || plan.calibration->identity()) {
    out.push_back({"uncalibrated",
                   {{"calibration", "none"}},
                   {"calibration = \"none\": frames go to the recorder as raw code values; the "
                    "background density will not be held at the aim (see "
                    "docs/calibration.md#density-and-tone)",
                    {}}});
  }
  return out;
}

}  // namespace fw::api
