// Colour conversion with LittleCMS: transforms built once per (source profile, target profile,
// intent, black-point compensation, pixel layouts), cached, and shared by every pipeline thread.
//
// Thread safety: a transform is created with cmsFLAGS_NOCACHE, which turns off LittleCMS's
// one-pixel cache, the only state cmsDoTransform writes (the flag is LittleCMS's documented
// way to share a transform between threads; since 2.3 the cache is per call anyway, so the
// flag costs nothing measurable on whole frames). The cache itself is guarded by a mutex and
// hands out shared_ptrs, so a transform lives as long as any frame uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace fw {

enum class RenderingIntent { perceptual, relative_colorimetric, saturation, absolute_colorimetric };
RenderingIntent parse_rendering_intent(const std::string& text);  // throws Error(usage)
const char* to_string(RenderingIntent intent);

// A colour profile: built in ("sRGB", "Lab-D50") or ICC bytes (embedded in a page, or a file).
struct ColorProfile {
  std::string name;               // "sRGB", "Lab-D50", or a label for messages
  std::vector<std::uint8_t> icc;  // empty for the built-in ones
  static ColorProfile builtin(const std::string& name);    // throws Error(usage) if unknown
  static ColorProfile from_file(const std::string& path);  // throws Error(input)
  std::string key() const;                                 // name, or sha256 of the ICC bytes
};

enum class PixelLayout { rgb8, grey8, lab_double, rgb16, grey16, cmyk8, cmyk16 };

class ColorTransform {
 public:
  ~ColorTransform();
  ColorTransform(const ColorTransform&) = delete;
  ColorTransform& operator=(const ColorTransform&) = delete;
  // Converts `pixels` pixels; safe to call from many threads at once.
  void apply(const void* in, void* out, std::size_t pixels) const;

 private:
  friend class IccTransformCache;
  explicit ColorTransform(void* handle) : handle_(handle) {}
  void* handle_;
};

class IccTransformCache {
 public:
  // Throws Error(input) naming the profile when LittleCMS cannot parse or link it.
  std::shared_ptr<const ColorTransform> get(const ColorProfile& source, PixelLayout in,
                                            const ColorProfile& target, PixelLayout out,
                                            RenderingIntent intent, bool black_point_compensation);
  std::size_t builds() const;  // transforms created so far (each key once)

 private:
  using Key = std::tuple<std::string, int, std::string, int, int, bool>;
  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<const ColorTransform>> transforms_;
  std::size_t builds_ = 0;
};

// CIEDE2000 colour difference (LittleCMS cmsCIE2000DeltaE, kL = kC = kH = 1).
double delta_e_2000(const double lab1[3], const double lab2[3]);

}  // namespace fw
