#include "color/icc.hpp"

#include <fmt/format.h>
#include <lcms2.h>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

cmsUInt32Number lcms_format(PixelLayout layout) {
  switch (layout) {
    case PixelLayout::rgb8:
      return TYPE_RGB_8;
    case PixelLayout::grey8:
      return TYPE_GRAY_8;
    case PixelLayout::lab_double:
      return TYPE_Lab_DBL;
    case PixelLayout::rgb16:
      return TYPE_RGB_16;
    case PixelLayout::grey16:
      return TYPE_GRAY_16;
    case PixelLayout::cmyk8:
      return TYPE_CMYK_8;
    case PixelLayout::cmyk16:
      return TYPE_CMYK_16;
  }
  return TYPE_RGB_8;
}

cmsUInt32Number lcms_intent(RenderingIntent intent) {
  switch (intent) {
    case RenderingIntent::perceptual:
      return INTENT_PERCEPTUAL;
    case RenderingIntent::relative_colorimetric:
      return INTENT_RELATIVE_COLORIMETRIC;
    case RenderingIntent::saturation:
      return INTENT_SATURATION;
    case RenderingIntent::absolute_colorimetric:
      return INTENT_ABSOLUTE_COLORIMETRIC;
  }
  return INTENT_PERCEPTUAL;
}

struct ProfileHandle {
  cmsHPROFILE handle = nullptr;
  ~ProfileHandle() {
    if (handle) cmsCloseProfile(handle);
  }
};

cmsHPROFILE open_profile(const ColorProfile& profile) {
  if (profile.icc.empty()) {
    if (profile.name == "sRGB") return cmsCreate_sRGBProfile();
    if (profile.name == "Lab-D50") return cmsCreateLab4Profile(cmsD50_xyY());
    throw Error(ErrorKind::usage, "colour profile \"" + profile.name +
                                      "\": unknown built-in profile (known: sRGB, Lab-D50)");
  }
  cmsHPROFILE handle =
      cmsOpenProfileFromMem(profile.icc.data(), static_cast<cmsUInt32Number>(profile.icc.size()));
  if (!handle) {
    throw Error(ErrorKind::input,
                "colour profile " + profile.name + ": LittleCMS cannot read the ICC profile");
  }
  return handle;
}

}  // namespace

RenderingIntent parse_rendering_intent(const std::string& text) {
  for (auto intent : {RenderingIntent::perceptual, RenderingIntent::relative_colorimetric,
                      RenderingIntent::saturation, RenderingIntent::absolute_colorimetric}) {
    if (text == to_string(intent)) return intent;
  }
  throw Error(ErrorKind::usage,
              "expected one of perceptual, relative-colorimetric, saturation, "
              "absolute-colorimetric, got \"" +
                  text + "\"");
}

const char* to_string(RenderingIntent intent) {
  switch (intent) {
    case RenderingIntent::perceptual:
      return "perceptual";
    case RenderingIntent::relative_colorimetric:
      return "relative-colorimetric";
    case RenderingIntent::saturation:
      return "saturation";
    case RenderingIntent::absolute_colorimetric:
      return "absolute-colorimetric";
  }
  return "perceptual";
}

ColorProfile ColorProfile::builtin(const std::string& name) {
  if (name != "sRGB" && name != "Lab-D50") {
    throw Error(ErrorKind::usage,
                "colour profile \"" + name + "\": unknown built-in profile (known: sRGB, Lab-D50)");
  }
  return {name, {}};
}

ColorProfile ColorProfile::from_file(const std::string& path) {
  const std::string bytes = read_file(path);
  return {path, std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
}

std::string ColorProfile::key() const {
  return icc.empty() ? name : "icc:" + sha256_hex(icc);
}

ColorTransform::~ColorTransform() {
  cmsDeleteTransform(static_cast<cmsHTRANSFORM>(handle_));
}

void ColorTransform::apply(const void* in, void* out, std::size_t pixels) const {
  cmsDoTransform(static_cast<cmsHTRANSFORM>(handle_), in, out,
                 static_cast<cmsUInt32Number>(pixels));
}

std::shared_ptr<const ColorTransform> IccTransformCache::get(
    const ColorProfile& source, PixelLayout in, const ColorProfile& target, PixelLayout out,
    RenderingIntent intent, bool black_point_compensation) {
  const Key key{source.key(),          static_cast<int>(in),     target.key(),
                static_cast<int>(out), static_cast<int>(intent), black_point_compensation};
  std::lock_guard lock(mutex_);
  if (auto it = transforms_.find(key); it != transforms_.end()) return it->second;
  ProfileHandle from{open_profile(source)}, to{open_profile(target)};
  cmsUInt32Number flags = cmsFLAGS_NOCACHE;
  if (black_point_compensation) flags |= cmsFLAGS_BLACKPOINTCOMPENSATION;
  cmsHTRANSFORM handle = cmsCreateTransform(from.handle, lcms_format(in), to.handle,
                                            lcms_format(out), lcms_intent(intent), flags);
  if (!handle) {
    throw Error(ErrorKind::input,
                fmt::format("colour transform {} -> {} ({}): LittleCMS cannot link the profiles",
                            source.name, target.name, to_string(intent)));
  }
  std::shared_ptr<const ColorTransform> transform(new ColorTransform(handle));
  transforms_.emplace(key, transform);
  ++builds_;
  return transform;
}

std::size_t IccTransformCache::builds() const {
  std::lock_guard lock(mutex_);
  return builds_;
}

double delta_e_2000(const double lab1[3], const double lab2[3]) {
  const cmsCIELab a{lab1[0], lab1[1], lab1[2]}, b{lab2[0], lab2[1], lab2[2]};
  return cmsCIE2000DeltaE(&a, &b, 1, 1, 1);
}

}  // namespace fw
