#include "raster/raster.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/buffer_pool.hpp"
#include "color/page_icc.hpp"
#include "core/error.hpp"
#include "core/vips_error.hpp"
#include "raster/resample.hpp"

namespace fw {
namespace {

// White paper in the image's own sample range: 16-bit scans are 0..65535.
double white_level(const vips::VImage& image) {
  return image.format() == VIPS_FORMAT_USHORT ? 65535.0 : 255.0;
}

// In-memory and some decoded images carry a generic interpretation (multiband); the
// colourspace conversions need to know what the bands mean.
vips::VImage with_sane_interpretation(const vips::VImage& image) {
  const VipsInterpretation guessed = image.guess_interpretation();
  if (guessed == image.interpretation()) return image;
  return image.copy(vips::VImage::option()->set("interpretation", guessed));
}

vips::VImage flatten_on_white(const vips::VImage& image) {
  if (!image.has_alpha()) return image;
  const double white = white_level(image);
  // flatten computes in float; the colourspace step below wants the original sample format.
  return image
      .flatten(vips::VImage::option()
                   ->set("background", std::vector<double>{white})
                   ->set("max_alpha", white))
      .cast(image.format())
      .copy(vips::VImage::option()->set("interpretation", image.interpretation()));
}

// Whatever colourspace left behind (16-bit data labelled as 8-bit, say), as 8-bit samples.
vips::VImage to_uchar(const vips::VImage& image) {
  if (image.format() == VIPS_FORMAT_UCHAR) return image;
  if (image.format() == VIPS_FORMAT_USHORT) {
    return (image / 257.0).round(VIPS_OPERATION_ROUND_RINT).cast(VIPS_FORMAT_UCHAR);
  }
  return image.cast(VIPS_FORMAT_UCHAR);
}

vips::VImage rotated(const vips::VImage& image, int degrees) {
  switch (degrees) {
    case 0:
      return image;
    // open_page() decodes sequentially, top to bottom; a rotation reads the page in another
    // order, so the page is decoded into memory first (one page, bounded by the job's limits).
    case 90:
      return image.copy_memory().rot(VIPS_ANGLE_D90);
    case 180:
      return image.copy_memory().rot(VIPS_ANGLE_D180);
    case 270:
      return image.copy_memory().rot(VIPS_ANGLE_D270);
  }
  throw Error(ErrorKind::internal, fmt::format("rotate {} is not 0, 90, 180 or 270", degrees));
}

// A section of an oversize page (oversize = "split"): its part of the upright page, whatever the
// page's resolution (a PDF page comes rendered at the frame's).
vips::VImage cropped(const vips::VImage& image, const Placement& placement) {
  if (!placement.cropped()) return image;
  const auto at = [](double fraction, int size) {
    return std::clamp(static_cast<int>(std::lround(fraction * size)), 0, size);
  };
  const int left = at(placement.crop_left, image.width());
  const int top = at(placement.crop_top, image.height());
  const int right = std::max(left + 1, at(placement.crop_right, image.width()));
  const int bottom = std::max(top + 1, at(placement.crop_bottom, image.height()));
  if (right > image.width() || bottom > image.height()) {
    throw Error(ErrorKind::internal, "a section lies outside its page");
  }
  return image.extract_area(left, top, right - left, bottom - top);
}

vips::VImage thresholded(const vips::VImage& grey, int threshold) {
  // Relational operators give 255 where true and 0 where false: bitonal code values.
  return grey > threshold;
}

// Large reductions (a 600 dpi scan on 16 mm at 48x, say) stay with libvips: it shrinks on
// load and box-filters before its Lanczos reduce. Everything else goes through
// resample straight into the frame.
vips::VImage reduced_by_libvips(const vips::VImage& image, std::uint32_t width,
                                std::uint32_t height) {
  if (resample_supported(static_cast<std::uint32_t>(image.width()),
                         static_cast<std::uint32_t>(image.height()), width, height)) {
    return image;
  }
  return image.resize(static_cast<double>(width) / image.width(),
                      vips::VImage::option()
                          ->set("vscale", static_cast<double>(height) / image.height())
                          ->set("kernel", VIPS_KERNEL_LANCZOS3));
}

// The code values written for each resampled sample: bitonal pages are resampled in grey and
// thresholded afterwards (thresholding first would turn the filter's edges into grey again),
// and a positive inverts. A negative records the page as it looks: white paper (255) becomes
// full exposure.
ToneTable tone_table(const RasterSettings& settings) {
  ToneTable tone{};
  for (int v = 0; v < 256; ++v) {
    int out = v;
    if (settings.mode == ImageMode::bitonal) out = v > settings.threshold ? 255 : 0;
    if (settings.polarity == Polarity::positive) out = 255 - out;
    tone[static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(out);
  }
  return tone;
}

// The page's pixels computed into `memory`, in this thread, in strips from the top (the order
// a sequentially read file wants). page.write() would run the same pipeline on libvips's
// worker thread and wait for each strip: some 1,300 context switches a frame, which on the
// reference VM cost more than resampling (bench/README.md).
void compute_into(const vips::VImage& page, std::vector<std::uint8_t>& memory) {
  constexpr int kStripRows = 128;
  vips::VImage target = vips::VImage::new_from_memory(
      memory.data(), memory.size(), page.width(), page.height(), page.bands(), VIPS_FORMAT_UCHAR);
  const auto unref = [](VipsRegion* region) { g_object_unref(region); };
  const std::unique_ptr<VipsRegion, decltype(unref)> source(vips_region_new(page.get_image()),
                                                            unref);
  const std::unique_ptr<VipsRegion, decltype(unref)> dest(vips_region_new(target.get_image()),
                                                          unref);
  VipsRect whole{0, 0, page.width(), page.height()};
  if (vips_region_image(dest.get(), &whole) != 0) throw vips::VError();
  for (int top = 0; top < page.height(); top += kStripRows) {
    VipsRect strip{0, top, page.width(), std::min(kStripRows, page.height() - top)};
    if (vips_region_prepare_to(source.get(), dest.get(), &strip, 0, top) != 0) {
      throw vips::VError();
    }
  }
}

// Sets every byte of `frame` outside `window` to 0 (unexposed film).
void clear_around(FrameImage& frame, const PixelWindow& window) {
  std::uint8_t* const begin = frame.pixels.data();
  std::uint8_t* const end = begin + frame.pixels.size();
  const std::size_t row_bytes = std::size_t{window.width} * frame.channels;
  std::uint8_t* cleared = begin;  // everything before this is done
  for (std::uint32_t y = 0; y < window.height; ++y) {
    std::uint8_t* const row = window.data + y * window.stride;
    std::fill(cleared, row, std::uint8_t{0});
    cleared = row + row_bytes;
  }
  std::fill(cleared, end, std::uint8_t{0});
}

// Places the page in a frame of unexposed film (0): resampled to the page box when its size
// differs by more than a pixel, copied (trimmed or edge-extended) otherwise. PDF pages come
// rasterised at frame resolution: resampling by a factor of 1.0003 would only blur.
FrameImage place_in_frame(const vips::VImage& page, const Placement& placement,
                          const ToneTable& tone) {
  PixelView in;
  in.width = static_cast<std::uint32_t>(page.width());
  in.height = static_cast<std::uint32_t>(page.height());
  in.channels = static_cast<std::uint32_t>(page.bands());
  in.stride = std::size_t{in.width} * in.channels;
  if (page.format() != VIPS_FORMAT_UCHAR) {
    throw Error(ErrorKind::internal, fmt::format("page to place is not 8-bit (libvips format {})",
                                                 static_cast<int>(page.format())));
  }
  // The decoded page goes into a pooled buffer (base/buffer_pool.hpp): libvips writes into
  // memory it does not own, and the next page reuses it.
  std::vector<std::uint8_t> decoded = frame_buffers().take_unset(in.stride * in.height);
  compute_into(page, decoded);
  in.data = decoded.data();

  FrameImage frame;
  frame.width = placement.frame_width_px;
  frame.height = placement.frame_height_px;
  frame.channels = in.channels;
  const std::size_t frame_bytes = std::size_t{frame.width} * frame.height * frame.channels;
  // The page fills its window (resampled or copied, below); only the film around it is
  // cleared to unexposed (0), or the buffer's last frame would show through.
  frame.pixels = frame_buffers().take_unset(frame_bytes);
  PixelWindow window;
  window.stride = std::size_t{frame.width} * frame.channels;
  window.data = frame.pixels.data() + placement.page_y_px * window.stride +
                std::size_t{placement.page_x_px} * frame.channels;
  window.width = placement.page_width_px;
  window.height = placement.page_height_px;
  clear_around(frame, window);

  const auto near = [](std::uint32_t have, std::uint32_t want) {
    return (have > want ? have - want : want - have) <= 1;
  };
  if (near(in.width, window.width) && near(in.height, window.height)) {
    copy_into(in, window, tone);
  } else {
    resample(in, window, tone);
  }
  frame_buffers().give(std::move(decoded));
  return frame;
}

}  // namespace

vips::VImage to_mode(const vips::VImage& page, ImageMode mode, int threshold) {
  // Colour management first (engine/color): an embedded ICC profile says what the samples
  // mean; libvips's conversions below assume sRGB.
  const vips::VImage flat = flatten_on_white(with_sane_interpretation(page_to_working_space(page)));
  switch (mode) {
    case ImageMode::colour: {
      vips::VImage colour = to_uchar(flat.colourspace(VIPS_INTERPRETATION_sRGB));
      // Extra bands (a second alpha, say) would not be sent to the recorder.
      return colour.bands() > 3 ? colour.extract_band(0, vips::VImage::option()->set("n", 3))
                                : colour;
    }
    case ImageMode::grey:
      return to_uchar(flat.colourspace(VIPS_INTERPRETATION_B_W));
    case ImageMode::bitonal:
      return thresholded(to_uchar(flat.colourspace(VIPS_INTERPRETATION_B_W)), threshold);
  }
  throw Error(ErrorKind::internal, "unknown image mode");
}

FrameImage render_page(const vips::VImage& page, const Placement& placement,
                       const RasterSettings& settings) {
  if (placement.page_width_px == 0 || placement.page_height_px == 0 ||
      placement.page_x_px + placement.page_width_px > placement.frame_width_px ||
      placement.page_y_px + placement.page_height_px > placement.frame_height_px) {
    throw Error(
        ErrorKind::internal,
        fmt::format("page {} x {} px at ({}, {}) does not lie inside the {} x {} px frame",
                    placement.page_width_px, placement.page_height_px, placement.page_x_px,
                    placement.page_y_px, placement.frame_width_px, placement.frame_height_px));
  }
  try {
    const bool bitonal = settings.mode == ImageMode::bitonal;
    vips::VImage image =
        to_mode(page, bitonal ? ImageMode::grey : settings.mode, settings.threshold);
    image = cropped(rotated(image, placement.rotate), placement);
    image = reduced_by_libvips(image, placement.page_width_px, placement.page_height_px);
    return place_in_frame(image, placement, tone_table(settings));
  } catch (const vips::VError& error) {
    throw Error(ErrorKind::input, "cannot decode: " + vips_error_message(error));
  }
}

}  // namespace fw
