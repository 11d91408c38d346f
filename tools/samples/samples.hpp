// Sample pages with marks at known positions: used by tools/demo, the tests and the benches.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <vips/vips8>

namespace fw::samples {

// A black square whose top-left corner is at (x_mm, y_mm) from the page's top-left corner.
struct Mark {
  double x_mm = 0;
  double y_mm = 0;
  double size_mm = 5;
};

struct PageSpec {
  double width_mm = 210;
  double height_mm = 297;
  double dpi = 300;
  int bands = 1;  // 1: grey, 3: sRGB colour
  std::vector<Mark> marks;
  std::string label;  // printed on the page (ASCII), e.g. "doc A page 3"
};

// White page (255), black marks (0), optional label text; uchar.
vips::VImage make_page(const PageSpec& spec);

enum class Encoding {
  tiff_none,
  tiff_lzw,
  tiff_deflate,
  tiff_g4,
  tiff_jpeg,
  tiff_16bit,
  jpeg,
  png,
  jp2
};
const char* to_string(Encoding encoding);
std::vector<Encoding> all_encodings();

// Saves at `dpi` (TIFF: inch units). With `with_resolution` false the file declares no
// resolution at all: TIFF without XResolution/YResolution/ResolutionUnit, JPEG with JFIF
// units 0 and no EXIF, PNG without pHYs. JP2 never has one (libvips 8.14 writes none).
// tiff_g4 thresholds at 128 and stores 1 bit per pixel; tiff_16bit stores value * 257.
void save_page(const vips::VImage& page, const std::filesystem::path& file, Encoding encoding,
               double dpi, bool with_resolution = true);
// One TIFF with a page (IFD) per image; all pages must have the same size and bands.
// `encoding` must be one of the tiff_* encodings.
void save_multipage_tiff(const std::vector<vips::VImage>& pages, const std::filesystem::path& file,
                         double dpi, Encoding encoding = Encoding::tiff_lzw);
// A minimal, valid PDF with one JPEG image per page, page size in millimetres from each spec.
void save_pdf(const std::vector<PageSpec>& pages, const std::filesystem::path& file);

// The demo set: pages in several formats, one multi-page TIFF, one PDF, and job.toml
// describing them (three documents, CJK titles and metadata); reels.toml films them on reels
// short enough that a document splits (continued targets), fiche.toml on A6 fiche filmed by
// the simulated recorder (a step-and-repeat camera, verifiable like a reel); both
// with substitution targets ([[documents.substitute]]) and rare characters in a title.
void make_demo_set(const std::filesystem::path& dir);

}  // namespace fw::samples
