// Page -> frame code values: marks land where the placement says, in every mode.
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <vips/vips8>

#include "base/buffer_pool.hpp"
#include "film/plan.hpp"
#include "ingest/ingest.hpp"
#include "raster/raster.hpp"
#include "samples/samples.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::raster_test {
namespace {

using vips::VImage;

constexpr double kDpi = 200;
constexpr double kPitchUm = 10;
constexpr double kReduction = 10;

int px(double mm) {
  return static_cast<int>(std::lround(mm * kDpi / 25.4));
}

// A rectangle in pixels, [x0, x1) x [y0, y1).
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct TestPage {
  VImage image;
  PageInfo info;
  Box mark;  // in source pixels
};

enum class Depth { eight, sixteen };

// A 40 x 30 mm page at 200 dpi: white paper, a black 4 mm square at (10, 5) mm and, when
// asked, a mid-grey 4 mm square at (25, 15) mm. Built with plain libvips in memory.
TestPage make_page(int bands, Depth depth = Depth::eight) {
  const int width = px(40), height = px(30);
  const double white = depth == Depth::sixteen ? 65535 : 255;
  const VImage xy = VImage::xyz(width, height);
  // 1 inside the box, 0 outside.
  const auto inside = [&](const Box& box) {
    const VImage x = xy[0], y = xy[1];
    return ((x >= box.x0) & (x < box.x1) & (y >= box.y0) & (y < box.y1)) / 255;
  };
  const Box mark{double(px(10)), double(px(5)), double(px(10) + px(4)), double(px(5) + px(4))};
  const Box grey{double(px(25)), double(px(15)), double(px(25) + px(4)), double(px(15) + px(4))};
  const double mid = std::round(white / 2);
  VImage plane =
      (VImage::black(width, height) + white) - inside(mark) * white - inside(grey) * (white - mid);
  VImage image = VImage::bandjoin(std::vector<VImage>(static_cast<std::size_t>(bands), plane));
  const bool sixteen = depth == Depth::sixteen;
  VipsInterpretation interpretation =
      bands >= 3 ? (sixteen ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB)
                 : (sixteen ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_B_W);
  image = image.cast(sixteen ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR)
              .copy(VImage::option()->set("interpretation", interpretation));

  TestPage page;
  page.image = image.copy_memory();
  page.info.width_px = static_cast<std::uint32_t>(width);
  page.info.height_px = static_cast<std::uint32_t>(height);
  page.info.width_mm = width * 25.4 / kDpi;
  page.info.height_mm = height * 25.4 / kDpi;
  page.info.dpi = kDpi;
  page.info.bands = bands;
  page.info.bits = sixteen ? 16 : 8;
  page.mark = mark;
  return page;
}

Placement place(const TestPage& page, int rotate = 0) {
  PageSettings settings;
  settings.reduction = kReduction;
  settings.rotate = rotate;
  return place_page(page.info, settings, test::small_film_format(), kPitchUm);
}

// Where the source box lands in the frame: rotated with the page, scaled, offset.
Box expected_in_frame(const Box& box, const PageInfo& info, const Placement& placement) {
  const double w = info.width_px, h = info.height_px;
  Box turned = box;
  double turned_width = w, turned_height = h;
  if (placement.rotate == 90) {
    turned = {h - box.y1, box.x0, h - box.y0, box.x1};
    turned_width = h;
    turned_height = w;
  } else if (placement.rotate == 180) {
    turned = {w - box.x1, h - box.y1, w - box.x0, h - box.y0};
  } else if (placement.rotate == 270) {
    turned = {box.y0, w - box.x1, box.y1, w - box.x0};
    turned_width = h;
    turned_height = w;
  }
  const double sx = placement.page_width_px / turned_width;
  const double sy = placement.page_height_px / turned_height;
  return {placement.page_x_px + turned.x0 * sx, placement.page_y_px + turned.y0 * sy,
          placement.page_x_px + turned.x1 * sx, placement.page_y_px + turned.y1 * sy};
}

std::uint8_t at(const FrameImage& frame, std::uint32_t x, std::uint32_t y, std::uint32_t c = 0) {
  return frame.pixels[(std::size_t{y} * frame.width + x) * frame.channels + c];
}

// The bounding box of samples on the page that are darker (or, for a positive, brighter)
// than mid-grey in channel 0; the margins are left out.
Box find_mark(const FrameImage& frame, const Placement& placement, bool bright) {
  Box found{1e9, 1e9, -1, -1};
  for (std::uint32_t y = placement.page_y_px; y < placement.page_y_px + placement.page_height_px;
       ++y) {
    for (std::uint32_t x = placement.page_x_px; x < placement.page_x_px + placement.page_width_px;
         ++x) {
      const int value = at(frame, x, y);
      if (bright ? value > 191 : value < 64) {
        found.x0 = std::min<double>(found.x0, x);
        found.y0 = std::min<double>(found.y0, y);
        found.x1 = std::max<double>(found.x1, x + 1);
        found.y1 = std::max<double>(found.y1, y + 1);
      }
    }
  }
  return found;
}

void expect_mark_where_placed(const FrameImage& frame, const TestPage& page,
                              const Placement& placement, bool bright = false) {
  const Box want = expected_in_frame(page.mark, page.info, placement);
  const Box got = find_mark(frame, placement, bright);
  EXPECT_NEAR(got.x0, want.x0, 1.0);
  EXPECT_NEAR(got.y0, want.y0, 1.0);
  EXPECT_NEAR(got.x1, want.x1, 1.0);
  EXPECT_NEAR(got.y1, want.y1, 1.0);
}

void expect_unexposed_margins(const FrameImage& frame, const Placement& placement) {
  std::size_t exposed = 0;
  for (std::uint32_t y = 0; y < frame.height; ++y) {
    for (std::uint32_t x = 0; x < frame.width; ++x) {
      const bool on_page =
          x >= placement.page_x_px && x < placement.page_x_px + placement.page_width_px &&
          y >= placement.page_y_px && y < placement.page_y_px + placement.page_height_px;
      for (std::uint32_t c = 0; c < frame.channels && !on_page; ++c) {
        if (at(frame, x, y, c) != 0) ++exposed;
      }
    }
  }
  EXPECT_EQ(exposed, 0u);
}

void expect_frame_shape(const FrameImage& frame, const Placement& placement,
                        std::uint32_t channels) {
  EXPECT_EQ(frame.width, placement.frame_width_px);
  EXPECT_EQ(frame.height, placement.frame_height_px);
  EXPECT_EQ(frame.channels, channels);
  ASSERT_EQ(frame.pixels.size(), std::size_t{frame.width} * frame.height * channels);
}

RasterSettings settings(ImageMode mode, Polarity polarity = Polarity::negative) {
  RasterSettings raster;
  raster.mode = mode;
  raster.polarity = polarity;
  return raster;
}

TEST(Raster, GreyMarkLandsAtTheComputedPixel) {
  const TestPage page = make_page(1);
  const Placement placement = place(page);
  ASSERT_EQ(placement.page_width_px, 400u);  // 40 mm / 10x at 10 um
  ASSERT_EQ(placement.page_height_px, 300u);
  const FrameImage frame = render_page(page.image, placement, settings(ImageMode::grey));
  expect_frame_shape(frame, placement, 1);
  expect_mark_where_placed(frame, page, placement);
  expect_unexposed_margins(frame, placement);
  // Paper is full exposure on a negative; the grey square stays mid-grey.
  EXPECT_EQ(at(frame, placement.page_x_px + 20, placement.page_y_px + 250), 255);
  const Box grey = expected_in_frame(
      {double(px(25)), double(px(15)), double(px(29)), double(px(19))}, page.info, placement);
  EXPECT_NEAR(at(frame, std::uint32_t(grey.x0 + 20), std::uint32_t(grey.y0 + 20)), 128, 1);
}

// A frame's buffer comes from the pool still holding an earlier frame's bytes (it is not
// zeroed: the page overwrites its window): the film around the page is cleared all the same.
TEST(Raster, TheFilmAroundThePageIsUnexposedInAReusedBuffer) {
  const TestPage page = make_page(1);
  const Placement placement = place(page);
  const std::size_t frame_bytes = std::size_t{placement.frame_width_px} * placement.frame_height_px;
  std::vector<std::vector<std::uint8_t>> exposed;
  exposed.reserve(4);
  for (int i = 0; i < 4; ++i) exposed.push_back(frame_buffers().take_unset(frame_bytes));
  for (auto& buffer : exposed) {
    std::fill(buffer.begin(), buffer.end(), std::uint8_t{255});
    frame_buffers().give(std::move(buffer));
  }
  const FrameImage frame = render_page(page.image, placement, settings(ImageMode::grey));
  expect_frame_shape(frame, placement, 1);
  expect_unexposed_margins(frame, placement);
  expect_mark_where_placed(frame, page, placement);
}

TEST(Raster, BitonalHasOnlyTwoValues) {
  const TestPage page = make_page(1);
  const Placement placement = place(page);
  RasterSettings raster = settings(ImageMode::bitonal);
  raster.threshold = 100;  // the 128 grey square is above it: paper
  const FrameImage frame = render_page(page.image, placement, raster);
  expect_frame_shape(frame, placement, 1);
  const std::set<std::uint8_t> values(frame.pixels.begin(), frame.pixels.end());
  EXPECT_EQ(values, (std::set<std::uint8_t>{0, 255}));
  expect_mark_where_placed(frame, page, placement);
  expect_unexposed_margins(frame, placement);
  const Box grey = expected_in_frame(
      {double(px(25)), double(px(15)), double(px(29)), double(px(19))}, page.info, placement);
  EXPECT_EQ(at(frame, std::uint32_t(grey.x0 + 20), std::uint32_t(grey.y0 + 20)), 255);

  raster.threshold = 200;  // now the grey square is below it: ink
  const FrameImage darker = render_page(page.image, placement, raster);
  EXPECT_EQ(at(darker, std::uint32_t(grey.x0 + 20), std::uint32_t(grey.y0 + 20)), 0);
}

TEST(Raster, ColourKeepsThreeChannels) {
  const TestPage page = make_page(3);
  const Placement placement = place(page);
  const FrameImage frame = render_page(page.image, placement, settings(ImageMode::colour));
  expect_frame_shape(frame, placement, 3);
  expect_mark_where_placed(frame, page, placement);
  expect_unexposed_margins(frame, placement);
  const Box mark = expected_in_frame(page.mark, page.info, placement);
  for (std::uint32_t c = 0; c < 3; ++c) {
    EXPECT_EQ(at(frame, std::uint32_t(mark.x0 + 5), std::uint32_t(mark.y0 + 5), c), 0);
    EXPECT_EQ(at(frame, placement.page_x_px + 20, placement.page_y_px + 250, c), 255);
  }
}

TEST(Raster, ColourPageToGrey) {
  const TestPage page = make_page(3);
  const Placement placement = place(page);
  const FrameImage frame = render_page(page.image, placement, settings(ImageMode::grey));
  expect_frame_shape(frame, placement, 1);
  expect_mark_where_placed(frame, page, placement);
}

TEST(Raster, CmykPageToGrey) {
  // CMYK stores ink: white paper is 0 ink, the mark is full black ink (K = 255).
  const TestPage page = make_page(1);
  const VImage ink = (page.image ^ 255).cast(VIPS_FORMAT_UCHAR);
  const VImage none = (page.image & 0).cast(VIPS_FORMAT_UCHAR);
  const VImage cmyk = VImage::bandjoin({none, none, none, ink})
                          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_CMYK))
                          .copy_memory();
  const Placement placement = place(page);
  const FrameImage frame = render_page(cmyk, placement, settings(ImageMode::grey));
  expect_frame_shape(frame, placement, 1);
  expect_mark_where_placed(frame, page, placement);
  EXPECT_GT(at(frame, placement.page_x_px + 20, placement.page_y_px + 250), 240);
}

