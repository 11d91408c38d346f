#include "ingest/ingest.hpp"

#include <glob.h>
#include <tiffio.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "core/vips_error.hpp"
#include "ingest/orientation.hpp"
#include "ingest/tiff_pages.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using vips::VError;
using vips::VImage;

// A resolution outside this range is a placeholder or a mistake, not a scan: 1 px/mm (25.4
// dpi) is what libvips reports when a TIFF or JP2 declares nothing, and no page scanner
// samples below 50 or above 4800 dpi.
constexpr double min_usable_dpi = 50;
constexpr double max_usable_dpi = 4800;
constexpr double mm_per_inch = 25.4;
constexpr double pdf_points_per_inch = 72;

std::string page_context(const PageRef& ref) {
  return fmt::format("{} (page {})", ref.file, ref.page_in_file + 1);
}

// Some loaders start their message with the file name, which the context already gives.
[[noreturn]] void throw_cannot_decode(const std::string& context, const fs::path& file,
                                      const VError& error) {
  std::string reason = vips_error_message(error);
  const std::string repeated = file.string() + ": ";
  if (reason.starts_with(repeated) && reason.size() > repeated.size()) {
    reason.erase(0, repeated.size());
  }
  throw Error(ErrorKind::input, context + ": cannot decode: " + reason);
}

// Checks that `file` is a readable regular file within the size limit, before any decoder
// sees it.
void check_file(const fs::path& file, const Limits& limits) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    // A symlink loop, a folder without permission on the way: the reason, not "no such file".
    throw Error(ErrorKind::input, file.string() + ": cannot be read: " + ec.message());
  }
  if (!fs::exists(status)) throw Error(ErrorKind::input, file.string() + ": no such file");
  if (fs::is_directory(status)) {
    throw Error(ErrorKind::input, file.string() + ": is a folder, not a page file");
  }
  if (!fs::is_regular_file(status)) {
    throw Error(ErrorKind::input, file.string() + ": is not a regular file");
  }
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) throw Error(ErrorKind::input, file.string() + ": cannot read its size: " + ec.message());
  if (size == 0) throw Error(ErrorKind::input, file.string() + ": the file is empty");
  if (size > limits.max_file_bytes) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the file is {} bytes, more than the limit of {} bytes "
                            "(job key limits.max_file_mb)",
                            file.string(), size, limits.max_file_bytes));
  }
}

// A name for a few common formats filmwriter does not read, for the error message.
const char* unsupported_type_name(std::string_view head) {
  using namespace std::string_view_literals;
  if (head.starts_with("GIF8"sv)) return "GIF";
  if (head.starts_with("BM"sv)) return "BMP";
  if (head.size() >= 12 && head.starts_with("RIFF"sv) && head.substr(8, 4) == "WEBP"sv) {
    return "WebP";
  }
  if (head.size() >= 12 && head.substr(4, 4) == "ftyp"sv) return "HEIF/AVIF";
  if (head.size() >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '7' &&
      std::isspace(static_cast<unsigned char>(head[2]))) {
    return "PNM";
  }
  if (head.starts_with("<?xml"sv) || head.starts_with("<svg"sv)) return "XML/SVG";
  return "not TIFF, JPEG, PNG, JPEG 2000 or PDF";
}

// Identifies the file by its first bytes, never by its name: a renamed GIF must not reach a
// decoder. Only the five formats filmwriter supports pass; a few common others are named in
// the message so the operator knows what was found.
SourceFormat sniff_format(const fs::path& file) {
  std::array<char, 16> buffer{};
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, file.string() + ": cannot open the file");
  in.read(buffer.data(), buffer.size());
  const std::string_view head(buffer.data(), static_cast<std::size_t>(in.gcount()));

  using namespace std::string_view_literals;
  if (head.starts_with("II*\0"sv) || head.starts_with("MM\0*"sv) || head.starts_with("II+\0"sv) ||
      head.starts_with("MM\0+"sv)) {
    return SourceFormat::tiff;
  }
  if (head.starts_with("\xFF\xD8\xFF"sv)) return SourceFormat::jpeg;
  if (head.starts_with("\x89PNG\r\n\x1A\n"sv)) return SourceFormat::png;
  if (head.starts_with("\0\0\0\x0CjP  \r\n\x87\n"sv) || head.starts_with("\xFF\x4F\xFF\x51"sv)) {
    return SourceFormat::jp2;
  }
  if (head.starts_with("%PDF-"sv)) return SourceFormat::pdf;

  throw Error(ErrorKind::input,
              fmt::format("{}: unsupported file type ({}); filmwriter reads TIFF, JPEG, PNG, "
                          "JPEG 2000 and PDF",
                          file.string(), unsupported_type_name(head)));
}

