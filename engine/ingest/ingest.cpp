#include "ingest/ingest.hpp"

#include <tiffio.h>
#include <vips/vector.h>  // vips_vector_set_enabled: not in vips8

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/vips_error.hpp"
#include "ingest/jp2_header.hpp"
#include "ingest/jpeg_complaint.hpp"
#include "ingest/jpeg_markers.hpp"
#include "ingest/loading.hpp"
#include "ingest/orientation.hpp"
#include "ingest/png_colour.hpp"
#include "ingest/tiff_pages.hpp"

namespace fw {

namespace ingest_detail {

namespace fs = std::filesystem;
using vips::VError;
using vips::VImage;

void throw_cannot_decode(const std::string& context, const fs::path& file, const VError& error) {
  throw_cannot_decode(context, file, vips_error_message(error));
}

void throw_cannot_decode(const std::string& context, const fs::path& file, std::string reason) {
  const std::string repeated = file.string() + ": ";
  if (reason.starts_with(repeated) && reason.size() > repeated.size()) {
    reason.erase(0, repeated.size());
  }
  throw Error(ErrorKind::input, context + ": cannot decode: " + reason);
}

void check_file(const fs::path& file, const Limits& limits) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    // A symlink loop, a folder without permission on the way: the reason, not "no such file".
    throw Error(ErrorKind::input, file.string() + ": cannot be read: " + ec.message());
  }
  if (!fs::exists(status)) {
    // A scan moved or a share not mounted leaves a link to nothing: say where it points.
    if (std::error_code link_ec; fs::is_symlink(fs::symlink_status(file, link_ec))) {
      const fs::path target = fs::read_symlink(file, link_ec);
      if (!link_ec) {
        throw Error(ErrorKind::input,
                    fmt::format("{}: is a symbolic link to {}, which does not exist", file.string(),
                                target.string()));
      }
    }
    throw Error(ErrorKind::input, file.string() + ": no such file");
  }
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

vips::VOption* load_options() {
  return VImage::option()
      ->set("access", VIPS_ACCESS_SEQUENTIAL)
      ->set("fail_on", VIPS_FAIL_ON_WARNING);
}

// libvips numbers every IFD of a TIFF as a page; a PageRef counts only the IFDs that hold a
// page, not the thumbnails and masks beside them (tiff_pages.hpp).
int tiff_directory(const PageRef& ref) {
  std::shared_ptr<const TiffPages> pages;
  try {
    pages = tiff_pages(ref.file);
  } catch (const Error&) {
    // Damaged since it was counted (or before: the count reads libvips's header first):
    // libvips's own load names the damage as for any other page.
    return static_cast<int>(ref.page_in_file);
  }
  if (ref.page_in_file >= pages->pages.size()) {
    throw Error(ErrorKind::input,
                fmt::format("{} (page {}): the file now has {} page(s); it changed while it was "
                            "read",
                            ref.file, ref.page_in_file + 1, pages->pages.size()));
  }
  return static_cast<int>(pages->pages[ref.page_in_file].directory);
}

// A load operation of this call's own. libvips's C++ calls build through its operation cache,
// which hands a thread an operation another thread is building with the same arguments even
// with the cache's size at 0 (it adds the operation, then trims): two decodes of one file at
// the same time (a colour page's three separations, a file a job lists twice) would then read
// one loader. For JPEG 2000 that is wrong both ways: once its OpenJPEG codec has failed,
// libvips's jp2kload answers every later read with success and pixels it never decoded (a cut
// file "decodes"), and a second decode of a whole file on the same codec fails ("Need to decode
// the main header before begin to decode the remaining codestream"). Measured with four threads
// decoding one cut file: 43 passes in 48,000 decodes; with a file each, none. Built here with
// vips_object_build, as VImage::call does but without the cache lookup.
VImage load_unshared(const char* loader, const char* file, vips::VOption* options) {
  VipsOperation* operation = vips_operation_new(loader);
  if (operation == nullptr) {
    delete options;
    throw VError();
  }
  VImage out;
  options->set("filename", file)->set("out", &out);
  options->set_operation(operation);
  if (vips_object_build(VIPS_OBJECT(operation)) != 0) {
    vips_object_unref_outputs(VIPS_OBJECT(operation));
    g_object_unref(operation);
    delete options;
    throw VError();
  }
  options->get_operation(operation);
  delete options;
  // The output image holds what it needs of the operation.
  g_object_unref(operation);
  return out;
}

VImage load(const PageRef& ref, vips::VOption* options) {
  const char* name = ref.file.c_str();
  const int page = static_cast<int>(ref.page_in_file);
  switch (ref.format) {
    case SourceFormat::tiff: {
      int directory = 0;
      try {
        directory = tiff_directory(ref);
      } catch (...) {
        delete options;
        throw;
      }
      return load_unshared("tiffload", name, options->set("page", directory));
    }
    case SourceFormat::jpeg:
      return load_unshared("jpegload", name, options);
    case SourceFormat::png:
      return load_unshared("pngload", name, options);
    case SourceFormat::jp2:
      return load_unshared("jp2kload", name, options);
    case SourceFormat::pdf:
      return load_unshared("pdfload", name, options->set("page", page));
  }
  delete options;
  throw Error(ErrorKind::internal, "unknown source format");
}

}  // namespace ingest_detail

