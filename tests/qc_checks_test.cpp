// The checks of engine/qc/checks/ one at a time, on small frames: real frames rendered by the
// pipeline's render stage (12.5 um pitch, a few hundred pixels), turned into film by a
// noise-free linear tone (code 0 -> 0.06 D, 255 -> 1.10 D), then damaged where a test says.
// verify's composition of them on the simulated recorder's film is qc_test.cpp's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>
#include <vips/vips8>

#include "base/files.hpp"
#include "catalog/index.hpp"
#include "color/paper.hpp"
#include "core/error.hpp"
#include "film/mark_box.hpp"
#include "film/target_layout.hpp"
#include "pipeline/pipeline.hpp"
#include "qc/checks/blip.hpp"
#include "qc/checks/completeness.hpp"
#include "qc/checks/content.hpp"
#include "qc/checks/density.hpp"
#include "qc/checks/frame_mark.hpp"
#include "qc/checks/resolution.hpp"
#include "qc/checks/tone.hpp"
#include "qc/checks/track.hpp"
#include "qc/film_reader.hpp"
#include "qc/measure.hpp"
#include "render/blip.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw::qc::qc_checks_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr double kPitchUm = 12.5;
constexpr std::uint16_t kClear = 600, kExposed = 11000;  // density x 10000

// Two 60 x 80 mm pages at 10x with the standard targets (start, technical, title, pages, end).
class Checks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    job_ = new Job();
    job_->id = "checks";
    job_->title = "checks";
    job_->output = dir_->path() / "out";
    job_->defaults.reduction = 10;
    job_->targets = "standard";
    job_->format = "16mm-comic-30m";
    job_->calibration.profile = "none";  // the code values as drawn
    const auto scans = dir_->path() / "D1";
    std::filesystem::create_directories(scans);
    for (int i = 1; i <= 2; ++i) {
      samples::PageSpec spec;
      spec.width_mm = 60;
      spec.height_mm = 80;
      spec.dpi = 254;
      spec.label = "page " + std::to_string(i);
      samples::save_page(samples::make_page(spec), scans / fmt::format("p{}.png", i),
                         samples::Encoding::png, spec.dpi);
    }
    Document doc;
    doc.id = "D001";
    doc.title = "文献";
    doc.key = "documents[1]";
    doc.pages.kind = PageSource::Kind::directory;
    doc.pages.paths = {scans};
    job_->documents.push_back(doc);
    // The profiles with a coarser chart: the technical target is filmed at 50x, where the
    // standard chart's 1 lp/mm is already beyond what a 12.5 um pitch writes.
    profiles_ = new std::filesystem::path(dir_->path() / "profiles");
    std::filesystem::copy(test::source_dir() / "profiles", *profiles_,
                          std::filesystem::copy_options::recursive);
    const auto technical = *profiles_ / "targets" / "standard" / "technical-target.toml";
    std::string toml = read_file(technical);
    const std::string standard = "[1.0, 1.25, 1.6, 2.0, 2.5, 3.2, 4.0, 5.0, 6.3, 8.0, 10.0]";
    const auto at = toml.find(standard);
    if (at == std::string::npos) throw std::runtime_error("the chart's frequencies moved");
    toml.replace(at, standard.size(), "[0.2, 0.25, 0.32, 0.4, 0.5, 0.63, 0.8, 1.0]");
    test::write_text(technical, toml);
    hal::Capabilities caps;
    caps.pixel_pitch_um = kPitchUm;
    prepared_ = new PreparedJob(prepare_job(*job_, caps, *profiles_));
  }
  static void TearDownTestSuite() {
    delete prepared_;
    delete profiles_;
    delete job_;
    delete dir_;
  }

  static const Plan& plan() { return prepared_->plan; }
  static const PlannedFrame& frame_of(FrameKind kind) {
    for (const PlannedFrame& f : plan().frames) {
      if (f.kind == kind) return f;
    }
    throw std::runtime_error("no such frame");
  }
  static RenderedFrame render(const PlannedFrame& f) {
    SourceHashes hashes;
    return render_frame(*job_, plan(), f, hashes);
  }
  // The film the linear tone makes of a frame's first channel.
  static std::vector<std::uint16_t> develop(const RenderedFrame& r) {
    std::vector<std::uint16_t> film(std::size_t{r.width} * r.height);
    for (std::size_t i = 0; i < film.size(); ++i) {
      film[i] =
          static_cast<std::uint16_t>(kClear + (kExposed - kClear) * r.pixels[i * r.channels] / 255);
    }
    return film;
  }
  static FilmPlane plane(const std::vector<std::uint16_t>& film, const RenderedFrame& r) {
    return {film.data(), r.width, r.height, 1, 10000};
  }
  static ToneTable linear_tone() {
    ToneTable t{};
    for (int c = 0; c < 256; ++c) {
      // Truncated as the film's 16-bit densities are, so the table reads them back exactly.
      const int density_x10000 = kClear + (kExposed - kClear) * c / 255;
      t[c] = density_x10000 / 10000.0;
    }
    return t;
  }
  static SsimScale scale() { return ssim_scale(kPitchUm, 0.25, 0.5); }

  static test::TempDir* dir_;
  static std::filesystem::path* profiles_;
  static Job* job_;
  static PreparedJob* prepared_;
};
test::TempDir* Checks::dir_ = nullptr;
std::filesystem::path* Checks::profiles_ = nullptr;
Job* Checks::job_ = nullptr;
PreparedJob* Checks::prepared_ = nullptr;

