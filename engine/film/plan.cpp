// The reel planner (film/plan.hpp): each document's pages (with substitutes, separations and
// data frames) into frames, placed and lengthened for their blip track; plan_roll.cpp and
// plan_fiche.cpp put them on film; plan_json.cpp writes the plan.
#include "film/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/plan_frames.hpp"
#include "film/separation_geometry.hpp"

namespace fw {
namespace {

using planner::a4_portrait;
using planner::check_recorder_limits;
using planner::data_address;
using planner::DocumentFrames;
using planner::lengthened;
using planner::page_context;
using planner::planned_address;
using planner::TrackSizer;
using planner::unit_frames;

// Checks each TOC entry's page against the document's filmed pages and gives the first frame
// of an entry's page the middle blip (the document start, where it is the first page on a
// reel without targets, keeps the highest).
void mark_toc_entries(const Job& job, const Document& document, bool targets,
                      std::vector<PlannedFrame>& frames) {
  std::uint32_t pages = 0;
  for (const PlannedFrame& frame : frames) pages = std::max(pages, frame.page);
  std::set<std::uint32_t> starts;
  for (const TocEntry& entry : document.toc) {
    if (entry.page > pages) {
      throw Error(ErrorKind::job,
                  fmt::format("{}: {}.page: page {} but document {} has {} page(s)", entry.origin,
                              entry.key, entry.page, document.id, pages));
    }
    starts.insert(entry.page);
  }
  for (PlannedFrame& frame : frames) {
    if (!targets && frame.blip == hal::BlipLevel::document) {
      frame.blip = document_start_blip(job);
    } else if (starts.contains(frame.page) && frame.blip != hal::BlipLevel::none) {
      frame.blip = hal::BlipLevel::document;
    }
  }
}

// The `separations` colour route: every page frame becomes its red, green and blue
// separations, one after the other, in a frame lengthened for the calibration strip. Only the
// red frame keeps the page's blip: the blip count stays a page count. Substitutes stay single
// grey frames (a notice has no colour to separate).
std::vector<PlannedFrame> separated(std::vector<PlannedFrame> frames, const Document& document,
                                    const FilmFormat& format, double pitch_um) {
  std::vector<PlannedFrame> out;
  out.reserve(frames.size() * 3);
  for (PlannedFrame& frame : frames) {
    if (frame.kind != FrameKind::page) {
      out.push_back(std::move(frame));
      continue;
    }
    try {
      frame.placement = with_separation_strip(frame.placement, format, pitch_um);
    } catch (const Error& error) {
      throw with_context(page_context(document, frame.page, frame.source), error);
    }
    for (const Separation separation : {Separation::red, Separation::green, Separation::blue}) {
      PlannedFrame copy = frame;
      copy.separation = separation;
      if (separation != Separation::red) copy.blip = hal::BlipLevel::none;
      out.push_back(std::move(copy));
    }
  }
  return out;
}

// A reduction-change target before `page`'s frames, announcing `announced`: filmed like the
// other targets, without a blip (blips count pages).
PlannedFrame reduction_notice(const PlannedFrame& page, const planner::TargetFrame& target,
                              double announced) {
  PlannedFrame notice;
  notice.kind = FrameKind::reduction_change;
  notice.document = page.document;
  notice.page = page.page;
  notice.blip = hal::BlipLevel::none;
  notice.placement = target.placement;
  notice.reduction = target.reduction;
  notice.announced_reduction = announced;
  return notice;
}

// Oversize pages filmed at another reduction than their document's (oversize = "reduce") are
// announced on film, as a change of reduction within a reel must be: a reduction-change target
// before each run of consecutive pages at one such reduction names the pages, their reduction
// and the document's. It carries no blip (blips count pages) and is filmed like the other
// targets.
std::vector<PlannedFrame> with_reduction_changes(std::vector<PlannedFrame> frames,
                                                 double document_reduction, const Job& job,
                                                 const FilmFormat& format, double pitch_um) {
  const auto oversize = [&](const PlannedFrame& frame) {
    return frame.kind == FrameKind::page && frame.reduction != document_reduction;
  };
  if (std::none_of(frames.begin(), frames.end(), oversize)) return frames;
  const planner::TargetFrame target = planner::target_placement(job, format, pitch_um);
  std::vector<PlannedFrame> out;
  out.reserve(frames.size() + 1);
  for (std::size_t i = 0; i < frames.size();) {
    if (!oversize(frames[i])) {
      out.push_back(std::move(frames[i++]));
      continue;
    }
    std::size_t end = i;
    while (end < frames.size() && oversize(frames[end]) &&
           frames[end].reduction == frames[i].reduction) {
      ++end;
    }
    const std::uint32_t first = frames[i].page;
    const std::uint32_t last = frames[end - 1].page;
    const double reduction = frames[i].reduction;
    PlannedFrame notice = reduction_notice(frames[i], target, reduction);
    if (frames[i].sections > 0) {
      // oversize = "split": this is the page's overview; its sections follow.
      notice.note = fmt::format(
          "第 {0} 页（超幅）全页缩率 {1:g}×，随后分幅以本文献缩率 {2:g}× 拍摄。\nPage {0} "
          "(oversize) is filmed whole at {1:g}x, then in sections at the document's {2:g}x.",
          first, reduction, document_reduction);
    } else {
      const std::string zh =
          first == last ? fmt::format("第 {} 页", first) : fmt::format("第 {}–{} 页", first, last);
      const std::string en = first == last ? fmt::format("Page {} (oversize) is", first)
                                           : fmt::format("Pages {}-{} (oversize) are", first, last);
      notice.note = fmt::format(
          "{}（超幅）缩率 {:g}×，本文献缩率 {:g}×。\n{} filmed at {:g}x; the document at {:g}x.",
          zh, reduction, document_reduction, en, reduction, document_reduction);
    }
    out.push_back(std::move(notice));
    for (; i < end; ++i) out.push_back(std::move(frames[i]));
  }
  return out;
}

// A PDF page is rendered at its frame's resolution, known only when it is placed: its page limit
// is checked then, before any film, not first when its reel is preflighted. (A document that
// substitutes or skips bad pages has preflight decide, as for any page that cannot be used.)
void check_rendered_pixels(const Job& job, const SourcePage& source, double scale,
                           FailurePolicy on_error, const std::string& context) {
  if (source.ref.format != SourceFormat::pdf || on_error != FailurePolicy::fail) return;
  const auto width = static_cast<std::uint64_t>(std::ceil(source.info.width_px * scale));
  const auto height = static_cast<std::uint64_t>(std::ceil(source.info.height_px * scale));
  if (width * height > job.limits.max_page_pixels) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the page renders at {} x {} = {} pixels for its frame, more "
                            "than the limit of {} (job key limits.max_page_pixels)",
                            context, width, height, width * height, job.limits.max_page_pixels));
  }
}