std::string page_context(const PageRef& ref) {
  return fmt::format("{} (page {})", ref.file, ref.page_in_file + 1);
}

std::string page_failure(const std::string& file, std::uint32_t page, const std::string& reason) {
  if (file.empty() || reason.starts_with(file)) return reason;
  return fmt::format("{} (page {}): {}", file, page, reason);
}

namespace {

namespace fs = std::filesystem;
using vips::VError;
using vips::VImage;
using namespace ingest_detail;

// A resolution outside this range is a placeholder or a mistake, not a scan: 1 px/mm (25.4
// dpi) is what libvips reports when a TIFF or JP2 declares nothing, and no page scanner
// samples below 50 or above 4800 dpi.
constexpr double min_usable_dpi = 50;
constexpr double max_usable_dpi = 4800;
constexpr double mm_per_inch = 25.4;
constexpr double pdf_points_per_inch = 72;

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

// A page's size at its resolution (the header's, or the job's dpi) against the floor of
// limits.min_page_mm.
void check_page_size(const std::string& context, const PageInfo& info, const Limits& limits) {
  if (info.width_mm >= limits.min_page_mm && info.height_mm >= limits.min_page_mm) return;
  throw Error(
      ErrorKind::input,
      fmt::format("{}: the page is {} x {} px, {:.1f} x {:.1f} mm at {:g} dpi{}: smaller "
                  "than any page (at least {:g} mm a side; job key limits.min_page_mm): "
                  "a placeholder or a thumbnail instead of the scan?",
                  context, info.width_px, info.height_px, info.width_mm, info.height_mm, info.dpi,
                  info.dpi_from_job ? " (the job's dpi)" : "", limits.min_page_mm));
}

// What libvips 8.14 reports for a file that declares no resolution (measured, see
// tests/ingest_decode_test.cpp NoResolution*): TIFF and JP2 give xres = yres = 1 px/mm (25.4 dpi);
// JPEG (JFIF units 0, no EXIF) and PNG (no pHYs) give 72 dpi. A TIFF or JPEG that does
// declare one also gets "resolution-unit" ("in" or "cm"); a PNG never does; libvips reads
// no resolution from JP2 at all (probe_page reads its resolution boxes).
bool declares_resolution(const PageRef& ref, const VImage& header) {
  switch (ref.format) {
    case SourceFormat::tiff:
    case SourceFormat::jpeg:
      return header.get_typeof("resolution-unit") != 0;
    case SourceFormat::png:
      return read_png_header_chunks(ref.file).resolution_in_metres;
    case SourceFormat::jp2:
      return false;
    case SourceFormat::pdf:
      return true;
  }
  return false;
}

// Samples whose white the file does not say: floating point (1.0 to one writer, 255 to
// another, and libvips takes a grey float page as 0-255) and 32-bit integers. Filmed as they
// come, a 0-1 float page becomes a black one. CIELAB pages say it (L* 100), in any format.
void check_white_is_defined(const std::string& context, bool floating, int bits,
                            bool colorimetric) {
  if (colorimetric || (!floating && bits <= 16)) return;
  throw Error(ErrorKind::input,
              fmt::format("{}: the page has {}-bit {} samples, whose white the file does not "
                          "define ({}); filmwriter films 1- to 16-bit integer samples: save the "
                          "page with 8 or 16 bits",
                          context, bits, floating ? "floating-point" : "integer",
                          floating ? "1.0 or 255" : "255, 65535 or 4294967295"));
}

bool is_lab(VipsInterpretation interpretation) {
  return interpretation == VIPS_INTERPRETATION_LAB || interpretation == VIPS_INTERPRETATION_LABS ||
         interpretation == VIPS_INTERPRETATION_LABQ;
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

// Scanners and fax make pixels up to about twice as tall as wide (fax's 204 x 98 dpi); a file
// whose resolutions differ more carries a wrong header, and filming it in that proportion
// would stretch the page past reading. Refused with what the file says, before the page
// fails to fit its frame for no visible reason.
constexpr double max_pixel_aspect = 4;

void check_pixel_aspect(const std::string& context, double x_dpi, double y_dpi,
                        const std::string& file_says) {
  const double aspect = std::max(x_dpi, y_dpi) / std::min(x_dpi, y_dpi);
  if (aspect <= max_pixel_aspect) return;  // force_dpi's square pixels included
  throw Error(ErrorKind::input,
              fmt::format("{}: its pixels are {:.3g} times as {} as they are {} ({}); no scanner "
                          "makes pixels past {:g}:1, so the file's resolution is wrong: set dpi "
                          "and force_dpi = true in the job to film square pixels",
                          context, aspect, x_dpi < y_dpi ? "wide" : "tall",
                          x_dpi < y_dpi ? "tall" : "wide", file_says, max_pixel_aspect));
}

// JPEG 2000 colour spaces whose samples libvips 8.14 passes on as RGB without converting them
// (measured: an sYCC page's white paper comes out as Y, Cb, Cr = 255, 128, 128, a pink grey).
const char* unconverted_jp2_colour_space(const Jp2Header& header) {
  if (header.enumerated == 18u) return "sYCC";
  if (header.enumerated == 24u) return "e-sYCC";
  return nullptr;
}

void check_jp2_colour_space(const Jp2Header& header, const std::string& context) {
  if (const char* space = unconverted_jp2_colour_space(header)) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the JPEG 2000 file's colour space is {} (its colr box says "
                            "enumerated colour space {}), which the decoder passes on as if it "
                            "were RGB; the page would be filmed in false tones: save it as sRGB "
                            "or greyscale",
                            context, space, *header.enumerated));
  }
}

