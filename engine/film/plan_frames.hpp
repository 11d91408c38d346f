// The reel planner's own pieces, shared by its files (plan.cpp: documents into frames;
// plan_roll.cpp: frames onto reels of roll film; plan_fiche.cpp: onto fiche sheets;
// plan_data.cpp: data frames' geometry; plan_frames.cpp: these). Private to engine/film.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "film/plan.hpp"

namespace fw::planner {

// "D001 page 3 (scan.pdf, page 3 in file)": a page named in an error.
std::string page_context(const Document& document, std::uint32_t page, const SourcePage& source);

// "R0001-D001-0003"; a separation frame's address ends in its filter, "R0001-D001-0003-G", so
// that the three frames of a page are told apart at the reader and in index.csv; a section of
// a page filmed in sections carries its number before that, "R0001-D001-0003-S2(-G)".
std::string frame_address(const std::string& reel, const std::string& document_id,
                          std::uint32_t page, Separation separation = Separation::none,
                          std::uint32_t section = 0);

// A page's frame_address; a reduction-change target's "R0001-D001-RATIO0012" (before page 12),
// or before the sections of page 12 "R0001-D001-SECT0012".
std::string planned_address(const std::string& reel, const std::string& document_id,
                            const PlannedFrame& frame);

// "R0001-D001-M01-0003": reel, document, the master file's number in the document and the
// frame's number in the file (data then parity frames of each group, from 1).
std::string data_address(const std::string& reel, const std::string& document_id,
                         std::uint32_t file, std::uint32_t frame);

// The film a page takes: one frame, or a colour page's three separations, which are never
// split across reels or sheets, behind the reduction-change target that announces it; a page
// filmed in sections takes its overview, the sections' target and every section. A data file's
// outer-code group is a unit too: a reel never splits one. `unit_frames`: the frames of the unit
// that begins at frames[i]; `continues_unit`: the frame belongs to the unit before it.
std::size_t unit_frames(const std::vector<PlannedFrame>& frames, std::size_t i);
bool continues_unit(const PlannedFrame& frame);

// Substitutes for a document without a single good page get the frame of an upright A4 page.
PageInfo a4_portrait();

// Error(input) naming `context` when the frame is larger than the recorder takes.
void check_recorder_limits(const Placement& placement, const hal::Capabilities& recorder,
                           const std::string& context);

// Targets are an A4 page on the document plane, filmed at the job's reduction; where A4 does
// not fit at that reduction (large originals at a low reduction), at the format's highest.
struct TargetFrame {
  Placement placement;
  double reduction = 0;
};
TargetFrame target_placement(const Job& job, const FilmFormat& format, double pitch_um);

// How long a frame must be for its blip track: its blip mark, its image address in full and its
// frame mark (film/blip_geometry.hpp least_track_length_px). The address names the reel, which is
// not known until the frames' lengths have placed them on reels, so addresses are measured as a
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
  std::uint32_t least_px(const std::string& address, hal::BlipLevel level);

 private:
  static constexpr char kDigit = '\x01';  // an open digit in a pattern: no address has it

  const TextEngine& engine();

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
                     const std::function<std::string()>& what);

// A document's frames: its pages (with substitutes and separations), then its data frames.
struct DocumentFrames {
  std::vector<PlannedFrame> pages;
  std::vector<PlannedFrame> data;
};

// Roll film: the documents' frames onto reels with their targets (plan_roll.cpp).
void plan_roll(const Job& job, const FilmFormat& format, double pitch_um,
               std::vector<DocumentFrames> documents, Plan& plan, TrackSizer& sizer);

// Fiche: the documents' page frames onto sheets behind their header strips (plan_fiche.cpp).
void plan_fiche(const Job& job, const FilmFormat& format, double pitch_um,
                std::vector<std::vector<PlannedFrame>> documents, Plan& plan);

}  // namespace fw::planner