// "1 row", "2 rows".
std::string count_of(std::uint32_t count, const char* noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

// The `split` oversize route: after the overview of each page too large for the document's
// reduction comes a reduction-change target saying how the page is cut, then its sections at
// the document's reduction. Sections carry no blip: the blip count stays a page count.
std::vector<PlannedFrame> with_sections(std::vector<PlannedFrame> frames, const Job& job,
                                        const Document& document, const PageSettings& settings,
                                        const FilmFormat& format,
                                        const hal::Capabilities& recorder) {
  const auto split = [&](const PlannedFrame& frame) {
    return settings.oversize == OversizePolicy::split && frame.kind == FrameKind::page &&
           frame.reduction != settings.reduction;
  };
  if (std::none_of(frames.begin(), frames.end(), split)) return frames;
  const double pitch_um = recorder.pixel_pitch_um;
  const planner::TargetFrame target = planner::target_placement(job, format, pitch_um);
  std::vector<PlannedFrame> out;
  out.reserve(frames.size() + 8);
  for (PlannedFrame& frame : frames) {
    if (!split(frame)) {
      out.push_back(std::move(frame));
      continue;
    }
    const std::string context = page_context(document, frame.page, frame.source);
    PageSections grid;
    try {
      grid = page_sections(frame.source.info, settings, format, pitch_um);
    } catch (const Error& error) {
      throw with_context(context, error);
    }
    frame.sections = static_cast<std::uint32_t>(grid.sections.size());
    frame.section_columns = grid.columns;
    PlannedFrame notice = reduction_notice(frame, target, settings.reduction);
    notice.sections = frame.sections;
    notice.section_columns = frame.section_columns;
    notice.note = fmt::format(
        "第 {0} 页分 {1} 幅（{2} 行 × {3} 列），缩率 {4:g}×，自左上起逐行，相邻两幅重叠 {5:g} "
        "毫米；全页已先以 {6:g}× 拍摄。\nPage {0} follows in {1} sections ({7} x {8}) at "
        "{4:g}x, row by row from the top left, each sharing {5:g} mm with the next; the whole "
        "page is filmed before them at {6:g}x.",
        frame.page, frame.sections, grid.rows, grid.columns, settings.reduction,
        settings.section_overlap_mm, frame.reduction, count_of(grid.rows, "row"),
        count_of(grid.columns, "column"));
    out.push_back(frame);  // the overview; the sections are copies of it
    out.push_back(std::move(notice));
    for (std::uint32_t k = 0; k < frame.sections; ++k) {
      PlannedFrame section = frame;
      section.section = k + 1;
      section.placement = grid.sections[k];
      section.reduction = settings.reduction;
      section.blip = hal::BlipLevel::none;
      check_recorder_limits(section.placement, recorder, context);
      check_rendered_pixels(job, section.source, section.placement.scale_x, settings.on_error,
                            context);
      out.push_back(std::move(section));
    }
  }
  return out;
}

// Below this, a resolution a file declares is more likely a camera's or an editor's default
// (72, 96) than a page scan's.
constexpr double kLeastScanDpi = 150;

// A document's frames in page order, before they are given reels and positions.
std::vector<PlannedFrame> document_frames(const Job& job, const FilmFormat& format,
                                          const hal::Capabilities& recorder,
                                          const DocumentPages& pages) {
  const Document& document = job.documents[pages.document];
  const PageSettings settings = settings_for(job, document);
  const double pitch_um = recorder.pixel_pitch_um;

  auto place = [&](const SourcePage& source, PageSettings page_settings,
                   const std::string& context) {
    Placement placement;
    page_settings.reduction = page_reduction(source.info, page_settings, format, pitch_um);
    // A page's overview (oversize = "split") may lie beyond the format's highest reduction.
    FilmFormat overview_format;
    const FilmFormat* placing = &format;
    if (page_settings.reduction > format.max_reduction) {
      overview_format = format;
      overview_format.max_reduction = page_settings.reduction;
      placing = &overview_format;
    }
    try {
      placement = place_page(source.info, page_settings, *placing, pitch_um);
    } catch (const Error& error) {
      const PageInfo& info = source.info;
      // Cameras write 72 dpi and editors 72 or 96 whatever was photographed: a page of a
      // metre is then a page of a few inches whose file says nothing true about its size.
      if (error.kind() == ErrorKind::input && source.ref.format != SourceFormat::pdf &&
          !info.dpi_from_job && info.dpi < kLeastScanDpi) {
        throw Error(ErrorKind::input,
                    fmt::format("{}: {} (the size is the file's {} x {} px at the {:g} dpi it "
                                "declares; if that is a camera's or an editor's default rather "
                                "than the scan's resolution, set dpi and force_dpi = true)",
                                context, error.what(), info.width_px, info.height_px, info.dpi));
      }
      throw with_context(context, error);
    }
    check_recorder_limits(placement, recorder, context);
    check_rendered_pixels(job, source, placement.scale_x, page_settings.on_error, context);
    return std::pair{placement, page_settings.reduction};
  };

  auto substitutes = pages.substitutes;
  std::stable_sort(
      substitutes.begin(), substitutes.end(),
      [](const FailedPage& a, const FailedPage& b) { return a.position < b.position; });
  const std::size_t page_count = pages.pages.size() + substitutes.size();
  for (std::size_t i = 0; i < substitutes.size(); ++i) {
    const bool repeated = i > 0 && substitutes[i].position == substitutes[i - 1].position;
    if (substitutes[i].position >= page_count || repeated) {
      throw Error(ErrorKind::internal,
                  fmt::format("{}: substitute for page {} is outside the document's {} pages or "
                              "listed twice",
                              document.id, substitutes[i].position + 1, page_count));
    }
  }

  std::vector<PlannedFrame> frames;
  frames.reserve(page_count);
  // Substitutes take the frame of the first page filmed at the document's reduction (not an
  // oversize page's).
  std::optional<Placement> first_good_placement;
  const auto at_the_documents_reduction = [&](const PlannedFrame& frame) {
    return frame.kind == FrameKind::page && frame.reduction == settings.reduction;
  };
  auto next_good = pages.pages.begin();
  auto next_substitute = substitutes.begin();
  for (std::size_t position = 0; position < page_count; ++position) {
    PlannedFrame frame;
    frame.document = pages.document;
    frame.page = static_cast<std::uint32_t>(position + 1);
    frame.blip = position == 0 ? hal::BlipLevel::document : hal::BlipLevel::page;
    if (next_substitute != substitutes.end() && next_substitute->position == position) {
      frame.kind = FrameKind::substitute;
      frame.reason = next_substitute->reason;
      frame.source.ref = next_substitute->ref;  // the file that failed (empty: the source)
      ++next_substitute;
    } else {
      frame.kind = FrameKind::page;
      frame.source = *next_good;
      std::tie(frame.placement, frame.reduction) =
          place(*next_good, settings, page_context(document, frame.page, *next_good));
      ++next_good;
    }
    if (!first_good_placement && at_the_documents_reduction(frame)) {
      first_good_placement = frame.placement;
    }
    frames.push_back(std::move(frame));
  }

  // Ingest's substitutes use the document's (or job's) template; the job's own
  // [[documents.substitute]] entries then take their places, in page order.
  const std::string& default_target =
      document.substitute_target.empty() ? job.substitute_target : document.substitute_target;
  for (PlannedFrame& frame : frames) {
    if (frame.kind == FrameKind::substitute) frame.target = default_target;
  }
  std::vector<const DeclaredSubstitute*> declared;
  for (const DeclaredSubstitute& substitute : document.substitutes) declared.push_back(&substitute);
  std::stable_sort(declared.begin(), declared.end(),
                   [](const auto* a, const auto* b) { return a->page < b->page; });
  for (const DeclaredSubstitute* substitute : declared) {
    const std::size_t limit = frames.size() + (substitute->insert ? 1 : 0);
    if (substitute->page > limit) {
      throw Error(ErrorKind::job,
                  fmt::format("{}.page: page {} {} but document {} has {} page(s)", substitute->key,
                              substitute->page, substitute->insert ? "inserted" : "replaced",
                              document.id, frames.size()));
    }
    PlannedFrame frame;
    if (!substitute->insert) frame = frames[substitute->page - 1];  // keeps the source named
    frame.document = pages.document;
    frame.kind = FrameKind::substitute;
    frame.reduction = 0;  // the document's, as every substitute's
    frame.target = substitute->target;
    frame.note = substitute->note;
    frame.reason = substitute->note.empty() ? substitute->target : substitute->note;
    if (substitute->insert) {
      frame.source = {};
      frames.insert(frames.begin() + substitute->page - 1, std::move(frame));
    } else {
      frames[substitute->page - 1] = std::move(frame);
    }
  }
  if (!declared.empty()) {
    first_good_placement.reset();
    for (std::size_t i = 0; i < frames.size(); ++i) {
      frames[i].page = static_cast<std::uint32_t>(i + 1);
      frames[i].blip = i == 0 ? hal::BlipLevel::document : hal::BlipLevel::page;
      if (!first_good_placement && at_the_documents_reduction(frames[i])) {
        first_good_placement = frames[i].placement;
      }
    }
  }

  const bool any_substitute = std::any_of(frames.begin(), frames.end(), [](const auto& frame) {
    return frame.kind == FrameKind::substitute;
  });
  if (any_substitute) {
    Placement substitute_placement;
    if (first_good_placement) {
      substitute_placement = *first_good_placement;
    } else {
      // Large originals filmed at a low reduction may leave no room for A4 at that
      // reduction; the substitute then uses the format's highest reduction, which fits.
      PageSettings upright = settings;
      upright.rotate = 0;
      const std::string context = fmt::format("{}: substitute frame (A4 portrait)", document.id);
      try {
        substitute_placement = place_page(a4_portrait(), upright, format, pitch_um);
      } catch (const Error& error) {
        if (error.kind() != ErrorKind::input) throw with_context(context, error);
        upright.reduction = format.max_reduction;
        substitute_placement = place_page(a4_portrait(), upright, format, pitch_um);
      }
      check_recorder_limits(substitute_placement, recorder, context);
    }
    for (PlannedFrame& frame : frames) {
      if (frame.kind == FrameKind::substitute) frame.placement = substitute_placement;
    }
  }
  return frames;
}

// The frame of each TOC entry's page, once every frame has its reel and number: what the TOC
// target frames list and the catalog records. Frame numbers on a reel are known only after
// planning, so TOC frames are filled from here when they render.
void place_toc(const Job& job, Plan& plan) {
  if (!has_toc(job)) return;
  plan.toc.assign(job.documents.size(), {});
  std::map<std::pair<std::size_t, std::uint32_t>, const PlannedFrame*> first_frame;
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind != FrameKind::page && frame.kind != FrameKind::substitute) continue;
    first_frame.emplace(std::pair{frame.document, frame.page}, &frame);
  }
  for (std::size_t d = 0; d < job.documents.size(); ++d) {
    for (const TocEntry& entry : job.documents[d].toc) {
      TocPlace place;
      if (const auto found = first_frame.find({d, entry.page}); found != first_frame.end()) {
        place = {found->second->reel, found->second->number, found->second->address};
      }
      plan.toc[d].push_back(std::move(place));
    }
  }
}