// libvips 8.14 reads no ICC profile from a JP2's colour specification box (OpenJPEG gives it
// only after the decode); the page gets it here, and engine/color converts from it.
VImage with_jp2_colours(const VImage& image, const PageRef& ref, const std::string& context) {
  const Jp2Header header = read_jp2_header(ref.file);
  check_jp2_colour_space(header, context);
  if (header.icc.empty() || image.get_typeof(VIPS_META_ICC_NAME) != 0) return image;
  VImage tagged = image.copy();
  vips_image_set_blob_copy(tagged.get_image(), VIPS_META_ICC_NAME, header.icc.data(),
                           header.icc.size());
  return tagged;
}

// A PNG whose gAMA or cHRM chunk says it is not sRGB gets the ICC profile they describe, which
// engine/color then converts from as from an embedded one (libvips 8.14 ignores both chunks).
VImage with_png_colours(const VImage& image, const PageRef& ref, const std::string& context) {
  const int colour_bands = image.bands() - (image.has_alpha() ? 1 : 0);
  const std::optional<std::vector<std::uint8_t>> profile =
      png_implied_profile(ref.file, colour_bands, context);
  if (!profile) return image;
  VImage tagged = image.copy();
  vips_image_set_blob_copy(tagged.get_image(), VIPS_META_ICC_NAME, profile->data(),
                           profile->size());
  return tagged;
}

}  // namespace

