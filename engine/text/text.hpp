// CJK-first text for film: font sets with fallback, HarfBuzz shaping, FreeType rasterising,
// horizontal and vertical layout, and missing-glyph detection before anything is filmed.
//
// The API other modules use is deliberately small:
//   auto text = TextEngine::load_default();               // or load("fonts/x.toml", job_dir)
//   TextStyle style{...};
//   Layout layout = text->layout("题名 …", box, style);  // throws MissingGlyph
//   text->draw(layout, image, x, y);
//
// Threads: one engine is shared by every pipeline thread, without a lock on the hot path.
// Font files are memory-mapped once per engine; the HarfBuzz faces and fonts built on them
// are immutable after loading, and HarfBuzz documents shaping with a shared immutable
// hb_font_t as thread-safe, so layout() and check() share them. FreeType faces are not
// thread-safe (an FT_Face holds the current size, transform and glyph slot), so draw()
// rasterises through a thread_local cache keyed by engine: each thread gets its own
// FT_Library and FT_Faces over the same mapped bytes, created on first use, plus its own
// cache of rendered glyph bitmaps. A rendered glyph depends only on (font, glyph, size,
// rotation, bitonal, position quantised to 1/8 px), never on the thread or on what was
// drawn before, so any thread produces the same pixels.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace fw {

// A code point that no font in the chain can draw (an input error). The message names the
// code point (U+2A6D6), the string and, when the caller gave one, where the string came
// from: `document D003 title: no font in fonts/default.toml has U+2A6D6 (in "…")`.
class MissingGlyph : public Error {
 public:
  MissingGlyph(char32_t code_point, const std::string& text, const std::string& context,
               const std::string& font_set = "");
  char32_t code_point() const { return code_point_; }

 private:
  char32_t code_point_;
};

enum class WritingMode { horizontal, vertical };
enum class Align { start, centre, end, justify };

struct TextStyle {
  double size_px = 32;  // em size in pixels (see size_for_cap_height_mm)
  WritingMode mode = WritingMode::horizontal;
  Align align = Align::start;        // along the line (horizontal) or the column (vertical)
  std::string language = "zh-Hans";  // zh-Hans, zh-Hant, ja, en ...: glyph forms and fallback
  double line_spacing = 1.25;        // line (or column) pitch in em
  bool bitonal = false;              // no anti-aliasing: 0/255 coverage only
};

struct Rect {
  double x = 0, y = 0, width = 0, height = 0;
};

// A positioned glyph run ready to draw.
struct Layout {
  struct Glyph {
    std::uint32_t font = 0;  // index into the font set
    std::uint32_t glyph_id = 0;
    double x = 0, y = 0;   // glyph origin (baseline) in pixels, relative to the box origin
    bool rotated = false;  // vertical layout: a Latin glyph turned 90 degrees clockwise
  };
  std::vector<Glyph> glyphs;
  std::vector<std::string> lines;  // the text of each line (or column), as broken
  // The box used: the Box given, or the text's own extent where the Box said 0. Columns of
  // vertical text start at the right edge.
  double width = 0, height = 0;
  bool fits = true;  // false when the text is larger than the Box given (never clipped)
  Rect ink;          // bounding box of the glyph outlines, relative to the box origin
  TextStyle style;
};

// The box to set text in, in pixels; 0 = unbounded (one line per paragraph, or the whole
// text's height). Lines break at `width` (horizontal) or columns at `height` (vertical).
struct Box {
  double width = 0;
  double height = 0;
};

// An 8-bit single-channel image the text is drawn into.
struct GreyImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint8_t* pixels = nullptr;  // row-major, `stride` bytes per row (0 = width)
  std::size_t stride = 0;
};

// One font of the set, as found on this machine.
struct FontInfo {
  std::string id;      // the key in the font-set file
  std::string family;  // from the font file
  std::filesystem::path file;
  unsigned face_index = 0;      // inside a collection (.ttc)
  std::size_t code_points = 0;  // code points its cmap maps
  unsigned glyphs = 0;
};