// The documents of each reel in filming order, with their frames and pages on it: what its
// reel contents frames list (job key reel_contents).
void list_reel_documents(Plan& plan) {
  for (PlannedReel& reel : plan.reels) {
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      const PlannedFrame& f = plan.frames[i];
      switch (f.kind) {
        case FrameKind::page:
        case FrameKind::substitute:
        case FrameKind::data:
        case FrameKind::title_target:
        case FrameKind::toc_target:
        case FrameKind::continued_from:
        case FrameKind::continued_to:
        case FrameKind::reduction_change:
          break;
        default:
          continue;  // the reel's own targets and the data target
      }
      // A document starts on the reel with its title target, or its continued-from target.
      if (f.kind == FrameKind::title_target || f.kind == FrameKind::continued_from ||
          reel.documents.empty()) {
        reel.documents.push_back({f.document, f.number, f.number, {}, {}, 0, 0, 0, 0});
      }
      ReelDocument& entry = reel.documents.back();
      entry.last_frame = f.number;
      if (f.kind == FrameKind::continued_from) entry.from_reel = f.other_reel;
      if (f.kind == FrameKind::continued_to) entry.to_reel = f.other_reel;
      entry.data_frames += f.kind == FrameKind::data;
      if (begins_page(f)) {
        ++entry.pages;
        if (entry.first_page.empty()) entry.first_page = f.address;
      }
      if (f.kind == FrameKind::page || f.kind == FrameKind::substitute) entry.last_page = f.address;
    }
  }
}

}  // namespace