// The reference: a pixel keeps a bit when every pixel of its window has it.
std::vector<std::uint8_t> naive_erode(const std::vector<std::uint8_t>& m, std::uint32_t w,
                                      std::uint32_t h, std::uint32_t r) {
  std::vector<std::uint8_t> out(m.size(), 0);
  for (std::uint32_t y = r; y + r < h; ++y) {
    for (std::uint32_t x = r; x + r < w; ++x) {
      std::uint8_t all = 0xff;
      for (std::uint32_t yy = y - r; yy <= y + r; ++yy) {
        for (std::uint32_t xx = x - r; xx <= x + r; ++xx) all &= m[std::size_t{yy} * w + xx];
      }
      out[std::size_t{y} * w + x] = all;
    }
  }
  return out;
}

TEST(Erode, EveryBitKeepsOnlyPixelsWhoseWholeWindowHasIt) {
  std::mt19937 rng(7);
  const std::uint32_t w = 61, h = 47;
  std::vector<std::uint8_t> mask(std::size_t{w} * h);
  // Large blobs of three bits, so that something survives a radius of 2 and 3.
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) {
      mask[std::size_t{y} * w + x] = static_cast<std::uint8_t>(
          ((x / 9 + y / 7) % 2 ? 1 : 0) | ((x / 13) % 2 ? 2 : 0) | (rng() % 50 ? 4 : 0));
    }
  }
  for (std::uint32_t r : {1u, 2u, 3u}) {
    std::vector<std::uint8_t> eroded = mask;
    erode({w, h, eroded}, r);
    EXPECT_EQ(eroded, naive_erode(mask, w, h, r)) << "r = " << r;
  }
}

TEST(MaskedMean, IsTheMeanDensityOfTheMarkedPixelsInsideTheRectangle) {
  const std::vector<std::uint16_t> film{1000, 2000, 3000, 4000, 5000, 6000};
  const std::vector<std::uint8_t> mask{1, 0, 1, 1, 1, 0};
  const FilmPlane p{film.data(), 3, 2, 1, 10000};
  const MaskedMean all = masked_mean(p, mask, 1, {0, 0, 3, 2});
  EXPECT_EQ(all.count, 4u);
  EXPECT_DOUBLE_EQ(all.mean, (0.1 + 0.3 + 0.4 + 0.5) / 4);
  // The rectangle is clipped to the plane.
  EXPECT_DOUBLE_EQ(masked_mean(p, mask, 1, {1, 1, 9, 9}).mean, 0.5);
  EXPECT_DOUBLE_EQ(mean_density(p, {0, 0, 2, 1}), 0.15);
}

