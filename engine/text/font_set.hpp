// Font sets: the fonts of a font-set file, found on this machine and opened once, and the
// fallback chain for each script and language. Internal to engine/text.
#pragma once

#include <hb.h>

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "text/text.hpp"

namespace fw::text_internal {

template <auto destroy>
struct HbDeleter {
  template <typename T>
  void operator()(T* object) const {
    destroy(object);
  }
};
using HbBlob = std::unique_ptr<hb_blob_t, HbDeleter<hb_blob_destroy>>;
using HbFace = std::unique_ptr<hb_face_t, HbDeleter<hb_face_destroy>>;
using HbFont = std::unique_ptr<hb_font_t, HbDeleter<hb_font_destroy>>;
using HbSet = std::unique_ptr<hb_set_t, HbDeleter<hb_set_destroy>>;
using HbBuffer = std::unique_ptr<hb_buffer_t, HbDeleter<hb_buffer_destroy>>;

// One face, immutable after loading: shared by every thread for lookups and shaping.
struct LoadedFont {
  FontInfo info;
  std::shared_ptr<hb_blob_t> blob;  // the mapped file, shared by the faces of a collection
  HbFace face;
  HbFont font;  // scale = units per em: positions come back in font units
  HbSet unicodes;
  double units_per_em = 1000;
  double ascender = 0, descender = 0;  // hhea, font units (descender < 0)
  double ideographic_bottom = 0;       // bottom of the ideographic em box (BASE or fallback)
  double cap_height = 0;               // height of "H", font units (0: no H)

  bool has(char32_t code_point) const;
};

// Private-use code points mean whatever one font says they mean: they are drawn only by
// fonts a set lists under `private_use` (none in the default set).
enum class ScriptClass { han = 0, latin = 1, other = 2, private_use = 3 };
const char* to_string(ScriptClass script);

struct FontSet {
  using Chains = std::array<std::vector<std::uint32_t>, 4>;  // indexed by ScriptClass

  std::filesystem::path file;
  std::vector<std::filesystem::path> search_paths;  // after `{job}` replacement
  std::vector<LoadedFont> fonts;
  std::vector<FontInfo> infos;  // fonts[i].info, for TextEngine::fonts()
  Chains default_chains;
  std::map<std::string, Chains> language_chains;

  const std::vector<std::uint32_t>& chain(ScriptClass script, const std::string& language) const;
};

// Throws Error(job) naming the file, line and key; a font that cannot be found names the
// folders searched.
std::shared_ptr<const FontSet> load_font_set(const std::filesystem::path& file,
                                             const std::filesystem::path& job_dir);

}  // namespace fw::text_internal
