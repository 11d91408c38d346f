// A frame as the bytes of a TIFF file, encoded in memory by libtiff: the tiff driver hashes
// these bytes for the manifest and writes them in one go. Uncompressed strips go from the
// frame's pixels straight into the file buffer; nothing else copies them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fw::drivers {

enum class TiffCompression { none, deflate, lzw };

struct TiffFrame {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t channels = 1;  // 1: grey (min-is-black), 3: RGB; 8 bits per sample
  std::span<const std::uint8_t> pixels;
  double pixels_per_cm = 0;  // both directions
  std::string description;   // the ImageDescription tag
};

// Throws std::runtime_error with libtiff's message.
std::vector<std::uint8_t> encode_tiff(const TiffFrame& frame, TiffCompression compression);

}  // namespace fw::drivers
