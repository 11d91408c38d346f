// Every frame fully marked (issue 18): however short the page, its frame is long enough for
// the image address in full and the DataMatrix frame mark behind it in the blip track. Small
// originals (catalogue cards, small photographs) and an A4 page, in comic and cine, on 16 and
// 35 mm film: the address is read back from the rendered track against the same address drawn
// on an unclipped track, the mark is decoded, the blip is read; then the reels are filmed on
// the simulated recorder and `filmwriter verify` passes them.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "core/error.hpp"
#include "film/mark_box.hpp"
#include "pipeline/pipeline.hpp"
#include "render/blip.hpp"
#include "render/frame_mark.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/test_support.hpp"
#include "text/text.hpp"

namespace fw::frame_marks_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

fs::path profiles() {
  return test::source_dir() / "profiles";
}

// Runs `action`, expecting an fw::Error of `kind`; returns its message.
template <typename Action>
std::string error_of(ErrorKind kind, Action action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no fw::Error thrown";
  return {};
}

struct PageSize {
  const char* name;
  double width_mm, height_mm;
};
// A library catalogue card (125 x 75 mm, landscape), a small photograph and an A4 page.
const PageSize kCard{"card", 125, 75};
const PageSize kPhoto{"photo", 30, 40};
const PageSize kA4{"a4", 210, 297};

// 35 mm cine ships no format: the 35 mm comic format turned.
FilmFormat format_named(const std::string& name) {
  if (name == "35mm-cine-test") {
    FilmFormat format = load_format(profiles(), "35mm-comic-30m");
    format.name = name;
    format.orientation = Orientation::cine;
    return format;
  }
  return load_format(profiles(), name);
}

double reduction_for(const std::string& format) {
  return format.starts_with("35mm") ? 21 : 24;
}

// One document of the given pages, as PNG files at 100 dpi (small sources; the frame's size
// comes from the page's size in mm).
void write_pages(const fs::path& dir, const std::vector<PageSize>& pages) {
  fs::create_directories(dir);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    samples::PageSpec spec;
    spec.width_mm = pages[i].width_mm;
    spec.height_mm = pages[i].height_mm;
    spec.dpi = 100;
    spec.marks = {{5, 5, 3}};
    samples::save_page(samples::make_page(spec), dir / fmt::format("p{}.png", i + 1),
                       samples::Encoding::png, spec.dpi);
  }
}

Job pages_job(const test::TempDir& dir, const std::string& format, bool targets) {
  write_pages(dir / "D001", {kCard, kPhoto, kA4});
  Job job;
  job.id = "marks";
  job.title = "marks";
  job.output = dir / "out";
  job.defaults.reduction = reduction_for(format);
  job.targets = targets ? "standard" : "none";
  job.format = format;
  if (format == "35mm-cine-test") job.inline_format = format_named(format);
  Document doc;
  doc.id = "SB0001";  // a long document id: "R0001-SB0001-0001"
  doc.title = "卡片目录";
  doc.key = "documents[1]";
  doc.pages.kind = PageSource::Kind::directory;
  doc.pages.paths = {dir / "D001"};
  job.documents.push_back(doc);
  return job;
}

// Frame pixels in film axes: along the film and across it from the image area's edge
// outwards (comic frames run along x, cine frames along y).
struct TrackView {
  const FrameImage* image;
  const Placement* p;
  bool comic;
  std::uint32_t along() const { return comic ? p->track_width_px : p->track_height_px; }
  std::uint32_t across() const { return comic ? p->track_height_px : p->track_width_px; }
  std::uint32_t x(std::uint32_t a, std::uint32_t c) const {
    return comic ? p->track_x_px + a : p->track_x_px + c;
  }
  std::uint32_t y(std::uint32_t a, std::uint32_t c) const {
    return comic ? p->track_y_px + c : p->track_y_px + a;
  }
  std::uint8_t at(std::uint32_t a, std::uint32_t c) const {
    return image->pixels[(std::size_t{y(a, c)} * image->width + x(a, c)) * image->channels];
  }
};