// Options shared by every load: read once top to bottom (what the pipeline does, and it lets
// libvips stream instead of buffering the page), and treat any decoder warning as an error so
// that a damaged file never becomes a half-grey frame.
vips::VOption* load_options() {
  return VImage::option()
      ->set("access", VIPS_ACCESS_SEQUENTIAL)
      ->set("fail_on", VIPS_FAIL_ON_WARNING);
}

// Always the loader for the sniffed format, never libvips's own choice (which would consider
// every loader it has, including ones we block).
VImage load(const PageRef& ref, vips::VOption* options) {
  const char* name = ref.file.c_str();
  const int page = static_cast<int>(ref.page_in_file);
  switch (ref.format) {
    case SourceFormat::tiff:
      return VImage::tiffload(name, options->set("page", page));
    case SourceFormat::jpeg:
      return VImage::jpegload(name, options);
    case SourceFormat::png:
      return VImage::pngload(name, options);
    case SourceFormat::jp2:
      return VImage::jp2kload(name, options);
    case SourceFormat::pdf:
      return VImage::pdfload(name, options->set("page", page));
  }
  delete options;
  throw Error(ErrorKind::internal, "unknown source format");
}

// libvips's own count ("n-pages" as the loader set it: vips_image_get_n_pages() answers 1
// from 10,000 pages on).
std::uint32_t vips_page_count(const fs::path& file, SourceFormat format) {
  try {
    const VImage header = load(PageRef{file.string(), 0, 1, format}, load_options());
    int pages = 1;
    if (header.get_typeof(VIPS_META_N_PAGES) != 0 &&
        vips_image_get_int(header.get_image(), VIPS_META_N_PAGES, &pages) != 0) {
      vips_error_clear();
      pages = 1;
    }
    return static_cast<std::uint32_t>(std::max(pages, 1));
  } catch (const VError& error) {
    throw_cannot_decode(file.string(), file, error);
  }
}

// A TIFF's pages are counted by libtiff walking the whole chain (a broken chain is an error,
// not a shorter file) and cross-checked against what libvips opens; a PDF's by poppler,
// through libvips.
std::uint32_t count_pages(const fs::path& file, SourceFormat format) {
  if (format != SourceFormat::tiff && format != SourceFormat::pdf) return 1;
  const std::uint32_t vips_pages = vips_page_count(file, format);
  if (format == SourceFormat::pdf) return vips_pages;
  const auto pages = static_cast<std::uint32_t>(tiff_pages(file)->pages.size());
  if (pages != vips_pages) {
    throw Error(ErrorKind::input,
                fmt::format("{}: libtiff finds {} pages in the TIFF but libvips {}; the file's "
                            "chain of pages is damaged",
                            file.string(), pages, vips_pages));
  }
  return pages;
}

// Every page of one file, or the pages in [first, last] (1-based, last 0 = to the end).
void append_pages(const fs::path& file, const Limits& limits, std::uint32_t first,
                  std::uint32_t last, std::vector<PageRef>& out,
                  std::optional<SourceFormat> expected = std::nullopt) {
  check_file(file, limits);
  const SourceFormat format = sniff_format(file);
  if (expected && format != *expected) {
    throw Error(ErrorKind::input, fmt::format("{}: expected a {} file, found {}", file.string(),
                                              format_name(*expected), format_name(format)));
  }
  const std::uint32_t pages = count_pages(file, format);
  const std::uint32_t end = last == 0 ? pages : last;
  const std::string range =
      last == 0 ? fmt::format("{}-end", first) : fmt::format("{}-{}", first, last);
  if (first > pages || end > pages) {
    throw Error(ErrorKind::input, fmt::format("{}: page range {} but the file has {} page{}",
                                              file.string(), range, pages, pages == 1 ? "" : "s"));
  }
  if (first < 1 || end < first) {
    throw Error(ErrorKind::input, fmt::format("{}: page range {} is empty", file.string(), range));
  }
  for (std::uint32_t page = first; page <= end; ++page) {
    out.push_back(PageRef{file.string(), page - 1, pages, format});
  }
}

