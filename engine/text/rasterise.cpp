// Drawing: FreeType renders each glyph through this thread's own faces (see text.hpp for
// why), and the coverage is blended into the image.
#include <fmt/format.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <cmath>
#include <unordered_map>

#include "text/engine.hpp"

namespace fw::text_internal {
namespace {

// Positions are quantised to 1/8 px before rendering, so that a glyph's bitmap is a pure
// function of this key (and can be cached) while staying sharp at any position.
constexpr int kSubpixelSteps = 8;
constexpr std::size_t kMaxCachedGlyphs = 8192;

struct GlyphKey {
  std::uint32_t font = 0;
  std::uint32_t glyph_id = 0;
  std::int32_t size_26_6 = 0;  // em size in 1/64 px
  std::uint8_t x_step = 0, y_step = 0;
  bool rotated = false;
  bool bitonal = false;
  bool operator==(const GlyphKey&) const = default;
};

struct GlyphKeyHash {
  std::size_t operator()(const GlyphKey& key) const {
    std::uint64_t h = key.font;
    h = h * 1000003u ^ key.glyph_id;
    h = h * 1000003u ^ static_cast<std::uint32_t>(key.size_26_6);
    h = h * 1000003u ^ (key.x_step | key.y_step << 4 | key.rotated << 8 | key.bitonal << 9);
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

// Coverage 0..255, `left`/`top` from the (quantised) origin, FreeType's convention: top is
// up from the baseline.
struct GlyphBitmap {
  int left = 0, top = 0;
  int width = 0, rows = 0;
  std::vector<std::uint8_t> coverage;
};

[[noreturn]] void freetype_failed(FT_Error error, const std::string& what) {
  throw Error(ErrorKind::internal, fmt::format("FreeType error {} {}", error, what));
}

// One thread's FreeType state for one engine: never shared between threads.
class ThreadRasteriser {
 public:
  ThreadRasteriser(std::shared_ptr<const FontSet> fonts, std::weak_ptr<const int> alive)
      : fonts_(std::move(fonts)), alive_(std::move(alive)), faces_(fonts_->fonts.size()) {
    if (const FT_Error error = FT_Init_FreeType(&library_)) freetype_failed(error, "at init");
  }
  ~ThreadRasteriser() { FT_Done_FreeType(library_); }  // also frees the faces
  ThreadRasteriser(const ThreadRasteriser&) = delete;
  ThreadRasteriser& operator=(const ThreadRasteriser&) = delete;

  bool engine_gone() const { return alive_.expired(); }

  const GlyphBitmap& glyph(const GlyphKey& key) {
    if (auto found = cache_.find(key); found != cache_.end()) return found->second;
    if (cache_.size() >= kMaxCachedGlyphs) cache_.clear();
    return cache_.emplace(key, render(key)).first->second;
  }

 private:
  FT_Face face(std::uint32_t index) {
    if (faces_[index] == nullptr) {
      const LoadedFont& font = fonts_->fonts[index];
      unsigned length = 0;
      const char* data = hb_blob_get_data(font.blob.get(), &length);
      // The bytes are the engine's mapped file, read-only and shared by every thread.
      if (const FT_Error error = FT_New_Memory_Face(
              library_, reinterpret_cast<const FT_Byte*>(data), static_cast<FT_Long>(length),
              static_cast<FT_Long>(font.info.face_index), &faces_[index])) {
        freetype_failed(error, "opening " + font.info.file.string());
      }
    }
    return faces_[index];
  }

  GlyphBitmap render(const GlyphKey& key) {
    FT_Face ft = face(key.font);
    if (const FT_Error error = FT_Set_Char_Size(ft, 0, key.size_26_6, 72, 72)) {
      freetype_failed(error, fmt::format("setting size {}/64 px", key.size_26_6));
    }
    // Clockwise quarter turn in FreeType's y-up space: up becomes right, right becomes down.
    FT_Matrix turn{0, 0x10000, -0x10000, 0};
    FT_Vector delta{key.x_step * 64 / kSubpixelSteps, -(key.y_step * 64 / kSubpixelSteps)};
    FT_Set_Transform(ft, key.rotated ? &turn : nullptr, &delta);
    const FT_Int32 load_flags =
        FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP | (key.bitonal ? FT_LOAD_TARGET_MONO : 0);
    if (const FT_Error error = FT_Load_Glyph(ft, key.glyph_id, load_flags)) {
      freetype_failed(error, fmt::format("loading glyph {} of {}", key.glyph_id,
                                         fonts_->fonts[key.font].info.file.string()));
    }
    if (const FT_Error error =
            FT_Render_Glyph(ft->glyph, key.bitonal ? FT_RENDER_MODE_MONO : FT_RENDER_MODE_NORMAL)) {
      freetype_failed(error, fmt::format("rendering glyph {}", key.glyph_id));
    }
    const FT_Bitmap& bitmap = ft->glyph->bitmap;
    GlyphBitmap out;
    out.left = ft->glyph->bitmap_left;
    out.top = ft->glyph->bitmap_top;
    out.width = static_cast<int>(bitmap.width);
    out.rows = static_cast<int>(bitmap.rows);
    out.coverage.resize(static_cast<std::size_t>(out.width) * out.rows);
    for (int row = 0; row < out.rows; ++row) {
      const unsigned char* source = bitmap.buffer + static_cast<std::ptrdiff_t>(row) * bitmap.pitch;
      std::uint8_t* target = out.coverage.data() + static_cast<std::size_t>(row) * out.width;
      for (int column = 0; column < out.width; ++column) {
        if (bitmap.pixel_mode == FT_PIXEL_MODE_MONO) {
          target[column] = (source[column >> 3] & (0x80 >> (column & 7))) ? 255 : 0;
        } else {
          target[column] = source[column];
        }
      }
    }
    return out;
  }

  std::shared_ptr<const FontSet> fonts_;  // keeps the mapped bytes alive for the faces
  std::weak_ptr<const int> alive_;
  FT_Library library_ = nullptr;
  std::vector<FT_Face> faces_;
  std::unordered_map<GlyphKey, GlyphBitmap, GlyphKeyHash> cache_;
};

// This thread's rasterisers, one per engine it has drawn with.
ThreadRasteriser& rasteriser(std::uint64_t serial, const std::shared_ptr<const FontSet>& fonts,
                             const std::shared_ptr<const int>& alive) {
  thread_local std::unordered_map<std::uint64_t, std::unique_ptr<ThreadRasteriser>> rasterisers;
  if (auto found = rasterisers.find(serial); found != rasterisers.end()) return *found->second;
  std::erase_if(rasterisers, [](const auto& entry) { return entry.second->engine_gone(); });
  return *rasterisers.emplace(serial, std::make_unique<ThreadRasteriser>(fonts, alive))
              .first->second;
}

}  // namespace

void Engine::draw(const Layout& layout, GreyImage image, double x, double y,
                  std::uint8_t ink) const {
  if (layout.glyphs.empty()) return;
  ThreadRasteriser& raster = rasteriser(serial_, fonts_, alive_);
  const std::size_t stride = image.stride != 0 ? image.stride : image.width;
  const auto size_26_6 = static_cast<std::int32_t>(std::lround(layout.style.size_px * 64));
  for (const Layout::Glyph& glyph : layout.glyphs) {
    if (glyph.glyph_id == 0 || glyph.font >= fonts_->fonts.size()) {
      throw Error(ErrorKind::internal,
                  fmt::format("refusing to draw glyph {} of font {}: not a glyph of this "
                              "engine's layout (.notdef is never drawn)",
                              glyph.glyph_id, glyph.font));
    }
    // Split the origin into whole pixels and 1/8 px steps.
    const double gx = std::round((x + glyph.x) * kSubpixelSteps);
    const double gy = std::round((y + glyph.y) * kSubpixelSteps);
    const auto whole_x = static_cast<long>(std::floor(gx / kSubpixelSteps));
    const auto whole_y = static_cast<long>(std::floor(gy / kSubpixelSteps));
    GlyphKey key;
    key.font = glyph.font;
    key.glyph_id = glyph.glyph_id;
    key.size_26_6 = size_26_6;
    key.x_step = static_cast<std::uint8_t>(gx - static_cast<double>(whole_x) * kSubpixelSteps);
    key.y_step = static_cast<std::uint8_t>(gy - static_cast<double>(whole_y) * kSubpixelSteps);
    key.rotated = glyph.rotated;
    key.bitonal = layout.style.bitonal;
    const GlyphBitmap& bitmap = raster.glyph(key);
    const long left = whole_x + bitmap.left;
    const long top = whole_y - bitmap.top;
    for (int row = 0; row < bitmap.rows; ++row) {
      const long image_y = top + row;
      if (image_y < 0 || image_y >= static_cast<long>(image.height)) continue;
      std::uint8_t* line = image.pixels + static_cast<std::size_t>(image_y) * stride;
      const std::uint8_t* coverage =
          bitmap.coverage.data() + static_cast<std::size_t>(row) * bitmap.width;
      for (int column = 0; column < bitmap.width; ++column) {
        const long image_x = left + column;
        const int alpha = coverage[column];
        if (alpha == 0 || image_x < 0 || image_x >= static_cast<long>(image.width)) continue;
        std::uint8_t& pixel = line[image_x];
        // pixel + (ink - pixel) * alpha / 255, rounded, in integers.
        const int moved = (static_cast<int>(ink) - pixel) * alpha;
        pixel = static_cast<std::uint8_t>(pixel + (moved + (moved >= 0 ? 127 : -127)) / 255);
      }
    }
  }
}

}  // namespace fw::text_internal
