#include "samples/samples.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fw::samples {
namespace {

using vips::VImage;

int to_px(double mm, double dpi) {
  return static_cast<int>(std::lround(mm * dpi / 25.4));
}

double px_per_mm(double dpi) {
  return dpi / 25.4;
}

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

// Drops XResolution (282), YResolution (283) and ResolutionUnit (296) from every IFD. Each IFD
// is rewritten in place, shorter; the rational values it pointed to stay behind, unreferenced.
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

// Leaves the file with a JFIF segment that says "no units, aspect 1:1" (how many scanners
// write JPEGs of unknown resolution) and no EXIF: libvips 8.14 writes no JFIF segment itself
// and, with strip=true, no EXIF either. A JFIF segment that is already there is reset.
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

// Removes the pHYs chunk; PNG readers treat a file without it as "resolution unknown".
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

// Puts an eXIf chunk right after IHDR, or right before IEND (after the image data).
void add_png_exif(std::string& bytes, int orientation, ExifPlace place) {
  const std::string body = "eXIf" + exif_with_orientation(orientation);
  const std::string chunk = big_endian32(static_cast<std::uint32_t>(body.size() - 4)) + body +
                            big_endian32(png_crc(body));
  constexpr std::size_t after_ihdr = 8 + 12 + 13;  // signature, IHDR chunk
  constexpr std::size_t iend_size = 12;
  if (bytes.size() < after_ihdr + iend_size || bytes.compare(12, 4, "IHDR") != 0 ||
      bytes.compare(bytes.size() - 8, 4, "IEND") != 0) {
    throw std::runtime_error("not a PNG file as libvips writes it");
  }
  bytes.insert(place == ExifPlace::before_image_data ? after_ihdr : bytes.size() - iend_size,
               chunk);
}

// Puts a "JpgTiffExif->JP2" uuid box (EXIF, as ExifTool writes it) before the codestream box.
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

// Sets Orientation (274) in IFD number i to orientations[i]; every IFD must have the tag.
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

bool is_tiff(Encoding encoding) {
  switch (encoding) {
    case Encoding::tiff_none:
    case Encoding::tiff_lzw:
    case Encoding::tiff_deflate:
    case Encoding::tiff_g4:
    case Encoding::tiff_jpeg:
    case Encoding::tiff_16bit:
      return true;
    case Encoding::jpeg:
    case Encoding::png:
    case Encoding::jp2:
      return false;
  }
  return false;
}

VImage grey_of(const VImage& page) {
  return page.bands() == 1 ? page : page.colourspace(VIPS_INTERPRETATION_B_W);
}

// The pixels as the encoding stores them: bitonal for G4, 16-bit for tiff_16bit.
VImage pixels_for(const VImage& page, Encoding encoding) {
  switch (encoding) {
    case Encoding::tiff_g4:
      return (grey_of(page) >= 128)
          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
    case Encoding::tiff_16bit: {
      // x257 maps 0..255 onto 0..65535 exactly (255 * 257 = 65535).
      const VImage wide = page.cast(VIPS_FORMAT_USHORT).linear(257, 0).cast(VIPS_FORMAT_USHORT);
      return wide.copy(VImage::option()->set("interpretation", page.bands() == 1
                                                                   ? VIPS_INTERPRETATION_GREY16
                                                                   : VIPS_INTERPRETATION_RGB16));
    }
    default:
      return page;
  }
}

VipsForeignTiffCompression tiff_compression(Encoding encoding) {
  switch (encoding) {
    case Encoding::tiff_none:
      return VIPS_FOREIGN_TIFF_COMPRESSION_NONE;
    case Encoding::tiff_deflate:
      return VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE;
    case Encoding::tiff_g4:
      return VIPS_FOREIGN_TIFF_COMPRESSION_CCITTFAX4;
    case Encoding::tiff_jpeg:
      return VIPS_FOREIGN_TIFF_COMPRESSION_JPEG;
    case Encoding::tiff_lzw:
    case Encoding::tiff_16bit:
    default:
      return VIPS_FOREIGN_TIFF_COMPRESSION_LZW;
  }
}

void tiffsave(const VImage& pixels, const std::filesystem::path& file, Encoding encoding,
              double dpi) {
  auto* options = VImage::option()
                      ->set("compression", tiff_compression(encoding))
                      ->set("resunit", VIPS_FOREIGN_TIFF_RESUNIT_INCH)
                      ->set("xres", px_per_mm(dpi))
                      ->set("yres", px_per_mm(dpi));
  if (encoding == Encoding::tiff_g4) options->set("bitdepth", 1);
  if (encoding == Encoding::tiff_jpeg) options->set("Q", 90);
  pixels.tiffsave(file.c_str(), options);
}

struct BlobUnref {
  void operator()(VipsBlob* blob) const { vips_area_unref(VIPS_AREA(blob)); }
};

std::string jpeg_bytes(const VImage& image) {
  std::unique_ptr<VipsBlob, BlobUnref> blob(
      image.jpegsave_buffer(VImage::option()->set("Q", 90)->set("strip", true)));
  std::size_t length = 0;
  const void* data = vips_blob_get(blob.get(), &length);
  return std::string(static_cast<const char*>(data), length);
}

std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

VImage make_page(const PageSpec& spec) {
  if (spec.bands != 1 && spec.bands != 3) {
    throw std::invalid_argument(fmt::format("PageSpec.bands must be 1 or 3, got {}", spec.bands));
  }
  const int width = to_px(spec.width_mm, spec.dpi);
  const int height = to_px(spec.height_mm, spec.dpi);
  if (width < 1 || height < 1) {
    throw std::invalid_argument(fmt::format("page {} x {} mm at {} dpi has no pixels",
                                            spec.width_mm, spec.height_mm, spec.dpi));
  }
  // Drawing modifies pixels in place, so the page must live in memory first.
  VImage page = VImage::black(width, height)
                    .new_from_image(std::vector<double>(static_cast<std::size_t>(spec.bands), 255))
                    .copy_memory();
  const std::vector<double> black(static_cast<std::size_t>(spec.bands), 0);
  for (const Mark& mark : spec.marks) {
    const int size = to_px(mark.size_mm, spec.dpi);
    page.draw_rect(black, to_px(mark.x_mm, spec.dpi), to_px(mark.y_mm, spec.dpi), size, size,
                   VImage::option()->set("fill", true));
  }
  if (!spec.label.empty()) {
    // Text about 5% of the page height, near the bottom, a quarter of the way across.
    const double text_points = spec.height_mm * 0.05 * 72 / 25.4;
    const VImage text =
        VImage::text(spec.label.c_str(),
                     VImage::option()
                         ->set("font", fmt::format("DejaVu Sans {:.1f}", text_points).c_str())
                         ->set("dpi", static_cast<int>(std::lround(spec.dpi))));
    page.draw_mask(black, text, width / 4, height - height / 12 - text.height());
  }
  return page.copy(VImage::option()
                       ->set("interpretation",
                             spec.bands == 1 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB)
                       ->set("xres", px_per_mm(spec.dpi))
                       ->set("yres", px_per_mm(spec.dpi)));
}

const char* to_string(Encoding encoding) {
  switch (encoding) {
    case Encoding::tiff_none:
      return "tiff_none";
    case Encoding::tiff_lzw:
      return "tiff_lzw";
    case Encoding::tiff_deflate:
      return "tiff_deflate";
    case Encoding::tiff_g4:
      return "tiff_g4";
    case Encoding::tiff_jpeg:
      return "tiff_jpeg";
    case Encoding::tiff_16bit:
      return "tiff_16bit";
    case Encoding::jpeg:
      return "jpeg";
    case Encoding::png:
      return "png";
    case Encoding::jp2:
      return "jp2";
  }
  return "?";
}

std::vector<Encoding> all_encodings() {
  return {Encoding::tiff_none, Encoding::tiff_lzw,  Encoding::tiff_deflate,
          Encoding::tiff_g4,   Encoding::tiff_jpeg, Encoding::tiff_16bit,
          Encoding::jpeg,      Encoding::png,       Encoding::jp2};
}

void save_page(const VImage& page, const std::filesystem::path& file, Encoding encoding, double dpi,
               bool with_resolution) {
  const VImage pixels =
      pixels_for(page, encoding)
          .copy(VImage::option()->set("xres", px_per_mm(dpi))->set("yres", px_per_mm(dpi)));
  if (is_tiff(encoding)) {
    tiffsave(pixels, file, encoding, dpi);
    if (!with_resolution) {
      std::string bytes = read_bytes(file);
      strip_tiff_resolution(bytes);
      write_bytes(file, bytes);
    }
    return;
  }
  switch (encoding) {
    case Encoding::jpeg: {
      pixels.jpegsave(file.c_str(), VImage::option()->set("Q", 90)->set("strip", !with_resolution));
      if (!with_resolution) {
        std::string bytes = read_bytes(file);
        strip_jpeg_resolution(bytes);
        write_bytes(file, bytes);
      }
      return;
    }
    case Encoding::png: {
      pixels.pngsave(file.c_str());
      if (!with_resolution) {
        std::string bytes = read_bytes(file);
        strip_png_resolution(bytes);
        write_bytes(file, bytes);
      }
      return;
    }
    case Encoding::jp2:
      // libvips 8.14 neither writes nor reads a JP2 resolution box: every JP2 it makes is
      // "without resolution", whatever `with_resolution` says.
      pixels.jp2ksave(file.c_str(), VImage::option()->set("lossless", true));
      return;
    default:
      throw std::logic_error("unhandled encoding");
  }
}

void save_multipage_tiff(const std::vector<VImage>& pages, const std::filesystem::path& file,
                         double dpi, Encoding encoding, const std::vector<int>& orientations) {
  if (pages.empty()) throw std::invalid_argument("save_multipage_tiff: no pages");
  if (!is_tiff(encoding)) {
    throw std::invalid_argument(
        fmt::format("save_multipage_tiff: {} is not a TIFF encoding", to_string(encoding)));
  }
  std::vector<VImage> strips;
  for (const VImage& page : pages) {
    if (page.width() != pages[0].width() || page.height() != pages[0].height() ||
        page.bands() != pages[0].bands()) {
      // libvips writes a multi-page TIFF from one tall image cut at page-height.
      throw std::invalid_argument("save_multipage_tiff: all pages must have the same size");
    }
    strips.push_back(pixels_for(page, encoding));
  }
  VImage joined = VImage::arrayjoin(strips, VImage::option()->set("across", 1)).copy();
  joined.set("page-height", pages[0].height());
  if (orientations.empty()) {
    tiffsave(joined, file, encoding, dpi);
    return;
  }
  if (orientations.size() != pages.size()) {
    throw std::invalid_argument("save_multipage_tiff: one orientation per page");
  }
  // libvips writes one orientation for all pages; each page's own goes in afterwards.
  joined.set("orientation", 1);
  tiffsave(joined, file, encoding, dpi);
  std::string bytes = read_bytes(file);
  set_tiff_orientations(bytes, orientations);
  write_bytes(file, bytes);
}

VImage stored_for_orientation(const VImage& upright, int orientation) {
  switch (orientation) {
    case 1:
      return upright;
    case 2:
      return upright.fliphor();
    case 3:
      return upright.rot180();
    case 4:
      return upright.flipver();
    case 5:
      return upright.rot90().fliphor();  // transposed: rows become columns
    case 6:
      return upright.rot270();
    case 7:
      return upright.rot270().fliphor();  // transposed across the other diagonal
    case 8:
      return upright.rot90();
  }
  throw std::invalid_argument(fmt::format("orientation {} is not one of 1-8", orientation));
}

void save_oriented_page(const VImage& upright, const std::filesystem::path& file, Encoding encoding,
                        double dpi, int orientation, ExifPlace png_exif) {
  // libvips writes "orientation" as EXIF (JPEG) and as tag 274 (TIFF) when the image has it.
  VImage stored = stored_for_orientation(upright, orientation).copy();
  stored.set("orientation", orientation);
  save_page(stored, file, encoding, dpi);
  if (encoding == Encoding::png || encoding == Encoding::jp2) {
    std::string bytes = read_bytes(file);
    if (encoding == Encoding::png) {
      add_png_exif(bytes, orientation, png_exif);
    } else {
      add_jp2_exif(bytes, orientation);
    }
    write_bytes(file, bytes);
  }
}

void save_pdf(const std::vector<PageSpec>& pages, const std::filesystem::path& file) {
  if (pages.empty()) throw std::invalid_argument("save_pdf: no pages");
  // Objects: 1 catalog, 2 page tree, then per page: page, content stream, image.
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  auto begin_object = [&](std::size_t number) {
    offsets.push_back(pdf.size());
    pdf += fmt::format("{} 0 obj\n", number);
  };
  const std::size_t page_count = pages.size();
  auto page_object = [](std::size_t index) { return 3 + 3 * index; };

  begin_object(1);
  pdf += "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
  begin_object(2);
  pdf += "<< /Type /Pages /Kids [";
  for (std::size_t i = 0; i < page_count; ++i) pdf += fmt::format(" {} 0 R", page_object(i));
  pdf += fmt::format(" ] /Count {} >>\nendobj\n", page_count);

  for (std::size_t i = 0; i < page_count; ++i) {
    const PageSpec& spec = pages[i];
    const double width_pt = spec.width_mm * 72 / 25.4;
    const double height_pt = spec.height_mm * 72 / 25.4;
    const VImage image = make_page(spec);
    const std::string jpeg = jpeg_bytes(image);
    const std::string content =
        fmt::format("q\n{:.4f} 0 0 {:.4f} 0 0 cm\n/Im0 Do\nQ\n", width_pt, height_pt);

    begin_object(page_object(i));
    pdf += fmt::format(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.4f} {:.4f}]{} /Contents {} 0 R "
        "/Resources << /XObject << /Im0 {} 0 R >> >> >>\nendobj\n",
        width_pt, height_pt,
        spec.pdf_rotate != 0 ? fmt::format(" /Rotate {}", spec.pdf_rotate) : std::string(),
        page_object(i) + 1, page_object(i) + 2);
    begin_object(page_object(i) + 1);
    pdf += fmt::format("<< /Length {} >>\nstream\n", content.size());
    pdf += content;
    pdf += "\nendstream\nendobj\n";
    begin_object(page_object(i) + 2);
    pdf += fmt::format(
        "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace {} "
        "/BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
        image.width(), image.height(), image.bands() == 1 ? "/DeviceGray" : "/DeviceRGB",
        jpeg.size());
    pdf += jpeg;
    pdf += "\nendstream\nendobj\n";
  }

  const std::size_t xref_offset = pdf.size();
  pdf += fmt::format("xref\n0 {}\n0000000000 65535 f \n", offsets.size() + 1);
  for (std::size_t offset : offsets) pdf += fmt::format("{:010d} 00000 n \n", offset);
  pdf += fmt::format("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{}\n%%EOF\n",
                     offsets.size() + 1, xref_offset);
  write_bytes(file, pdf);
}

