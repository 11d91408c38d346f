#include "text/font_set.hpp"

#include <fmt/format.h>
#include <hb-ot.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <system_error>

#include "base/strings.hpp"
#include "base/toml_reader.hpp"
#include "core/error.hpp"

namespace fw::text_internal {
namespace {

constexpr std::array<std::string_view, 4> kScriptKeys = {"han", "latin", "other", "private_use"};
constexpr std::size_t kRequiredChains = 3;  // private_use is optional

// The family name as the font states it (typographic family first, as in a collection).
std::string family_of(hb_face_t* face) {
  for (hb_ot_name_id_t id : {HB_OT_NAME_ID_TYPOGRAPHIC_FAMILY, HB_OT_NAME_ID_FONT_FAMILY}) {
    char name[256];
    unsigned length = sizeof name;
    hb_ot_name_get_utf8(face, id, hb_language_from_string("en", -1), &length, name);
    if (length > 0) return std::string(name, length);
  }
  return {};
}

class FontSetReader {
 public:
  FontSetReader(std::filesystem::path file, const std::filesystem::path& job_dir)
      : file_(std::move(file)), job_dir_(job_dir) {}

  std::shared_ptr<const FontSet> read() {
    const TomlDocument document = TomlDocument::load(file_);
    const TomlTable root = document.root();
    auto set = std::make_shared<FontSet>();
    set->file = file_;
    root.only({"search_paths", "fonts", "fallback"});
    read_search_paths(root.require("search_paths", "an array of folders"), *set);
    index_font_files(*set);
    read_fonts(root.require("fonts", "a table of fonts"), *set);
    read_fallback(root.require("fallback", "a table of fallback chains"), *set);
    for (const auto& font : set->fonts) set->infos.push_back(font.info);
    return set;
  }

 private:
  void read_search_paths(const TomlValue& value, FontSet& set) const {
    for (const TomlValue& entry : value.array("an array of folders")) {
      std::string path = entry.text("a folder name");
      if (const auto at = path.find("{job}"); at != std::string::npos) {
        if (job_dir_.empty()) continue;  // no job: nothing of its own to search
        path.replace(at, 5, job_dir_.string());
      }
      std::filesystem::path folder(path);
      if (folder.is_relative()) folder = file_.parent_path() / folder;
      set.search_paths.push_back(folder);
    }
  }

  // One walk over every search path; a name found in an earlier path wins.
  void index_font_files(const FontSet& set) {
    for (const auto& folder : set.search_paths) {
      std::error_code error;
      auto it = std::filesystem::recursive_directory_iterator(
          folder, std::filesystem::directory_options::skip_permission_denied, error);
      if (error) continue;  // a missing folder (e.g. no {job}/fonts) holds no fonts
      for (; it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        if (error) break;
        if (!it->is_regular_file(error)) continue;
        files_.try_emplace(it->path().filename().string(), it->path());
      }
    }
  }

  std::shared_ptr<hb_blob_t> open_blob(const std::filesystem::path& path) {
    if (auto found = blobs_.find(path); found != blobs_.end()) return found->second;
    hb_blob_t* blob = hb_blob_create_from_file_or_fail(path.c_str());
    if (blob == nullptr) return nullptr;
    std::shared_ptr<hb_blob_t> shared(blob, hb_blob_destroy);
    blobs_.emplace(path, shared);
    return shared;
  }

  void read_fonts(const TomlValue& value, FontSet& set) {
    const TomlTable fonts = value.table("a table of fonts");
    for (const TomlValue& entry_value : fonts.entries()) {
      const std::string id(fonts.name_of(entry_value));
      const TomlTable entry = entry_value.table(R"({ file = "...", family = "..." })");
      entry.only({"file", "family"});
      const TomlValue file = entry.require("file", "a font file name");
      const std::optional<TomlValue> family = entry.get("family");
      set.fonts.push_back(open_font(id, file, family, set));
    }
    if (set.fonts.empty()) value.fail("at least one font", "an empty table");
  }

