// EXIF/TIFF orientation (1-8): how a page's stored pixels must be turned or mirrored to stand
// upright. Internal to engine/ingest: probe_page reads it, open_page applies it.
//
// Where each format keeps it, and who reads it (libvips 8.14, measured in
// tests/orientation_test.cpp):
//   JPEG  EXIF IFD0 Orientation: libvips's "orientation" field.
//   TIFF  tag 274 of each page's IFD: libvips's "orientation" field, per page (libtiff
//         refuses a value outside 1-8 and reports 1; its complaint is heard here).
//   PNG   an eXIf chunk: libvips reads it only before the image data (IDAT); a chunk after
//         it (valid PNG too) is read here, with libexif, the parser libvips itself uses.
//   JP2   no orientation of its own; EXIF may ride in a uuid box ("JpgTiffExif->JP2"),
//         which libvips does not read: read here, with libexif.
//   PDF   none: poppler already applies the page's /Rotate.
#pragma once

#include <cstdint>
#include <string>

#include <vips/vips8>

#include "ingest/ingest.hpp"

namespace fw {

// The page's orientation, 1 when the file records none. `header` is the page as libvips
// opened it. Throws Error(input) naming `context` when the file records a value outside 1-8
// or an EXIF block too damaged to tell.
std::uint32_t read_orientation(const PageRef& ref, const vips::VImage& header,
                               const std::string& context);

// The same for a TIFF page, from libtiff's one walk along the file (tiff_pages.hpp).
std::uint32_t tiff_orientation(const PageRef& ref, const std::string& context);

// Orientations 5-8 store the page on its side: stored rows are upright columns.
bool swaps_axes(std::uint32_t orientation);

// The stored pixels turned upright. Every orientation but 1 and 2 (a mirror within each row)
// reads rows out of order, so the decoded page is copied into memory first; `stored` may be
// a sequential decode.
vips::VImage upright(const vips::VImage& stored, std::uint32_t orientation);

}  // namespace fw