// Which font draws one character of a string (fonts --check).
struct CharFont {
  char32_t code_point = 0;
  std::string script;  // the fallback chain used: han, latin or other
  int font = -1;       // index into fonts(); -1 = no font has it
};

class TextEngine {
 public:
  // Loads a font-set file (fonts/<name>.toml); throws Error(job) naming the file, line and
  // key. `job_dir` replaces `{job}` in the set's search paths (fonts shipped with a job).
  static std::shared_ptr<const TextEngine> load(const std::filesystem::path& font_set,
                                                const std::filesystem::path& job_dir = {});
  // $FILMWRITER_FONTS/default.toml, else fonts/default.toml of the installation.
  static std::filesystem::path default_font_set();
  // The default set, loaded once per process (thread-safe).
  static std::shared_ptr<const TextEngine> load_default();
  // load(), but each (set, job_dir) is loaded once per process and shared (thread-safe):
  // every job of a queue that names the same set shares its mapped fonts.
  static std::shared_ptr<const TextEngine> load_shared(const std::filesystem::path& font_set,
                                                       const std::filesystem::path& job_dir = {});
  // A job's `fonts` key: a set name ("serif": fonts/serif.toml beside the default set) or a
  // path to a set file (relative to `base_dir`); "" is the default set. Throws Error(job)
  // naming the sets there are when a name has no file.
  static std::filesystem::path find_font_set(const std::string& name_or_path,
                                             const std::filesystem::path& base_dir = {});

  virtual ~TextEngine() = default;
  // Throws MissingGlyph for the first character no font can draw; `context` (e.g.
  // "document D003 title") goes into the message. Returns the fonts (indexes into fonts())
  // that draw its characters, each once, in index order.
  virtual std::vector<std::uint32_t> check(const std::string& text, const std::string& context = "",
                                           const std::string& language = "zh-Hans") const = 0;
  // Shapes and breaks `text` ('\n' starts a new paragraph). Throws MissingGlyph.
  virtual Layout layout(const std::string& text, Box box, const TextStyle& style,
                        const std::string& context = "") const = 0;
  // Blends ink over the image at (x, y) (top-left of the layout box): each pixel moves from
  // its value towards `ink` by the glyph's coverage. Clipped to the image. Thread-safe.
  virtual void draw(const Layout& layout, GreyImage image, double x, double y,
                    std::uint8_t ink = 0) const = 0;

  virtual const std::filesystem::path& font_set_file() const = 0;
  virtual const std::vector<FontInfo>& fonts() const = 0;
  // Code points in [first, last] that fonts()[font] maps.
  virtual std::size_t covered(std::size_t font, char32_t first, char32_t last) const = 0;
  // The fallback chain (indexes into fonts()) for "han", "latin" or "other" in `language`;
  // languages() are those with chains of their own.
  virtual std::vector<std::uint32_t> chain(const std::string& script,
                                           const std::string& language) const = 0;
  virtual std::vector<std::string> languages() const = 0;
  virtual std::vector<CharFont> resolve(const std::string& text,
                                        const std::string& language = "zh-Hans") const = 0;
  // Cap height of the first Latin font, in em (from its OS/2 table).
  virtual double cap_height_em() const = 0;
  // The font (index into fonts()) cap_height_em() reads: it sizes all text, whatever draws it.
  // -1: no font of the set has an "H".
  virtual int cap_height_font() const = 0;
};

// Em size in pixels so that a Latin capital is `cap_height_mm` high at the document's scale
// once filmed at `reduction` on a recorder of `pitch_um`: readable at 24x on a reader is
// size_for_cap_height_mm(2, 24, 2.5); eye-legible on the film itself is reduction 1.
// `cap_height_em` is the font's cap height (TextEngine::cap_height_em(); Noto CJK: 0.733).
double size_for_cap_height_mm(double cap_height_mm, double reduction, double pitch_um,
                              double cap_height_em = 0.733);

}  // namespace fw