  LoadedFont open_font(const std::string& id, const TomlValue& file,
                       const std::optional<TomlValue>& family_value, const FontSet& set) {
    const std::string file_name = file.text("a font file name");
    const std::string family = family_value ? family_value->text("a family name") : "";
    const auto found = files_.find(file_name);
    if (found == files_.end()) {
      std::string searched;
      for (const auto& folder : set.search_paths) {
        searched += (searched.empty() ? "" : ", ") + folder.string();
      }
      file.fail(fmt::format("a font file found in {}", searched),
                fmt::format("no file named \"{}\" (is its font package installed? see "
                            "tools/install-deps)",
                            file_name));
    }
    auto blob = open_blob(found->second);
    const unsigned faces = blob ? hb_face_count(blob.get()) : 0;
    if (faces == 0) {
      file.fail("a TrueType/OpenType font",
                fmt::format("{}, which is not one", found->second.string()));
    }
    LoadedFont font;
    std::vector<std::string> families;
    for (unsigned index = 0; index < faces; ++index) {
      HbFace face(hb_face_create(blob.get(), index));
      const std::string name = family_of(face.get());
      families.push_back(name);
      if (!family.empty() && name != family) continue;
      font.info.face_index = index;
      font.info.family = name;
      font.face = std::move(face);
      break;
    }
    if (!font.face) {
      std::string names;
      for (const auto& name : families) names += (names.empty() ? "\"" : ", \"") + name + "\"";
      family_value->fail(fmt::format("a family in {}: {}", found->second.string(), names));
    }
    font.info.id = id;
    font.info.file = found->second;
    font.blob = blob;
    hb_face_make_immutable(font.face.get());
    font.font.reset(hb_font_create(font.face.get()));
    hb_font_make_immutable(font.font.get());
    font.units_per_em = hb_face_get_upem(font.face.get());
    font.unicodes.reset(hb_set_create());
    hb_face_collect_unicodes(font.face.get(), font.unicodes.get());
    font.info.code_points = hb_set_get_population(font.unicodes.get());
    font.info.glyphs = hb_face_get_glyph_count(font.face.get());

    hb_font_extents_t extents{};
    hb_font_get_h_extents(font.font.get(), &extents);
    font.ascender = extents.ascender;
    font.descender = extents.descender;
    hb_position_t bottom = 0;
    hb_ot_layout_get_baseline_with_fallback(
        font.font.get(), HB_OT_LAYOUT_BASELINE_TAG_IDEO_EMBOX_BOTTOM_OR_LEFT, HB_DIRECTION_LTR,
        HB_OT_TAG_DEFAULT_SCRIPT, HB_OT_TAG_DEFAULT_LANGUAGE, &bottom);
    font.ideographic_bottom = bottom;
    hb_codepoint_t capital = 0;
    hb_glyph_extents_t capital_extents{};
    if (hb_font_get_nominal_glyph(font.font.get(), 'H', &capital) &&
        hb_font_get_glyph_extents(font.font.get(), capital, &capital_extents)) {
      font.cap_height = capital_extents.y_bearing;  // top of the H above the baseline
    }
    return font;
  }

  FontSet::Chains read_chains(const TomlTable& table, const FontSet& set, bool languages_allowed,
                              const FontSet::Chains* defaults) const {
    FontSet::Chains chains;
    if (defaults != nullptr) chains = *defaults;
    for (const TomlValue& value : table.entries()) {
      const std::string_view name = table.name_of(value);
      const auto script = std::find(kScriptKeys.begin(), kScriptKeys.end(), name);
      if (script == kScriptKeys.end()) {
        if (languages_allowed && value.is_table()) continue;  // a language, read later
        // A typo of a script is named as such; any other key could have been meant as a
        // language, which takes a table of chains.
        if (!languages_allowed || !closest_word(name, kScriptKeys).empty()) {
          table.fail_unknown(value, kScriptKeys);
        }
        value.fail("han, latin, other, private_use or a language table", "an unknown key");
      }
      auto& chain = chains[static_cast<std::size_t>(script - kScriptKeys.begin())];
      chain.clear();
      for (const TomlValue& id_value : value.array("a list of font ids", true)) {
        const auto id = id_value.as_string();
        const auto font = std::find_if(set.fonts.begin(), set.fonts.end(),
                                       [&](const auto& f) { return id && f.info.id == *id; });
        if (font == set.fonts.end()) id_value.fail_type("the id of a font in [fonts]");
        chain.push_back(static_cast<std::uint32_t>(font - set.fonts.begin()));
      }
    }
    return chains;
  }

  void read_fallback(const TomlValue& value, FontSet& set) const {
    const TomlTable table = value.table("a table of fallback chains");
    // Every key first, so that a typo ("latn") is named as one rather than as latin missing.
    set.default_chains = read_chains(table, set, true, nullptr);
    for (std::size_t script = 0; script < kRequiredChains; ++script) {
      table.require(kScriptKeys[script], "a list of font ids");
    }
    for (const TomlValue& language : table.entries()) {
      if (language.is_table()) {
        set.language_chains[std::string(table.name_of(language))] =
            read_chains(language.table(), set, false, &set.default_chains);
      }
    }
  }

  std::filesystem::path file_;
  std::filesystem::path job_dir_;
  std::map<std::string, std::filesystem::path> files_;  // file name -> first path found
  std::map<std::filesystem::path, std::shared_ptr<hb_blob_t>> blobs_;
};

}  // namespace

bool LoadedFont::has(char32_t code_point) const {
  return hb_set_has(unicodes.get(), code_point);
}

const char* to_string(ScriptClass script) {
  return kScriptKeys[static_cast<std::size_t>(script)].data();
}

const std::vector<std::uint32_t>& FontSet::chain(ScriptClass script,
                                                 const std::string& language) const {
  const auto found = language_chains.find(language);
  const Chains& chains = found != language_chains.end() ? found->second : default_chains;
  return chains[static_cast<std::size_t>(script)];
}

std::shared_ptr<const FontSet> load_font_set(const std::filesystem::path& file,
                                             const std::filesystem::path& job_dir) {
  if (!std::filesystem::is_regular_file(file)) {
    throw Error(ErrorKind::job, fmt::format("{}: font set not found", file.string()));
  }
  return FontSetReader(file, job_dir).read();
}

}  // namespace fw::text_internal
