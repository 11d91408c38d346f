#include "text/font_set.hpp"

#include <fmt/format.h>
#include <hb-ot.h>
#include <toml++/toml.h>

#include <algorithm>
#include <string_view>
#include <system_error>

#include "core/error.hpp"

namespace fw::text_internal {
namespace {

constexpr std::array<std::string_view, 4> kScriptKeys = {"han", "latin", "other", "private_use"};
constexpr std::size_t kRequiredChains = 3;  // private_use is optional

std::string describe(const toml::node& node) {
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  if (const auto* text = node.as_string()) return fmt::format("\"{}\"", text->get());
  if (node.is_number()) return fmt::format("{}", *node.value<double>());
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  return "a date or time";
}

// Entries of a table in the order they are written (toml++ keeps keys sorted).
std::vector<std::pair<std::string, const toml::node*>> in_file_order(const toml::table& table) {
  std::vector<std::pair<std::string, const toml::node*>> entries;
  for (auto&& [key, node] : table) entries.emplace_back(std::string(key.str()), &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.second->source().begin;
    const auto& pb = b.second->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

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
    toml::table root;
    try {
      root = toml::parse_file(file_.string());
    } catch (const toml::parse_error& error) {
      throw Error(ErrorKind::job, fmt::format("{}:{}: syntax error: {}", file_.string(),
                                              error.source().begin.line, error.description()));
    }
    auto set = std::make_shared<FontSet>();
    set->file = file_;
    for (const auto& [key, node] : in_file_order(root)) {
      if (key != "search_paths" && key != "fonts" && key != "fallback") {
        fail(*node, key, "search_paths, fonts or fallback", "an unknown key");
      }
    }
    read_search_paths(require(root, "search_paths", "an array of folders"), *set);
    index_font_files(*set);
    read_fonts(require(root, "fonts", "a table of fonts"), *set);
    read_fallback(require(root, "fallback", "a table of fallback chains"), *set);
    for (const auto& font : set->fonts) set->infos.push_back(font.info);
    return set;
  }

 private:
  [[noreturn]] void fail(const toml::node& node, std::string_view key, std::string_view expected,
                         std::string_view got) const {
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}: expected {}, got {}", file_.string(),
                                            node.source().begin.line, key, expected, got));
  }

  const toml::node& require(const toml::table& table, std::string_view key,
                            std::string_view expected) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      throw Error(ErrorKind::job, fmt::format("{}:{}: {}: expected {}, got nothing", file_.string(),
                                              table.source().begin.line, key, expected));
    }
    return *node;
  }

  void read_search_paths(const toml::node& node, FontSet& set) const {
    const auto* paths = node.as_array();
    if (paths == nullptr) fail(node, "search_paths", "an array of folders", describe(node));
    for (std::size_t i = 0; i < paths->size(); ++i) {
      const toml::node& entry = *paths->get(i);
      const auto* text = entry.as_string();
      const std::string key = fmt::format("search_paths[{}]", i + 1);
      if (text == nullptr || text->get().empty()) {
        fail(entry, key, "a folder name", describe(entry));
      }
      std::string path = text->get();
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

  void read_fonts(const toml::node& node, FontSet& set) {
    const auto* fonts = node.as_table();
    if (fonts == nullptr) fail(node, "fonts", "a table of fonts", describe(node));
    for (const auto& [id, entry_node] : in_file_order(*fonts)) {
      const std::string key = "fonts." + id;
      const auto* entry = entry_node->as_table();
      if (entry == nullptr) {
        fail(*entry_node, key, "{ file = \"...\", family = \"...\" }", describe(*entry_node));
      }
      for (auto&& [name, value] : *entry) {
        if (name.str() != "file" && name.str() != "family") {
          fail(value, key + "." + std::string(name.str()), "file or family", "an unknown key");
        }
      }
      const toml::node& file_node = require(*entry, "file", "a font file name");
      const auto* file_name = file_node.as_string();
      if (file_name == nullptr || file_name->get().empty()) {
        fail(file_node, key + ".file", "a font file name", describe(file_node));
      }
      std::string family;
      if (const toml::node* family_node = entry->get("family")) {
        const auto* text = family_node->as_string();
        if (text == nullptr || text->get().empty()) {
          fail(*family_node, key + ".family", "a family name", describe(*family_node));
        }
        family = text->get();
      }
      set.fonts.push_back(open_font(id, file_name->get(), family, *entry_node, set));
    }
    if (set.fonts.empty()) fail(node, "fonts", "at least one font", "an empty table");
  }

  LoadedFont open_font(const std::string& id, const std::string& file_name,
                       const std::string& family, const toml::node& where, const FontSet& set) {
    const std::string key = "fonts." + id;
    const auto found = files_.find(file_name);
    if (found == files_.end()) {
      std::string searched;
      for (const auto& folder : set.search_paths) {
        searched += (searched.empty() ? "" : ", ") + folder.string();
      }
      fail(where, key + ".file", fmt::format("a font file found in {}", searched),
           fmt::format("no file named \"{}\" (is its font package installed? see "
                       "tools/install-deps)",
                       file_name));
    }
    auto blob = open_blob(found->second);
    const unsigned faces = blob ? hb_face_count(blob.get()) : 0;
    if (faces == 0) {
      fail(where, key + ".file", "a TrueType/OpenType font",
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
      fail(where, key + ".family", fmt::format("a family in {}: {}", found->second.string(), names),
           fmt::format("\"{}\"", family));
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

  FontSet::Chains read_chains(const toml::table& table, const std::string& prefix,
                              const FontSet& set, bool languages_allowed,
                              const FontSet::Chains* defaults) const {
    FontSet::Chains chains;
    if (defaults != nullptr) chains = *defaults;
    for (const auto& [name, node] : in_file_order(table)) {
      const std::string key = prefix + "." + name;
      const auto script = std::find(kScriptKeys.begin(), kScriptKeys.end(), name);
      if (script == kScriptKeys.end()) {
        if (languages_allowed && node->is_table()) continue;  // a language, read later
        fail(*node, key,
             languages_allowed ? "han, latin, other, private_use or a language table"
                               : "han, latin, other or private_use",
             "an unknown key");
      }
      const auto* ids = node->as_array();
      if (ids == nullptr || ids->empty()) fail(*node, key, "a list of font ids", describe(*node));
      auto& chain = chains[static_cast<std::size_t>(script - kScriptKeys.begin())];
      chain.clear();
      for (const toml::node& id_node : *ids) {
        const auto* id = id_node.as_string();
        const auto font = std::find_if(set.fonts.begin(), set.fonts.end(), [&](const auto& f) {
          return id != nullptr && f.info.id == id->get();
        });
        if (font == set.fonts.end()) {
          fail(id_node, key, "the id of a font in [fonts]", describe(id_node));
        }
        chain.push_back(static_cast<std::uint32_t>(font - set.fonts.begin()));
      }
    }
    return chains;
  }

  void read_fallback(const toml::node& node, FontSet& set) const {
    const auto* table = node.as_table();
    if (table == nullptr) fail(node, "fallback", "a table of fallback chains", describe(node));
    for (std::size_t script = 0; script < kRequiredChains; ++script) {
      require(*table, kScriptKeys[script], "a list of font ids");
    }
    set.default_chains = read_chains(*table, "fallback", set, true, nullptr);
    for (const auto& [language, language_node] : in_file_order(*table)) {
      if (const auto* language_table = language_node->as_table()) {
        set.language_chains[language] =
            read_chains(*language_table, "fallback." + language, set, false, &set.default_chains);
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
