// Byte-level edits of the files libvips wrote (file_edits.hpp).
#include "samples/file_edits.hpp"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fw::samples {

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(file.string() + ": cannot write");
}

void edit_file(const std::filesystem::path& file, const std::function<void(std::string&)>& edit) {
  std::string bytes = read_bytes(file);
  edit(bytes);
  write_bytes(file, bytes);
}

namespace {

// --- Removing the resolution from files libvips wrote -------------------------------------
// libvips always records a resolution (TIFF XResolution, JPEG EXIF, PNG pHYs),
// but scanners in the wild often do not. To reproduce such files we edit what libvips wrote.

class ByteOrder {
 public:
  ByteOrder(std::string& bytes, bool little_endian) : bytes_(bytes), little_(little_endian) {}

  std::uint32_t get(std::size_t at, int size) const {
    if (at + static_cast<std::size_t>(size) > bytes_.size()) {
      throw std::runtime_error("TIFF structure points past the end of the file");
    }
    std::uint32_t value = 0;
    for (int i = 0; i < size; ++i) {
      const auto byte = static_cast<std::uint8_t>(bytes_[at + static_cast<std::size_t>(i)]);
      const int shift = little_ ? 8 * i : 8 * (size - 1 - i);
      value |= static_cast<std::uint32_t>(byte) << shift;
    }
    return value;
  }

  void put(std::size_t at, int size, std::uint32_t value) {
    for (int i = 0; i < size; ++i) {
      const int shift = little_ ? 8 * i : 8 * (size - 1 - i);
      bytes_[at + static_cast<std::size_t>(i)] = static_cast<char>((value >> shift) & 0xff);
    }
  }