std::vector<fs::path> files_in_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::exists(folder, ec)) throw Error(ErrorKind::input, folder.string() + ": no such folder");
  if (!fs::is_directory(folder, ec)) {
    throw Error(ErrorKind::input, folder.string() + ": is not a folder");
  }
  std::vector<fs::path> files;
  fs::directory_iterator it(folder, ec);
  if (ec) throw Error(ErrorKind::input, folder.string() + ": cannot list: " + ec.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    // Subfolders are not pages (one-line mode makes each subfolder a document of its own);
    // hidden files and the OS's own are scanner and OS droppings (.DS_Store, ._p1.tif,
    // Thumbs.db).
    if (name.empty() || is_os_junk(name) || entry.is_directory(ec)) continue;
    files.push_back(entry.path());
  }
  if (files.empty()) {
    throw Error(ErrorKind::input,
                folder.string() + ": no page files in the folder (subfolders are not read)");
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.filename().string(), b.filename().string());
  });
  return files;
}

std::vector<fs::path> files_matching(const fs::path& pattern) {
  glob_t matches{};
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &matches);
  std::vector<fs::path> files;
  if (rc == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      fs::path file(matches.gl_pathv[i]);
      if (!is_os_junk(file.filename().string())) files.push_back(std::move(file));
    }
  }
  globfree(&matches);
  if (rc == GLOB_NOMATCH || (rc == 0 && files.empty())) {
    throw Error(ErrorKind::input, pattern.string() + ": no files match the pattern");
  }
  if (rc != 0) throw Error(ErrorKind::input, pattern.string() + ": cannot read the folders");
  // Natural order of the whole path, so that a pattern across folders keeps folder order.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.string(), b.string());
  });
  return files;
}

int bits_of(VipsBandFormat format) {
  switch (format) {
    case VIPS_FORMAT_UCHAR:
    case VIPS_FORMAT_CHAR:
      return 8;
    case VIPS_FORMAT_USHORT:
    case VIPS_FORMAT_SHORT:
      return 16;
    case VIPS_FORMAT_UINT:
    case VIPS_FORMAT_INT:
    case VIPS_FORMAT_FLOAT:
    case VIPS_FORMAT_COMPLEX:
      return 32;
    default:
      return 64;
  }
}

void check_pixels(const std::string& context, std::uint64_t width, std::uint64_t height,
                  const Limits& limits) {
  if (width * height > limits.max_page_pixels) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the page is {} x {} = {} pixels, more than the limit of {} "
                            "(job key limits.max_page_pixels)",
                            context, width, height, width * height, limits.max_page_pixels));
  }
}

// Whether a PNG has a pHYs chunk in metres. libvips reports 72 dpi for a PNG without one and
// no "resolution-unit" either way, so only the file itself can tell.
bool png_declares_resolution(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(8);  // signature
  std::array<unsigned char, 8> chunk{};
  while (in.read(reinterpret_cast<char*>(chunk.data()), chunk.size())) {
    const std::uint32_t length = (std::uint32_t{chunk[0]} << 24) | (std::uint32_t{chunk[1]} << 16) |
                                 (std::uint32_t{chunk[2]} << 8) | chunk[3];
    const std::string_view type(reinterpret_cast<const char*>(chunk.data()) + 4, 4);
    if (type == "IDAT" || type == "IEND") return false;  // pHYs must come before IDAT
    if (type == "pHYs" && length == 9) {
      std::array<char, 9> data{};
      in.read(data.data(), data.size());
      return in && data[8] == 1;  // unit specifier 1: metre
    }
    in.seekg(static_cast<std::streamoff>(length) + 4, std::ios::cur);  // data and CRC
  }
  return false;
}

// What libvips 8.14 reports for a file that declares no resolution (measured, see
// tests/ingest_test.cpp NoResolution*): TIFF and JP2 give xres = yres = 1 px/mm (25.4 dpi);
// JPEG (JFIF units 0, no EXIF) and PNG (no pHYs) give 72 dpi. A TIFF or JPEG that does
// declare one also gets "resolution-unit" ("in" or "cm"); a PNG never does; libvips reads
// no resolution from JP2 at all.
bool declares_resolution(const PageRef& ref, const VImage& header) {
  switch (ref.format) {
    case SourceFormat::tiff:
    case SourceFormat::jpeg:
      return header.get_typeof("resolution-unit") != 0;
    case SourceFormat::png:
      return png_declares_resolution(ref.file);
    case SourceFormat::jp2:
      return false;
    case SourceFormat::pdf:
      return true;
  }
  return false;
}

