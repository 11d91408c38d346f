#include "raster/raster.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <glib.h>

#include "color/page_icc.hpp"
#include "core/error.hpp"
#include "core/vips_error.hpp"

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

vips::VImage thresholded(const vips::VImage& grey, int threshold) {
  // Relational operators give 255 where true and 0 where false: bitonal code values.
  return grey > threshold;
}

// Scales to exactly width x height. A size already within a pixel (PDF pages come
// rasterised at frame resolution) is only trimmed or extended at the edge: resampling by
// a factor of 1.0003 would only blur.
vips::VImage resized(const vips::VImage& image, std::uint32_t width, std::uint32_t height) {
  vips::VImage out = image;
  const auto near = [](int have, std::uint32_t want) {
    return std::abs(have - static_cast<int>(want)) <= 1;
  };
  if (!near(image.width(), width) || !near(image.height(), height)) {
    const double horizontal = static_cast<double>(width) / image.width();
    const double vertical = static_cast<double>(height) / image.height();
    out = image.resize(
        horizontal,
        vips::VImage::option()->set("vscale", vertical)->set("kernel", VIPS_KERNEL_LANCZOS3));
  }
  if (out.width() != static_cast<int>(width) || out.height() != static_cast<int>(height)) {
    out = out.embed(0, 0, static_cast<int>(width), static_cast<int>(height),
                    vips::VImage::option()->set("extend", VIPS_EXTEND_COPY));
  }
  return out;
}

FrameImage to_frame_image(const vips::VImage& image) {
  std::size_t size = 0;
  std::unique_ptr<void, decltype(&g_free)> buffer(image.write_to_memory(&size), &g_free);
  FrameImage frame;
  frame.width = static_cast<std::uint32_t>(image.width());
  frame.height = static_cast<std::uint32_t>(image.height());
  frame.channels = static_cast<std::uint32_t>(image.bands());
  const std::size_t expected = std::size_t{frame.width} * frame.height * frame.channels;
  if (size != expected) {
    throw Error(ErrorKind::internal,
                fmt::format("frame buffer holds {} bytes, expected {}", size, expected));
  }
  frame.pixels.resize(size);
  std::memcpy(frame.pixels.data(), buffer.get(), size);
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
    // Bitonal pages are resampled in grey and thresholded afterwards: thresholding first
    // would turn the resampling filter's edges into grey values again (or jagged steps).
    const bool bitonal = settings.mode == ImageMode::bitonal;
    vips::VImage image =
        to_mode(page, bitonal ? ImageMode::grey : settings.mode, settings.threshold);
    image = rotated(image, placement.rotate);
    image = resized(image, placement.page_width_px, placement.page_height_px);
    if (bitonal) image = thresholded(image, settings.threshold);
    // A negative records the page as it looks: white paper (255) becomes full exposure.
    if (settings.polarity == Polarity::positive) image = image.invert();
    image = image.embed(
        static_cast<int>(placement.page_x_px), static_cast<int>(placement.page_y_px),
        static_cast<int>(placement.frame_width_px), static_cast<int>(placement.frame_height_px),
        vips::VImage::option()
            ->set("extend", VIPS_EXTEND_BACKGROUND)
            ->set("background", std::vector<double>{0}));
    return to_frame_image(image);
  } catch (const vips::VError& error) {
    throw Error(ErrorKind::input, "cannot decode: " + vips_error_message(error));
  }
}

}  // namespace fw
