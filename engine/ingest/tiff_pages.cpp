#include "ingest/tiff_pages.hpp"

#include <tiffio.h>

#include <fmt/format.h>

#include <array>
#include <cstdarg>
#include <cstdio>
#include <list>
#include <mutex>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/error.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;

// What libtiff said while reading one directory: its errors (and its warning that the chain
// loops), and the complaint about an orientation tag (an error libtiff recovers from, reading
// the IFD anyway).
struct Complaints {
  std::string error;
  std::string orientation;
};

void note(Complaints& complaints, bool is_error, const char* format, va_list args) {
  std::array<char, 512> text{};
  std::vsnprintf(text.data(), text.size(), format, args);
  const std::string_view message(text.data());
  if (message.find("\"Orientation\"") != std::string_view::npos) {
    if (complaints.orientation.empty()) complaints.orientation = message;
  } else if ((is_error || message.find("loop") != std::string_view::npos) &&
             complaints.error.empty()) {
    // A loop in the chain is only a warning to libtiff, which then ends the chain there.
    complaints.error = message;
  }
}

int on_error(TIFF*, void* data, const char*, const char* format, va_list args) {
  note(*static_cast<Complaints*>(data), true, format, args);
  return 1;  // handled: nothing printed on stderr
}

int on_warning(TIFF*, void* data, const char*, const char* format, va_list args) {
  note(*static_cast<Complaints*>(data), false, format, args);
  return 1;
}

// A reduced-resolution copy of a page (a thumbnail, a pyramid level) or a transparency mask,
// not a page of its own.
bool holds_no_page(TIFF* tiff) {
  std::uint32_t type = 0;
  return TIFFGetField(tiff, TIFFTAG_SUBFILETYPE, &type) &&
         (type & (FILETYPE_REDUCEDIMAGE | FILETYPE_MASK)) != 0;
}

TiffPageHeader read_header(TIFF* tiff, Complaints& complaints) {
  TiffPageHeader page;
  TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &page.width);
  TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &page.height);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &page.samples_per_pixel);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &page.bits_per_sample);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLEFORMAT, &page.sample_format);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_COMPRESSION, &page.compression);
  TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &page.photometric);
  std::uint16_t orientation = 1;
  TIFFGetFieldDefaulted(tiff, TIFFTAG_ORIENTATION, &orientation);
  page.orientation = orientation;
  page.orientation_error = std::move(complaints.orientation);
  // As libvips: both resolutions and a unit (RESOLUTIONUNIT defaults to inches) declare one.
  float x = 0, y = 0;
  std::uint16_t unit = RESUNIT_INCH;
  if (TIFFGetField(tiff, TIFFTAG_XRESOLUTION, &x) && TIFFGetField(tiff, TIFFTAG_YRESOLUTION, &y) &&
      TIFFGetFieldDefaulted(tiff, TIFFTAG_RESOLUTIONUNIT, &unit)) {
    if (unit == RESUNIT_INCH) {
      page.x_res_per_mm = x / 25.4;
      page.y_res_per_mm = y / 25.4;
      page.resolution_unit = "in";
    } else if (unit == RESUNIT_CENTIMETER) {
      page.x_res_per_mm = x / 10.0;
      page.y_res_per_mm = y / 10.0;
      page.resolution_unit = "cm";
    } else {
      page.x_res_per_mm = x;
      page.y_res_per_mm = y;
      page.unitless_resolution = true;
    }
  }
  return page;
}

std::shared_ptr<const TiffPages> walk(const fs::path& file) {
  Complaints complaints;
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  if (!options) throw Error(ErrorKind::internal, file.string() + ": out of memory opening a TIFF");
  TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, &complaints);
  TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, &complaints);
  // "O": strip and tile offsets are read when asked for, which is never here.
  TIFF* tiff = TIFFOpenExt(file.c_str(), "rO", options);
  TIFFOpenOptionsFree(options);
  if (!tiff) {
    throw Error(ErrorKind::input, fmt::format("{}: cannot read the TIFF: {}", file.string(),
                                              complaints.error.empty() ? "libtiff cannot open it"
                                                                       : complaints.error));
  }
  const std::unique_ptr<TIFF, void (*)(TIFF*)> closer(tiff, TIFFClose);
  auto pages = std::make_shared<TiffPages>();
  const auto add = [&] {
    TiffPageHeader page = read_header(tiff, complaints);
    page.directory = pages->directories++;
    if (!holds_no_page(tiff)) pages->pages.push_back(std::move(page));
  };
  add();
  for (;;) {
    complaints.error.clear();
    if (TIFFReadDirectory(tiff) == 1) {
      add();
      continue;
    }
    if (complaints.error.empty()) break;  // the chain's end: the last IFD points nowhere
    const std::size_t good = pages->pages.size();
    const bool loops = complaints.error.find("loop") != std::string::npos;
    throw Error(
        ErrorKind::input,
        fmt::format("{}: the TIFF's chain of pages {} after page {} (libtiff: {}); pages after "
                    "it cannot be found, so the file is refused rather than filmed in part",
                    file.string(), loops ? "loops back" : "is broken", good, complaints.error));
  }
  if (pages->pages.empty()) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the TIFF holds no page, only {} reduced-resolution image(s) or "
                            "mask(s) (NewSubfileType)",
                            file.string(), pages->directories));
  }
  return pages;
}

struct Cached {
  std::string path;
  std::uintmax_t size = 0;
  fs::file_time_type modified;
  std::shared_ptr<const TiffPages> pages;
};

}  // namespace

std::shared_ptr<const TiffPages> tiff_pages(const fs::path& file) {
  // A few files: a job's pages are probed file by file, a multi-page file's pages in a row.
  static std::mutex mutex;
  static std::list<Cached> cache;
  constexpr std::size_t kFiles = 8;
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  const fs::file_time_type modified = fs::last_write_time(file, ec);
  {
    const std::lock_guard lock(mutex);
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->path == file.string() && it->size == size && it->modified == modified) {
        cache.splice(cache.begin(), cache, it);
        return it->pages;
      }
    }
  }
  std::shared_ptr<const TiffPages> pages = walk(file);
  const std::lock_guard lock(mutex);
  cache.push_front({file.string(), size, modified, pages});
  if (cache.size() > kFiles) cache.pop_back();
  return pages;
}

}  // namespace fw