TEST(Raster, RotatedPages) {
  const TestPage page = make_page(1);
  for (int rotate : {90, 180, 270}) {
    SCOPED_TRACE(rotate);
    const Placement placement = place(page, rotate);
    const FrameImage frame = render_page(page.image, placement, settings(ImageMode::grey));
    expect_frame_shape(frame, placement, 1);
    expect_mark_where_placed(frame, page, placement);
    expect_unexposed_margins(frame, placement);
  }
  const Placement quarter = place(page, 90);
  EXPECT_EQ(quarter.page_width_px, 300u);
  EXPECT_EQ(quarter.page_height_px, 400u);
}

// A real file as the pipeline opens it (open_page streams top to bottom), turned a quarter:
// the mark must come out where the turned page puts it.
TEST(Raster, RotatesATallPageOpenedFromAFile) {
  test::TempDir dir;
  samples::PageSpec spec;
  spec.width_mm = 60;
  spec.height_mm = 250;  // ~3000 lines: more than libvips keeps behind a sequential read
  spec.dpi = 300;
  spec.marks = {{10, 200, 8}};
  const auto file = dir / "tall.jpg";
  samples::save_page(samples::make_page(spec), file, samples::Encoding::jpeg, spec.dpi);
  PageSettings settings_20x;
  settings_20x.reduction = 20;
  settings_20x.rotate = 90;
  const PageRef ref = expand_pages({PageSource::Kind::list, {file}}, {}).at(0);
  const SourcePage page{ref, probe_page(ref, settings_20x, {})};
  const Placement placement =
      place_page(page.info, settings_20x, test::small_film_format(), kPitchUm);
  const FrameImage frame =
      render_page(open_page(page, placement.scale_x, {}), placement, settings(ImageMode::grey));
  expect_frame_shape(frame, placement, 1);
  // Clockwise: the mark 200 mm down the page is 200 mm from the right edge of the turned page.
  const double px_per_mm = 1000.0 / kPitchUm / 20;
  const double mark_x = placement.page_x_px + (250 - 200 - 8) * px_per_mm;
  const double mark_y = placement.page_y_px + 10 * px_per_mm;
  EXPECT_LT(
      at(frame, static_cast<std::uint32_t>(mark_x + 2), static_cast<std::uint32_t>(mark_y + 2)),
      64);
  EXPECT_GT(
      at(frame, static_cast<std::uint32_t>(mark_x - 3), static_cast<std::uint32_t>(mark_y + 2)),
      192);
}

