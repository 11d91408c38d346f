// verify's contact sheet, made a row of tiles at a time (engine/qc/report.hpp), from thumbnails
// kept in a file (engine/qc/thumbnails.hpp): the sheet of a reel of N thumbnails is 8 across
// and ceil(N / 8) down, each tile its thumbnail framed in grey (red when the frame failed), and
// pixel for pixel the sheet that joining the whole reel's tiles in one libvips pipeline made.
#include <gtest/gtest.h>

#include <vips/vips8>

#include <string>
#include <vector>

#include "base/files.hpp"
#include "core/error.hpp"
#include "qc/report.hpp"
#include "qc/thumbnails.hpp"
#include "support/test_support.hpp"

namespace fw::qc::qc_report_test {
namespace {

namespace fs = std::filesystem;

std::string jpeg_of(const vips::VImage& image) {
  void* buffer = nullptr;
  std::size_t size = 0;
  image.write_to_buffer(".jpg", &buffer, &size, vips::VImage::option()->set("Q", 90));
  std::string out(static_cast<const char*>(buffer), size);
  g_free(buffer);
  return out;
}

// A grey thumbnail w x h: flat at `level`, or with a ramp across it and a dark diagonal, so
// that a tile shifted, cropped or mirrored on the sheet shows.
std::string thumbnail(int level, int w, int h, bool flat) {
  vips::VImage image = vips::VImage::black(w, h) + level;
  if (!flat) {
    const vips::VImage xy = vips::VImage::xyz(w, h);
    image = image + xy[0] * (60.0 / w);
    image = ((xy[0] - xy[1]).abs() < 3).ifthenelse(image * 0.2, image);
  }
  return jpeg_of(image.cast(VIPS_FORMAT_UCHAR));
}

struct Reel {
  std::vector<std::string> jpegs;
  std::vector<bool> failed;
  ReelPictures pictures{"R0001", {}};
};

Reel store(ThumbnailStore& thumbnails, std::vector<std::string> jpegs, std::vector<bool> failed) {
  Reel reel{std::move(jpegs), std::move(failed)};
  for (std::size_t i = 0; i < reel.jpegs.size(); ++i) {
    reel.pictures.thumbs.push_back({static_cast<std::uint32_t>(i + 1),
                                    "R0001-V-" + std::to_string(i), reel.failed[i],
                                    thumbnails.add(reel.jpegs[i])});
  }
  return reel;
}

// The sheet as write_contact_sheet made it before it streamed (to 2026-12-05): every tile in
// one libvips pipeline, joined 8 across at once.
vips::VImage joined_in_one_pipeline(const Reel& reel) {
  std::vector<vips::VImage> tiles;
  int cell_w = 0, cell_h = 0;
  for (std::size_t i = 0; i < reel.jpegs.size(); ++i) {
    const std::vector<double> colour =
        reel.failed[i] ? std::vector<double>{220, 20, 20} : std::vector<double>{90, 90, 90};
    const vips::VImage rgb =
        vips::VImage::new_from_buffer(reel.jpegs[i], "").colourspace(VIPS_INTERPRETATION_sRGB);
    tiles.push_back(rgb.embed(
        3, 3, rgb.width() + 6, rgb.height() + 6,
        vips::VImage::option()->set("extend", VIPS_EXTEND_BACKGROUND)->set("background", colour)));
    cell_w = std::max(cell_w, tiles.back().width());
    cell_h = std::max(cell_h, tiles.back().height());
  }
  for (auto& tile : tiles) {
    tile = tile.gravity(VIPS_COMPASS_DIRECTION_CENTRE, cell_w + 8, cell_h + 8,
                        vips::VImage::option()->set("extend", VIPS_EXTEND_WHITE));
  }
  return vips::VImage::arrayjoin(
      tiles, vips::VImage::option()->set("across", 8)->set("background", std::vector<double>{255}));
}

double mean_of(const vips::VImage& image, int left, int top, int width, int height) {
  return image.extract_area(left, top, width, height).avg();
}

TEST(ContactSheet, IsEightAcrossEachTileItsThumbnailFramedFailuresInRed) {
  test::TempDir dir;
  ThumbnailStore thumbnails(dir.path());
  // 19 frames: two full rows and three tiles of a third; one frame landscape, so the cells fit
  // its width and the portrait frames' height; frame 6 failed.
  std::vector<std::string> jpegs;
  std::vector<bool> failed;
  for (int i = 0; i < 19; ++i) {
    jpegs.push_back(i == 10 ? thumbnail(20 + 10 * i, 160, 113, true)
                            : thumbnail(20 + 10 * i, 113, 160, true));
    failed.push_back(i == 5);
  }
  const Reel reel = store(thumbnails, jpegs, failed);
  write_contact_sheet(reel.pictures, thumbnails, dir / "contact.jpg");

  const vips::VImage sheet = vips::VImage::new_from_file((dir / "contact.jpg").c_str())
                                 .colourspace(VIPS_INTERPRETATION_sRGB);
  const int cell = 160 + 6 + 8;  // the largest side, its frame and the white around it
  ASSERT_EQ(sheet.width(), 8 * cell);
  ASSERT_EQ(sheet.height(), 3 * cell);
  for (int i = 0; i < 24; ++i) {
    const int x0 = (i % 8) * cell, y0 = (i / 8) * cell;
    SCOPED_TRACE("tile " + std::to_string(i));
    if (i >= 19) {  // the last row's empty cells are white
      EXPECT_GT(mean_of(sheet, x0 + 2, y0 + 2, cell - 4, cell - 4), 250);
      continue;
    }
    const int w = i == 10 ? 160 : 113, h = i == 10 ? 113 : 160;
    const int left = x0 + (cell - (w + 6)) / 2, top = y0 + (cell - (h + 6)) / 2;
    // The thumbnail, in its place and nowhere else.
    EXPECT_NEAR(mean_of(sheet, left + 3 + 3, top + 3 + 3, w - 6, h - 6), 20 + 10 * i, 2.0);
    EXPECT_GT(mean_of(sheet, x0, y0, cell, 2), 245);  // white above the frame
    // The frame: 3 px, red on the failed frame, grey on the others.
    const std::vector<double> frame =
        sheet.extract_area(left + 1, top + h / 2, 1, 1).getpoint(0, 0);
    if (i == 5) {
      EXPECT_GT(frame[0], 180);
      EXPECT_LT(frame[1], 70);
    } else {
      EXPECT_NEAR(frame[0], 90, 12);
      EXPECT_NEAR(frame[1], 90, 12);
    }
  }
}

TEST(ContactSheet, IsTheSheetTheWholeReelJoinedAtOnceMade) {
  test::TempDir dir;
  ThumbnailStore thumbnails(dir.path());
  // 245 frames, 31 rows: many more rows than the sheet keeps decoded at once.
  std::vector<std::string> jpegs;
  std::vector<bool> failed;
  for (int i = 0; i < 245; ++i) {
    jpegs.push_back(i % 37 == 3 ? thumbnail(40 + i % 150, 160, 120, false)
                                : thumbnail(40 + i % 150, 113, 160, false));
    failed.push_back(i % 17 == 4);
  }
  const Reel reel = store(thumbnails, jpegs, failed);
  write_contact_sheet(reel.pictures, thumbnails, dir / "contact.jpg");
  joined_in_one_pipeline(reel).jpegsave((dir / "reference.jpg").c_str(),
                                        vips::VImage::option()->set("Q", 85));

  const vips::VImage sheet = vips::VImage::new_from_file((dir / "contact.jpg").c_str());
  const vips::VImage reference = vips::VImage::new_from_file((dir / "reference.jpg").c_str());
  ASSERT_EQ(sheet.width(), reference.width());
  ASSERT_EQ(sheet.height(), reference.height());
  ASSERT_EQ(sheet.bands(), 3);
  EXPECT_EQ((sheet - reference).abs().max(), 0);
  // The same pixels and header through the same encoder: the same file.
  EXPECT_EQ(read_file(dir / "contact.jpg"), read_file(dir / "reference.jpg"));
}

// A fiche's sheet is the fiche: its grid's columns across, the header strip's row and then the
// image rows, each frame in its cell (header row 0, columns from 1), empty cells white; so the
// header, written across the first row's cells, reads across the sheet.
TEST(ContactSheet, OfAFicheLaysTheFramesOutAsTheyLieOnTheFiche) {
  test::TempDir dir;
  ThumbnailStore thumbnails(dir.path());
  // A 5 x 2 fiche: a header of 5 tiles, then 3 images by rows (frames 6 and 7 in row 1, 8 in
  // row 2 column 1), frame 7 failed.
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> cells = {
      {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {1, 1}, {1, 2}, {2, 1}};
  std::vector<std::string> jpegs;
  std::vector<bool> failed;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    jpegs.push_back(thumbnail(20 + 20 * int(i), 113, 160, true));
    failed.push_back(i == 6);
  }
  Reel reel = store(thumbnails, jpegs, failed);
  reel.pictures.grid_columns = 5;
  reel.pictures.grid_rows = 2;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    reel.pictures.thumbs[i].grid_row = cells[i].first;
    reel.pictures.thumbs[i].grid_column = cells[i].second;
  }
  write_contact_sheet(reel.pictures, thumbnails, dir / "contact.jpg");