TEST_F(Checks, AreasAndDensitiesAreReadOnThePagesOwnPaperAndTheClearFilmAroundIt) {
  const PlannedFrame& f = frame_of(FrameKind::page);
  const RenderedFrame r = render(f);
  const Placement& p = f.placement;
  const Rect page{p.page_x_px, p.page_y_px, p.page_width_px, p.page_height_px};
  const FrameAreas areas = find_areas(r.pixels.data(), r.width, r.height, 1,
                                      {page, true, false, false, 2, paper_block_px(kPitchUm)});
  EXPECT_TRUE(areas.paper_found);
  EXPECT_EQ(areas.paper_level, 255);
  std::vector<std::uint16_t> film = develop(r);
  const DensityLimits limits;
  const DensityResult clean = check_density({plane(film, r)}, areas, page, true, limits, {""});
  ASSERT_TRUE(clean.background && clean.base_fog && clean.uniformity);
  EXPECT_NEAR(*clean.background, 1.10, 1e-9);
  EXPECT_NEAR(*clean.base_fog, 0.06, 1e-9);
  EXPECT_NEAR(*clean.uniformity, 0, 1e-9);
  EXPECT_THAT(clean.problems, IsEmpty());

  // Overexposed by a quarter where the page is: the background is off the aim.
  for (std::uint32_t y = page.y; y < page.y + page.height; ++y) {
    for (std::uint32_t x = page.x; x < page.x + page.width; ++x) {
      auto& v = film[std::size_t{y} * r.width + x];
      if (v > 3000) v = static_cast<std::uint16_t>(v * 1.25);
    }
  }
  const DensityResult dense = check_density({plane(film, r)}, areas, page, true, limits, {""});
  EXPECT_NEAR(*dense.background, 1.375, 1e-9);
  EXPECT_THAT(dense.problems, ElementsAre("background 1.375 D outside 1.00–1.20 D"));

  // Fogged film around the page, and a patch of the page thinner than the rest.
  film = develop(r);
  for (std::uint32_t y = 0; y < r.height; ++y) {
    for (std::uint32_t x = 0; x < r.width; ++x) {
      auto& v = film[std::size_t{y} * r.width + x];
      const bool in_page =
          x >= page.x && x < page.x + page.width && y >= page.y && y < page.y + page.height;
      if (!in_page && v == kClear) v = 2000;
      if (in_page && x < page.x + page.width / 4 && y < page.y + page.height / 4 && v > 3000) {
        v = 9000;
      }
    }
  }
  const DensityResult uneven = check_density({plane(film, r)}, areas, page, true, limits, {""});
  EXPECT_NEAR(*uneven.base_fog, 0.2, 1e-9);
  ASSERT_EQ(uneven.problems.size(), 2u);
  EXPECT_EQ(uneven.problems[0], "base + fog 0.200 D above 0.10 D");
  EXPECT_THAT(uneven.problems[1], HasSubstr("background varies by 0."));
}

TEST(ReelDensity, AFrameFarFromTheReelsMeanIsNamedWithItsChannel) {
  BackgroundSeries grey{{{4, 1.10}, {5, 1.11}, {6, 1.45}, {7, 1.09}}};
  const ReelDensity reel = check_reel_density({grey}, 0.20);
  ASSERT_TRUE(reel.channels[0]);
  EXPECT_NEAR(reel.channels[0]->mean, 1.1875, 1e-9);
  EXPECT_NEAR(reel.channels[0]->max, 1.45, 1e-9);
  ASSERT_EQ(reel.off.size(), 1u);
  EXPECT_EQ(reel.off[0].frame, 6u);
  EXPECT_EQ(reel.off[0].channel, 0u);
  EXPECT_FALSE(check_reel_density({BackgroundSeries{}}, 0.2).channels[0]);
}