void init_vips(const char* argv0, int vips_threads) {
  if (VIPS_INIT(argv0) != 0) {
    throw Error(ErrorKind::internal, std::string("cannot start libvips: ") + vips_error_buffer());
  }
  vips_concurrency_set(std::max(vips_threads, 1));
  keep_vips_warnings();
  // No Orc: libvips compiles some operations (its Lanczos reducev, integer convolutions) into
  // machine code at run time with liborc, whose code-memory allocator crashed a test process
  // here once (SIGSEGV in orc_code_allocate_codemem, under load; libvips's maintainers advise
  // VIPS_NOVECTOR where Orc misbehaves). A job's pages go through filmwriter's own resampler;
  // what still uses those operations (large reductions, verify's thumbnails) measured 0.15 ->
  // 0.20 s for a whole-frame reduction and no difference for a thumbnail.
  vips_vector_set_enabled(FALSE);
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

PageInfo probe_page(const PageRef& ref, const PageSettings& settings, const Limits& limits) {
  const std::string context = page_context(ref);
  check_file(ref.file, limits);
  PageInfo info;
  // The page's resolution as libvips reports it (pixels per mm) and whether the file declares
  // one; its orientation is read after the resolution is judged.
  double x_res = 1, y_res = 1;
  bool declared = false;
  // A resolution without a unit (TIFF ResolutionUnit 1, JFIF density units 0): only the
  // pixels' shape, horizontal and vertical pixels per some length.
  std::optional<std::pair<double, double>> aspect;
  std::string aspect_found;
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
    check_white_is_defined(context, tiff->sample_format == SAMPLEFORMAT_IEEEFP,
                           tiff->bits_per_sample, false);
  } else {
    VImage header;
    const VipsMessageScope messages(context);
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
    const VipsBandFormat format = header.format();
    check_white_is_defined(context,
                           vips_band_format_isfloat(format) || vips_band_format_iscomplex(format),
                           info.bits, is_lab(header.interpretation()));
    if (ref.format == SourceFormat::jp2) {
      // libvips reads no JP2 resolution: the capture resolution box (the scan's), else the
      // display one.
      const Jp2Header jp2 = read_jp2_header(ref.file);
      check_jp2_colour_space(jp2, context);
      if (const std::optional<Jp2Resolution>& res = jp2.capture ? jp2.capture : jp2.display) {
        x_res = res->x_per_mm;
        y_res = res->y_per_mm;
        declared = true;
      }
    }
    if (ref.format == SourceFormat::jpeg) {
      const JpegMarkers jpeg = read_jpeg_markers(ref.file);
      check_jpeg_scans(jpeg, context);
      if (const std::optional<JfifAspect>& density = jpeg.unitless_density) {
        aspect = {density->x_density, density->y_density};
        // 1:1 (every encoder's default) says nothing worth naming.
        if (density->x_density != density->y_density) {
          aspect_found = fmt::format("{} x {} with JFIF density units 0, no unit",
                                     density->x_density, density->y_density);
        }
      }
    }
    if (ref.format == SourceFormat::png) {
      // A gAMA or cHRM chunk no profile can be built from is refused at planning, not on the
      // reel: open_page builds the same profile.
      (void)png_implied_profile(ref.file, header.bands() - (header.has_alpha() ? 1 : 0), context);
    }
  }
  const TiffPageHeader* stored = tiff_file && ref.page_in_file < tiff_file->pages.size()
                                     ? &tiff_file->pages[ref.page_in_file]
                                     : nullptr;
  if (stored && stored->unitless_resolution) {
    aspect = {stored->x_res_per_mm, stored->y_res_per_mm};
    // tiffinfo shows a resolution; without a unit it is only the pixels' aspect.
    aspect_found = fmt::format("{:g} x {:g} with ResolutionUnit 1, no unit", stored->x_res_per_mm,
                               stored->y_res_per_mm);
  }
  check_pixels(context, info.width_px, info.height_px, limits);

  if (ref.format == SourceFormat::pdf) {
    // libvips renders at 72 dpi by default: one pixel per PDF point.
    info.dpi = pdf_points_per_inch;
    info.bands = 3;  // open_page flattens poppler's RGBA onto white
    info.width_mm = info.width_px * mm_per_inch / pdf_points_per_inch;
    info.height_mm = info.height_px * mm_per_inch / pdf_points_per_inch;
    check_page_size(context, info, limits);
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
    if (aspect && !declared && !settings.force_dpi && aspect->first != aspect->second) {
      // Pixels that are not square: the job's dpi is the finer axis's resolution, the other
      // axis's follows the file's aspect, so the page keeps its proportions on film.
      const double finer = std::max(aspect->first, aspect->second);
      x_dpi = *settings.dpi * aspect->first / finer;
      y_dpi = *settings.dpi * aspect->second / finer;
    }
  } else if (settings.force_dpi) {
    throw Error(ErrorKind::job, context + ": force_dpi is set but the job gives no dpi");
  } else {
    std::string found = declared ? describe_dpi(file_x_dpi, file_y_dpi) : "none";
    if (!declared && !aspect_found.empty()) found = aspect_found;
    throw Error(ErrorKind::input, fmt::format("{}: no usable resolution in the file (found {}); "
                                              "set dpi in the job",
                                              context, found));
  }
  check_pixel_aspect(context, x_dpi, y_dpi,
                     declared && !settings.force_dpi ? describe_dpi(x_dpi, y_dpi) : aspect_found);
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
  check_page_size(context, info, limits);
  return info;
}