bool usable(double dpi) {
  return dpi >= min_usable_dpi && dpi <= max_usable_dpi;
}

// Formats store resolution in other units and as integers or rationals (PNG: pixels per
// metre), so a declared 300 dpi can come back as 299.9994. A hundredth of a dpi recovers the
// declared value and changes no page size measurably.
double tidy_dpi(double dpi) {
  return std::round(dpi * 100) / 100;
}

std::string describe_dpi(double x_dpi, double y_dpi) {
  if (x_dpi == y_dpi) return fmt::format("{:g} dpi", x_dpi);
  return fmt::format("{:g} x {:g} dpi", x_dpi, y_dpi);
}

}  // namespace

void init_vips(const char* argv0, int vips_threads) {
  if (VIPS_INIT(argv0) != 0) {
    throw Error(ErrorKind::internal, std::string("cannot start libvips: ") + vips_error_buffer());
  }
  vips_concurrency_set(std::max(vips_threads, 1));
  keep_vips_warnings();
  // Every loader is blocked, then exactly the supported ones are let back in. Most libvips
  // loaders (ImageMagick, SVG, FITS, matrix, CSV ...) are large attack surfaces we never need;
  // libvips flags jp2k and pdf "untrusted" too, so blocking only untrusted ones would lose
  // formats we need. Sniffing in expand_pages is the first line of defence, this the second.
  vips_operation_block_set("VipsForeignLoad", TRUE);
  for (const char* supported : {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadTiff",
                                "VipsForeignLoadJp2k", "VipsForeignLoadPdf"}) {
    vips_operation_block_set(supported, FALSE);
  }
  // No operation cache: the pipeline opens each page once, so cached loads would only keep
  // file handles and decoded pixels of finished pages alive (memory growing with the job,
  // not with frames in flight), and the cache keys loads by file name, so a page rescanned
  // in place between runs in one process could be served stale.
  vips_cache_set_max(0);
  vips_cache_set_max_files(0);
}

const char* to_string(SourceFormat format) {
  switch (format) {
    case SourceFormat::tiff:
      return "tiff";
    case SourceFormat::jpeg:
      return "jpeg";
    case SourceFormat::png:
      return "png";
    case SourceFormat::jp2:
      return "jp2";
    case SourceFormat::pdf:
      return "pdf";
  }
  return "?";
}

const char* format_name(SourceFormat format) {
  switch (format) {
    case SourceFormat::tiff:
      return "TIFF";
    case SourceFormat::jpeg:
      return "JPEG";
    case SourceFormat::png:
      return "PNG";
    case SourceFormat::jp2:
      return "JPEG 2000";
    case SourceFormat::pdf:
      return "PDF";
  }
  return "?";
}

ExpandedPages expand_pages_keep_going(const PageSource& source, const Limits& limits) {
  ExpandedPages out;
  auto one_path = [&]() -> fs::path {
    if (source.paths.size() != 1) {
      throw Error(ErrorKind::internal,
                  fmt::format("page source needs exactly one path, got {}", source.paths.size()));
    }
    return source.paths.front();
  };
  // A bad file stands where its pages would: one page, after every page and bad file before.
  auto add = [&](const fs::path& file) {
    try {
      append_pages(file, limits, 1, 0, out.pages);
    } catch (const Error& error) {
      out.failures.push_back({out.pages.size() + out.failures.size(), file.string(), error});
    }
  };
  switch (source.kind) {
    case PageSource::Kind::directory:
      for (const auto& file : files_in_folder(one_path())) add(file);
      break;
    case PageSource::Kind::glob:
      for (const auto& file : files_matching(one_path())) add(file);
      break;
    case PageSource::Kind::list:
      if (source.paths.empty()) throw Error(ErrorKind::input, "the page list is empty");
      for (const auto& file : source.paths) add(file);
      break;
    case PageSource::Kind::tiff:
    case PageSource::Kind::pdf:
      append_pages(one_path(), limits, source.first_page, source.last_page, out.pages,
                   source.kind == PageSource::Kind::tiff ? SourceFormat::tiff : SourceFormat::pdf);
      break;
  }
  return out;
}

std::vector<PageRef> expand_pages(const PageSource& source, const Limits& limits) {
  ExpandedPages expanded = expand_pages_keep_going(source, limits);
  if (!expanded.failures.empty()) {
    std::vector<Error> errors;
    for (const FileFailure& failure : expanded.failures) errors.push_back(failure.error);
    throw join_errors(errors, "files cannot be read as pages");
  }
  return std::move(expanded.pages);
}