// The frame's track drawn again on a track 40 mm longer, where nothing can clip the address.
FrameImage unclipped_track(const PlannedFrame& frame, const Plan& plan, std::uint32_t extra) {
  PlannedFrame longer = frame;
  Placement& p = longer.placement;
  if (plan.format.orientation == Orientation::comic) {
    p.frame_width_px += extra;
    p.track_width_px += extra;
  } else {
    p.frame_height_px += extra;
    p.track_height_px += extra;
  }
  FrameImage image{p.frame_width_px, p.frame_height_px, 1,
                   std::vector<std::uint8_t>(std::size_t{p.frame_width_px} * p.frame_height_px)};
  draw_blip_track(image, longer, plan.format, plan.pitch_um, plan.text.get());
  return image;
}

// The address drawn again where nothing clips it, against the frame's track (outside the
// blip lane): its ink pixels, those beyond the frame's track or under the mark's square, and
// the track pixels where the frame differs from it (the mark's square left out).
struct AddressInk {
  std::size_t ink = 0, outside = 0, under_mark = 0, different = 0;
};
AddressInk address_ink(const FrameImage& image, const PlannedFrame& frame, const Plan& plan,
                       const MarkBox& box) {
  const Placement& p = frame.placement;
  const bool comic = plan.format.orientation == Orientation::comic;
  const TrackView frame_track{&image, &p, comic};
  const std::uint32_t mark_along = comic ? box.x - p.track_x_px : box.y - p.track_y_px;
  const std::uint32_t mark_across = comic ? box.y - p.track_y_px : box.x - p.track_x_px;
  const std::uint32_t lane = mm_to_px(plan.format.blips.mark_width_mm, plan.pitch_um);
  const std::uint32_t extra = mm_to_px(40, plan.pitch_um);
  const FrameImage canvas = unclipped_track(frame, plan, extra);
  Placement longer = p;
  (comic ? longer.track_width_px : longer.track_height_px) += extra;
  const TrackView unclipped{&canvas, &longer, comic};
  AddressInk out;
  for (std::uint32_t c = lane; c < unclipped.across(); ++c) {
    for (std::uint32_t a = 0; a < unclipped.along(); ++a) {
      const std::uint8_t value = unclipped.at(a, c);
      const bool in_frame = a < frame_track.along();
      const bool in_mark = a >= mark_along && a < mark_along + box.size && c >= mark_across &&
                           c < mark_across + box.size;
      if (value != 0) {
        ++out.ink;
        if (!in_frame) ++out.outside;
        if (in_mark) ++out.under_mark;
      }
      if (in_frame && !in_mark && frame_track.at(a, c) != value) ++out.different;
    }
  }
  return out;
}

// Checks one rendered frame: its blip, its address in full inside the track and clear of the
// mark, its mark decoded. Returns the number of the address's ink pixels.
std::size_t check_frame(const FrameImage& image, const PlannedFrame& frame, const Plan& plan,
                        const std::string& source_sha256) {
  const FilmFormat& format = plan.format;
  const double pitch = plan.pitch_um;
  const Placement& p = frame.placement;
  const bool comic = format.orientation == Orientation::comic;
  EXPECT_EQ(read_blip(image, p, format, pitch), frame.blip) << frame.address;

  // The page is centred along the film in its frame.
  const std::uint32_t frame_along = comic ? p.frame_width_px : p.frame_height_px;
  const std::uint32_t page_at = comic ? p.page_x_px : p.page_y_px;
  const std::uint32_t page_length = comic ? p.page_width_px : p.page_height_px;
  const std::uint32_t after = frame_along - page_at - page_length;
  EXPECT_LE(after - page_at, 1u) << frame.address << ": page at " << page_at << ", " << after
                                 << " px after it";

  // The mark: inside the track, decoded from the frame (exposed modules are dark on film).
  const MarkBox box = mark_box(p, format, pitch);
  EXPECT_GT(box.size, 0u) << frame.address;
  if (box.size == 0) return 0;
  const TrackView frame_track{&image, &p, comic};
  EXPECT_LE((comic ? box.x - p.track_x_px : box.y - p.track_y_px) + box.size, frame_track.along())
      << frame.address;
  EXPECT_LE((comic ? box.y - p.track_y_px : box.x - p.track_x_px) + box.size, frame_track.across())
      << frame.address;
  std::vector<std::uint8_t> grey(std::size_t{box.size} * box.size);
  for (std::uint32_t y = 0; y < box.size; ++y) {
    for (std::uint32_t x = 0; x < box.size; ++x) {
      grey[std::size_t{y} * box.size + x] =
          255 - image.pixels[(std::size_t{box.y + y} * image.width + box.x + x) * image.channels];
    }
  }
  const auto text = decode_datamatrix(grey, box.size, box.size);
  const FrameMark want{frame.reel, frame.number, FrameMark::hash_of(source_sha256)};
  EXPECT_EQ(text.value_or("unreadable"), want.payload()) << frame.address;

  const AddressInk address = address_ink(image, frame, plan, box);
  EXPECT_EQ(address.outside, 0u) << frame.address << ": address ink beyond the frame's track";
  EXPECT_EQ(address.under_mark, 0u) << frame.address << ": address ink under the frame mark";
  EXPECT_EQ(address.different, 0u)
      << frame.address << ": the track differs from the address drawn alone";
  return address.ink;
}