void make_demo_set(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  constexpr double a4_w = 210, a4_h = 297, a5_w = 148, a5_h = 210;
  auto marked = [](double width, double height, double dpi, int bands, std::string label) {
    PageSpec spec;
    spec.width_mm = width;
    spec.height_mm = height;
    spec.dpi = dpi;
    spec.bands = bands;
    spec.label = std::move(label);
    // Corner marks show placement and orientation on film; the off-centre one shows mirroring.
    spec.marks = {
        {15, 15, 10}, {width - 25, 15, 10}, {15, height - 45, 10}, {width / 3, height / 3, 20}};
    return spec;
  };

  const fs::path d001 = dir / "D001";
  fs::create_directories(d001);
  // Natural order p1, p2, p3, p10; a plain sort would put p10 second.
  save_page(make_page(marked(a4_w, a4_h, 300, 1, "D001 p1")), d001 / "p1.tif", Encoding::tiff_lzw,
            300);
  save_page(make_page(marked(a4_w, a4_h, 200, 3, "D001 p2")), d001 / "p2.jpg", Encoding::jpeg, 200);
  save_page(make_page(marked(a5_w, a5_h, 250, 1, "D001 p3")), d001 / "p3.png", Encoding::png, 250);
  // JPEG 2000 files carry no resolution libvips can read: the document's dpi (200) applies.
  save_page(make_page(marked(a5_w, a5_h, 200, 1, "D001 p10")), d001 / "p10.jp2", Encoding::jp2,
            200);

  std::vector<VImage> bitonal;
  for (int page = 1; page <= 3; ++page) {
    bitonal.push_back(make_page(marked(a4_w, a4_h, 300, 1, fmt::format("D002 p{}", page))));
  }
  save_multipage_tiff(bitonal, dir / "D002.tif", 300, Encoding::tiff_g4);

  save_pdf({marked(a4_w, a4_h, 200, 1, "D003 p1"), marked(a5_w, a5_h, 200, 3, "D003 p2")},
           dir / "D003.pdf");

  const std::string job = fmt::format(
      R"toml(# filmwriter demo job, made by fw-samples. Run: filmwriter convert {job}
version = 1
id = "demo"
title = {title}
institution = "filmwriter demo"
output = "out"
format = "16mm-comic-30m"
reduction = 24
mode = "grey"
polarity = "negative"

# The simulated recorder: frames are exposed onto simulated film at the recorder's write
# rate and developed; R0001/film/ holds the developed film (density x 10000) and reel.json.
[recorder]
driver = "sim"

[[documents]]
id = "D001"
title = {d001_title}
pages = {{ dir = "D001" }}
dpi = 200

# Its table of contents (目次), two levels (卷 / 篇), as a cataloguer keeps it: a UTF-8 CSV
# with columns title, page, level. It is filmed on a TOC target after the title target, and
# each entry's page gets the middle blip (docs/job-file.md#table-of-contents-目次).
toc = "toc/D001.csv"

[documents.metadata]
"作者" = "朱熹"
"年代" = "宋"
"卷" = "一"

[[documents]]
id = "D002"
title = "Bitonal letters (multi-page TIFF, CCITT G4)"
pages = {{ tiff = "D002.tif" }}
mode = "bitonal"

[documents.metadata]
"creator" = "filmwriter demo"

[[documents]]
id = "D003"
title = "PDF report"
pages = {{ pdf = "D003.pdf", range = "1-2" }}

[documents.metadata]
"source" = "born-digital PDF"
)toml",
      fmt::arg("job", (dir / "job.toml").string()), fmt::arg("title", toml_string("Demo reel")),
      fmt::arg("d001_title", toml_string("论语集注 卷一")));
  write_bytes(dir / "job.toml", job);
  std::filesystem::create_directories(dir / "toc");
  write_bytes(dir / "toc" / "D001.csv",
              "title,page,level\n"
              "卷一 学而第一,1,1\n"
              "篇一 学而时习之,2,2\n"
              "卷二 为政第二,3,1\n"
              "篇二 为政以德 𠀀,4,2\n");

  // The same pages on short reels, so that a document splits across reels (continued
  // targets), with rare characters on the targets and substitution targets the job asks for.
  const std::string documents = R"toml(
