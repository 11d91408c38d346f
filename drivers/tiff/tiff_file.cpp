#include "tiff/tiff_file.hpp"

#include <fmt/format.h>
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "base/buffer_pool.hpp"

namespace fw::drivers {
namespace {

// libtiff's client I/O over a growing byte buffer (it seeks back to patch offsets).
struct MemoryFile {
  std::vector<std::uint8_t> bytes;
  std::uint64_t position = 0;
  std::string error;
};

tmsize_t read_proc(thandle_t, void*, tmsize_t) {
  return 0;
}

tmsize_t write_proc(thandle_t handle, void* data, tmsize_t size) {
  auto& file = *static_cast<MemoryFile*>(handle);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  const auto count = static_cast<std::size_t>(size);
  if (file.position > file.bytes.size()) file.bytes.resize(file.position);  // a seek past the end
  // Overwrite what is there (libtiff patching an offset), append the rest without zero-filling.
  const std::size_t overlap = std::min<std::size_t>(count, file.bytes.size() - file.position);
  std::memcpy(file.bytes.data() + file.position, bytes, overlap);
  file.bytes.insert(file.bytes.end(), bytes + overlap, bytes + count);
  file.position += count;
  return size;
}

toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
  auto& file = *static_cast<MemoryFile*>(handle);
  switch (whence) {
    case SEEK_SET:
      file.position = offset;
      break;
    case SEEK_CUR:
      file.position += offset;
      break;
    case SEEK_END:
      file.position = file.bytes.size() + offset;
      break;
    default:
      return static_cast<toff_t>(-1);
  }
  return file.position;
}

int close_proc(thandle_t) {
  return 0;
}
toff_t size_proc(thandle_t handle) {
  return static_cast<MemoryFile*>(handle)->bytes.size();
}
int map_proc(thandle_t, void**, toff_t*) {
  return 0;
}
void unmap_proc(thandle_t, void*, toff_t) {}

int error_handler(TIFF*, void* user, const char* module, const char* format, va_list args) {
  char message[512];
  std::vsnprintf(message, sizeof message, format, args);
  auto& file = *static_cast<MemoryFile*>(user);
  if (file.error.empty()) file.error = fmt::format("{}: {}", module ? module : "libtiff", message);
  return 1;
}

int warning_handler(TIFF*, void*, const char*, const char*, va_list) {
  return 1;
}

}  // namespace

std::vector<std::uint8_t> encode_tiff(const TiffFrame& frame, TiffCompression compression) {
  const std::size_t row_bytes = std::size_t{frame.width} * frame.channels;
  if (frame.pixels.size() != row_bytes * frame.height) {
    throw std::runtime_error("encode_tiff: pixel buffer does not match the frame size");
  }
  MemoryFile file;
  // Uncompressed: header + pixels + one directory; compressed frames grow from there.
  file.bytes = frame_buffers().take(frame.pixels.size() + 4096 + frame.description.size());
  std::unique_ptr<TIFFOpenOptions, void (*)(TIFFOpenOptions*)> options(TIFFOpenOptionsAlloc(),
                                                                       TIFFOpenOptionsFree);
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), error_handler, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), warning_handler, &file);
  std::unique_ptr<TIFF, void (*)(TIFF*)> tif(
      TIFFClientOpenExt("frame", "w", &file, read_proc, write_proc, seek_proc, close_proc,
                        size_proc, map_proc, unmap_proc, options.get()),
      TIFFClose);
  auto fail = [&](const char* what) {
    throw std::runtime_error(
        fmt::format("libtiff: {}{}{}", what, file.error.empty() ? "" : ": ", file.error));
  };
  if (!tif) fail("cannot open the in-memory file");
  // About 64 KB per strip: small enough for any reader, large enough to cost nothing.
  const std::uint32_t rows_per_strip = std::clamp<std::uint32_t>(
      static_cast<std::uint32_t>((64 << 10) / std::max<std::size_t>(row_bytes, 1)), 1,
      std::max(frame.height, 1u));
  const std::uint16_t codec = compression == TiffCompression::deflate ? COMPRESSION_ADOBE_DEFLATE
                              : compression == TiffCompression::lzw   ? COMPRESSION_LZW
                                                                      : COMPRESSION_NONE;
  TIFF* t = tif.get();
  bool ok = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, frame.width) &&
            TIFFSetField(t, TIFFTAG_IMAGELENGTH, frame.height) &&
            TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8) &&
            TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, frame.channels) &&
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
                         frame.channels == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK) &&
            TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
            TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT) &&
            TIFFSetField(t, TIFFTAG_COMPRESSION, codec) &&
            TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows_per_strip) &&
            TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER) &&
            TIFFSetField(t, TIFFTAG_XRESOLUTION, frame.pixels_per_cm) &&
            TIFFSetField(t, TIFFTAG_YRESOLUTION, frame.pixels_per_cm) &&
            TIFFSetField(t, TIFFTAG_SOFTWARE, "filmwriter") &&
            (frame.description.empty() ||
             TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, frame.description.c_str()));
  if (ok && codec != COMPRESSION_NONE)
    ok = TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
  if (!ok) fail("cannot set the frame's tags");
  const std::uint32_t strips = (frame.height + rows_per_strip - 1) / rows_per_strip;
  std::vector<std::uint8_t> strip;  // the codecs may work in place: give them a copy
  for (std::uint32_t s = 0; s < strips; ++s) {
    const std::uint32_t rows = std::min(rows_per_strip, frame.height - s * rows_per_strip);
    const auto data = frame.pixels.subspan(std::size_t{s} * rows_per_strip * row_bytes,
                                           std::size_t{rows} * row_bytes);
    tmsize_t written;
    if (codec == COMPRESSION_NONE) {
      written = TIFFWriteRawStrip(t, s, const_cast<std::uint8_t*>(data.data()),
                                  static_cast<tmsize_t>(data.size()));
    } else {
      strip.assign(data.begin(), data.end());
      written = TIFFWriteEncodedStrip(t, s, strip.data(), static_cast<tmsize_t>(strip.size()));
    }
    if (written < 0) fail("cannot write a strip");
  }
  if (!TIFFWriteDirectory(t)) fail("cannot write the directory");
  tif.reset();
  if (!file.error.empty()) fail("cannot finish the file");
  return std::move(file.bytes);
}

}  // namespace fw::drivers
