#include "ingest/png_colour.hpp"

#include <lcms2.h>

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <fstream>
#include <memory>
#include <string_view>

#include "core/error.hpp"
#include "ingest/file_boxes.hpp"

namespace fw::ingest_detail {

PngHeaderChunks read_png_header_chunks(const std::string& file) {
  PngHeaderChunks chunks;
  std::ifstream in(file, std::ios::binary);
  in.seekg(8);  // signature
  while (const auto chunk = read_png_chunk_head(in)) {
    const std::uint64_t length = chunk->body_size;
    const std::string_view type = chunk->type;
    // All of these must come before the image data; libpng ignores them after it.
    if (type == "IDAT" || type == "IEND") break;
    if (type == "iCCP") chunks.icc = true;
    if (type == "sRGB") chunks.srgb = true;
    if (type == "pHYs" && length == 9) {
      std::array<char, 9> data{};
      if (!in.read(data.data(), data.size())) break;
      chunks.resolution_in_metres = data[8] == 1;  // unit specifier 1: metre
      in.seekg(4, std::ios::cur);                  // CRC
      continue;
    }
    if ((type == "gAMA" && length == 4) || (type == "cHRM" && length == 32)) {
      std::array<unsigned char, 32> data{};
      if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(length)))
        break;
      if (type == "gAMA") {
        chunks.gamma = static_cast<std::uint32_t>(big_endian(data.data(), 4));
      } else {
        std::array<std::uint32_t, 8> values{};
        for (std::size_t i = 0; i < values.size(); ++i)
          values[i] = static_cast<std::uint32_t>(big_endian(&data[4 * i], 4));
        chunks.chromaticities = values;
      }
      in.seekg(4, std::ios::cur);  // CRC (libvips's decoder checks it)
      continue;
    }
    in.seekg(static_cast<std::streamoff>(length) + 4, std::ios::cur);  // data and CRC
  }
  return chunks;
}

namespace {

// sRGB's own figures, as a cHRM chunk writes them (PNG 1.2, 11.3.3.5).
constexpr std::array<std::uint32_t, 8> srgb_chromaticities{31270, 32900, 64000, 33000,
                                                           30000, 60000, 15000, 6000};
constexpr std::uint32_t srgb_gamma = 45455;

// libpng's PNG_GAMMA_THRESHOLD: a gamma within 5 % of the display's needs no correction.
bool near_srgb_gamma(std::uint32_t gamma) {
  return std::abs(static_cast<double>(gamma) / srgb_gamma - 1) < 0.05;
}

bool near_srgb_chromaticities(const std::array<std::uint32_t, 8>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::abs(static_cast<double>(values[i]) - srgb_chromaticities[i]) > 1000) return false;
  }
  return true;
}

using Curve = std::unique_ptr<cmsToneCurve, decltype(&cmsFreeToneCurve)>;
using Profile = std::unique_ptr<void, decltype(&cmsCloseProfile)>;

// sRGB's own curve for an sRGB-like gamma (so that a page whose cHRM alone differs keeps
// today's tones), the pure power of the gAMA exponent otherwise, as browsers build it.
Curve tone_curve(std::uint32_t gamma) {
  if (near_srgb_gamma(gamma)) {
    const cmsFloat64Number srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    return Curve(cmsBuildParametricToneCurve(nullptr, 4, srgb), &cmsFreeToneCurve);
  }
  return Curve(cmsBuildGamma(nullptr, 100000.0 / gamma), &cmsFreeToneCurve);
}

std::vector<std::uint8_t> saved(const Profile& profile, const std::string& context) {
  cmsUInt32Number size = 0;
  if (!profile || !cmsSaveProfileToMem(profile.get(), nullptr, &size) || size == 0) {
    throw Error(ErrorKind::input,
                context +
                    ": the PNG's gAMA and cHRM chunks give colours no ICC profile can be "
                    "built from; what tones the page has cannot be told");
  }
  std::vector<std::uint8_t> bytes(size);
  cmsSaveProfileToMem(profile.get(), bytes.data(), &size);
  return bytes;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> png_implied_profile(const std::string& file,
                                                             int colour_bands,
                                                             const std::string& context) {
  const PngHeaderChunks chunks = read_png_header_chunks(file);
  if (chunks.icc || chunks.srgb) return std::nullopt;
  // libpng's own range (png_colorspace_set_gamma): outside it, libpng only warns and goes on.
  if (chunks.gamma && (*chunks.gamma < 16 || *chunks.gamma > 625000000)) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the PNG's gAMA chunk gives gamma {:g}, which no page is "
                            "encoded with; what tones the page has cannot be told",
                            context, *chunks.gamma / 100000.0));
  }
  const bool srgb_tones = !chunks.gamma || near_srgb_gamma(*chunks.gamma);
  const bool srgb_colours =
      !chunks.chromaticities || near_srgb_chromaticities(*chunks.chromaticities);
  if (srgb_tones && (colour_bands == 1 || srgb_colours)) return std::nullopt;

  const Curve curve = tone_curve(chunks.gamma.value_or(srgb_gamma));
  if (colour_bands == 1) {
    return saved(Profile(cmsCreateGrayProfile(cmsD50_xyY(), curve.get()), &cmsCloseProfile),
                 context);
  }
  const std::array<std::uint32_t, 8> c = chunks.chromaticities.value_or(srgb_chromaticities);
  const auto xy = [&](std::size_t i) { return cmsCIExyY{c[i] / 1e5, c[i + 1] / 1e5, 1}; };
  const cmsCIExyY white = xy(0);
  const cmsCIExyYTRIPLE primaries{xy(2), xy(4), xy(6)};
  cmsToneCurve* curves[3] = {curve.get(), curve.get(), curve.get()};
  if (white.y <= 0 || primaries.Red.y <= 0 || primaries.Green.y <= 0 || primaries.Blue.y <= 0) {
    return saved(Profile(nullptr, &cmsCloseProfile), context);
  }
  return saved(Profile(cmsCreateRGBProfile(&white, &primaries, curves), &cmsCloseProfile), context);
}

}  // namespace fw::ingest_detail