TEST_F(Checks, TheWedgeOfTheTechnicalTargetGivesTheReelsTone) {
  const PlannedFrame& f = frame_of(FrameKind::technical_target);
  const RenderedFrame r = render(f);
  const std::vector<std::uint16_t> film = develop(r);
  const TargetTemplate technical = load_template(template_file(*profiles_, "standard", f.kind));
  const ChartLayout chart = technical_layout(technical, f, kPitchUm);
  const ReelTone tone =
      read_reel_tone(chart, {plane(film, r)}, r.pixels.data(), r.width, 1, f.address, {""});
  EXPECT_EQ(tone.from, f.address + " wedge");
  EXPECT_FALSE(tone.failure);
  ASSERT_EQ(tone.tables.size(), 1u);
  const ToneTable want = linear_tone();
  for (int c : {0, 64, 128, 192, 255}) EXPECT_NEAR(tone.tables[0][c], want[c], 0.01) << c;
  EXPECT_EQ(tone.readings.size(), chart.wedge_codes.size());

  // A frame's own tone: each code's mean density, the codes it lacks interpolated.
  const ToneTable own = tone_from_frame(r.pixels.data(), 1, 0, plane(film, r));
  EXPECT_NEAR(own[0], 0.06, 1e-9);
  EXPECT_NEAR(own[255], 1.10, 1e-9);

  // Clear film where the wedge is: no tone can be fitted, and the reel says why.
  std::vector<std::uint16_t> blank(film.size(), kClear);
  const ReelTone none =
      read_reel_tone(chart, {plane(blank, r)}, r.pixels.data(), r.width, 1, f.address, {""});
  EXPECT_TRUE(none.tables.empty());
  ASSERT_TRUE(none.failure);
  EXPECT_THAT(*none.failure, HasSubstr("the technical target's wedge cannot be read"));
}

TEST_F(Checks, ContentMatchesItsSourceAndABlankedPartIsFoundWhereItIs) {
  const PlannedFrame& f = frame_of(FrameKind::page);
  const RenderedFrame r = render(f);
  std::vector<std::uint16_t> film = develop(r);
  const Rect inner{4, 4, r.width - 8, r.height - 8};
  const ContentResult same = check_content(r.pixels.data(), r.width, 1, {linear_tone()},
                                           {plane(film, r)}, inner, scale(), 0.9, 0.9, {""});
  EXPECT_NEAR(same.worst.mean, 1.0, 1e-6);
  EXPECT_THAT(same.problems, IsEmpty());

  // A blot of clear film (full ink) over a 60 x 60 px square of the page.
  const std::uint32_t x0 = f.placement.page_x_px + 100, y0 = f.placement.page_y_px + 100;
  for (std::uint32_t y = y0; y < y0 + 60; ++y) {
    for (std::uint32_t x = x0; x < x0 + 60; ++x) film[std::size_t{y} * r.width + x] = kClear;
  }
  const ContentResult blanked = check_content(r.pixels.data(), r.width, 1, {linear_tone()},
                                              {plane(film, r)}, inner, scale(), 0.9, 0.9, {""});
  EXPECT_LT(blanked.worst.worst_block, 0.9);
  const Rect at = blanked.worst.worst;
  EXPECT_LT(at.x, x0 + 60);
  EXPECT_GT(at.x + at.width, x0);
  EXPECT_LT(at.y, y0 + 60);
  EXPECT_GT(at.y + at.height, y0);
  ASSERT_EQ(blanked.problems.size(), 1u);
  EXPECT_THAT(blanked.problems[0], HasSubstr("a defect at x "));
}