TEST(Raster, SixteenBitInputIsScaledToEightBits) {
  for (int bands : {1, 3}) {
    SCOPED_TRACE(bands);
    const TestPage page = make_page(bands, Depth::sixteen);
    const Placement placement = place(page);
    const ImageMode mode = bands == 1 ? ImageMode::grey : ImageMode::colour;
    const FrameImage frame = render_page(page.image, placement, settings(mode));
    expect_frame_shape(frame, placement, bands == 1 ? 1 : 3);
    expect_mark_where_placed(frame, page, placement);
    EXPECT_EQ(at(frame, placement.page_x_px + 20, placement.page_y_px + 250), 255);
    const Box grey = expected_in_frame(
        {double(px(25)), double(px(15)), double(px(29)), double(px(19))}, page.info, placement);
    EXPECT_NEAR(at(frame, std::uint32_t(grey.x0 + 20), std::uint32_t(grey.y0 + 20)), 128, 1);
  }
}

TEST(Raster, AlphaIsFlattenedOntoWhitePaper) {
  const TestPage page = make_page(1);
  // Transparent everywhere left of x = 5 mm, with ink under it: that part must come out
  // as paper.
  const VImage alpha = VImage::xyz(page.image.width(), page.image.height())[0] >= px(5);
  const VImage with_alpha =
      (page.image & alpha)
          .cast(VIPS_FORMAT_UCHAR)
          .bandjoin(alpha)
          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W))
          .copy_memory();
  ASSERT_EQ(with_alpha.bands(), 2);
  const Placement placement = place(page);
  const FrameImage frame = render_page(with_alpha, placement, settings(ImageMode::grey));
  expect_frame_shape(frame, placement, 1);
  EXPECT_EQ(at(frame, placement.page_x_px + 10, placement.page_y_px + 150), 255);
  expect_mark_where_placed(frame, page, placement);
}

