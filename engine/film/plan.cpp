#include "film/plan.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "film/blip.hpp"
#include "film/mark_box.hpp"
#include "film/separation.hpp"
#include "text/text.hpp"

namespace fw {
namespace {

// Lengths are sums of many doubles; a rounding crumb must not push a document onto the
// next reel or past the end of the film.
constexpr double kLengthToleranceMm = 1e-6;

std::string page_context(const Document& document, std::uint32_t page, const SourcePage& source) {
  return fmt::format("{} page {} ({}, page {} in file)", document.id, page, source.ref.file,
                     source.ref.page_in_file + 1);
}

// The TOC target frames of a document whose TOC frames list `per_frame` entries each.
std::uint32_t toc_frame_count(const Document& document, std::uint32_t per_frame) {
  const auto entries = static_cast<std::uint32_t>(document.toc.size());
  return (entries + per_frame - 1) / per_frame;
}

// "D001-TOC1": the address label of a document's TOC target frame `index` (0-based).
std::string toc_label(const Document& document, std::uint32_t index) {
  return fmt::format("{}-TOC{}", document.id, index + 1);
}

// A separation frame's address ends in its filter, "R0001-D001-0003-G", so that the three
// frames of a page are told apart at the reader and in index.csv.
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

std::string frame_address(const std::string& reel, const std::string& document_id,
                          std::uint32_t page, Separation separation = Separation::none) {
  if (separation != Separation::none) {
    return fmt::format("{}-{}-{:04}-{}", reel, document_id, page, to_string(separation));
  }
  return fmt::format("{}-{}-{:04}", reel, document_id, page);
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

// How long a frame must be for its blip track: its blip mark, its image address in full and its
// frame mark (film/blip.hpp least_track_length_px). The address names the reel, which is not
// known until the frames' lengths have placed them on reels, so addresses are measured as a
// pattern with their digits open: the longest of the ten readings with every digit the same
// (0000, 1111, ... 9999). That bounds any reel up to R9999 and any page number of as many
// digits (fonts set digits at one width, or the widest reading is the widest of all; the last
// digit's ink is the widest of the ten), and every page of a document, and most documents of a
// job, share one pattern: a plan of 40,000 pages shapes a few dozen strings. The clearance
// behind the address (0.05 mm before the mark's quiet zone) absorbs what kerning could add;
// draw_blip_track checks each real address against its frame before anything is exposed.
class TrackSizer {
 public:
  TrackSizer(const FilmFormat& format, double pitch_um, const TextEngine* text)
      : format_(format), pitch_um_(pitch_um), text_(text) {}

  bool has_track() const {
    return format_.layout == FilmLayout::roll && mm_to_px(format_.blips.track_mm, pitch_um_) > 0;
  }

  // `address` as the plan writes it, with any reel number.
  std::uint32_t least_px(const std::string& address, hal::BlipLevel level) {
    if (!has_track()) return 0;
    std::string pattern = address;
    for (char& c : pattern) {
      if (c >= '0' && c <= '9') c = kDigit;
    }
    auto key = std::make_pair(pattern, static_cast<int>(level));
    const auto found = cache_.find(key);
    if (found != cache_.end()) return found->second;
    std::uint32_t least = 0;
    for (char digit = '0'; digit <= '9'; ++digit) {
      std::string reading = pattern;
      std::replace(reading.begin(), reading.end(), kDigit, digit);
      least = std::max(least, least_track_length_px(reading, level, format_, pitch_um_, engine()));
      if (reading == pattern) break;  // no digits: one reading
    }
    cache_.emplace(std::move(key), least);
    return least;
  }

 private:
  static constexpr char kDigit = '\x01';  // an open digit in a pattern: no address has it

  const TextEngine& engine() {
    if (text_ == nullptr) {
      default_ = TextEngine::load_default();
      text_ = default_.get();
    }
    return *text_;
  }

  const FilmFormat& format_;
  double pitch_um_;
  const TextEngine* text_;
  std::shared_ptr<const TextEngine> default_;
  std::map<std::pair<std::string, int>, std::uint32_t> cache_;
};

// A frame lengthened along the film to `least_px` for its blip track, the page (a separation
// frame: the page and its calibration strip) centred in it, the track as long as the frame.
// Fixed-length frames cannot grow: a format whose frames are too short is Error(job).
// `what` names the frame in that error ("page 2 of D001").
Placement lengthened(const Placement& placement, std::uint32_t least_px, bool separation,
                     const FilmFormat& format, double pitch_um,
                     const std::function<std::string()>& what) {
  const bool comic = format.orientation == Orientation::comic;
  const std::uint32_t along = comic ? placement.frame_width_px : placement.frame_height_px;
  if (along >= least_px) return placement;
  if (format.frame_length_mm > 0) {
    throw Error(
        ErrorKind::job,
        fmt::format("format {}: its {:.2f} mm frames are shorter than the {:.2f} mm "
                    "{} needs for its blip mark, image address and frame mark",
                    format.name, along * pitch_um / 1000.0, least_px * pitch_um / 1000.0, what()));
  }
  const std::uint32_t page_length = comic ? placement.page_width_px : placement.page_height_px;
  std::uint32_t content = page_length;
  if (separation) {
    const std::uint32_t margin_px =
        std::max<std::uint32_t>(1, mm_to_px(format.margin_mm, pitch_um));
    content += margin_px + mm_to_px(kSeparationStripMm, pitch_um);
  }
  Placement out = placement;
  const std::uint32_t page_along = (least_px - content) / 2;
  if (comic) {
    out.frame_width_px = least_px;
    out.page_x_px = page_along;
    if (out.track_height_px > 0) out.track_width_px = least_px;
  } else {
    out.frame_height_px = least_px;
    out.page_y_px = page_along;
    if (out.track_width_px > 0) out.track_height_px = least_px;
  }
  out.length_mm = least_px * pitch_um / 1000.0;
  return out;
}

// The film a page takes: one frame, or a colour page's three separations, which are never
// split across reels or sheets.
// A data file's outer-code group is a unit too: a reel never splits one.
std::size_t unit_frames(const std::vector<PlannedFrame>& frames, std::size_t i) {
  if (frames[i].kind == FrameKind::data) {
    return std::clamp<std::size_t>(frames[i].data_unit, 1, frames.size() - i);
  }
  return frames[i].separation == Separation::red ? std::min<std::size_t>(3, frames.size() - i) : 1;
}
bool continues_unit(const PlannedFrame& frame) {
  if (frame.kind == FrameKind::data) return frame.data_unit == 0;
  return frame.separation == Separation::green || frame.separation == Separation::blue;
}

// "R0001-D001-M01-0003": reel, document, the master file's number in the document and the
// frame's number in the file (data then parity frames of each group, from 1).
std::string data_address(const std::string& reel, const std::string& document_id,
                         std::uint32_t file, std::uint32_t frame) {
  return fmt::format("{}-{}-M{:02}-{:04}", reel, document_id, file + 1, frame + 1);
}

// Substitutes for a document without a single good page get the frame of an upright A4 page.
PageInfo a4_portrait() {
  PageInfo info;
  info.width_mm = 210;
  info.height_mm = 297;
  info.dpi = 300;
  info.width_px = 2480;
  info.height_px = 3508;
  return info;
}

void check_recorder_limits(const Placement& placement, const hal::Capabilities& recorder,
                           const std::string& context) {
  const auto fail = [&](std::string_view dimension, std::uint32_t limit) {
    throw Error(
        ErrorKind::input,
        fmt::format("{}: frame {} x {} px exceeds the recorder's maximum {} of {} px", context,
                    placement.frame_width_px, placement.frame_height_px, dimension, limit));
  };
  if (recorder.max_width_px != 0 && placement.frame_width_px > recorder.max_width_px) {
    fail("width", recorder.max_width_px);
  }
  if (recorder.max_height_px != 0 && placement.frame_height_px > recorder.max_height_px) {
    fail("height", recorder.max_height_px);
  }
}

// A document's frames in page order, before they are given reels and positions.
std::vector<PlannedFrame> document_frames(const Job& job, const FilmFormat& format,
                                          const hal::Capabilities& recorder,
                                          const DocumentPages& pages) {
  const Document& document = job.documents[pages.document];
  const PageSettings settings = settings_for(job, document);
  const double pitch_um = recorder.pixel_pitch_um;

  auto place = [&](const SourcePage& source, const PageSettings& page_settings,
                   const std::string& context) {
    Placement placement;
    try {
      placement = place_page(source.info, page_settings, format, pitch_um);
    } catch (const Error& error) {
      throw with_context(context, error);
    }
    check_recorder_limits(placement, recorder, context);
    // A PDF page is rendered at its frame's resolution, known only now: its page limit is
    // checked here, before any film, not first when its reel is preflighted. (A document that
    // substitutes or skips bad pages has preflight decide, as for any page that cannot be used.)
    if (source.ref.format == SourceFormat::pdf && page_settings.on_error == FailurePolicy::fail) {
      const auto width =
          static_cast<std::uint64_t>(std::ceil(source.info.width_px * placement.scale_x));
      const auto height =
          static_cast<std::uint64_t>(std::ceil(source.info.height_px * placement.scale_x));
      if (width * height > job.limits.max_page_pixels) {
        throw Error(
            ErrorKind::input,
            fmt::format("{}: the page renders at {} x {} = {} pixels for its frame, more "
                        "than the limit of {} (job key limits.max_page_pixels)",
                        context, width, height, width * height, job.limits.max_page_pixels));
      }
    }
    return placement;
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
  std::optional<Placement> first_good_placement;
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
      frame.placement = place(*next_good, settings, page_context(document, frame.page, *next_good));
      ++next_good;
    }
    if (!first_good_placement && frame.kind == FrameKind::page) {
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
      if (!first_good_placement && frames[i].kind == FrameKind::page) {
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

double frame_step_mm(const PlannedFrame& frame, const FilmFormat& format) {
  return frame.placement.length_mm + format.frame_gap_mm;
}

// Targets are an A4 page on the document plane, filmed at the job's reduction; where A4 does
// not fit at that reduction (large originals at a low reduction), at the format's highest.
struct TargetFrame {
  Placement placement;
  double reduction = 0;
};

TargetFrame target_placement(const Job& job, const FilmFormat& format, double pitch_um) {
  PageInfo a4 = a4_portrait();
  a4.width_mm = kTargetWidthMm;
  a4.height_mm = kTargetHeightMm;
  PageSettings settings = job.defaults;
  settings.rotate = 0;
  try {
    return {place_page(a4, settings, format, pitch_um), settings.reduction};
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::input) throw with_context("targets", error);
  }
  settings.reduction =
      format.allowed_reductions.empty() ? format.max_reduction : format.allowed_reductions.back();
  return {place_page(a4, settings, format, pitch_um), settings.reduction};
}

// Reels in the making: appends frames, opening and closing reels with their targets.
class ReelBuilder {
 public:
  // Every target gets one frame, `target_least_px` long at least: the longest any target's
  // blip track needs.
  // A plan with data frames films its data target ("how to decode this reel") before each
  // reel's first data frame, with or without the other targets: `data_least_px` long at least.
  ReelBuilder(Plan& plan, const Job& job, const FilmFormat& format, double pitch_um,
              std::uint32_t target_least_px, std::uint32_t data_least_px)
      : plan_(plan),
        job_(job),
        format_(format),
        usable_mm_((format.reel_length_m - format.leader_m - format.trailer_m) * 1000.0) {
    if (plan.targets || plan.data_layout) {
      const TargetFrame target = target_placement(job, format, pitch_um);
      target_reduction_ = target.reduction;
      if (plan.targets) {
        target_ = lengthened(target.placement, target_least_px, false, format, pitch_um,
                             [] { return std::string("a target frame"); });
        target_step_mm_ = target_.length_mm + format.frame_gap_mm;
      }
      if (plan.data_layout) {
        data_target_ = lengthened(target.placement, data_least_px, false, format, pitch_um,
                                  [] { return std::string("the data target"); });
        // Two frames: the data target and its second page, the frame format in figures.
        data_target_step_mm_ = 2 * (data_target_.length_mm + format.frame_gap_mm);
      }
    }
  }

  // Film the data target takes on the open reel before the next data frame (0 once it is on).
  double data_target_mm() const { return data_target_on_reel_ ? 0 : data_target_step_mm_; }
  double data_target_step_mm() const { return data_target_step_mm_; }

  void append_data(PlannedFrame frame) {
    if (!data_target_on_reel_) {
      append_target(FrameKind::data_target, frame.document, hal::BlipLevel::none, "DATA", 0,
                    &data_target_);
      append_target(FrameKind::data_format, frame.document, hal::BlipLevel::none, "DATA2", 0,
                    &data_target_);
      data_target_on_reel_ = true;
    }
    PlannedReel& reel = plan_.reels.back();
    frame.address = data_address(reel.label, job_.documents[frame.document].id, frame.data_file,
                                 frame.data_frame);
    ++reel.data_frames;
    if (frame.data_frame == 0) {
      reel.data_bytes += plan_.masters.at(frame.document).at(frame.data_file).size;
    }
    place(std::move(frame));
  }

  bool is_open() const { return open_; }
  double usable_mm() const { return usable_mm_; }
  // Film a reel's own targets take: start and technical at the head, technical and end at the
  // tail.
  double reel_targets_mm() const { return 4 * target_step_mm_; }
  double target_step_mm() const { return target_step_mm_; }
  // Room left for content on the open reel, keeping the closing targets' film free.
  double room_mm() const { return usable_mm_ - used_mm_ - 2 * target_step_mm_; }

  // `note`: what the continued targets add, e.g. that an outer-code group of data frames
  // runs over the reel change.
  void open_reel(std::size_t document, bool continued, const std::string& note = {}) {
    PlannedReel reel;
    reel.number = static_cast<std::uint32_t>(plan_.reels.size() + 1);
    reel.id = reel_id(job_.site, reel.number);
    reel.label = reel_id({}, reel.number);
    reel.first_frame = plan_.frames.size();
    reel.film_length_m = format_.reel_length_m;
    reel.continues_from_previous = continued;
    plan_.reels.push_back(reel);
    used_mm_ = 0;
    open_ = true;
    data_target_on_reel_ = false;
    update_film_used();
    if (!plan_.targets) return;
    append_target(FrameKind::start_target, document, hal::BlipLevel::batch, "START");
    append_target(FrameKind::technical_target, document, hal::BlipLevel::none, "TECH1");
    if (continued) {
      append_target(FrameKind::continued_from, document, document_start_blip(job_),
                    job_.documents[document].id + "-CONT", reel.number - 1, nullptr, note);
      // The reader of this reel gets the table of contents too: entries filmed on the reel
      // before are listed with their reel.
      append_toc(document);
    }
  }

  void close_reel(std::size_t last_document, bool continues, const std::string& note = {}) {
    plan_.reels.back().continues_on_next = continues;
    if (plan_.targets) {
      const std::uint32_t number = plan_.reels.back().number;
      if (continues) {
        append_target(FrameKind::continued_to, last_document, hal::BlipLevel::none,
                      job_.documents[last_document].id + "-CONT", number + 1, nullptr, note);
      }
      append_target(FrameKind::technical_target, last_document, hal::BlipLevel::none, "TECH2");
      append_target(FrameKind::end_target, last_document, hal::BlipLevel::none, "END");
    }
    open_ = false;
  }

  void append_title(std::size_t document) {
    append_target(FrameKind::title_target, document, document_start_blip(job_),
                  job_.documents[document].id + "-TITLE");
    append_toc(document);
  }

  // The document's TOC target frames (none without a table of contents).
  void append_toc(std::size_t document) {
    const auto entries = static_cast<std::uint32_t>(job_.documents[document].toc.size());
    const std::uint32_t per_frame = plan_.toc_entries_per_frame;
    for (std::uint32_t first = 0; first < entries; first += per_frame) {
      append_target(FrameKind::toc_target, document, hal::BlipLevel::none,
                    toc_label(job_.documents[document], first / per_frame));
      PlannedFrame& frame = plan_.frames.back();
      frame.toc_first = first;
      frame.toc_count = std::min(per_frame, entries - first);
    }
  }

  void append(PlannedFrame frame) {
    PlannedReel& reel = plan_.reels.back();
    frame.address =
        frame_address(reel.label, job_.documents[frame.document].id, frame.page, frame.separation);
    ++reel.pages;
    place(std::move(frame));
  }

 private:
  void append_target(FrameKind kind, std::size_t document, hal::BlipLevel blip,
                     const std::string& label, std::uint32_t other_reel = 0,
                     const Placement* placement = nullptr, const std::string& note = {}) {
    PlannedFrame frame;
    frame.kind = kind;
    frame.document = document;
    frame.page = 0;
    frame.blip = blip;
    frame.placement = placement ? *placement : target_;
    frame.reduction = target_reduction_;
    frame.other_reel = other_reel;
    frame.note = note;
    frame.address = plan_.reels.back().label + "-" + label;
    place(std::move(frame));
  }

  void place(PlannedFrame frame) {
    PlannedReel& reel = plan_.reels.back();
    frame.sequence = plan_.frames.size();
    frame.reel = reel.number;
    frame.number = static_cast<std::uint32_t>(reel.frame_count + 1);
    frame.film_position_mm = format_.leader_m * 1000.0 + used_mm_;
    used_mm_ += frame_step_mm(frame, format_);
    ++reel.frame_count;
    plan_.frames.push_back(std::move(frame));
    update_film_used();
  }

  void update_film_used() {
    plan_.reels.back().film_used_m = format_.leader_m + used_mm_ / 1000.0 + format_.trailer_m;
  }

  Plan& plan_;
  const Job& job_;
  const FilmFormat& format_;
  double usable_mm_;
  double used_mm_ = 0;
  bool open_ = false;
  Placement target_;
  double target_reduction_ = 0;
  double target_step_mm_ = 0;
  Placement data_target_;
  double data_target_step_mm_ = 0;
  bool data_target_on_reel_ = false;
};

// The longest blip track of the job's targets: the reel's own (start, technical, end) and each
// document's title, TOC and continued targets, at their blip levels.
std::uint32_t target_least_px(const Job& job, TrackSizer& sizer, std::uint32_t toc_per_frame) {
  const std::string reel = reel_id({}, 0);
  std::uint32_t least = std::max({sizer.least_px(reel + "-START", hal::BlipLevel::batch),
                                  sizer.least_px(reel + "-TECH1", hal::BlipLevel::none),
                                  sizer.least_px(reel + "-TECH2", hal::BlipLevel::none),
                                  sizer.least_px(reel + "-END", hal::BlipLevel::none)});
  for (const Document& document : job.documents) {
    least = std::max(
        {least, sizer.least_px(reel + "-" + document.id + "-TITLE", document_start_blip(job)),
         sizer.least_px(reel + "-" + document.id + "-CONT", document_start_blip(job))});
    const std::uint32_t toc_frames = toc_frame_count(document, toc_per_frame);
    if (toc_frames > 0) {
      least = std::max(least, sizer.least_px(reel + "-" + toc_label(document, toc_frames - 1),
                                             hal::BlipLevel::none));
    }
  }
  return least;
}

// A document's frames: its pages (with substitutes and separations), then its data frames.
struct DocumentFrames {
  std::vector<PlannedFrame> pages;
  std::vector<PlannedFrame> data;
};

void plan_roll(const Job& job, const FilmFormat& format, double pitch_um,
               std::vector<DocumentFrames> documents, Plan& plan, TrackSizer& sizer) {
  const std::uint32_t data_least =
      plan.data_layout ? sizer.least_px(reel_id({}, 0) + "-DATA", hal::BlipLevel::none) : 0;
  ReelBuilder reels(plan, job, format, pitch_um,
                    plan.targets ? target_least_px(job, sizer, plan.toc_entries_per_frame) : 0,
                    data_least);
  const double title_mm = reels.target_step_mm();
  const double continued_mm = reels.target_step_mm();
  // What an empty reel holds once its own targets are filmed.
  const double reel_capacity_mm = reels.usable_mm() - reels.reel_targets_mm();
  const bool at_reel_end = job.data.place == DataPlacement::reel_end;
  // Room for every frame at once: a plan grown by doubling peaks at three times its size
  // (old and new storage while it moves), 12 MB for 10,000 frames. A reel closes when the
  // film is full or the next document does not fit, so there are at most that many reels;
  // each adds at most seven targets (start, two technical, continued from/to, data, end).
  std::size_t pages = 0;
  double film_mm = 0;
  for (const auto& document : documents) {
    for (const auto* frames : {&document.pages, &document.data}) {
      pages += frames->size();
      for (const PlannedFrame& frame : *frames) film_mm += frame_step_mm(frame, format);
    }
  }
  const auto most_reels = static_cast<std::size_t>(
      documents.size() + 2 * film_mm / std::max(reel_capacity_mm, 1.0) + 1);
  plan.frames.reserve(plan.frames.size() + pages + documents.size() + 7 * most_reels);
  const auto unit_mm = [&](const std::vector<PlannedFrame>& frames, std::size_t first) {
    double total = 0;
    for (std::size_t k = first; k < first + unit_frames(frames, first); ++k) {
      total += frame_step_mm(frames[k], format);
    }
    return total;
  };

  // Data frames held back for the end of the reel (place = "reel-end"), and their film.
  std::vector<PlannedFrame> pending;
  double pending_mm = 0;
  // An outer-code group longer than a whole reel runs over the reel change frame by frame
  // (the outer code needs the frames of both reels to rebuild a lost one), and the continued
  // targets on both sides say which group of which file, so that nobody restores or stores
  // one reel of it alone.
  const auto split_group = [&](std::vector<PlannedFrame>& frames, std::size_t first,
                               std::size_t unit) {
    const PlannedFrame& head = frames[first];
    const std::size_t document = head.document;
    const std::string& file = plan.masters.at(document).at(head.data_file).name;
    const auto group_size = static_cast<std::uint32_t>(plan.data_layout->code.group_data +
                                                       plan.data_layout->code.group_parity);
    const std::uint32_t group = head.data_frame / group_size + 1;
    const auto frames_in_group = static_cast<std::uint32_t>(unit);
    std::uint32_t from = 0;  // the group's first frame on the open reel (0-based)
    bool fresh_reel = false;
    for (std::size_t k = first; k < first + unit; ++k) {
      const auto at = static_cast<std::uint32_t>(k - first);
      const double needed_mm =
          frame_step_mm(frames[k], format) + reels.data_target_mm() + continued_mm;
      if (needed_mm > reels.room_mm() + kLengthToleranceMm) {
        if (fresh_reel) {
          throw Error(ErrorKind::input,
                      fmt::format("{}: a data frame of {} does not fit an empty {} m reel",
                                  job.documents[document].id, file, format.reel_length_m));
        }
        const std::uint32_t reel = plan.reels.back().number;
        if (at == from) {  // none of the group on this reel yet: a plain reel change
          reels.close_reel(document, true);
          reels.open_reel(document, true);
        } else {
          reels.close_reel(
              document, true,
              fmt::format("数据外码组跨卷：{} 第 {} 组第 {}–{} 帧（共 {} 帧）在本卷，其余在第 {} "
                          "卷，须两卷同时恢复。Outer-code group {} of {} runs over the reel "
                          "change: its frames {}-{} of {} are on this reel, the rest on reel {}; "
                          "restore it from both reels.",
                          file, group, from + 1, at, frames_in_group, reel + 1, group, file,
                          from + 1, at, frames_in_group, reel + 1));
          reels.open_reel(
              document, true,
              fmt::format("数据外码组跨卷：{} 第 {} 组第 {}–{} 帧在第 {} 卷，须两卷同时恢复。"
                          "Outer-code group {} of {} continues from reel {} (its frames {}-{} "
                          "of {} are there); restore it from both reels.",
                          file, group, from + 1, at, reel, group, file, reel, from + 1, at,
                          frames_in_group));
        }
        from = at;
        fresh_reel = true;
      }
      reels.append_data(std::move(frames[k]));
      fresh_reel = false;
    }
  };
  // Appends data frames group by group; a group that does not fit the reel's room goes on the
  // next reel, behind continued targets that name its document.
  const auto append_data = [&](std::vector<PlannedFrame>& frames) {
    for (std::size_t i = 0; i < frames.size();) {
      const std::size_t unit = unit_frames(frames, i);
      const bool last = i + unit == frames.size();
      const double step_mm = unit_mm(frames, i);
      if (step_mm + reels.data_target_step_mm() + title_mm + continued_mm >
          reel_capacity_mm + kLengthToleranceMm) {
        split_group(frames, i, unit);
        i += unit;
        continue;
      }
      const double needed_mm = step_mm + reels.data_target_mm() + (last ? 0 : continued_mm);
      if (needed_mm > reels.room_mm() + kLengthToleranceMm) {
        reels.close_reel(frames[i].document, true);
        reels.open_reel(frames[i].document, true);
      }
      for (std::size_t k = i; k < i + unit; ++k) reels.append_data(std::move(frames[k]));
      i += unit;
    }
  };
  const auto flush_pending = [&] {
    append_data(pending);
    pending.clear();
    pending_mm = 0;
  };
  const auto close = [&](std::size_t document, bool continues) {
    if (!pending.empty()) flush_pending();
    reels.close_reel(document, continues);
  };

  std::size_t last_document = 0;
  for (DocumentFrames& entry : documents) {
    std::vector<PlannedFrame>& frames = entry.pages;
    std::vector<PlannedFrame>& data = entry.data;
    const std::size_t document = frames.front().document;
    const Document& doc = job.documents[document];
    double data_mm = data.empty() ? 0 : reels.data_target_step_mm();
    for (const PlannedFrame& frame : data) data_mm += frame_step_mm(frame, format);
    // The title target and the TOC target frames behind it (and behind a continued target).
    const double toc_mm = toc_frame_count(doc, plan.toc_entries_per_frame) * reels.target_step_mm();
    double document_mm = title_mm + toc_mm + data_mm;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const PlannedFrame& frame = frames[i];
      const double step_mm = unit_mm(frames, i);
      // The least a reel must hold: its targets, a title or continued target with the TOC,
      // one page and the continued target behind it.
      const double least_mm = step_mm + title_mm + toc_mm + continued_mm;
      if (least_mm > reel_capacity_mm + kLengthToleranceMm) {
        if (!plan.targets) {
          throw Error(
              ErrorKind::input,
              fmt::format("{} page {}: the frame and its gap ({:.3f} mm) are longer than "
                          "the usable film of a {} m reel ({:.3f} mm)",
                          doc.id, frame.page, step_mm, format.reel_length_m, reels.usable_mm()));
        }
        throw Error(
            ErrorKind::input,
            fmt::format("{} page {}: the frame and its gap ({:.3f} mm) with the reel's "
                        "targets ({:.3f} mm) are longer than the usable film of a {} m "
                        "reel ({:.3f} mm)",
                        doc.id, frame.page, step_mm, least_mm - step_mm + reels.reel_targets_mm(),
                        format.reel_length_m, reels.usable_mm()));
      }
      document_mm += frame_step_mm(frame, format);
    }

    // Documents stay whole on a reel (with their data frames, and the data frames held for the
    // reel's end); one longer than a whole reel fills the reel it starts on.
    const bool longer_than_a_reel = document_mm > reel_capacity_mm + kLengthToleranceMm;
    if (!reels.is_open()) {
      reels.open_reel(document, false);
    } else {
      const double needed_mm =
          longer_than_a_reel ? title_mm + toc_mm + unit_mm(frames, 0) + continued_mm : document_mm;
      if (needed_mm > reels.room_mm() - pending_mm + kLengthToleranceMm) {
        close(last_document, false);
        reels.open_reel(document, false);
      }
    }
    if (plan.targets) reels.append_title(document);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      PlannedFrame& frame = frames[i];
      const bool last = i + unit_frames(frames, i) == frames.size();
      const double needed_mm = unit_mm(frames, i) + (last ? 0 : continued_mm);
      if (!continues_unit(frame) && needed_mm > reels.room_mm() - pending_mm + kLengthToleranceMm) {
        close(document, true);
        reels.open_reel(document, true);
      }
      reels.append(std::move(frame));
    }
    if (at_reel_end) {
      if (!data.empty()) pending_mm += (pending.empty() ? reels.data_target_step_mm() : 0);
      for (PlannedFrame& frame : data) {
        pending_mm += frame_step_mm(frame, format);
        pending.push_back(std::move(frame));
      }
    } else {
      append_data(data);
    }
    last_document = document;
    std::vector<PlannedFrame>().swap(frames);  // placed: the plan holds them now
    std::vector<PlannedFrame>().swap(data);
  }
  if (reels.is_open()) close(last_document, false);
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

// Fiche: one header strip per sheet, then the grid in reading order. A document starts a new
// sheet unless it fits the room left; one larger than a whole sheet continues on the next,
// whose header says so.
void plan_fiche(const Job& job, const FilmFormat& format, double pitch_um,
                std::vector<std::vector<PlannedFrame>> documents, Plan& plan) {
  const FicheGrid& grid = format.fiche;
  const std::uint32_t cells = grid.frames();
  // The header strip is exposed like the images, as a row of cell-sized tiles at the
  // recorder's pitch (the whole strip would be wider than any recorder's frame); the tiles
  // together show the eye-legible header.
  PageSettings cell_settings = job.defaults;
  cell_settings.rotate = 0;
  PageInfo cell_page;
  cell_page.width_mm = 1;
  cell_page.height_mm = 1;
  cell_page.width_px = cell_page.height_px = 1;
  cell_page.dpi = 25.4;
  cell_settings.reduction = format.max_reduction;
  Placement header = place_page(cell_page, cell_settings, format, pitch_um);
  header.page_x_px = header.page_y_px = 0;
  header.page_width_px = header.frame_width_px;
  header.page_height_px = header.frame_height_px;
  header.scale_x = header.scale_y = 1;

  std::uint32_t used = cells;  // no sheet open yet
  auto open_sheet = [&](std::size_t document, bool continued) {
    PlannedReel sheet;
    sheet.number = static_cast<std::uint32_t>(plan.reels.size() + 1);
    sheet.id = fiche_id(job.site, sheet.number);
    sheet.label = fiche_id({}, sheet.number);
    sheet.first_frame = plan.frames.size();
    sheet.continues_from_previous = continued;
    if (continued) plan.reels.back().continues_on_next = true;
    plan.reels.push_back(sheet);
    used = 0;
    for (std::uint32_t row = 0; row < grid.header_rows; ++row) {
      for (std::uint32_t column = 1; column <= grid.columns; ++column) {
        PlannedFrame frame;
        frame.kind = FrameKind::fiche_header;
        frame.document = document;
        frame.page = 0;
        frame.blip = hal::BlipLevel::none;
        frame.placement = header;
        frame.reduction = 1;  // read by eye: millimetres on the fiche are millimetres of text
        frame.address = fmt::format("{}-H{:02}", plan.reels.back().label, column);
        frame.grid_row = 0;
        frame.grid_column = column;
        frame.sequence = plan.frames.size();
        frame.reel = plan.reels.back().number;
        frame.number = ++plan.reels.back().frame_count;
        plan.frames.push_back(std::move(frame));
      }
    }
  };

  for (std::vector<PlannedFrame>& frames : documents) {
    const std::size_t document = frames.front().document;
    // A cell is a fixed frame: a page that fills it leaves no margin for the frame mark, and a
    // frame without its mark cannot be verified.
    for (const PlannedFrame& frame : frames) {
      if (mark_box(frame.placement, format, pitch_um).size > 0) continue;
      const Placement& p = frame.placement;
      throw Error(
          ErrorKind::input,
          fmt::format("{}: the page ({:.2f} x {:.2f} mm on film) leaves no margin for its "
                      "frame mark in the {:.1f} x {:.1f} mm cell of {} (a 20-module "
                      "DataMatrix of at least {} px modules with 0.05 mm clearance, "
                      "beside the page's leading edge or across it); film it at a "
                      "higher reduction or on roll film",
                      page_context(job.documents[document], frame.page, frame.source),
                      p.page_width_px * pitch_um / 1000.0, p.page_height_px * pitch_um / 1000.0,
                      grid.cell_width_mm, grid.cell_height_mm, format.name, kMarkMinModulePx));
    }
    const bool fits_a_sheet = frames.size() <= cells;
    if (used == cells || (fits_a_sheet && frames.size() > cells - used)) {
      open_sheet(document, false);
    }
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (used == cells || (!continues_unit(frames[i]) && unit_frames(frames, i) > cells - used)) {
        open_sheet(document, i > 0);
      }
      PlannedFrame& frame = frames[i];
      PlannedReel& sheet = plan.reels.back();
      const bool by_rows = grid.order == ReadingOrder::rows;
      frame.grid_row = 1 + (by_rows ? used / grid.columns : used % grid.rows);
      frame.grid_column = 1 + (by_rows ? used % grid.columns : used / grid.rows);
      frame.reel = sheet.number;
      frame.number = static_cast<std::uint32_t>(sheet.frame_count + 1);
      frame.sequence = plan.frames.size();
      frame.address =
          frame_address(sheet.label, job.documents[document].id, frame.page, frame.separation);
      frame.film_position_mm = 0;
      ++sheet.frame_count;
      ++sheet.pages;
      ++used;
      plan.frames.push_back(std::move(frame));
    }
  }
}

// Lengths rounded to the micrometre, so that plan.json does not carry float noise from sums.
double mm(double value) {
  return std::round(value * 1e3) / 1e3;
}
double metres(double value) {
  return std::round(value * 1e6) / 1e6;
}
// Scales, resolutions and pitches: nine decimals are exact enough and print the same everywhere.
double nine_places(double value) {
  return std::round(value * 1e9) / 1e9;
}

nlohmann::ordered_json format_json(const FilmFormat& format) {
  nlohmann::ordered_json lengths = nlohmann::ordered_json::array();
  for (double length : format.reel_lengths_m) lengths.push_back(metres(length));
  return {
      {"name", format.name},
      {"description", format.description},
      {"film_width_mm", mm(format.film_width_mm)},
      {"image_area_across_mm", mm(format.image_area_across_mm)},
      {"frame_length_mm", mm(format.frame_length_mm)},
      {"frame_gap_mm", mm(format.frame_gap_mm)},
      {"margin_mm", mm(format.margin_mm)},
      {"orientation", to_string(format.orientation)},
      {"leader_m", metres(format.leader_m)},
      {"trailer_m", metres(format.trailer_m)},
      {"reel_length_m", metres(format.reel_length_m)},
      {"reel_lengths_m", lengths},
      {"min_reduction", format.min_reduction},
      {"max_reduction", format.max_reduction},
      {"allowed_reductions", format.allowed_reductions},
      {"layout", to_string(format.layout)},
      {"blip_track_mm", mm(format.blips.track_mm)},
      {"blip_width_mm", mm(format.blips.mark_width_mm)},
      {"blip_lengths_mm",
       {mm(format.blips.page_mm), mm(format.blips.document_mm), mm(format.blips.batch_mm)}},
  };
}

nlohmann::ordered_json fiche_json(const FicheGrid& grid) {
  return {
      {"width_mm", mm(grid.width_mm)},
      {"height_mm", mm(grid.height_mm)},
      {"columns", grid.columns},
      {"rows", grid.rows},
      {"header_rows", grid.header_rows},
      {"cell_width_mm", mm(grid.cell_width_mm)},
      {"cell_height_mm", mm(grid.cell_height_mm)},
      {"reading_order", to_string(grid.order)},
  };
}

nlohmann::ordered_json source_json(const SourcePage& source) {
  if (source.ref.file.empty()) return nullptr;
  nlohmann::ordered_json json;
  json["file"] = std::filesystem::path(source.ref.file).generic_string();
  json["page_in_file"] = source.ref.page_in_file + 1;  // 1-based, as index.csv and operators count
  json["pages_in_file"] = source.ref.pages_in_file;
  json["format"] = to_string(source.ref.format);
  // The file's EXIF/TIFF orientation, applied before `rotate`; the sizes below are upright.
  json["orientation"] = source.info.orientation;
  json["width_px"] = source.info.width_px;
  json["height_px"] = source.info.height_px;
  json["width_mm"] = mm(source.info.width_mm);
  json["height_mm"] = mm(source.info.height_mm);
  json["dpi"] = nine_places(source.info.dpi);
  json["dpi_from_job"] = source.info.dpi_from_job;
  return json;
}

nlohmann::ordered_json placement_json(const Placement& placement) {
  return {
      {"frame_width_px", placement.frame_width_px},
      {"frame_height_px", placement.frame_height_px},
      {"rotate", placement.rotate},
      {"scale_x", nine_places(placement.scale_x)},
      {"scale_y", nine_places(placement.scale_y)},
      {"page_x_px", placement.page_x_px},
      {"page_y_px", placement.page_y_px},
      {"page_width_px", placement.page_width_px},
      {"page_height_px", placement.page_height_px},
      {"length_mm", mm(placement.length_mm)},
      {"track",
       {placement.track_x_px, placement.track_y_px, placement.track_width_px,
        placement.track_height_px}},
  };
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
    case FrameKind::continued_to:
      return "continued-to";
    case FrameKind::continued_from:
      return "continued-from";
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
  }
  return "page";
}

bool is_target(FrameKind kind) {
  return kind != FrameKind::page && kind != FrameKind::substitute && kind != FrameKind::data;
}

std::pair<Placement, data::Layout> data_frame_layout(const Job& job, const FilmFormat& format,
                                                     double pitch_um) {
  if (format.layout != FilmLayout::roll) {
    throw Error(ErrorKind::job, fmt::format("data_frames: format {} is fiche; data frames are "
                                            "written on roll film only",
                                            format.name));
  }
  const std::uint32_t margin_px = mm_to_px(format.margin_mm, pitch_um);
  const std::uint32_t across_px = mm_to_px(format.image_area_across_mm, pitch_um);
  const std::uint32_t track_px = mm_to_px(format.blips.track_mm, pitch_um);
  const std::uint32_t area_across = across_px > 2 * margin_px ? across_px - 2 * margin_px : 0;
  const std::uint32_t fixed_px =
      format.frame_length_mm > 0 ? mm_to_px(format.frame_length_mm, pitch_um) : 0;
  const std::uint32_t area_along =
      fixed_px > 0 ? (fixed_px > 2 * margin_px ? fixed_px - 2 * margin_px : 0) : area_across;
  const std::uint32_t frame_along = fixed_px > 0 ? fixed_px : area_along + 2 * margin_px;
  const bool comic = format.orientation == Orientation::comic;
  Placement p;
  p.frame_width_px = comic ? frame_along : across_px + track_px;
  p.frame_height_px = comic ? across_px + track_px : frame_along;
  p.page_x_px = margin_px;
  p.page_y_px = margin_px;
  p.page_width_px = comic ? area_along : area_across;
  p.page_height_px = comic ? area_across : area_along;
  if (track_px > 0) {
    p.track_x_px = comic ? 0 : across_px;
    p.track_y_px = comic ? across_px : 0;
    p.track_width_px = comic ? p.frame_width_px : track_px;
    p.track_height_px = comic ? track_px : p.frame_height_px;
  }
  p.length_mm = frame_along * pitch_um / 1000.0;
  data::FrameGeometry geometry;
  geometry.width_px = p.page_width_px;
  geometry.height_px = p.page_height_px;
  geometry.pitch_um = pitch_um;
  geometry.module_px = job.data.module_px;
  data::CodeParams code;
  code.bits_per_module = job.data.bits_per_module;
  code.group_data = static_cast<int>(job.data.group_data);
  code.group_parity = static_cast<int>(job.data.group_parity);
  try {
    return {p, data::Layout::make(geometry, code)};
  } catch (const Error& e) {
    throw Error(ErrorKind::job, fmt::format("data_frames on format {} at {} um: {}", format.name,
                                            pitch_um, e.what()));
  }
}

data::FileIdentity data_identity(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  const MasterFile& master = plan.masters.at(frame.document).at(frame.data_file);
  // The header has 8 bytes for the reel: its label ("R0001"), as in the frames' addresses.
  return {job.id, plan.reels.at(frame.reel - 1).label, job.documents.at(frame.document).id,
          frame.data_file + 1, master.name};
}

double data_capacity_bytes(const Job& job, const FilmFormat& format, double pitch_um,
                           double reel_length_m) {
  const auto [placement, layout] = data_frame_layout(job, format, pitch_um);
  // The frame with its blip track's least length for an address like "R0001-D001-M01-0001".
  TrackSizer sizer(format, pitch_um, nullptr);
  const Placement frame =
      lengthened(placement, sizer.least_px("R0001-D001-M01-0001", hal::BlipLevel::none), false,
                 format, pitch_um, [] { return std::string("a data frame"); });
  double usable_mm = (reel_length_m - format.leader_m - format.trailer_m) * 1000.0;
  const bool targets = job.targets != "none";
  // The targets at the job's reduction, or the nearest the format allows.
  Job at_format = job;
  at_format.defaults.reduction =
      std::clamp(job.defaults.reduction, format.min_reduction, format.max_reduction);
  const TargetFrame target = target_placement(at_format, format, pitch_um);
  const double target_mm = target.placement.length_mm + format.frame_gap_mm;
  usable_mm -= target_mm * ((targets ? 4 : 0) + 2);  // the reel's targets, the data target's 2
  const auto frames = static_cast<std::uint64_t>(
      std::max(0.0, std::floor(usable_mm / (frame.length_mm + format.frame_gap_mm))));
  const auto group = static_cast<std::uint64_t>(layout.code.group_data + layout.code.group_parity);
  const std::uint64_t data_frames =
      frames / group * static_cast<std::uint64_t>(layout.code.group_data) +
      std::min<std::uint64_t>(frames % group, static_cast<std::uint64_t>(layout.code.group_data));
  return static_cast<double>(data_frames * layout.payload_bytes);
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
                std::uint32_t toc_entries_per_frame) {
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
  if (toc_entries_per_frame == 0) {
    throw Error(ErrorKind::internal, "a TOC target frame must list at least one entry");
  }
  plan.toc_entries_per_frame = toc_entries_per_frame;
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
    if (pages.skipped) {
      plan.skipped.push_back(fmt::format("{}: {}", document.id, pages.skip_reason));
      continue;
    }
    std::vector<PlannedFrame> frames = document_frames(job, format, recorder, pages);
    if (frames.empty()) continue;
    const PageSettings settings = settings_for(job, document);
    for (PlannedFrame& frame : frames) {
      frame.reduction = settings.reduction;
      if (plan.targets) frame.blip = hal::BlipLevel::page;  // the title target marks the start
    }
    if (has_toc(job)) mark_toc_entries(job, document, plan.targets, frames);
    if (settings.mode == ImageMode::colour && settings.colour_route == ColourRoute::separations) {
      frames = separated(std::move(frames), document, format, recorder.pixel_pitch_um);
    }
    if (sizer.has_track()) {
      const auto least_px = [&](const PlannedFrame& frame) {
        return sizer.least_px(
            frame_address(reel_id({}, 0), document.id, frame.page, frame.separation), frame.blip);
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
    for (DocumentFrames& document : filmed) pages.push_back(std::move(document.pages));
    plan_fiche(job, format, recorder.pixel_pitch_um, std::move(pages), plan);
  } else {
    plan_roll(job, format, recorder.pixel_pitch_um, std::move(filmed), plan, sizer);
  }
  place_toc(job, plan);
  for (PlannedReel& reel : plan.reels) {
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      const PlannedFrame& frame = plan.frames[i];
      if (is_target(frame.kind) || frame.kind == FrameKind::data) continue;
      if (reel.first_address.empty()) reel.first_address = frame.address;
      reel.last_address = frame.address;
    }
  }
  // The plan is held for the whole run: without growth room worth a copy (up to 400 bytes a
  // frame, 2.5 MB of a 10,000-frame plan).
  if (plan.frames.capacity() - plan.frames.size() > plan.frames.size() / 64) {
    plan.frames.shrink_to_fit();
  }
  return plan;
}

void Plan::write_json(const Job& job, const std::function<void(std::string_view)>& out) const {
  nlohmann::ordered_json reels_json = nlohmann::ordered_json::array();
  for (const PlannedReel& reel : reels) {
    reels_json.push_back({
        {"id", reel.id},
        {"number", reel.number},
        {"first_frame", reel.first_frame},
        {"frames", reel.frame_count},
        {"film_used_m", metres(reel.film_used_m)},
        {"film_length_m", metres(reel.film_length_m)},
        {"pages", reel.pages},
        {"continues_from_previous", reel.continues_from_previous},
        {"continues_on_next", reel.continues_on_next},
    });
    if (data_layout) {
      reels_json.back()["data_frames"] = reel.data_frames;
      reels_json.back()["data_bytes"] = reel.data_bytes;
    }
  }
  // Data frames: the symbol's layout and code, and every master file with its frames.
  std::vector<std::vector<data::FrameCount>> counts(masters.size());
  nlohmann::ordered_json data_json;
  if (data_layout) {
    const data::Layout& l = *data_layout;
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (std::size_t d = 0; d < masters.size(); ++d) {
      for (std::size_t f = 0; f < masters[d].size(); ++f) {
        const MasterFile& m = masters[d][f];
        counts[d].push_back(data::frames_for_file(l, m.size, m.name));
        files.push_back({{"document", job.documents.at(d).id},
                         {"file", f + 1},
                         {"name", m.name},
                         {"path", std::filesystem::path(m.path).generic_string()},
                         {"size", m.size},
                         {"data_frames", counts[d].back().data},
                         {"parity_frames", counts[d].back().parity}});
      }
    }
    data_json = {
        {"format_version", data::kFormatVersion},
        {"place", to_string(job.data.place)},
        {"module_px", l.geometry.module_px},
        {"module_um", nine_places(l.module_um())},
        {"bits_per_module", l.code.bits_per_module},
        {"symbol_modules", {l.modules_x, l.modules_y}},
        {"inner_code", fmt::format("RS({}, {})", l.code.inner_n, l.code.inner_k)},
        {"outer_group", {{"data", l.code.group_data}, {"parity", l.code.group_parity}}},
        {"payload_bytes_per_frame", l.payload_bytes},
        {"placement", placement_json(data_placement)},
        {"files", files},
    };
  }
  nlohmann::ordered_json format_entry = format_json(format);
  if (format.layout == FilmLayout::fiche) format_entry["fiche"] = fiche_json(format.fiche);
  // The frames are written one at a time where the placeholder stands, each indented as
  // inside the whole document: a document of every frame at once cost ~9 KB per page at plan
  // time (95 MB for 10,000 pages), more than the frames in flight need.
  const std::string placeholder = R"("\u0001frames\u0001")";
  nlohmann::ordered_json plan = {
      {"job",
       job.site.empty()
           ? nlohmann::ordered_json{{"id", job_id}, {"title", job.title}}
           : nlohmann::ordered_json{{"id", job_id}, {"title", job.title}, {"site", job.site}}},
      {"format", format_entry},
      {"targets", targets ? job.targets : std::string("none")},
      {"filming_date", filming_date},
      {"fonts", font_set},
      {"pixel_pitch_um", nine_places(pitch_um)},
      {"calibration",
       calibration ? calibration->record() : nlohmann::ordered_json{{"profile", "none"}}},
      {"reels", reels_json},
      {"frames",
       "\x01"
       "frames\x01"},
      {"skipped", skipped},
  };
  if (data_layout) plan["data"] = data_json;
  const std::string text = plan.dump(2) + "\n";
  const std::size_t at = text.find(placeholder);
  if (at == std::string::npos) throw Error(ErrorKind::internal, "plan.json: frames placeholder");
  out(std::string_view(text).substr(0, at));
  out(frames.empty() ? "[]" : "[");
  bool first = true;
  for (const PlannedFrame& frame : frames) {
    if (frame.document >= job.documents.size()) {
      throw Error(ErrorKind::internal,
                  fmt::format("frame {} names document index {}, but the job has {} documents",
                              frame.sequence, frame.document, job.documents.size()));
    }
    nlohmann::ordered_json json = {
        {"sequence", frame.sequence},
        {"reel", frame.reel},
        {"number", frame.number},
        {"kind", to_string(frame.kind)},
        {"document", job.documents[frame.document].id},
        {"page", frame.page},
        {"address", frame.address},
        {"blip", hal::to_string(frame.blip)},
        {"source", source_json(frame.source)},
        {"placement", placement_json(frame.placement)},
        {"film_position_mm", mm(frame.film_position_mm)},
        {"reason", frame.reason},
        {"reduction", nine_places(frame.reduction)},
    };
    if (!frame.note.empty()) json["note"] = frame.note;
    if (frame.kind == FrameKind::substitute) json["target"] = frame.target;
    if (frame.other_reel != 0) json["other_reel"] = frame.other_reel;
    if (frame.kind == FrameKind::toc_target) {
      // What the frame lists: in plan.json, so that a changed table of contents changes the
      // plan's hash and a resume refuses it.
      nlohmann::ordered_json entries = nlohmann::ordered_json::array();
      const Document& document = job.documents[frame.document];
      for (std::uint32_t e = frame.toc_first; e < frame.toc_first + frame.toc_count; ++e) {
        const TocEntry& entry = document.toc.at(e);
        const TocPlace& place = toc.at(frame.document).at(e);
        entries.push_back({{"entry", e + 1},
                           {"title", entry.title},
                           {"page", entry.page},
                           {"level", entry.level},
                           {"reel", place.reel},
                           {"frame", place.frame},
                           {"address", place.address}});
      }
      json["toc"] = std::move(entries);
    }
    if (format.layout == FilmLayout::fiche) {
      json["grid"] = {{"row", frame.grid_row}, {"column", frame.grid_column}};
    }
    if (frame.pixel_pitch_um > 0) json["pixel_pitch_um"] = nine_places(frame.pixel_pitch_um);
    if (frame.separation != Separation::none) json["separation"] = to_string(frame.separation);
    if (frame.kind == FrameKind::data) {
      const data::FrameCount& count = counts.at(frame.document).at(frame.data_file);
      const auto group =
          static_cast<std::uint32_t>(data_layout->code.group_data + data_layout->code.group_parity);
      const std::uint32_t in_group = frame.data_frame % group;
      const std::uint32_t group_start = frame.data_frame - in_group;
      const std::uint32_t group_data = std::min<std::uint32_t>(
          static_cast<std::uint32_t>(data_layout->code.group_data),
          count.data -
              group_start / group * static_cast<std::uint32_t>(data_layout->code.group_data));
      json["data"] = {{"file", frame.data_file + 1},
                      {"name", masters.at(frame.document).at(frame.data_file).name},
                      {"frame", frame.data_frame + 1},
                      {"frames", count.total()},
                      {"group", frame.data_frame / group + 1},
                      {"parity", in_group >= group_data}};
    }
    std::string entry = (first ? "\n" : ",\n") + json.dump(2);
    first = false;
    for (std::size_t i = 0; (i = entry.find('\n', i)) != std::string::npos; i += 5) {
      entry.insert(i + 1, "    ");
    }
    out(entry);
  }
  if (!frames.empty()) out("\n  ]");
  out(std::string_view(text).substr(at + placeholder.size()));
}

std::string Plan::to_json(const Job& job) const {
  std::string text;
  write_json(job, [&](std::string_view piece) { text += piece; });
  return text;
}

std::string recorded_filming_date(const std::filesystem::path& plan_json) {
  if (!std::filesystem::is_regular_file(plan_json)) return "";
  try {
    const auto json = nlohmann::json::parse(read_file(plan_json));
    const auto date = json.find("filming_date");
    return date != json.end() && date->is_string() ? date->get<std::string>() : "";
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::job, fmt::format("{}: {}", plan_json.string(), e.what()));
  }
}

nlohmann::ordered_json Plan::rendering(const Job& job) const {
  nlohmann::ordered_json rendering = {{"polarity", to_string(job.polarity)}};
  for (const Document& document : job.documents) {
    const PageSettings s = settings_for(job, document);
    rendering["documents"].push_back({{"id", document.id},
                                      {"mode", to_string(s.mode)},
                                      {"threshold", s.threshold},
                                      {"colour_route", to_string(s.colour_route)}});
  }
  return rendering;
}

std::string reel_id(const std::string& site, std::uint32_t number) {
  return site.empty() ? fmt::format("R{:04}", number) : fmt::format("{}-R{:04}", site, number);
}

std::string fiche_id(const std::string& site, std::uint32_t number) {
  return site.empty() ? fmt::format("F{:04}", number) : fmt::format("{}-F{:04}", site, number);
}

std::string Plan::hash(const Job& job) const {
  // What decides a frame's pixels beyond the plan: a resume with another polarity, mode,
  // threshold or calibration would put frames of two kinds on one reel, so it must be refused.
  // The calibration (profile, its file's sha256, class, tone) is in plan.json itself.
  Sha256 digest;
  write_json(job, [&](std::string_view piece) { digest.update(piece); });
  digest.update(rendering(job).dump());
  return digest.hex();
}

hal::ReelSpec Plan::reel_spec(const PlannedReel& reel, const std::string& job_id,
                              const std::filesystem::path& work_dir) const {
  hal::ReelSpec spec{reel.id, reel.number, job_id, format.name, "", reel.film_length_m, work_dir};
  spec.geometry = film_geometry(format);
  return spec;
}

}  // namespace fw