TEST_F(Checks, TheBlipAndTheTrackAreReadBackAndAWrongOneFails) {
  const PlannedFrame& f = frame_of(FrameKind::title_target);  // a document mark
  const RenderedFrame r = render(f);
  std::vector<std::uint16_t> film = develop(r);
  const Placement& p = f.placement;
  ASSERT_GT(p.track_width_px, 0u);
  const ToneTable tone = linear_tone();
  const double threshold = (tone[0] + tone[255]) / 2;
  const BlipResult blip = check_blip(plane(film, r), threshold, p, plan().format, kPitchUm, f.blip);
  EXPECT_EQ(blip.read, hal::BlipLevel::document);
  EXPECT_FALSE(blip.problem);
  const BlipResult wrong =
      check_blip(plane(film, r), threshold, p, plan().format, kPitchUm, hal::BlipLevel::page);
  EXPECT_EQ(*wrong.problem, "blip reads document, the plan says page");

  const Rect track{p.track_x_px, p.track_y_px, p.track_width_px, p.track_height_px};
  const TrackResult clean =
      check_track(r.pixels.data(), r.width, 1, tone, plane(film, r), track, scale(), 1.04, 0.9);
  EXPECT_NEAR(clean.ssim.mean, 1.0, 1e-6);
  EXPECT_FALSE(clean.problem);
  // The address smudged: the track's second half exposed through.
  for (std::uint32_t y = track.y; y < track.y + track.height; ++y) {
    for (std::uint32_t x = track.x + track.width / 2; x < track.x + track.width; ++x) {
      film[std::size_t{y} * r.width + x] = kExposed;
    }
  }
  const TrackResult smudged =
      check_track(r.pixels.data(), r.width, 1, tone, plane(film, r), track, scale(), 1.04, 0.9);
  ASSERT_TRUE(smudged.problem);
  EXPECT_THAT(*smudged.problem, HasSubstr("blip track and address differ from the plan"));
}

TEST_F(Checks, TheFrameMarkIsDecodedAndAnotherFramesOrAScratchedOneFails) {
  const PlannedFrame& f = frame_of(FrameKind::page);
  const RenderedFrame r = render(f);
  std::vector<std::uint16_t> film = develop(r);
  const MarkBox box = mark_box(f.placement, plan().format, kPitchUm);
  ASSERT_GT(box.size, 0u);
  const FrameMark want{f.reel, f.number, FrameMark::hash_of(r.source_sha256)};
  const MarkResult read = check_frame_mark(plane(film, r), box, 0.06, 1.10, want);
  EXPECT_EQ(read.read, want.payload());
  EXPECT_THAT(read.problems, IsEmpty());
  const FrameMark other{f.reel, f.number + 1, want.source_hash};
  EXPECT_THAT(check_frame_mark(plane(film, r), box, 0.06, 1.10, other).problems,
              ElementsAre("frame mark says " + want.payload() + ", expected " + other.payload()));
  // A band of clear film through the middle of the symbol.
  for (std::uint32_t y = box.y + box.size / 3; y < box.y + 2 * box.size / 3; ++y) {
    for (std::uint32_t x = box.x; x < box.x + box.size; ++x)
      film[std::size_t{y} * r.width + x] = kClear;
  }
  const MarkResult scratched = check_frame_mark(plane(film, r), box, 0.06, 1.10, want);
  EXPECT_EQ(scratched.read, "");
  EXPECT_THAT(scratched.problems, ElementsAre("frame mark unreadable"));
}