// ---------------------------------------------------------------------------------------
// The planner's least frame length

hal::Capabilities recorder_at(double pitch_um) {
  hal::Capabilities caps;
  caps.pixel_pitch_um = pitch_um;
  return caps;
}

Job planner_job(double reduction, const std::string& targets = "none") {
  Job job;
  job.id = "least";
  job.title = "least";
  job.defaults.reduction = reduction;
  job.targets = targets;
  Document doc;
  doc.id = "SB0001";
  doc.title = "least";
  doc.key = "documents[1]";
  job.documents.push_back(doc);
  return job;
}

// Pages by their size only: the planner reads no file.
DocumentPages pages_sized(const std::vector<PageSize>& sizes) {
  DocumentPages pages;
  pages.document = 0;
  for (const PageSize& size : sizes) {
    SourcePage page;
    page.ref.file = fmt::format("/scans/{}.tif", size.name);
    page.info.width_mm = size.width_mm;
    page.info.height_mm = size.height_mm;
    page.info.dpi = 300;
    page.info.width_px = static_cast<std::uint32_t>(size.width_mm / 25.4 * 300);
    page.info.height_px = static_cast<std::uint32_t>(size.height_mm / 25.4 * 300);
    pages.pages.push_back(page);
  }
  return pages;
}

TEST(LeastFrameLength, ShortPagesGetFramesJustLongEnoughForTheirTrackAndLongPagesKeepTheirs) {
  const FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  const Plan plan =
      plan_reels(planner_job(24), format, recorder_at(2.5), {pages_sized({kPhoto, kCard, kA4})});
  ASSERT_EQ(plan.frames.size(), 3u);
  const auto text = TextEngine::load_default();
  for (const PlannedFrame& frame : plan.frames) {
    const Placement& p = frame.placement;
    const std::uint32_t least =
        least_track_length_px(frame.address, frame.blip, format, 2.5, *text);
    EXPECT_GE(p.frame_width_px, least) << frame.address;
    EXPECT_EQ(p.track_width_px, p.frame_width_px) << frame.address;
    EXPECT_EQ(p.page_x_px, (p.frame_width_px - p.page_width_px) / 2) << frame.address;
    EXPECT_DOUBLE_EQ(p.length_mm, p.frame_width_px * 2.5 / 1000) << frame.address;
  }
  const PlannedFrame& photo = plan.frames[0];
  const PlannedFrame& card = plan.frames[1];
  const PlannedFrame& a4 = plan.frames[2];
  // The photo (30 mm wide: 1.25 mm at 24x) and the card (125 mm: 5.2 mm) are shorter than
  // "R0001-SB0001-0001" and the mark need; their frames are no longer than that (the planner's
  // bound for any reel number reads the address with every digit the same).
  for (const PlannedFrame* short_frame : {&photo, &card}) {
    const std::uint32_t page_frame = short_frame->placement.page_width_px + 2 * 20;
    const std::uint32_t least =
        least_track_length_px(short_frame->address, short_frame->blip, format, 2.5, *text);
    EXPECT_GT(least, page_frame) << short_frame->address;
    EXPECT_LE(short_frame->placement.frame_width_px, least + 20) << short_frame->address;
  }
  // The figures docs/formats.md gives: the photo opens the document (a 2 mm mark) whose address is
  // "R0001-SB0001-0001", the card is its second page (a 1 mm mark).
  EXPECT_DOUBLE_EQ(photo.placement.length_mm, 7.55);
  EXPECT_DOUBLE_EQ(card.placement.length_mm, 6.55);
  // A4 (8.75 mm) is long enough: its frame is the page and its margins, as it always was.
  EXPECT_EQ(a4.placement.frame_width_px, 3540u);
  EXPECT_DOUBLE_EQ(a4.placement.length_mm, 8.85);
  // Film used follows the longer frames.
  EXPECT_DOUBLE_EQ(plan.frames[1].film_position_mm,
                   plan.frames[0].film_position_mm + photo.placement.length_mm + 1.0);
}