TEST(Raster, PolarityNegativeKeepsPositiveInverts) {
  const TestPage page = make_page(1);
  const Placement placement = place(page);
  const Box mark = expected_in_frame(page.mark, page.info, placement);
  const std::uint32_t mark_x = std::uint32_t(mark.x0 + 10), mark_y = std::uint32_t(mark.y0 + 10);
  const std::uint32_t paper_x = placement.page_x_px + 20, paper_y = placement.page_y_px + 250;

  const FrameImage negative = render_page(page.image, placement, settings(ImageMode::grey));
  EXPECT_EQ(at(negative, paper_x, paper_y), 255);
  EXPECT_EQ(at(negative, mark_x, mark_y), 0);

  const FrameImage positive =
      render_page(page.image, placement, settings(ImageMode::grey, Polarity::positive));
  EXPECT_EQ(at(positive, paper_x, paper_y), 0);
  EXPECT_EQ(at(positive, mark_x, mark_y), 255);
  expect_mark_where_placed(positive, page, placement, /*bright=*/true);
  expect_unexposed_margins(positive, placement);

  const FrameImage bitonal =
      render_page(page.image, placement, settings(ImageMode::bitonal, Polarity::positive));
  EXPECT_EQ(at(bitonal, paper_x, paper_y), 0);
  EXPECT_EQ(at(bitonal, mark_x, mark_y), 255);
  expect_unexposed_margins(bitonal, placement);
}