Error join_errors(const std::vector<Error>& errors, const std::string& what) {
  if (errors.empty()) throw Error(ErrorKind::internal, "join_errors: no errors");
  if (errors.size() == 1) return errors.front();
  std::string message = fmt::format("{} {}:", errors.size(), what);
  for (const Error& error : errors) message += fmt::format("\n  {}", error.what());
  return Error(errors.front().kind(), message);
}

PageInfo probe_page(const PageRef& ref, const PageSettings& settings, const Limits& limits) {
  const std::string context = page_context(ref);
  check_file(ref.file, limits);
  PageInfo info;
  // The page's resolution as libvips reports it (pixels per mm) and whether the file declares
  // one; its orientation is read after the resolution is judged.
  double x_res = 1, y_res = 1;
  bool declared = false;
  std::function<std::uint32_t()> orientation;
  const TiffPageHeader* tiff = nullptr;
  std::shared_ptr<const TiffPages> tiff_file;
  if (ref.format == SourceFormat::tiff) {
    tiff_file = tiff_pages(ref.file);
    if (ref.page_in_file < tiff_file->pages.size()) {
      tiff = &tiff_file->pages[ref.page_in_file];
      // libvips gives plain grey and RGB pages their samples as bands; anything else (palette,
      // CMYK, YCbCr, LAB, odd sample sizes) goes through libvips's header below.
      const bool plain = tiff->photometric == PHOTOMETRIC_MINISBLACK ||
                         tiff->photometric == PHOTOMETRIC_MINISWHITE ||
                         tiff->photometric == PHOTOMETRIC_RGB;
      const std::uint16_t bps = tiff->bits_per_sample;
      if (!plain || !(bps == 1 || bps == 2 || bps == 4 || bps == 8 || bps == 16 || bps == 32)) {
        tiff = nullptr;
      }
    }
  }
  if (tiff) {
    // libtiff's one walk along the file (tiff_pages.hpp): opening page k through libvips
    // walks k directories again, O(n²) for a file of n pages.
    info.width_px = tiff->width;
    info.height_px = tiff->height;
    info.bands = tiff->samples_per_pixel;
    info.bits = std::max<int>(8, tiff->bits_per_sample);
    x_res = tiff->x_res_per_mm;
    y_res = tiff->y_res_per_mm;
    declared = !tiff->resolution_unit.empty();
    orientation = [&] { return tiff_orientation(ref, context); };
  } else {
    VImage header;
    try {
      // Lazy: libvips reads the header now and pixels only when asked.
      header = load(ref, load_options());
    } catch (const VError& error) {
      throw_cannot_decode(context, ref.file, error);
    }
    info.width_px = static_cast<std::uint32_t>(header.width());
    info.height_px = static_cast<std::uint32_t>(header.height());
    info.bands = header.bands();
    info.bits = bits_of(header.format());
    x_res = header.xres();
    y_res = header.yres();
    declared = declares_resolution(ref, header);
    orientation = [&ref, header, &context] { return read_orientation(ref, header, context); };
  }
  check_pixels(context, info.width_px, info.height_px, limits);

  if (ref.format == SourceFormat::pdf) {
    // libvips renders at 72 dpi by default: one pixel per PDF point.
    info.dpi = pdf_points_per_inch;
    info.bands = 3;  // open_page flattens poppler's RGBA onto white
    info.width_mm = info.width_px * mm_per_inch / pdf_points_per_inch;
    info.height_mm = info.height_px * mm_per_inch / pdf_points_per_inch;
    return info;
  }

  const double file_x_dpi = tidy_dpi(x_res * mm_per_inch);
  const double file_y_dpi = tidy_dpi(y_res * mm_per_inch);
  double x_dpi = 0;
  double y_dpi = 0;
  if (!settings.force_dpi && declared && usable(file_x_dpi) && usable(file_y_dpi)) {
    x_dpi = file_x_dpi;
    y_dpi = file_y_dpi;
  } else if (settings.dpi) {
    x_dpi = y_dpi = *settings.dpi;
    info.dpi_from_job = true;
  } else if (settings.force_dpi) {
    throw Error(ErrorKind::job, context + ": force_dpi is set but the job gives no dpi");
  } else {
    const std::string found = declared ? describe_dpi(file_x_dpi, file_y_dpi) : "none";
    throw Error(ErrorKind::input, fmt::format("{}: no usable resolution in the file (found {}); "
                                              "set dpi in the job",
                                              context, found));
  }
  info.dpi = x_dpi;
  info.width_mm = info.width_px * mm_per_inch / x_dpi;
  info.height_mm = info.height_px * mm_per_inch / y_dpi;
  info.orientation = orientation();
  if (swaps_axes(info.orientation)) {
    // Stored on its side: the stored rows run down the upright page, and with them the
    // stored vertical resolution becomes the horizontal one.
    std::swap(info.width_px, info.height_px);
    std::swap(info.width_mm, info.height_mm);
    info.dpi = y_dpi;
  }
  return info;
}

