// Roll film: a plan's frames onto reels, with the reels' own targets, each document's title
// and TOC targets, "continued" targets where a document or an outer-code group of data frames
// runs over the reel change, and data frames (behind their data target) where the job places
// them.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "film/plan_frames.hpp"

namespace fw::planner {
namespace {

// Lengths are sums of many doubles; a rounding crumb must not push a document onto the
// next reel or past the end of the film.
constexpr double kLengthToleranceMm = 1e-6;

// The TOC target frames of a document whose TOC frames list `per_frame` entries each.
std::uint32_t toc_frame_count(const Document& document, std::uint32_t per_frame) {
  const auto entries = static_cast<std::uint32_t>(document.toc.size());
  return (entries + per_frame - 1) / per_frame;
}

// "D001-TOC1": the address label of a document's TOC target frame `index` (0-based).
std::string toc_label(const Document& document, std::uint32_t index) {
  return fmt::format("{}-TOC{}", document.id, index + 1);
}

double frame_step_mm(const PlannedFrame& frame, const FilmFormat& format) {
  return frame.placement.length_mm + format.frame_gap_mm;
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
        usable_mm_((format.reel_length_m - format.leader_m - format.trailer_m) * 1000.0),
        declaration_(plan.targets && !job.operator_name.empty()),
        reel_contents_(plan.targets && job.reel_contents),
        contents_per_frame_(std::max<std::uint32_t>(1, plan.reel_contents_entries_per_frame)) {
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
  // Film a reel's own targets take: start, technical and the first contents frame at the head;
  // the declaration, technical and end at the tail.
  double reel_targets_mm() const {
    return 2 * target_step_mm_ + contents_mm(1) + closing_targets_mm();
  }
  double target_step_mm() const { return target_step_mm_; }
  // Room left for content on the open reel, keeping the film of the closing targets and of the
  // contents frames of its documents so far free.
  double room_mm() const {
    return usable_mm_ - used_mm_ - closing_targets_mm() - contents_mm(entries_);
  }
  // What one more document on the open reel adds to its contents frames: a frame when it
  // starts one.
  double entry_mm() const { return contents_mm(entries_ + 1) - contents_mm(entries_); }

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
    entries_ = continued ? 1 : 0;  // the document it continues is on it
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
    insert_contents();
    if (plan_.targets) {
      const std::uint32_t number = plan_.reels.back().number;
      if (continues) {
        append_target(FrameKind::continued_to, last_document, hal::BlipLevel::none,
                      job_.documents[last_document].id + "-CONT", number + 1, nullptr, note);
      }
      if (declaration_) {
        append_target(FrameKind::declaration, last_document, hal::BlipLevel::none, "DECL");
      }
      append_target(FrameKind::technical_target, last_document, hal::BlipLevel::none, "TECH2");
      append_target(FrameKind::end_target, last_document, hal::BlipLevel::none, "END");
    }
    open_ = false;
  }

  void append_title(std::size_t document) {
    ++entries_;
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
    frame.address = planned_address(reel.label, job_.documents[frame.document].id, frame);
    reel.pages += begins_page(frame);
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

  double closing_targets_mm() const { return (declaration_ ? 3 : 2) * target_step_mm_; }
  // The frames a reel of `entries` documents lists them on.
  std::uint32_t contents_frames(std::uint32_t entries) const {
    return reel_contents_ ? (entries + contents_per_frame_ - 1) / contents_per_frame_ : 0;
  }
  double contents_mm(std::uint32_t entries) const {
    return contents_frames(entries) * target_step_mm_;
  }

  // The reel contents frames, once the reel's documents are known, after its start and
  // technical targets: the frames behind them move along the film by as much, as the room kept
  // for them allows.
  void insert_contents() {
    if (!reel_contents_ || entries_ == 0) return;
    PlannedReel& reel = plan_.reels.back();
    const std::uint32_t count = contents_frames(entries_);
    const std::size_t at = reel.first_frame + 2;  // behind START and TECH1
    const PlannedFrame& next = plan_.frames.at(at);
    std::vector<PlannedFrame> contents(count);
    for (std::uint32_t k = 0; k < count; ++k) {
      PlannedFrame& frame = contents[k];
      frame.kind = FrameKind::reel_contents;
      frame.document = next.document;
      frame.page = 0;
      frame.blip = hal::BlipLevel::none;
      frame.placement = target_;
      frame.reduction = target_reduction_;
      frame.address = fmt::format("{}-CONTENTS{}", reel.label, k + 1);
      frame.toc_first = k * contents_per_frame_;
      frame.toc_count = std::min(contents_per_frame_, entries_ - k * contents_per_frame_);
      frame.sequence = at + k;
      frame.reel = reel.number;
      frame.number = next.number + k;
      frame.film_position_mm = next.film_position_mm + k * target_step_mm_;
    }
    for (std::size_t i = at; i < plan_.frames.size(); ++i) {
      PlannedFrame& frame = plan_.frames[i];
      frame.sequence += count;
      frame.number += count;
      frame.film_position_mm += count * target_step_mm_;
    }
    plan_.frames.insert(plan_.frames.begin() + static_cast<std::ptrdiff_t>(at),
                        std::make_move_iterator(contents.begin()),
                        std::make_move_iterator(contents.end()));
    reel.frame_count += count;
    used_mm_ += count * target_step_mm_;
    update_film_used();
  }

  void update_film_used() {
    plan_.reels.back().film_used_m = format_.leader_m + used_mm_ / 1000.0 + format_.trailer_m;
  }

  Plan& plan_;
  const Job& job_;
  const FilmFormat& format_;
  double usable_mm_;
  bool declaration_;    // the job names an operator: each reel closes with the declaration
  bool reel_contents_;  // job.reel_contents: each reel lists its documents after TECH1
  std::uint32_t contents_per_frame_;
  std::uint32_t entries_ = 0;  // documents on the open reel
  double used_mm_ = 0;
  bool open_ = false;
  Placement target_;
  double target_reduction_ = 0;
  double target_step_mm_ = 0;
  Placement data_target_;
  double data_target_step_mm_ = 0;
  bool data_target_on_reel_ = false;
};

// The longest blip track of the job's targets: the reel's own (start, technical, declaration,
// end) and each document's title, TOC and continued targets, at their blip levels.
std::uint32_t target_least_px(const Job& job, TrackSizer& sizer, std::uint32_t toc_per_frame) {
  const std::string reel = reel_id({}, 0);
  std::uint32_t least = std::max({sizer.least_px(reel + "-START", hal::BlipLevel::batch),
                                  sizer.least_px(reel + "-TECH1", hal::BlipLevel::none),
                                  sizer.least_px(reel + "-TECH2", hal::BlipLevel::none),
                                  sizer.least_px(reel + "-END", hal::BlipLevel::none)});
  if (!job.operator_name.empty()) {
    least = std::max(least, sizer.least_px(reel + "-DECL", hal::BlipLevel::none));
  }
  if (job.reel_contents) {
    // CONTENTS1 .. CONTENTSn, n at most one a document.
    least = std::max(least, sizer.least_px(fmt::format("{}-CONTENTS{}", reel, job.documents.size()),
                                           hal::BlipLevel::none));
  }
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

}  // namespace

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
  // each adds at most eight targets (start, two technical, continued from/to, data,
  // declaration, end), and reel contents at most a frame a document and one more a reel.
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
  plan.frames.reserve(plan.frames.size() + pages + documents.size() + 8 * most_reels +
                      (job.reel_contents ? documents.size() + most_reels : 0));
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
          (longer_than_a_reel ? title_mm + toc_mm + unit_mm(frames, 0) + continued_mm
                              : document_mm) +
          reels.entry_mm();
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

}  // namespace fw::planner
