#include "ingest/orientation.hpp"

#include <libexif/exif-data.h>
#include <libexif/exif-log.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "ingest/file_boxes.hpp"
#include "ingest/tiff_pages.hpp"

namespace fw {
namespace {

using vips::VImage;
using namespace std::string_literals;
using namespace std::string_view_literals;

// EXIF blocks are small (tags and perhaps a thumbnail); anything this large is not one.
constexpr std::uint64_t kMaxExifBytes = 16u << 20;

// An EXIF block where a walk over the file found one. A file that ends inside it, or one too
// large to be EXIF, is damaged: its orientation cannot be read.
std::string read_exif(std::ifstream& in, std::uint64_t size, const std::string& context,
                      const char* where) {
  if (size <= kMaxExifBytes) {
    std::string data(static_cast<std::size_t>(size), '\0');
    if (in.read(data.data(), static_cast<std::streamsize>(size))) return data;
  }
  throw Error(ErrorKind::input,
              fmt::format("{}: the EXIF in {} is damaged; which way up the page is cannot be read",
                          context, where));
}

// The data of the PNG's eXIf chunk, wherever it is. Chunks are skipped, not read: a page's
// IDAT chunks are most of the file.
std::optional<std::string> png_exif_chunk(const std::string& file, const std::string& context) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(8);  // signature
  while (const auto chunk = ingest_detail::read_png_chunk_head(in)) {
    if (chunk->type == "eXIf"sv) return read_exif(in, chunk->body_size, context, "its eXIf chunk");
    if (chunk->type == "IEND"sv) return std::nullopt;
    in.seekg(static_cast<std::streamoff>(chunk->body_size) + 4, std::ios::cur);  // data and CRC
  }
  return std::nullopt;
}

// UUIDs of the JP2 boxes that hold EXIF (the names ExifTool gives them): "JpgTiffExif->JP2",
// which most writers use, and the one of Adobe's JPEG 2000 plug-in.
constexpr std::array<std::string_view, 2> kExifUuids = {
    "JpgTiffExif->JP2"sv,
    "\x05\x37\xcd\xab\x9d\x0c\x44\x31\xa7\x2a\xfa\x56\x1f\x2a\x11\x3e"sv,
};

// The EXIF of a JP2 file's top-level uuid box (some writers put the "Exif\0\0" of a JPEG APP1
// segment before its TIFF header).
std::optional<std::string> jp2_exif_box(const std::string& file, const std::string& context) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  for (int box = 0; box < 100000; ++box) {
    const auto head = ingest_detail::read_jp2_box_head(in);
    if (!head) return std::nullopt;  // the end, or the last box (the codestream) to the end
    const std::uint64_t body = head->body_size;
    if (head->type == "uuid"sv && body > 16) {
      std::array<char, 16> uuid{};
      if (!in.read(uuid.data(), uuid.size())) return std::nullopt;
      const std::string_view id(uuid.data(), uuid.size());
      if (std::find(kExifUuids.begin(), kExifUuids.end(), id) != kExifUuids.end()) {
        return read_exif(in, body - 16, context, "its uuid box");
      }
      in.seekg(static_cast<std::streamoff>(body - 16), std::ios::cur);
    } else {
      in.seekg(static_cast<std::streamoff>(body), std::ios::cur);
    }
  }
  return std::nullopt;
}

struct ExifDataUnref {
  void operator()(ExifData* data) const { exif_data_unref(data); }
};
struct ExifLogUnref {
  void operator()(ExifLog* log) const { exif_log_unref(log); }
};

void note_corrupt(ExifLog*, ExifLogCode code, const char*, const char*, va_list, void* corrupt) {
  if (code == EXIF_LOG_CODE_CORRUPT_DATA) *static_cast<bool*>(corrupt) = true;
}

// Whether the TIFF header at the start of an EXIF block points at an IFD0 inside the block.
// libexif reads a block whose IFD0 lies beyond its end as one without tags, silently.
bool ifd0_inside(std::string_view tiff_block) {
  if (tiff_block.size() < 8) return false;
  const bool little = tiff_block.starts_with("II"sv);
  if (!little && !tiff_block.starts_with("MM"sv)) return false;
  std::uint64_t offset = 0;
  for (int i = 0; i < 4; ++i) {
    const auto byte = static_cast<unsigned char>(tiff_block[4 + static_cast<std::size_t>(i)]);
    offset |= std::uint64_t{byte} << (little ? 8 * i : 8 * (3 - i));
  }
  return offset >= 8 && offset + 2 <= tiff_block.size();
}