namespace {

int discard_rows(VipsRegion*, VipsRect*, void*) {
  return 0;
}

}  // namespace

void decode_page_checked(const PageRef& ref, const std::function<void()>& decode) {
  // What libvips raises and warns of from here on, on this thread and its workers, is this
  // page's, whatever other pages fail meanwhile (vips_error.hpp). A caller that turns a VError
  // into its reason holds its own scope around this, so that the record outlives the throw.
  const std::string context = page_context(ref);
  const VipsMessageScope messages(context);
  const std::uint64_t warnings_before = vips_warnings_logged();
  decode();
  // Every image of the load is released, so it closed, on this thread: a warning libvips logged
  // then (libjpeg's about the last rows, which fail_on=warning does not see) is the decode's
  // failure. Only for JPEG: what the other loaders log is not known to be damage.
  if (ref.format != SourceFormat::jpeg || vips_warnings_logged() == warnings_before) return;
  // The warning is left in libvips's shared error buffer, where it would become the first line,
  // the reason, of the next failure of any thread.
  vips_error_clear();
  if (const std::optional<std::string> complaint = libjpeg_complaint(ref.file)) {
    throw Error(ErrorKind::input,
                fmt::format("{}: cannot decode: libjpeg: {}: the file is damaged or cut: rescan "
                            "the page or export it again",
                            context, *complaint));
  }
  // Decoded alone, the file is clean: it changed since the load read it, or what libvips logged
  // was not libjpeg's. Either way a decode that warned is not filmed.
  throw Error(ErrorKind::input,
              fmt::format("{}: cannot decode: libvips logged a warning as the JPEG's load closed, "
                          "which libjpeg does not repeat decoding the file again: did the file "
                          "change while it was read? Check it, then run the job again",
                          context));
}

void decode_in_full(const std::function<VImage()>& open, const PageRef& ref) {
  decode_page_checked(ref, [&] {
    const VImage image = open();
    if (vips_sink_disc(image.get_image(), discard_rows, nullptr) != 0) throw VError();
  });
}

void verify_decodes(const SourcePage& page, const Limits& limits) {
  const std::string context = page_context(page.ref);
  const VipsMessageScope messages(context);
  check_file(page.ref.file, limits);
  try {
    // PDF pages render at 72 dpi, which runs every drawing operator of the page at little cost.
    decode_in_full(
        [&] {
          VImage image = load(page.ref, load_options());
          check_pixels(context, static_cast<std::uint64_t>(image.width()),
                       static_cast<std::uint64_t>(image.height()), limits);
          return image;
        },
        page.ref);
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
  const VipsMessageScope messages(context);
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
    if (page.ref.format == SourceFormat::jpeg) {
      // The file may have been cut since it was planned.
      check_jpeg_scans(read_jpeg_markers(page.ref.file), context);
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
    VImage image = load(page.ref, options);
    check_pixels(context, static_cast<std::uint64_t>(image.width()),
                 static_cast<std::uint64_t>(image.height()), limits);
    if (page.ref.format == SourceFormat::png) image = with_png_colours(image, page.ref, context);
    if (page.ref.format == SourceFormat::jp2) image = with_jp2_colours(image, page.ref, context);
    // The orientation the plan was made with (the page's size in it is the upright one).
    return upright(image, page.info.orientation);
  } catch (const VError& error) {
    throw_cannot_decode(context, page.ref.file, error);
  }
}

}  // namespace fw
