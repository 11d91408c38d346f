// A multi-page TIFF's pages as libtiff reads them, in one walk along the file's chain of
// image file directories (IFDs). libvips opens page k of a TIFF by walking the chain from its
// head each time, so probing every page through it costs O(k) per page and O(n²) per file
// (10,000 tiny pages: minutes); its page count reads 1 from 10,000 pages on; and it stops
// quietly at a broken chain. One walk here counts every page, hears libtiff's complaints and
// keeps what probing a page needs. Internal to engine/ingest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace fw {

// One IFD, the way libvips 8.14 reports the same page (tiff2vips.c): resolution in pixels
// per mm, 1 x 1 when the IFD has none; `resolution_unit` "in" or "cm" when it declares one.
struct TiffPageHeader {
  // The IFD's place in the chain, 0-based: what libvips's tiffload calls `page`.
  std::uint32_t directory = 0;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint16_t samples_per_pixel = 1;
  std::uint16_t bits_per_sample = 1;
  std::uint16_t sample_format = 1;  // SAMPLEFORMAT_UINT
  std::uint16_t photometric = 1;    // PHOTOMETRIC_MINISBLACK
  std::uint16_t compression = 1;
  double x_res_per_mm = 1;
  double y_res_per_mm = 1;
  std::string resolution_unit;
  // ResolutionUnit 1 (no absolute unit): x_res_per_mm and y_res_per_mm hold XResolution and
  // YResolution as written (as libvips takes them); they give only the pixels' aspect, declare
  // no resolution, and the message says what was found.
  bool unitless_resolution = false;
  std::uint32_t orientation = 1;
  // libtiff's complaint about the IFD's orientation tag (a value outside 1-8, which it
  // refuses and reads as 1); empty when there is none.
  std::string orientation_error;
};

// The pages are the IFDs that hold a page: not a reduced-resolution copy of one (a thumbnail,
// a pyramid level: NewSubfileType bit 0) nor a transparency mask (bit 2),
// which scanners and image editors add after the page and libvips counts as pages too.
struct TiffPages {
  std::vector<TiffPageHeader> pages;
  std::uint32_t directories = 0;  // every IFD of the chain, pages or not
};

// Every page of `file`, read in one walk and kept for the next call with the same file (same
// size and modification time): probing a 10,000-page TIFF page by page walks it once.
// Throws Error(input) naming the file when libtiff cannot open it, when no IFD holds a page,
// and, naming the last page read well, when the chain of directories is broken (a truncated
// file) or loops.
std::shared_ptr<const TiffPages> tiff_pages(const std::filesystem::path& file);

}  // namespace fw