// IFD0's Orientation, raw, in an EXIF block from its TIFF header on (as a PNG eXIf chunk and a
// JP2 uuid box hold it; libvips's "exif-data" has "Exif\0\0" first). libexif reads it, as it
// does inside libvips; libvips's own "orientation" field would turn a bad value into 1. A block
// too damaged to find the tag in is an error, not "upright": filming a page on its side cannot
// be undone.
std::uint32_t exif_orientation(std::string_view exif, const std::string& context,
                               const char* where) {
  if (exif.starts_with("Exif\0\0"sv)) exif.remove_prefix(6);
  const std::string block = "Exif\0\0"s + std::string(exif);  // what libexif expects first
  std::unique_ptr<ExifData, ExifDataUnref> data(exif_data_new());
  std::unique_ptr<ExifLog, ExifLogUnref> log(exif_log_new());
  if (!data || !log) throw Error(ErrorKind::internal, context + ": out of memory reading EXIF");
  bool corrupt = false;
  exif_log_set_func(log.get(), note_corrupt, &corrupt);
  exif_data_log(data.get(), log.get());
  // As found: "following the specification" would add the tags it finds missing.
  exif_data_unset_option(data.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_load_data(data.get(), reinterpret_cast<const unsigned char*>(block.data()),
                      static_cast<unsigned int>(block.size()));
  const ExifEntry* entry = exif_content_get_entry(data->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (!entry) {
    if (corrupt || !ifd0_inside(exif)) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: the EXIF in {} is damaged; which way up the page is cannot "
                              "be read",
                              context, where));
    }
    return 1;
  }
  const ExifByteOrder order = exif_data_get_byte_order(data.get());
  // SHORT, as the standard has it; some writers use LONG.
  if (entry->components == 1 && entry->format == EXIF_FORMAT_SHORT && entry->size >= 2) {
    return exif_get_short(entry->data, order);
  }
  if (entry->components == 1 && entry->format == EXIF_FORMAT_LONG && entry->size >= 4) {
    return exif_get_long(entry->data, order);
  }
  throw Error(ErrorKind::input,
              fmt::format("{}: the EXIF orientation in {} is not one number", context, where));
}

std::uint32_t checked(std::uint32_t orientation, const std::string& context) {
  if (orientation < 1 || orientation > 8) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the file's orientation is {}, not one of 1-8 (EXIF/TIFF); "
                            "which way up the page is cannot be told",
                            context, orientation));
  }
  return orientation;
}

}  // namespace

std::uint32_t tiff_orientation(const PageRef& ref, const std::string& context) {
  // Tag 274 of this page's IFD, as libtiff read it in its walk along the file's pages.
  const std::shared_ptr<const TiffPages> pages = tiff_pages(ref.file);
  if (ref.page_in_file >= pages->pages.size()) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the file now has {} page(s); it changed while it was read",
                            context, pages->pages.size()));
  }
  const TiffPageHeader& page = pages->pages[ref.page_in_file];
  // libtiff refuses an orientation outside 1-8 while it reads the IFD: it reports an error
  // that libvips does not fail the load on, and the page reads as orientation 1.
  if (!page.orientation_error.empty()) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the page's orientation tag is not one of 1-8 (libtiff: {}); "
                            "which way up the page is cannot be told",
                            context, page.orientation_error));
  }
  return page.orientation;
}

std::uint32_t read_orientation(const PageRef& ref, const VImage& header,
                               const std::string& context) {
  switch (ref.format) {
    case SourceFormat::pdf:
      return 1;
    case SourceFormat::tiff:
      return tiff_orientation(ref, context);
    case SourceFormat::jp2: {
      const std::optional<std::string> exif = jp2_exif_box(ref.file, context);
      return exif ? checked(exif_orientation(*exif, context, "its uuid box"), context) : 1;
    }
    case SourceFormat::jpeg:
    case SourceFormat::png:
      break;
  }
  // The EXIF libvips found (JPEG APP1, PNG eXIf before the image data).
  if (header.get_typeof(VIPS_META_EXIF_NAME) != 0) {
    std::size_t size = 0;
    const void* data = header.get_blob(VIPS_META_EXIF_NAME, &size);
    const std::string_view exif(static_cast<const char*>(data), size);
    return checked(
        exif_orientation(exif, context,
                         ref.format == SourceFormat::png ? "its eXIf chunk" : "the file"),
        context);
  }
  if (ref.format == SourceFormat::png) {
    const std::optional<std::string> exif = png_exif_chunk(ref.file, context);
    return exif ? checked(exif_orientation(*exif, context, "its eXIf chunk"), context) : 1;
  }
  return 1;
}

bool swaps_axes(std::uint32_t orientation) {
  return orientation >= 5 && orientation <= 8;
}

VImage upright(const VImage& stored, std::uint32_t orientation) {
  if (orientation == 1) return stored;
  // copy(): a header of our own to set the field on (copy_memory() of a page already in
  // memory is the caller's image itself).
  VImage image = (orientation == 2 ? stored : stored.copy_memory()).copy();
  // autorot reads the orientation from the image; JP2 and a late PNG eXIf never set it.
  image.set(VIPS_META_ORIENTATION, static_cast<int>(orientation));
  return image.autorot();
}

}  // namespace fw