TEST_F(Checks, TheChartResolvesOnSharpFilmAndNotOnBlurredFilmAndTheQualityIndexIsJudged) {
  const PlannedFrame& f = frame_of(FrameKind::technical_target);
  const RenderedFrame r = render(f);
  const std::vector<std::uint16_t> film = develop(r);
  const TargetTemplate technical = load_template(template_file(*profiles_, "standard", f.kind));
  const ChartLayout chart = technical_layout(technical, f, kPitchUm);
  ASSERT_EQ(chart.groups.size(), 6u);  // 0.8 and 1.0 lp/mm are beyond the pitch at 50x
  QcProfile profile;
  const ResolutionResult sharp =
      check_resolution(plane(film, r), chart, 1.10, 0.06, true, f.reduction, f.number, profile, 4);
  EXPECT_FALSE(sharp.problem);
  for (const auto& g : sharp.groups) EXPECT_TRUE(g.resolved) << g.document_lp_per_mm;
  EXPECT_DOUBLE_EQ(sharp.finest_document, chart.groups.back().document_lp_per_mm);
  EXPECT_DOUBLE_EQ(sharp.quality_index, sharp.finest_document * profile.e_height_mm);
  EXPECT_EQ(sharp.meets_required, sharp.quality_index >= profile.qi_required);

  // A 9 px box blur across the film: the finest groups lose their bars.
  std::vector<std::uint16_t> blurred(film.size());
  for (std::uint32_t y = 0; y < r.height; ++y) {
    for (std::uint32_t x = 0; x < r.width; ++x) {
      std::uint32_t sum = 0, n = 0;
      for (std::uint32_t yy = y >= 4 ? y - 4 : 0; yy <= y + 4 && yy < r.height; ++yy) {
        for (std::uint32_t xx = x >= 4 ? x - 4 : 0; xx <= x + 4 && xx < r.width; ++xx) {
          sum += film[std::size_t{yy} * r.width + xx];
          ++n;
        }
      }
      blurred[std::size_t{y} * r.width + x] = static_cast<std::uint16_t>(sum / n);
    }
  }
  const ResolutionResult soft = check_resolution(plane(blurred, r), chart, 1.10, 0.06, true,
                                                 f.reduction, f.number, profile, 4);
  EXPECT_LT(soft.finest_document, sharp.finest_document);
  ASSERT_TRUE(soft.problem);
  EXPECT_THAT(*soft.problem, HasSubstr("resolution: finest resolved group"));

  // Below the required QI: a failure, or a warning when the profile says so.
  ResolutionResult low = sharp;
  low.quality_index = 6.3;
  low.meets_required = false;
  const auto fails = judge_quality_index(low, profile);
  ASSERT_TRUE(fails);
  EXPECT_TRUE(fails->fails);
  EXPECT_THAT(fails->what, HasSubstr("QI 6.3 below the required 8"));
  profile.qi_below_required_fails = false;
  EXPECT_FALSE(judge_quality_index(low, profile)->fails);
  ResolutionResult met = sharp;
  met.meets_required = true;
  EXPECT_FALSE(judge_quality_index(met, profile));
}

TEST_F(Checks, CompletenessFindsAMissingAnUnplannedAndAMisaddressedFrame) {
  const PlannedReel& reel = plan().reels.front();
  const auto reel_dir = dir_->path() / "complete";
  {
    ReelIndex index(reel_dir);
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      const PlannedFrame& f = plan().frames[i];
      IndexRow row;
      row.frame = f.number;
      row.kind = to_string(f.kind);
      row.address = f.number == 2 ? "R0001-X" : f.address;
      row.blip = "page";
      row.frame_sha256 = "abc";
      index.add(row);
    }
    index.write({});
  }
  std::set<std::uint32_t> on_film;
  for (std::uint32_t n = 1; n <= reel.frame_count; ++n) on_film.insert(n);
  on_film.erase(3);
  on_film.insert(static_cast<std::uint32_t>(reel.frame_count) + 1);
  const ReelCompleteness c =
      check_reel_completeness(reel, on_film, reel_dir / "index.csv", reel_dir / "film");
  EXPECT_THAT(c.failures,
              ElementsAre(fmt::format("frame {} is on the film but not in the plan ({} frames)",
                                      reel.frame_count + 1, reel.frame_count)));
  const auto& frames = plan().frames;
  EXPECT_THAT(check_frame_completeness(frames[reel.first_frame], c).problems, IsEmpty());
  EXPECT_THAT(
      check_frame_completeness(frames[reel.first_frame + 1], c).problems,
      ElementsAre("index.csv says R0001-X, the plan " + frames[reel.first_frame + 1].address));
  const FrameCompleteness missing = check_frame_completeness(frames[reel.first_frame + 2], c);
  EXPECT_FALSE(missing.on_film);
  EXPECT_THAT(missing.problems, ElementsAre("missing on the film"));
  EXPECT_TRUE(check_same_render(missing.row, "def").has_value());
  EXPECT_FALSE(check_same_render(missing.row, "abc").has_value());
  EXPECT_EQ(*check_frame_size(10, 20, 10, 21), "the film frame is 10x20 px, the plan's 10x21 px");

  const ReelCompleteness nothing =
      check_reel_completeness(reel, {}, reel_dir / "none.csv", reel_dir / "film");
  const std::string no_film =
      "no developed film in " + (reel_dir / "film").string() +
      fmt::format(" (none of the reel's {} frames)", reel.frame_count) +
      ": verify reads each frame's film there (F000001.tif ..., 16-bit, density x 10000), as the "
      "sim driver develops it or a densitometric scan of the real film gives it";
  EXPECT_THAT(nothing.failures, ElementsAre("index.csv is missing", no_film));
  // The tiff driver's frames are named for what they are.
  std::filesystem::create_directories(reel_dir / "frames");
  EXPECT_THAT(
      check_reel_completeness(reel, {}, reel_dir / "none.csv", reel_dir / "film").failures,
      ElementsAre("index.csv is missing", no_film + "; " + (reel_dir / "frames").string() +
                                              " holds the frames sent to the recorder, not film"));
}