[[documents]]
id = "D001"
title = "论语集注 卷一 𠀀𪛖"
pages = { dir = "D001" }
dpi = 200

[documents.metadata]
"作者" = "朱熹"
"年代" = "宋"

[[documents]]
id = "D002"
title = "Bitonal letters (multi-page TIFF, CCITT G4)"
pages = { tiff = "D002.tif" }
mode = "bitonal"

[[documents.substitute]]      # page 2 is filmed after a "filmed as found" notice
page = 2
target = "filmed-as-found"
insert = true
note = "ink faded in the original"

[[documents]]
id = "D003"
title = "PDF report"
pages = { pdf = "D003.pdf" }

[[documents.substitute]]      # page 3 of the original was lost before it was scanned
page = 3
target = "page-missing"
insert = true
note = "page 3 lost before scanning"
)toml";
  write_bytes(dir / "reels.toml",
              std::string(R"toml(# filmwriter demo: documents split across short reels.
# Run: filmwriter convert reels.toml
version = 1
id = "demo-reels"
title = "善本 演示 (short reels)"
institution = "filmwriter demo"
output = "out"
reduction = 24
filming_date = 2026-01-15

# 16 mm comic film cut to 14 cm, so that D001 does not fit one reel and continues on the next.
[format]
description = "demo: 16 mm comic roll cut to 14 cm"
film_width_mm = 16.0
image_area_across_mm = 12.5
frame_length_mm = 0.0
frame_gap_mm = 1.0
margin_mm = 0.05
orientation = "comic"
leader_m = 0.03
trailer_m = 0.03
reel_length_m = 0.14
reel_lengths_m = [0.14]
min_reduction = 7.0
max_reduction = 50.0
blip_track_mm = 1.5
blip_width_mm = 0.7
blip_lengths_mm = [1.0, 2.0, 3.0]
blip_offset_mm = 0.2
address_height_mm = 0.3
)toml") + R"toml(
# The simulated recorder, as fast as the host goes (rate = 0): its developed film is what
# `filmwriter verify reels.toml` checks.
[recorder]
driver = "sim"
[recorder.options]
rate = 0
)toml" + documents);
  write_bytes(dir / "fiche.toml",
              R"toml(# filmwriter demo: the pages on A6 microfiche (98 frames at 24x)
# with eye-legible header strips. Run: filmwriter convert fiche.toml
version = 1
id = "demo-fiche"
title = "善本 演示 (fiche)"
institution = "filmwriter demo"
output = "out"
format = "fiche-a6-98-24x"
reduction = 24
filming_date = 2026-01-15

# The simulated recorder as a step-and-repeat camera: each sheet's cells are exposed at its
# write rate and developed; F0001/film/ holds the developed film (density x 10000) and
# reel.json (each frame's cell on the sheet), which `filmwriter verify fiche.toml` reads.
[recorder]
driver = "sim"
)toml" + documents);
  // The masters on the same reel: a JPEG, a TIFF and a PDF written as data frames behind the
  // pages, which `filmwriter restore` reads back from the developed film.
  write_bytes(dir / "data.toml",
              R"toml(# filmwriter demo: each document's source files (a JPEG, a TIFF, a PDF) filmed
# after its pages as data frames (docs/data-frames.md). Run: filmwriter convert data.toml,
# then filmwriter restore out/demo-data --out restored --catalog out/catalog.sqlite
version = 1
id = "demo-data"
title = "Masters on film (data frames)"
institution = "filmwriter demo"
output = "out"
reduction = 48
filming_date = 2026-01-15
targets = "none"
data_frames = true

# 16 mm film with a 6.5 mm image area, so that the demo's data frames are small (6.4 mm
# square, 2560 px at 2.5 um; 16mm-comic-30m's are 12.4 mm, 4960 px) and the demo quick.
[format]
description = "demo: 16 mm comic roll, 6.5 mm image area"
film_width_mm = 16.0
image_area_across_mm = 6.5
frame_length_mm = 0.0
frame_gap_mm = 1.0
margin_mm = 0.05
orientation = "comic"
leader_m = 0.1
trailer_m = 0.1
reel_length_m = 30.5
reel_lengths_m = [30.5]
min_reduction = 7.0
max_reduction = 50.0
blip_track_mm = 1.5
blip_width_mm = 0.7
blip_lengths_mm = [1.0, 2.0, 3.0]
blip_offset_mm = 0.2
address_height_mm = 0.3

[recorder]
driver = "sim"
[recorder.options]
rate = 0

[[documents]]
id = "D001"
title = "A JPEG and a TIFF master"
pages = { files = ["D001/p2.jpg", "D001/p1.tif"] }
dpi = 200

[[documents]]
id = "D003"
title = "PDF report"
pages = { pdf = "D003.pdf" }
)toml");
}

}  // namespace fw::samples
