// Byte-level edits of the files libvips wrote, for what libvips 8.14 does not write itself:
// files without a resolution (as scanners in the wild make them), and orientation tags in
// PNG, JPEG 2000 and every page of a multi-page TIFF. Private to tools/samples.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "samples/samples.hpp"

namespace fw::samples {

std::string read_bytes(const std::filesystem::path& file);
void write_bytes(const std::filesystem::path& file, const std::string& bytes);
// Reads `file`, applies `edit` to its bytes and writes them back.
void edit_file(const std::filesystem::path& file, const std::function<void(std::string&)>& edit);

// Drops XResolution (282), YResolution (283) and ResolutionUnit (296) from every IFD. Each IFD
// is rewritten in place, shorter; the rational values it pointed to stay behind, unreferenced.
void strip_tiff_resolution(std::string& bytes);
// Leaves the file with a JFIF segment that says "no units, aspect 1:1" (how many scanners
// write JPEGs of unknown resolution) and no EXIF: libvips 8.14 writes no JFIF segment itself
// and, with strip=true, no EXIF either. A JFIF segment that is already there is reset.
void strip_jpeg_resolution(std::string& bytes);
// Removes the pHYs chunk; PNG readers treat a file without it as "resolution unknown".
void strip_png_resolution(std::string& bytes);

// Puts a chunk of `type` ("gAMA") holding `data` right after IHDR, or right before IEND (after
// the image data), with its CRC.
void add_png_chunk(std::string& bytes, const std::string& type, const std::string& data,
                   ExifPlace place = ExifPlace::before_image_data);
// Puts an eXIf chunk right after IHDR, or right before IEND (after the image data).
void add_png_exif(std::string& bytes, int orientation, ExifPlace place);
// Puts a "JpgTiffExif->JP2" uuid box (EXIF, as ExifTool writes it) before the codestream box.
void add_jp2_exif(std::string& bytes, int orientation);
// Replaces the body of the JP2 header's colour specification box (method, precedence,
// approximation, then the enumerated colour space or the ICC profile).
void set_jp2_colour(std::string& bytes, const std::string& colr_body);
// Adds a resolution box (`type` "resc", capture, or "resd", display) to the JP2 header, in
// pixels per metre.
void add_jp2_resolution(std::string& bytes, const std::string& type, std::uint16_t x_per_m,
                        std::uint16_t y_per_m);
// Sets Orientation (274) in IFD number i to orientations[i]; every IFD must have the tag.
void set_tiff_orientations(std::string& bytes, const std::vector<int>& orientations);

}  // namespace fw::samples