  const vips::VImage sheet = vips::VImage::new_from_file((dir / "contact.jpg").c_str())
                                 .colourspace(VIPS_INTERPRETATION_sRGB);
  const int cell_w = 113 + 6 + 8, cell_h = 160 + 6 + 8;
  ASSERT_EQ(sheet.width(), 5 * cell_w);
  ASSERT_EQ(sheet.height(), 3 * cell_h);  // the header's row and two image rows
  std::vector<int> in_cell(15, -1);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    in_cell[cells[i].first * 5 + cells[i].second - 1] = static_cast<int>(i);
  }
  for (int slot = 0; slot < 15; ++slot) {
    const int x0 = (slot % 5) * cell_w, y0 = (slot / 5) * cell_h;
    SCOPED_TRACE("cell " + std::to_string(slot));
    if (in_cell[slot] < 0) {  // no frame: clear film, white
      EXPECT_GT(mean_of(sheet, x0 + 2, y0 + 2, cell_w - 4, cell_h - 4), 250);
      continue;
    }
    const int i = in_cell[slot];
    EXPECT_NEAR(mean_of(sheet, x0 + 4 + 6, y0 + 4 + 6, 113 - 6, 160 - 6), 20 + 20 * i, 2.0);
    const std::vector<double> frame =
        sheet.extract_area(x0 + 4 + 1, y0 + cell_h / 2, 1, 1).getpoint(0, 0);
    EXPECT_NEAR(frame[0], i == 6 ? 220 : 90, 40);
  }

  // A frame whose cell is not on the fiche is the plan's error, named.
  reel.pictures.thumbs[7].grid_row = 3;
  try {
    write_contact_sheet(reel.pictures, thumbnails, dir / "bad.jpg");
    ADD_FAILURE() << "a cell off the fiche was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "R0001 frame 8: cell row 3 column 1 is not on the 5 x 2 fiche");
  }
}

TEST(ThumbnailStore, GivesBackWhatItWasGivenAndLeavesNoFile) {
  test::TempDir dir;
  {
    ThumbnailStore thumbnails(dir.path());
    const std::string a = thumbnail(10, 20, 30, true), b = thumbnail(200, 30, 20, false);
    const auto ra = thumbnails.add(a);
    const auto rb = thumbnails.add(b);
    EXPECT_EQ(thumbnails.read(rb), b);
    EXPECT_EQ(thumbnails.read(ra), a);
    // Unlinked as soon as it was made: nothing is left in the job's folder, however verify ends.
    EXPECT_TRUE(fs::is_empty(dir.path()));
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace fw::qc::qc_report_test
