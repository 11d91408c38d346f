// The page's own paper: the brightest large uniform area of a page, whatever its code value.
//
// Aged and yellowed paper, the normal case for rare books, is not white: a scan puts it at
// code 200 or 214, not 255. A camera operator exposes such a page so that its background
// still reaches the aim density, and a QC lab reads the background on that paper. Both sides
// use this one finder: the render stage (engine/pipeline) scales a calibrated grey page so its
// paper lands on the aim, and verify (engine/qc) measures the film's density on the same area.
//
// Found on blocks of the page: a block is uniform when its code values vary little (no ink
// edge in it); the paper is the brightest cluster of uniform blocks that covers a large part
// of the page (5 % of its blocks): a white sticker or a few bright specks are not paper, and a
// photograph that fills its page has none.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace fw {

struct PageRect {
  std::uint32_t x = 0, y = 0, width = 0, height = 0;
};

struct Paper {
  bool found = false;
  std::uint8_t level = 255;  // the paper's code value (median of its blocks), in page terms
  std::uint32_t block_px = 0;
  // One flag per block of the page, `blocks_x` across, row by row from the page's top-left
  // corner: 1 where a paper block lies (empty when not found). Blocks, not pixels: a frame is
  // tens of megapixels, and verify reads the paper area frame after frame.
  std::uint32_t blocks_x = 0, blocks_y = 0;
  std::vector<std::uint8_t> blocks;
};

// `pixels` is a single-channel frame (`width` x `height`); `page` the page's rectangle in it.
// `paper_is_bright`: true when paper has the high code values (a negative's frame, or page
// values); false on a positive's frame, where the paper is filmed clear (low codes): `level`
// is then also given in page terms (255 - code). `block_px` sets the block side.
Paper find_paper(std::span<const std::uint8_t> pixels, std::uint32_t width, std::uint32_t height,
                 PageRect page, bool paper_is_bright, std::uint32_t block_px);

// The block side for a frame at `pitch_um`: about 20 um on film, at least 4 px.
std::uint32_t paper_block_px(double pitch_um);

}  // namespace fw