TEST(ReadIndex, ReadsBackEveryFieldReelIndexWrote) {
  test::TempDir dir;
  IndexRow row;
  row.frame = 7;
  row.kind = "page";
  row.document_id = "D,1";
  row.page = 3;
  row.address = "R0001-D001-0003-G";
  row.blip = "document";
  row.source_file = "scans/a \"quoted\", name.tif";
  row.source_page = 2;
  row.source_sha256 = "0123";
  row.frame_sha256 = "4567";
  row.orientation = 6;
  row.calibration = "cal sha256:89ab";
  {
    ReelIndex index(dir.path());
    index.add(row);
    index.write({});
  }
  const std::vector<IndexRow> rows = read_index(dir.path() / "index.csv");
  ASSERT_EQ(rows.size(), 1u);
  const IndexRow& r = rows[0];
  EXPECT_EQ(r.frame, 7u);
  EXPECT_EQ(r.document_id, "D,1");
  EXPECT_EQ(r.page, 3u);
  EXPECT_EQ(r.address, row.address);
  EXPECT_EQ(r.separation(), "G");
  EXPECT_EQ(r.blip, "document");
  EXPECT_EQ(r.source_file, row.source_file);
  EXPECT_EQ(r.source_page, 2u);
  EXPECT_EQ(r.source_sha256, "0123");
  EXPECT_EQ(r.frame_sha256, "4567");
  EXPECT_EQ(r.orientation, 6u);
  EXPECT_EQ(r.calibration, "cal sha256:89ab");

  test::write_text(dir.path() / "bad.csv", std::string(kIndexHeader) + "\nx,page\n");
  EXPECT_THROW(read_index(dir.path() / "bad.csv"), Error);
}

TEST(FilmReader, ReadsTheFramesOfAReelsFilmFolderAsStored) {
  test::TempDir dir;
  const FilmReader reader(dir.path() / "R0001");
  EXPECT_THAT(reader.frames(), IsEmpty());
  std::filesystem::create_directories(reader.folder());
  std::vector<std::uint16_t> values{100, 200, 300, 400, 500, 11000};
  vips::VImage::new_from_memory(values.data(), values.size() * 2, 3, 2, 1, VIPS_FORMAT_USHORT)
      .tiffsave(reader.file(12).c_str(), vips::VImage::option()->set("compression", "zstd"));
  test::write_text(reader.folder() / "reel.json", "{}");
  EXPECT_THAT(reader.frames(), ElementsAre(12u));
  EXPECT_EQ(reader.file(12).filename(), "F000012.tif");
  const FilmFrame film = reader.read(12);
  EXPECT_EQ(film.width(), 3u);
  EXPECT_EQ(film.height(), 2u);
  EXPECT_DOUBLE_EQ(film.channel(0).at(2, 1), 1.1);
  EXPECT_DOUBLE_EQ(film.channel(0).at(1, 0), 0.02);
  EXPECT_THROW(reader.read(13), Error);
}

}  // namespace
}  // namespace fw::qc::qc_checks_test
