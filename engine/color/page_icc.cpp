#include "color/page_icc.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "core/error.hpp"

namespace fw {
namespace {

// The data colour space of an ICC profile: bytes 16-19 of its header ('RGB ', 'GRAY', 'CMYK').
std::string data_colour_space(const std::vector<std::uint8_t>& icc) {
  if (icc.size() < 128) return "";
  return std::string(icc.begin() + 16, icc.begin() + 20);
}

}  // namespace

IccTransformCache& shared_icc_cache() {
  static IccTransformCache cache;
  return cache;
}

namespace {

// How a page's embedded profile applies to its samples.
struct EmbeddedProfile {
  ColorProfile profile;
  PixelLayout in = PixelLayout::rgb8;
  int colour_bands = 0;
  bool has_alpha = false;
  bool wide = false;         // 16-bit samples
  bool grey_as_rgb = false;  // an RGB profile on a grey page: its samples are R = G = B
};

// The page's profile and how it applies, or nothing when it has none; throws Error(input) when
// it cannot apply to the page's bands. Reads the header only.
std::optional<EmbeddedProfile> embedded_profile(const vips::VImage& page) {
  if (page.get_typeof(VIPS_META_ICC_NAME) == 0) return std::nullopt;
  std::size_t length = 0;
  const auto* data = static_cast<const std::uint8_t*>(page.get_blob(VIPS_META_ICC_NAME, &length));
  EmbeddedProfile embedded{ColorProfile{"the page's embedded ICC profile",
                                        std::vector<std::uint8_t>(data, data + length)}};
  const std::string space = data_colour_space(embedded.profile.icc);
  embedded.has_alpha = page.has_alpha();
  embedded.colour_bands = page.bands() - (embedded.has_alpha ? 1 : 0);
  embedded.wide = page.format() == VIPS_FORMAT_USHORT;
  const bool wide = embedded.wide;
  if (!wide && page.format() != VIPS_FORMAT_UCHAR) {
    throw Error(ErrorKind::input,
                fmt::format("the page has an embedded ICC profile but {} samples; only 8- and "
                            "16-bit pages are colour-managed",
                            vips_enum_nick(VIPS_TYPE_BAND_FORMAT, page.format())));
  }
  if (space == "RGB " && (embedded.colour_bands == 3 || embedded.colour_bands == 1)) {
    // ImageMagick stores an RGB scan whose pixels are all neutral as a grey file and keeps its
    // RGB profile: each sample is the R = G = B of the scan, and the profile says what that is.
    embedded.grey_as_rgb = embedded.colour_bands == 1;
    embedded.in = wide ? PixelLayout::rgb16 : PixelLayout::rgb8;
  } else if (space == "GRAY" && embedded.colour_bands == 1) {
    embedded.in = wide ? PixelLayout::grey16 : PixelLayout::grey8;
  } else if (space == "CMYK" && embedded.colour_bands == 4) {
    embedded.in = wide ? PixelLayout::cmyk16 : PixelLayout::cmyk8;
  } else {
    throw Error(ErrorKind::input,
                fmt::format("the page's embedded ICC profile is for {} data but the page has {} "
                            "colour band(s)",
                            space.empty() ? std::string("unknown (not an ICC profile)")
                                          : "\"" + space + "\"",
                            embedded.colour_bands));
  }
  return embedded;
}

}  // namespace

void check_embedded_profile(const vips::VImage& page) {
  (void)embedded_profile(page);
}

vips::VImage page_to_working_space(const vips::VImage& page, RenderingIntent intent,
                                   bool black_point_compensation) {
  const std::optional<EmbeddedProfile> embedded = embedded_profile(page);
  if (!embedded) return page;
  const bool wide = embedded->wide;
  const bool has_alpha = embedded->has_alpha;
  const int colour_bands = embedded->colour_bands;
  const PixelLayout out = wide ? PixelLayout::rgb16 : PixelLayout::rgb8;
  const auto transform =
      shared_icc_cache().get(embedded->profile, embedded->in, ColorProfile::builtin("sRGB"), out,
                             intent, black_point_compensation);
  vips::VImage colour =
      has_alpha ? page.extract_band(0, vips::VImage::option()->set("n", colour_bands)) : page;
  if (embedded->grey_as_rgb) colour = vips::VImage::bandjoin({colour, colour, colour});
  std::size_t size = 0;
  std::unique_ptr<void, decltype(&g_free)> pixels(colour.write_to_memory(&size), &g_free);
  const std::size_t count = std::size_t(page.width()) * page.height();
  const std::size_t out_size = count * 3 * (wide ? 2 : 1);
  std::unique_ptr<void, decltype(&std::free)> converted(std::malloc(out_size), &std::free);
  if (!converted) throw Error(ErrorKind::input, fmt::format("cannot allocate {} bytes", out_size));
  transform->apply(pixels.get(), converted.get(), count);
  pixels.reset();
  // libvips takes the buffer and free()s it when the image goes.
  vips::VImage result = vips::VImage::new_from_memory_steal(
      converted.release(), out_size, page.width(), page.height(), 3,
      wide ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR);
  result = result.copy(
      vips::VImage::option()
          ->set("interpretation", wide ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB)
          ->set("xres", page.xres())
          ->set("yres", page.yres()));
  if (has_alpha) result = result.bandjoin(page.extract_band(colour_bands));
  return result;
}

}  // namespace fw
