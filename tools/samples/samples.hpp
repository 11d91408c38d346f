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
  // save_pdf only: the page's /Rotate (clockwise degrees, a multiple of 90), which a viewer
  // applies to the page drawn upright in its MediaBox.
  int pdf_rotate = 0;
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
// `encoding` must be one of the tiff_* encodings. `orientations`, when given, is each page's
// TIFF orientation (tag 274, 1-8) and the pages are the pixels as stored (see
// stored_for_orientation).
void save_multipage_tiff(const std::vector<vips::VImage>& pages, const std::filesystem::path& file,
                         double dpi, Encoding encoding = Encoding::tiff_lzw,
                         const std::vector<int>& orientations = {});
// EXIF/TIFF orientation 1-8: the pixels a camera or scanner stores for an upright page when it
// records which way up the page is in a tag instead of turning the pixels (2: mirrored left to
// right, 3: turned 180 degrees, 6: turned 90 degrees anticlockwise, 8: clockwise; 5 and 7:
// mirrored across a diagonal). A reader that applies the tag gets `upright` back.
vips::VImage stored_for_orientation(const vips::VImage& upright, int orientation);

// Where a PNG's eXIf chunk goes: both are valid PNG, libvips 8.14 reads only the first.
enum class ExifPlace { before_image_data, after_image_data };

// Saves `upright` as save_page() does (with its resolution), but stored for `orientation` and
// tagged with it: JPEG in EXIF, TIFF in tag 274, PNG in an eXIf chunk, JPEG 2000 as EXIF in a
// "JpgTiffExif->JP2" uuid box before the codestream. libvips 8.14 writes the first two itself;
// the chunk and the box are added to what it wrote.
void save_oriented_page(const vips::VImage& upright, const std::filesystem::path& file,
                        Encoding encoding, double dpi, int orientation,
                        ExifPlace png_exif = ExifPlace::before_image_data);

// A minimal, valid PDF with one JPEG image per page, page size in millimetres from each spec.
void save_pdf(const std::vector<PageSpec>& pages, const std::filesystem::path& file);

// The demo set: pages in several formats, one multi-page TIFF, one PDF, and job.toml
// describing them (three documents, CJK titles and metadata); reels.toml films them on reels
// short enough that a document splits (continued targets), fiche.toml on A6 fiche filmed by
// the simulated recorder (a step-and-repeat camera, verifiable like a reel); both
// with substitution targets ([[documents.substitute]]) and rare characters in a title.
void make_demo_set(const std::filesystem::path& dir);

}  // namespace fw::samples
