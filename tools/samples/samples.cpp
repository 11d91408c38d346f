// Sample pages (make_page) and how they are saved: encodings, resolution or none, orientation
// tags, multi-page TIFF and PDF.
#include "samples/samples.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "samples/file_edits.hpp"

namespace fw::samples {
namespace {

using vips::VImage;

int to_px(double mm, double dpi) {
  return static_cast<int>(std::lround(mm * dpi / 25.4));
}

double px_per_mm(double dpi) {
  return dpi / 25.4;
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
      edit_file(file, strip_tiff_resolution);
    }
    return;
  }
  switch (encoding) {
    case Encoding::jpeg: {
      pixels.jpegsave(file.c_str(), VImage::option()->set("Q", 90)->set("strip", !with_resolution));
      if (!with_resolution) {
        edit_file(file, strip_jpeg_resolution);
      }
      return;
    }
    case Encoding::png: {
      pixels.pngsave(file.c_str());
      if (!with_resolution) {
        edit_file(file, strip_png_resolution);
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
  edit_file(file, [&](std::string& bytes) { set_tiff_orientations(bytes, orientations); });
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
    edit_file(file, [&](std::string& bytes) {
      if (encoding == Encoding::png) {
        add_png_exif(bytes, orientation, png_exif);
      } else {
        add_jp2_exif(bytes, orientation);
      }
    });
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

}  // namespace fw::samples
