// What a JP2 file's header says that libvips 8.14 does not read: the colour specification box
// (an ICC profile, or an enumerated colour space such as sYCC) and the capture and display
// resolution boxes. A raw J2K codestream has none of them. Private to engine/ingest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fw::ingest_detail {

struct Jp2Resolution {
  double x_per_mm = 0;  // grid points (pixels) per millimetre
  double y_per_mm = 0;
};

struct Jp2Header {
  // The first colour specification box's (JPEG 2000 Part 1 reads no other): an ICC profile
  // (method 2, restricted, or 3, any), or an enumerated colour space (method 1; 16 sRGB,
  // 17 grey, 18 sYCC, 24 e-sYCC, ...).
  std::vector<std::uint8_t> icc;
  std::optional<std::uint32_t> enumerated;
  std::optional<Jp2Resolution> capture;  // resc: the resolution the page was scanned at
  std::optional<Jp2Resolution> display;  // resd: the resolution to show it at
};

// Reads the jp2h header box of `file`; nothing for a J2K codestream or a header it cannot
// read (libvips's own load names a damaged file).
Jp2Header read_jp2_header(const std::string& file);

}  // namespace fw::ingest_detail
