// Walking the top-level structure of a JP2 file (boxes) and of a PNG file (chunks) one head at a
// time, for what libvips 8.14 does not read from them (jp2_header.cpp, png_colour.cpp,
// orientation.cpp). Both store their numbers big-endian. Private to engine/ingest.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>

namespace fw::ingest_detail {

// The first `count` (at most 8) bytes as one big-endian number.
inline std::uint64_t big_endian(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) value = (value << 8) | bytes[i];
  return value;
}

struct BoxHead {
  std::string type;         // four characters: "jp2h", "uuid", "IDAT", "eXIf", ...
  std::uint64_t body_size;  // the bytes after the head (a PNG chunk's CRC not counted)
};

// The head of the JP2 box at the stream's position (8 bytes, or 16 with a 64-bit length), the
// stream left at its body. None at the end of the file, for a damaged head, or for a box that
// runs to the end of the file (length 0: the last box, the codestream).
std::optional<BoxHead> read_jp2_box_head(std::istream& in);

// The head of the PNG chunk at the stream's position (length and type), the stream left at its
// data; skipping the chunk is seeking body_size + 4 (the CRC). None at the end of the file or
// for a length PNG does not allow (over 2^31 - 1).
std::optional<BoxHead> read_png_chunk_head(std::istream& in);

}  // namespace fw::ingest_detail