TEST(Raster, PageAlreadyAtFrameResolutionIsCopiedNotResampled) {
  // PDF pages come rasterised at the frame's resolution: the page must pass through
  // untouched, and a size one pixel off is trimmed rather than resampled.
  const TestPage source = make_page(1);
  const Placement placement = place(source);
  for (int extra : {0, 1}) {
    SCOPED_TRACE(extra);
    const VImage xy =
        VImage::xyz(int(placement.page_width_px) + extra, int(placement.page_height_px));
    const VImage pattern = ((xy[0] * 7 + xy[1] * 13) % 256).cast(VIPS_FORMAT_UCHAR).copy_memory();
    const FrameImage frame = render_page(pattern, placement, settings(ImageMode::grey));
    std::size_t differences = 0;
    for (std::uint32_t y = 0; y < placement.page_height_px; ++y) {
      for (std::uint32_t x = 0; x < placement.page_width_px; ++x) {
        const int want = (x * 7 + y * 13) % 256;
        if (at(frame, placement.page_x_px + x, placement.page_y_px + y) != want) ++differences;
      }
    }
    EXPECT_EQ(differences, 0u);
  }
}

TEST(Raster, A4At24xFillsAComicFrame) {
  // The default geometry: an A4 page at 24x and 2.5 um is 3500 x 4950 px in a 5000 px
  // high frame. A 75 dpi scan keeps the one full-size render in this suite cheap.
  PageInfo a4;
  a4.width_px = 620;
  a4.height_px = 877;
  a4.width_mm = 210;
  a4.height_mm = 297;
  a4.dpi = 75;
  PageSettings at_24x;
  at_24x.reduction = 24;
  FilmFormat comic;
  comic.name = "16mm-comic-30m";
  const Placement placement = place_page(a4, at_24x, comic, 2.5);
  EXPECT_EQ(placement.page_width_px, 3500u);
  EXPECT_EQ(placement.page_height_px, 4950u);
  EXPECT_EQ(placement.frame_height_px, 5000u);

  const VImage page = (VImage::black(620, 877) + 255).cast(VIPS_FORMAT_UCHAR);
  const FrameImage frame = render_page(page, placement, settings(ImageMode::grey));
  EXPECT_EQ(frame.width, placement.frame_width_px);
  EXPECT_EQ(frame.height, 5000u);
  EXPECT_EQ(at(frame, placement.page_x_px, placement.page_y_px), 255);
  EXPECT_EQ(at(frame, placement.page_x_px + 3499, placement.page_y_px + 4949), 255);
  EXPECT_EQ(at(frame, placement.page_x_px + 3500, placement.page_y_px + 4949), 0);
  EXPECT_EQ(at(frame, placement.page_x_px + 3499, placement.page_y_px + 4950), 0);
}

TEST(Raster, SamePageFromEightThreadsGivesIdenticalBytes) {
  const TestPage page = make_page(1);
  const Placement placement = place(page, 90);
  const FrameImage reference = render_page(page.image, placement, settings(ImageMode::grey));
  std::vector<FrameImage> frames(8);
  std::vector<std::thread> threads;
  threads.reserve(frames.size());
  for (FrameImage& frame : frames) {
    threads.emplace_back(
        [&] { frame = render_page(page.image, placement, settings(ImageMode::grey)); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const FrameImage& frame : frames) EXPECT_TRUE(frame.pixels == reference.pixels);
}

}  // namespace
}  // namespace fw::raster_test