TEST(LeastFrameLength, TheLeastLengthIsTheBlipMarkTheAddressAndTheMarkOneAfterTheOther) {
  const FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  const auto text = TextEngine::load_default();
  const double pitch = 2.5;
  // Without an address: the blip mark from its offset, or the mark and its clearances.
  FilmFormat no_address = format;
  no_address.blips.address_height_mm = 0;
  EXPECT_EQ(least_track_length_px("R0001-START", hal::BlipLevel::batch, no_address, pitch, *text),
            80u + 1200u);  // 0.2 mm + 3 mm
  const TrackMark mark = track_mark(600, format, pitch);
  EXPECT_EQ(mark.size, 280u);  // 0.7 mm: 14 px modules
  EXPECT_EQ(least_track_length_px("R0001-TECH1", hal::BlipLevel::none, no_address, pitch, *text),
            280u + 2 * 20u);
  // With it: a longer address or a longer blip mark needs a longer frame, by as much.
  const std::uint32_t page =
      least_track_length_px("R0001-D001-0001", hal::BlipLevel::page, format, pitch, *text);
  const std::uint32_t document =
      least_track_length_px("R0001-D001-0001", hal::BlipLevel::document, format, pitch, *text);
  const std::uint32_t longer =
      least_track_length_px("R0001-D001-0001-G", hal::BlipLevel::page, format, pitch, *text);
  EXPECT_EQ(document - page, 400u);  // 1 mm more of blip mark
  EXPECT_GT(longer, page + 100);
  // Blip mark, 0.3 mm, the address's ink, 0.05 mm, the mark, 0.05 mm: the address alone is
  // about 0.28 mm a character at 0.3 mm cap height.
  const std::uint32_t fixed = 80 + 400 + 120 + 20 + 280 + 20;
  EXPECT_GT(page, fixed + 15 * 0.2 / 0.0025);
  EXPECT_LT(page, fixed + 15 * 0.35 / 0.0025);
}

// The figures docs/formats.md gives for the shipped formats (default font set, 2.5 um pitch).
TEST(LeastFrameLength, ShippedFormatsNeedTheLengthsTheReadmeGives) {
  const auto text = TextEngine::load_default();
  struct Row {
    const char* format;
    double page_mm, title_mm, start_mm;
  };
  // Every shipped roll format has the same track: 1.5 mm, a 0.7 mm lane, 0.3 mm capitals.
  for (const Row& row :
       {Row{"16mm-comic-30m", 6.045, 7.085, 7.055}, Row{"16mm-comic-65m", 6.045, 7.085, 7.055},
        Row{"16mm-cine-30m", 6.045, 7.085, 7.055}, Row{"35mm-comic-30m", 6.045, 7.085, 7.055}}) {
    const FilmFormat format = load_format(profiles(), row.format);
    const auto mm = [&](const char* address, hal::BlipLevel level) {
      return least_track_length_px(address, level, format, 2.5, *text) * 2.5 / 1000;
    };
    const double page = mm("R0001-D001-0001", hal::BlipLevel::page);
    const double title = mm("R0001-D001-TITLE", hal::BlipLevel::document);
    const double start = mm("R0001-START", hal::BlipLevel::batch);
    EXPECT_NEAR(page, row.page_mm, 1e-9) << row.format;
    EXPECT_NEAR(title, row.title_mm, 1e-9) << row.format;
    EXPECT_NEAR(start, row.start_mm, 1e-9) << row.format;
  }
}

