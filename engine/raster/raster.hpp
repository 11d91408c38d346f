// Page -> frame image at the recorder's pixel pitch: rotation, scaling, placement on the
// frame, grey by luminance or bitonal by threshold, polarity, 8-bit device code values.
// Pure per frame: safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <vector>

#include <vips/vips8>

#include "model/job.hpp"
#include "model/placement.hpp"

namespace fw {

// Device code values, row-major, interleaved. 255 = full exposure (maximum density):
// a negative's page background (white paper) is 255, unexposed film around the page is 0.
struct FrameImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t channels = 1;
  std::vector<std::uint8_t> pixels;
};

struct RasterSettings {
  ImageMode mode = ImageMode::grey;
  Polarity polarity = Polarity::negative;
  int threshold = 128;
};

// `page` is the decoded source page as returned by open_page(): upright, its EXIF/TIFF
// orientation already applied, so placement.rotate turns the upright page. For PDF it is
// already at frame resolution, which render_page recognises from the size.
FrameImage render_page(const vips::VImage& page, const Placement& placement,
                       const RasterSettings& settings);

// Converts a page image (any bands, 8/16 bit, any interpretation) to sRGB or 8-bit grey.
vips::VImage to_mode(const vips::VImage& page, ImageMode mode, int threshold);

}  // namespace fw