 private:
  std::string& bytes_;
  bool little_;
};

// --- Orientation tags libvips does not write ------------------------------------------

// A little-endian TIFF header and an IFD0 with one entry, Orientation (274), SHORT, 1 value:
// the EXIF block a PNG eXIf chunk or a JP2 uuid box holds.
std::string exif_with_orientation(int orientation) {
  std::string exif("II*\0\x08\0\0\0", 8);
  exif += std::string("\x01\0", 2);                    // one entry
  exif += std::string("\x12\x01\x03\0\x01\0\0\0", 8);  // tag 274, SHORT, count 1
  exif += static_cast<char>(orientation);
  exif += std::string(3, '\0');
  exif += std::string(4, '\0');  // no further IFD
  return exif;
}

std::string big_endian32(std::uint32_t value) {
  std::string bytes(4, '\0');
  for (int i = 0; i < 4; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<char>(value >> (24 - 8 * i));
  return bytes;
}

std::uint32_t read_big_endian32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<std::uint8_t>(bytes.at(at + i));
  return value;
}

// The CRC of a PNG chunk (ISO 3309, as zlib's crc32).
std::uint32_t png_crc(const std::string& bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (char c : bytes) {
    crc ^= static_cast<std::uint8_t>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace

void strip_tiff_resolution(std::string& bytes) {
  if (bytes.size() < 8 || (bytes.compare(0, 2, "II") != 0 && bytes.compare(0, 2, "MM") != 0)) {
    throw std::runtime_error("not a classic TIFF file");
  }
  ByteOrder order(bytes, bytes[0] == 'I');
  constexpr std::size_t entry_size = 12;
  std::size_t ifd = order.get(4, 4);
  for (int guard = 0; ifd != 0; ++guard) {
    if (guard > 10000) throw std::runtime_error("TIFF IFD chain does not end");
    const std::size_t count = order.get(ifd, 2);
    std::vector<std::string> kept;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t entry = ifd + 2 + i * entry_size;
      const auto tag = order.get(entry, 2);
      if (tag != 282 && tag != 283 && tag != 296) kept.push_back(bytes.substr(entry, entry_size));
    }
    const std::uint32_t next = order.get(ifd + 2 + count * entry_size, 4);
    const std::size_t old_end = ifd + 2 + count * entry_size + 4;
    order.put(ifd, 2, static_cast<std::uint32_t>(kept.size()));
    std::size_t at = ifd + 2;
    for (const auto& entry : kept) {
      bytes.replace(at, entry_size, entry);
      at += entry_size;
    }
    order.put(at, 4, next);
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(at + 4),
              bytes.begin() + static_cast<std::ptrdiff_t>(old_end), '\0');
    ifd = next;
  }
}

void strip_jpeg_resolution(std::string& bytes) {
  const bool has_jfif = bytes.size() > 18 && static_cast<std::uint8_t>(bytes[2]) == 0xff &&
                        static_cast<std::uint8_t>(bytes[3]) == 0xe0 &&
                        bytes.compare(6, 5, std::string("JFIF\0", 5)) == 0;
  if (!has_jfif) {
    // APP0, length 16, "JFIF\0", version 1.01, then units, densities and thumbnail size.
    bytes.insert(2,
                 std::string("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18));
    return;
  }
  bytes[13] = 0;  // units: none
  bytes[14] = 0;  // X density 1
  bytes[15] = 1;
  bytes[16] = 0;  // Y density 1
  bytes[17] = 1;
}

void strip_png_resolution(std::string& bytes) {
  std::size_t at = 8;  // after the signature
  while (at + 12 <= bytes.size()) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length = (length << 8) | static_cast<std::uint8_t>(bytes[at + static_cast<std::size_t>(i)]);
    }
    const std::size_t chunk_size = 12 + static_cast<std::size_t>(length);
    if (bytes.compare(at + 4, 4, "pHYs") == 0) {
      bytes.erase(at, chunk_size);
      return;
    }
    at += chunk_size;
  }
}

void add_png_chunk(std::string& bytes, const std::string& type, const std::string& data,
                   ExifPlace place) {
  const std::string body = type + data;
  const std::string chunk =
      big_endian32(static_cast<std::uint32_t>(data.size())) + body + big_endian32(png_crc(body));
  constexpr std::size_t after_ihdr = 8 + 12 + 13;  // signature, IHDR chunk
  constexpr std::size_t iend_size = 12;
  if (bytes.size() < after_ihdr + iend_size || bytes.compare(12, 4, "IHDR") != 0 ||
      bytes.compare(bytes.size() - 8, 4, "IEND") != 0) {
    throw std::runtime_error("not a PNG file as libvips writes it");
  }
  bytes.insert(place == ExifPlace::before_image_data ? after_ihdr : bytes.size() - iend_size,
               chunk);
}

void add_png_exif(std::string& bytes, int orientation, ExifPlace place) {
  add_png_chunk(bytes, "eXIf", exif_with_orientation(orientation), place);
}

namespace {

// Applies `edit` to the children of the JP2 header box (jp2h) and writes the box back with its
// new length. libvips writes short boxes only.
void edit_jp2_header(std::string& bytes, const std::function<void(std::string&)>& edit) {
  std::size_t at = 0;
  while (at + 8 <= bytes.size()) {
    const std::uint32_t length = read_big_endian32(bytes, at);
    if (bytes.compare(at + 4, 4, "jp2h") == 0) {
      std::string children = bytes.substr(at + 8, length - 8);
      edit(children);
      bytes.replace(
          at, length,
          big_endian32(static_cast<std::uint32_t>(children.size() + 8)) + "jp2h" + children);
      return;
    }
    if (length < 8) break;
    at += length;
  }
  throw std::runtime_error("no header box in the JP2 file");
}

std::string jp2_box(const std::string& type, const std::string& body) {
  return big_endian32(static_cast<std::uint32_t>(body.size() + 8)) + type + body;
}

}  // namespace

void set_jp2_colour(std::string& bytes, const std::string& colr_body) {
  edit_jp2_header(bytes, [&](std::string& children) {
    std::size_t at = 0;
    while (at + 8 <= children.size()) {
      const std::uint32_t length = read_big_endian32(children, at);
      if (children.compare(at + 4, 4, "colr") == 0) {
        children.replace(at, length, jp2_box("colr", colr_body));
        return;
      }
      if (length < 8) break;
      at += length;
    }
    throw std::runtime_error("no colour specification box in the JP2 header");
  });
}

void add_jp2_resolution(std::string& bytes, const std::string& type, std::uint16_t x_per_m,
                        std::uint16_t y_per_m) {
  // Vertical, then horizontal: numerator, denominator (1), and the exponents (0).
  std::string body;
  for (std::uint16_t value : {y_per_m, std::uint16_t{1}, x_per_m, std::uint16_t{1}}) {
    body += static_cast<char>(value >> 8);
    body += static_cast<char>(value & 0xff);
  }
  body += std::string(2, '\0');
  edit_jp2_header(bytes,
                  [&](std::string& children) { children += jp2_box("res ", jp2_box(type, body)); });
}

void add_jp2_exif(std::string& bytes, int orientation) {
  const std::string box_body =
      "uuid" + std::string("JpgTiffExif->JP2") + exif_with_orientation(orientation);
  const std::string box = big_endian32(static_cast<std::uint32_t>(box_body.size() + 4)) + box_body;
  std::size_t at = 0;
  while (at + 8 <= bytes.size()) {
    const std::uint32_t length = read_big_endian32(bytes, at);
    if (bytes.compare(at + 4, 4, "jp2c") == 0) {
      bytes.insert(at, box);
      return;
    }
    if (length < 8) break;  // 0 (to the end) and 1 (64-bit length): libvips writes neither
    at += length;
  }
  throw std::runtime_error("no codestream box in the JP2 file");
}

void set_tiff_orientations(std::string& bytes, const std::vector<int>& orientations) {
  ByteOrder order(bytes, bytes.compare(0, 2, "II") == 0);
  std::size_t ifd = order.get(4, 4);
  for (int orientation : orientations) {
    if (ifd == 0) throw std::runtime_error("fewer TIFF pages than orientations");
    const std::size_t count = order.get(ifd, 2);
    bool found = false;
    for (std::size_t i = 0; i < count && !found; ++i) {
      const std::size_t entry = ifd + 2 + i * 12;
      if (order.get(entry, 2) == 274) {
        order.put(entry + 8, 2, static_cast<std::uint32_t>(orientation));
        found = true;
      }
    }
    if (!found) throw std::runtime_error("a TIFF page without an orientation tag");
    ifd = order.get(ifd + 2 + count * 12, 4);
  }
}

}  // namespace fw::samples