void check_reductions(const Job& job, const FilmFormat& format) {
  const std::string file = job.file.empty() ? std::string() : job.file.string() + ": ";
  auto check = [&](double reduction, const std::string& where) {
    try {
      check_reduction(format, reduction);
    } catch (const Error& error) {
      throw with_context(where, error);
    }
  };
  bool default_used = job.documents.empty();
  for (const Document& document : job.documents) {
    if (!document.overrides.reduction) {
      default_used = true;
      continue;
    }
    check(*document.overrides.reduction,
          fmt::format("{}{}.reduction = {:g} (document {})", file, document.key,
                      *document.overrides.reduction, document.id));
  }
  if (!default_used) return;
  const double reduction = job.defaults.reduction;
  check(reduction, job.reduction_flag.empty()
                       ? fmt::format("{}reduction = {:g}", file, reduction)
                       : fmt::format("{} {:g}", job.reduction_flag, reduction));
}

const char* to_string(FrameKind kind) {
  switch (kind) {
    case FrameKind::page:
      return "page";
    case FrameKind::substitute:
      return "substitute";
    case FrameKind::start_target:
      return "start-target";
    case FrameKind::technical_target:
      return "technical-target";
    case FrameKind::title_target:
      return "title-target";
    case FrameKind::toc_target:
      return "toc-target";
    case FrameKind::reel_contents:
      return "reel-contents";
    case FrameKind::continued_to:
      return "continued-to";
    case FrameKind::continued_from:
      return "continued-from";
    case FrameKind::declaration:
      return "declaration";
    case FrameKind::end_target:
      return "end-target";
    case FrameKind::fiche_header:
      return "fiche-header";
    case FrameKind::data_target:
      return "data-target";
    case FrameKind::data_format:
      return "data-format";
    case FrameKind::data:
      return "data";
    case FrameKind::reduction_change:
      return "reduction-change";
  }
  return "page";
}