TEST(LeastFrameLength, TargetsAtAHighReductionAreLengthenedForTheStartTargetsBatchMark) {
  const FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  // A4 at 50x is 4.2 mm along the film: too short for "R0001-START" behind a 3 mm mark.
  const Plan plan =
      plan_reels(planner_job(50, "standard"), format, recorder_at(2.5), {pages_sized({kA4})});
  const auto text = TextEngine::load_default();
  std::uint32_t target_length = 0;
  for (const PlannedFrame& frame : plan.frames) {
    EXPECT_GE(frame.placement.frame_width_px,
              least_track_length_px(frame.address, frame.blip, format, 2.5, *text))
        << frame.address;
    if (is_target(frame.kind)) {
      if (target_length == 0) target_length = frame.placement.frame_width_px;
      EXPECT_EQ(frame.placement.frame_width_px, target_length) << frame.address;  // one size
    }
  }
  EXPECT_GT(target_length, mm_to_px(4.2 + 0.1, 2.5) + 400);
}

TEST(LeastFrameLength, AFixedFrameTooShortForTheTrackIsAFormatError) {
  FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  format.frame_length_mm = 3.0;  // holds the photo, not its address and mark
  EXPECT_THAT(
      error_of(
          ErrorKind::job,
          [&] { plan_reels(planner_job(24), format, recorder_at(2.5), {pages_sized({kPhoto})}); }),
      HasSubstr("format 16mm-comic-30m: its 3.00 mm frames are shorter than the 7."));
  EXPECT_THAT(
      error_of(
          ErrorKind::job,
          [&] { plan_reels(planner_job(24), format, recorder_at(2.5), {pages_sized({kPhoto})}); }),
      HasSubstr("mm page 1 of SB0001 needs for its blip mark, image address and frame "
                "mark"));
}

TEST(LeastFrameLength, AnAddressTallerThanTheTrackBesideTheLaneIsAFormatError) {
  FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  format.blips.address_height_mm = 0.7;  // 0.8 mm beside the lane: no room for the line
  EXPECT_THAT(
      error_of(
          ErrorKind::job,
          [&] { plan_reels(planner_job(24), format, recorder_at(2.5), {pages_sized({kA4})}); }),
      HasSubstr("format 16mm-comic-30m: image addresses at 0.7 mm capitals are"));
}

// Fiche cells are fixed: a page that fills its cell leaves no margin for the frame mark, and
// the planner refuses it instead of filming an unmarked frame.
TEST(LeastFrameLength, AFichePageThatLeavesNoMarginForItsMarkIsRefused) {
  const FilmFormat fiche = load_format(profiles(), "fiche-a6-98-24x");
  const Plan a4 = plan_reels(planner_job(24), fiche, recorder_at(2.5), {pages_sized({kA4})});
  EXPECT_GT(mark_box(a4.frames.back().placement, fiche, 2.5).size, 0u);
  const PageSize folio{"folio", 249, 309};  // 10.375 x 12.875 mm in a 10.5 x 13.0 mm cell
  const std::string error = error_of(ErrorKind::input, [&] {
    plan_reels(planner_job(24), fiche, recorder_at(2.5), {pages_sized({folio})});
  });
  EXPECT_THAT(error, HasSubstr("SB0001 page 1 (/scans/folio.tif, page 1 in file): the page "
                               "(10.38 x 12.88 mm on film) leaves no margin for its frame mark "
                               "in the 10.5 x 13.0 mm cell of fiche-a6-98-24x"));
}

class SmallPages : public ::testing::TestWithParam<std::string> {};