void verify_decodes(const SourcePage& page, const Limits& limits) {
  const std::string context = page_context(page.ref);
  check_file(page.ref.file, limits);
  try {
    // avg() pulls every pixel through the decoder; PDF pages render at 72 dpi, which runs
    // every drawing operator of the page at little cost.
    const VImage image = load(page.ref, load_options());
    check_pixels(context, static_cast<std::uint64_t>(image.width()),
                 static_cast<std::uint64_t>(image.height()), limits);
    (void)image.avg();
  } catch (const VError& error) {
    throw_cannot_decode(context, page.ref.file, error);
  }
}

VImage open_page(const SourcePage& page, double scale, const Limits& limits) {
  const std::string context = page_context(page.ref);
  if (!(scale > 0) || !std::isfinite(scale)) {
    throw Error(ErrorKind::internal,
                fmt::format("{}: open_page scale must be > 0, got {}", context, scale));
  }
  check_file(page.ref.file, limits);
  try {
    if (page.ref.format == SourceFormat::pdf) {
      // Rendering at the frame's resolution gives sharp text; rendering at 72 dpi and scaling
      // up would not. The page limit applies to the rendered size.
      check_pixels(context, static_cast<std::uint64_t>(std::ceil(page.info.width_px * scale)),
                   static_cast<std::uint64_t>(std::ceil(page.info.height_px * scale)), limits);
      const VImage rendered =
          load(page.ref, load_options()->set("dpi", pdf_points_per_inch * scale));
      const VImage flat =
          rendered.flatten(VImage::option()->set("background", std::vector<double>{255}));
      return flat.cast(VIPS_FORMAT_UCHAR)
          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
    }
    vips::VOption* options = load_options();
    if (page.ref.format == SourceFormat::jpeg) {
      // libjpeg can decode at 1/2, 1/4 or 1/8 size almost for free; only when the frame needs
      // no more than that, so the raster stage still only ever scales down from here.
      for (int shrink : {8, 4, 2}) {
        if (scale * shrink <= 1.0) {
          options->set("shrink", shrink);
          break;
        }
      }
    }
    const VImage image = load(page.ref, options);
    check_pixels(context, static_cast<std::uint64_t>(image.width()),
                 static_cast<std::uint64_t>(image.height()), limits);
    // The orientation the plan was made with (the page's size in it is the upright one).
    return upright(image, page.info.orientation);
  } catch (const VError& error) {
    throw_cannot_decode(context, page.ref.file, error);
  }
}

void list_masters(const Job& job, std::vector<DocumentPages>& documents) {
  for (DocumentPages& pages : documents) {
    pages.masters.clear();
    if (pages.skipped || !data_frames_for(job, job.documents.at(pages.document))) continue;
    for (const SourcePage& page : pages.pages) {
      const std::string& file = page.ref.file;
      if (!pages.masters.empty() && pages.masters.back().path == file) continue;
      if (std::any_of(pages.masters.begin(), pages.masters.end(),
                      [&](const MasterFile& m) { return m.path == file; })) {
        continue;
      }
      std::error_code ec;
      const auto size = fs::file_size(file, ec);
      if (ec) {
        throw Error(
            ErrorKind::input,
            fmt::format("{}: data frames: cannot read the file's size: {}", file, ec.message()));
      }
      const fs::path relative = fs::path(file).lexically_relative(job.base_dir);
      const bool inside =
          !job.base_dir.empty() && !relative.empty() && *relative.begin() != fs::path("..");
      const std::string name =
          inside ? relative.generic_string() : fs::path(file).filename().generic_string();
      pages.masters.push_back({file, name, static_cast<std::uint64_t>(size)});
    }
  }
}

}  // namespace fw