bool is_target(FrameKind kind) {
  return kind != FrameKind::page && kind != FrameKind::substitute && kind != FrameKind::data;
}

bool begins_page(const PlannedFrame& frame) {
  return (frame.kind == FrameKind::page || frame.kind == FrameKind::substitute) &&
         (frame.separation == Separation::none || frame.separation == Separation::red) &&
         frame.section == 0;
}

bool has_toc(const Job& job) {
  return std::any_of(job.documents.begin(), job.documents.end(),
                     [](const Document& document) { return !document.toc.empty(); });
}

hal::BlipLevel document_start_blip(const Job& job) {
  return has_toc(job) ? hal::BlipLevel::batch : hal::BlipLevel::document;
}

Plan plan_reels(const Job& job, const FilmFormat& format, const hal::Capabilities& recorder,
                const std::vector<DocumentPages>& documents, const TextEngine* text,
                TargetEntries entries) {
  if (!(recorder.pixel_pitch_um > 0)) {
    throw Error(ErrorKind::device, fmt::format("the recorder reports a pixel pitch of {} um",
                                               recorder.pixel_pitch_um));
  }
  Plan plan;
  plan.job_id = job.id;
  plan.format = format;
  plan.pitch_um = recorder.pixel_pitch_um;
  plan.targets = job.targets != "none" && format.layout == FilmLayout::roll;
  plan.filming_date = job.filming_date;
  plan.font_set = job.fonts.empty() ? std::string("default") : job.fonts;
  if (entries.toc == 0 || entries.reel_contents == 0) {
    throw Error(ErrorKind::internal, "a TOC or reel contents frame must list at least one entry");
  }
  plan.toc_entries_per_frame = entries.toc;
  plan.reel_contents_entries_per_frame = entries.reel_contents;
  TrackSizer sizer(format, recorder.pixel_pitch_um, text);
  const bool any_data = std::any_of(documents.begin(), documents.end(),
                                    [](const auto& d) { return !d.skipped && !d.masters.empty(); });
  if (any_data) {
    auto [placement, layout] = data_frame_layout(job, format, recorder.pixel_pitch_um);
    check_recorder_limits(placement, recorder, "data frames");
    plan.data_placement = placement;
    plan.data_layout = layout;
    plan.masters.resize(job.documents.size());
  }

  std::vector<DocumentFrames> filmed;
  filmed.reserve(documents.size());
  for (const DocumentPages& pages : documents) {
    if (pages.document >= job.documents.size()) {
      throw Error(ErrorKind::internal, fmt::format("document index {} is outside the job's {} "
                                                   "documents",
                                                   pages.document, job.documents.size()));
    }
    const Document& document = job.documents[pages.document];
    for (const std::string& file : pages.left_out) {
      plan.left_out.push_back(fmt::format("{}: {}", document.id, file));
    }
    if (pages.skipped) {
      plan.skipped.push_back(fmt::format("{}: {}", document.id, pages.skip_reason));
      continue;
    }
    std::vector<PlannedFrame> frames = document_frames(job, format, recorder, pages);
    if (frames.empty()) continue;
    const PageSettings settings = settings_for(job, document);
    for (PlannedFrame& frame : frames) {
      if (frame.reduction == 0) frame.reduction = settings.reduction;
      if (plan.targets) frame.blip = hal::BlipLevel::page;  // the title target marks the start
    }
    if (has_toc(job)) mark_toc_entries(job, document, plan.targets, frames);
    frames = with_sections(std::move(frames), job, document, settings, format, recorder);
    if (settings.mode == ImageMode::colour && settings.colour_route == ColourRoute::separations) {
      frames = separated(std::move(frames), document, format, recorder.pixel_pitch_um);
    }
    frames = with_reduction_changes(std::move(frames), settings.reduction, job, format,
                                    recorder.pixel_pitch_um);
    if (sizer.has_track()) {
      const auto least_px = [&](const PlannedFrame& frame) {
        return sizer.least_px(planned_address(reel_id({}, 0), document.id, frame), frame.blip);
      };
      for (std::size_t i = 0; i < frames.size();) {
        // A page's three separations keep one geometry, so that their crosses register: the
        // longest track of the three sets the length of all.
        const std::size_t unit = unit_frames(frames, i);
        std::uint32_t least = 0;
        for (std::size_t k = i; k < i + unit; ++k) least = std::max(least, least_px(frames[k]));
        for (std::size_t k = i; k < i + unit; ++k) {
          PlannedFrame& frame = frames[k];
          const Placement longer =
              lengthened(frame.placement, least, frame.separation != Separation::none, format,
                         recorder.pixel_pitch_um,
                         [&] { return fmt::format("page {} of {}", frame.page, document.id); });
          if (longer.length_mm != frame.placement.length_mm) {
            check_recorder_limits(longer, recorder,
                                  page_context(document, frame.page, frame.source));
          }
          frame.placement = longer;
        }
        i += unit;
      }
    }
    DocumentFrames entry{std::move(frames), {}};
    if (plan.data_layout && !pages.masters.empty()) {
      // The document's master files, each as its data frames: data and parity frames group by
      // group, without blips (the blip count stays a page count).
      plan.masters[pages.document] = pages.masters;
      const data::Layout& layout = *plan.data_layout;
      const auto group =
          static_cast<std::uint32_t>(layout.code.group_data + layout.code.group_parity);
      for (std::uint32_t file = 0; file < pages.masters.size(); ++file) {
        const MasterFile& master = pages.masters[file];
        const std::uint32_t total = data::frames_for_file(layout, master.size, master.name).total();
        const std::uint32_t least = sizer.least_px(
            data_address(reel_id({}, 0), document.id, file, total - 1), hal::BlipLevel::none);
        const Placement placement =
            lengthened(plan.data_placement, least, false, format, recorder.pixel_pitch_um,
                       [&] { return fmt::format("a data frame of {}", document.id); });
        check_recorder_limits(placement, recorder, "data frames");
        for (std::uint32_t k = 0; k < total; ++k) {
          PlannedFrame frame;
          frame.kind = FrameKind::data;
          frame.document = pages.document;
          frame.page = 0;
          frame.blip = hal::BlipLevel::none;
          frame.placement = placement;
          frame.reduction = 1;
          frame.data_file = file;
          frame.data_frame = k;
          frame.data_unit = k % group == 0 ? std::min(group, total - k) : 0;
          entry.data.push_back(std::move(frame));
        }
      }
    }
    filmed.push_back(std::move(entry));
  }
  if (format.layout == FilmLayout::fiche) {
    std::vector<std::vector<PlannedFrame>> pages;
    pages.reserve(filmed.size());
    for (DocumentFrames& document : filmed) pages.push_back(std::move(document.pages));
    planner::plan_fiche(job, format, recorder.pixel_pitch_um, std::move(pages), plan);
  } else {
    planner::plan_roll(job, format, recorder.pixel_pitch_um, std::move(filmed), plan, sizer);
  }
  place_toc(job, plan);
  if (plan.targets && job.reel_contents) list_reel_documents(plan);
  for (PlannedReel& reel : plan.reels) {
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      const PlannedFrame& frame = plan.frames[i];
      if (is_target(frame.kind) || frame.kind == FrameKind::data) continue;
      if (reel.first_address.empty()) reel.first_address = frame.address;
      reel.last_address = frame.address;
    }
  }
  // The plan is held for the whole run: without growth room worth a copy (up to 500 bytes a
  // frame, 5 MB of a 10,000-frame plan).
  if (plan.frames.capacity() - plan.frames.size() > plan.frames.size() / 64) {
    plan.frames.shrink_to_fit();
  }
  return plan;
}

std::string reel_id(const std::string& site, std::uint32_t number) {
  return site.empty() ? fmt::format("R{:04}", number) : fmt::format("{}-R{:04}", site, number);
}

std::string fiche_id(const std::string& site, std::uint32_t number) {
  return site.empty() ? fmt::format("F{:04}", number) : fmt::format("{}-F{:04}", site, number);
}

hal::ReelSpec Plan::reel_spec(const PlannedReel& reel, const std::string& job_id,
                              const std::filesystem::path& work_dir) const {
  hal::ReelSpec spec{reel.id, reel.number, job_id, format.name, "", reel.film_length_m, work_dir};
  spec.geometry = film_geometry(format);
  return spec;
}

}  // namespace fw