TEST_P(SmallPages, EveryFrameShowsItsAddressInFullAndAMarkThatDecodes) {
  test::TempDir dir;
  const std::string format = GetParam();
  Job job = pages_job(dir, format, true);
  job.calibration.profile = "none";  // the marks' and addresses' code values as drawn
  hal::Capabilities caps;
  caps.pixel_pitch_um = 5;  // frames stay small; the track's mark has 7 px modules
  const PreparedJob prepared = prepare_job(job, caps, profiles());
  const Plan& plan = prepared.plan;
  ASSERT_EQ(plan.frames.size(), 8u);  // start, technical, title, card, photo, A4, technical, end
  SourceHashes hashes;
  std::size_t shortest_ink = SIZE_MAX;
  for (const PlannedFrame& frame : plan.frames) {
    RenderedFrame rendered = render_frame(job, plan, frame, hashes);
    const std::string sha = rendered.source_sha256;
    const FrameImage image{rendered.width, rendered.height, rendered.channels,
                           std::move(rendered.pixels)};
    const std::size_t ink = check_frame(image, frame, plan, sha);
    shortest_ink = std::min(shortest_ink, ink);
    if (frame.kind == FrameKind::page && frame.page == 2) {
      // The check sees a clipped address: the photo's frame with the address's last
      // characters (the track's ink from 1 mm before the mark) rubbed out.
      FrameImage clipped = image;
      const Placement& p = frame.placement;
      const MarkBox box = mark_box(p, plan.format, plan.pitch_um);
      const bool comic = plan.format.orientation == Orientation::comic;
      const std::uint32_t mark_at = comic ? box.x : box.y;
      const std::uint32_t from = mark_at - mm_to_px(1.0, plan.pitch_um);
      for (std::uint32_t y = 0; y < clipped.height; ++y) {
        for (std::uint32_t x = 0; x < clipped.width; ++x) {
          const bool in_track = comic ? y >= p.track_y_px : x >= p.track_x_px;
          const std::uint32_t along = comic ? x : y;
          if (in_track && along >= from && along < mark_at) {
            clipped.pixels[std::size_t{y} * clipped.width + x] = 0;
          }
        }
      }
      EXPECT_GT(address_ink(clipped, frame, plan, box).different, 100u) << frame.address;
    }
  }
  // Every address was drawn (0.3 mm capitals at 5 um: a 60 px cap height).
  EXPECT_GT(shortest_ink, 2000u);
}

// The frame the photo had before (its page and margins, 1.35 mm): the address does not fit,
// and the track is refused rather than drawn clipped.
TEST(SmallPagesTrack, AnAddressThatDoesNotFitItsFrameIsNeverDrawnClipped) {
  const FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  PlannedFrame frame;
  frame.number = 2;
  frame.address = "R0001-SB0001-0002";
  frame.placement = place_page(pages_sized({kPhoto}).pages[0].info, PageSettings{}, format, 2.5);
  ASSERT_EQ(frame.placement.frame_width_px, 540u);  // 1.25 mm of photo and 0.1 mm of margins
  FrameImage image{frame.placement.frame_width_px, frame.placement.frame_height_px, 1,
                   std::vector<std::uint8_t>(std::size_t{frame.placement.frame_width_px} *
                                             frame.placement.frame_height_px)};
  EXPECT_THAT(error_of(ErrorKind::internal, [&] { draw_blip_track(image, frame, format, 2.5); }),
              HasSubstr("frame 2 (R0001-SB0001-0002): the image address needs track pixels"));
}

INSTANTIATE_TEST_SUITE_P(Formats, SmallPages,
                         ::testing::Values("16mm-comic-30m", "16mm-cine-30m", "35mm-comic-30m",
                                           "35mm-cine-test"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

// ---------------------------------------------------------------------------------------
// Filmed on the simulated recorder and verified from its developed film

class VerifySmallPages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new test::TempDir();
    const fs::path root = base_->path();
    test::copy_profiles_with_test_recorder(root / "profiles");
    // 35 mm cine: the 35 mm comic format turned.
    std::string cine = read_file(root / "profiles" / "formats" / "35mm-comic-30m.toml");
    const std::string comic = "orientation = \"comic\"";
    cine.replace(cine.find(comic), comic.size(), "orientation = \"cine\"");
    test::write_text(root / "profiles" / "formats" / "35mm-cine-test.toml", cine);
    const auto cal =
        test::run_cli({"calibrate", "auto", "--profile", (root / "cal.toml").string(), "--out",
                       (root / "cal").string(), "-O", "rate=0", "-O", "recorder=sim-test", "-O",
                       "profiles=" + (root / "profiles").string()});
    ASSERT_EQ(cal.exit_code, 0) << cal.out << cal.err;
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }

  // Films the pages on `format` with the `recorder` profile, verifies the reel and returns
  // qc.json.
  Json film_and_verify(const std::string& format, const std::vector<PageSize>& pages, bool targets,
                       const std::string& recorder = "sim-test") {
    const fs::path& root = base_->path();
    const fs::path profiles_dir = root / "profiles";
    write_pages(dir_ / "D001", pages);
    const fs::path job = dir_ / "job.toml";
    test::write_text(
        job, fmt::format("version = 1\nid = \"marks\"\ntitle = \"marks\"\nformat = \"{}\"\n"
                         "reduction = {}\ntargets = \"{}\"\n"
                         "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
                         "recorder = \"{}\"\nprofiles = \"{}\"\ncalibration = \"{}\"\n"
                         "[[documents]]\nid = \"SB0001\"\ntitle = \"卡片目录\"\n"
                         "pages = {{ dir = \"D001\" }}\ndpi = 100\n",
                         format, reduction_for(format), targets ? "standard" : "none", recorder,
                         profiles_dir.string(), (root / "cal.toml").string()));
    const fs::path out = dir_ / "out";
    EXPECT_NO_THROW(test::convert_job(job, {}, test::job_flags(out, profiles_dir)));
    const QcResult verified = test::verify_job(job, {}, test::job_flags(out, profiles_dir));
    EXPECT_TRUE(verified.passed) << test::describe(verified);
    if (!fs::exists(out / "marks" / "qc.json")) return Json::object();
    return Json::parse(read_file(out / "marks" / "qc.json"));
  }

  // Every frame's mark read from the film, naming its own frame.
  static void expect_every_mark_read(const Json& qc, std::size_t frames) {
    ASSERT_EQ(qc["reels"].size(), 1u);
    const Json& reel_frames = qc["reels"][0]["frames"];
    ASSERT_EQ(reel_frames.size(), frames);
    for (const Json& frame : reel_frames) {
      // A frame without a place for its mark has no "mark" at all: that is a failure here.
      ASSERT_TRUE(frame.contains("mark") && frame["mark"].is_string()) << frame.dump();
      EXPECT_EQ(frame["mark"].get<std::string>().size(), 20u) << frame.dump();
      EXPECT_EQ(frame["mark"], frame["mark_expected"]) << frame.dump();
      EXPECT_EQ(frame["verdict"], "pass") << frame.dump();
    }
  }

  static test::TempDir* base_;
  test::TempDir dir_;
};
test::TempDir* VerifySmallPages::base_ = nullptr;

// 10 um test recorder: a card, a photo and an A4 page with the reel's targets, every format.
TEST_F(VerifySmallPages, CardsPhotosAndA4OnSixteenMillimetreComicPassVerify) {
  expect_every_mark_read(film_and_verify("16mm-comic-30m", {kCard, kPhoto, kA4}, true), 8);
}
TEST_F(VerifySmallPages, CardsPhotosAndA4OnSixteenMillimetreCinePassVerify) {
  expect_every_mark_read(film_and_verify("16mm-cine-30m", {kCard, kPhoto, kA4}, true), 8);
}
TEST_F(VerifySmallPages, CardsPhotosAndA4OnThirtyFiveMillimetreComicPassVerify) {
  expect_every_mark_read(film_and_verify("35mm-comic-30m", {kCard, kPhoto, kA4}, true), 8);
}
TEST_F(VerifySmallPages, CardsPhotosAndA4OnThirtyFiveMillimetreCinePassVerify) {
  expect_every_mark_read(film_and_verify("35mm-cine-test", {kCard, kPhoto, kA4}, true), 8);
}
// At the default recorder's 2.5 um pitch (14 px modules), two small frames.
TEST_F(VerifySmallPages, ACardAndAPhotoAtTheDefaultPitchPassVerify) {
  expect_every_mark_read(film_and_verify("16mm-comic-30m", {kCard, kPhoto}, false, "sim-default"),
                         2);
}

}  // namespace
}  // namespace fw::frame_marks_test
