#include "text/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <glib.h>
#include <hb.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>

#include "text/engine.hpp"
#include "text/script.hpp"

namespace fw {
namespace {

std::string missing_message(char32_t code_point, const std::string& text,
                            const std::string& context, const std::string& font_set) {
  const bool private_use =
      hb_unicode_general_category(hb_unicode_funcs_get_default(), code_point) ==
      HB_UNICODE_GENERAL_CATEGORY_PRIVATE_USE;
  return fmt::format(
      "{}no font{} can draw U+{:04X}{} (in \"{}\")", context.empty() ? "" : context + ": ",
      font_set.empty() ? "" : " in " + font_set, static_cast<std::uint32_t>(code_point),
      private_use ? ", a private-use code point (only fonts listed in "
                    "fallback.private_use draw those)"
                  : "",
      text);
}

std::atomic<std::uint64_t> next_engine_serial{1};

}  // namespace

MissingGlyph::MissingGlyph(char32_t code_point, const std::string& text, const std::string& context,
                           const std::string& font_set)
    : Error(ErrorKind::input, missing_message(code_point, text, context, font_set)),
      code_point_(code_point) {}

std::shared_ptr<const TextEngine> TextEngine::load(const std::filesystem::path& font_set,
                                                   const std::filesystem::path& job_dir) {
  return std::make_shared<text_internal::Engine>(text_internal::load_font_set(font_set, job_dir));
}

std::filesystem::path TextEngine::default_font_set() {
  if (const char* dir = std::getenv("FILMWRITER_FONTS"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir) / "default.toml";
  }
  return std::filesystem::path(FW_FONTS_DIR) / "default.toml";
}

std::shared_ptr<const TextEngine> TextEngine::load_default() {
  // Magic static: loaded once, thread-safe; a failed load throws and is retried next call.
  static const std::shared_ptr<const TextEngine> engine = load(default_font_set());
  return engine;
}

std::shared_ptr<const TextEngine> TextEngine::load_shared(const std::filesystem::path& font_set,
                                                          const std::filesystem::path& job_dir) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::string>, std::shared_ptr<const TextEngine>> loaded;
  std::error_code error;
  auto canonical = std::filesystem::weakly_canonical(font_set, error);
  if (error) canonical = font_set;
  const std::pair<std::string, std::string> key{canonical.string(), job_dir.string()};
  const std::lock_guard lock(mutex);
  auto& engine = loaded[key];
  if (!engine) engine = load(font_set, job_dir);
  return engine;
}

std::filesystem::path TextEngine::find_font_set(const std::string& name_or_path,
                                                const std::filesystem::path& base_dir) {
  if (name_or_path.empty()) return default_font_set();
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       std::filesystem::path(name_or_path).extension() == ".toml";
  if (is_path) {
    const std::filesystem::path path(name_or_path);
    return path.is_absolute() || base_dir.empty() ? path : (base_dir / path).lexically_normal();
  }
  const std::filesystem::path folder = default_font_set().parent_path();
  std::filesystem::path file = folder / (name_or_path + ".toml");
  if (std::filesystem::is_regular_file(file)) return file;
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  throw Error(
      ErrorKind::job,
      fmt::format("font set \"{}\": no file {} (sets in {}: {})", name_or_path, file.string(),
                  folder.string(),
                  names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
}

double size_for_cap_height_mm(double cap_height_mm, double reduction, double pitch_um,
                              double cap_height_em) {
  if (!(cap_height_mm > 0) || !(reduction > 0) || !(pitch_um > 0) || !(cap_height_em > 0)) {
    throw Error(ErrorKind::usage,
                fmt::format("text size: cap height {} mm, reduction {}, pitch {} um and cap "
                            "height {} em must all be > 0",
                            cap_height_mm, reduction, pitch_um, cap_height_em));
  }
  const double cap_height_px = cap_height_mm / reduction * 1000.0 / pitch_um;
  return cap_height_px / cap_height_em;
}

namespace text_internal {

Engine::Engine(std::shared_ptr<const FontSet> fonts)
    : fonts_(std::move(fonts)), serial_(next_engine_serial.fetch_add(1)) {}

ResolvedText Engine::resolve_fonts(const std::string& text, const std::string& language,
                                   const std::string& context,
                                   std::vector<CharFont>* report) const {
  const char* invalid = nullptr;
  if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), &invalid)) {
    throw Error(ErrorKind::input,
                fmt::format("{}text is not valid UTF-8 at byte {}",
                            context.empty() ? "" : context + ": ", invalid - text.data()));
  }
  ResolvedText out;
  for (const char* p = text.data(); p < text.data() + text.size(); p = g_utf8_next_char(p)) {
    out.byte_offsets.push_back(static_cast<std::size_t>(p - text.data()));
    out.code_points.push_back(g_utf8_get_char(p));
  }
  out.byte_offsets.push_back(text.size());
  const std::size_t n = out.code_points.size();
  const auto& cps = out.code_points;

  // Characters without a script of their own take the one before them in the paragraph,
  // else the one after, else `other`.
  std::vector<std::optional<ScriptClass>> scripts(n);
  for (std::size_t i = 0; i < n; ++i) scripts[i] = own_script(cps[i]);
  // Neighbours never take the private-use chain from a private-use character.
  auto context_script = [&](std::size_t i) {
    return scripts[i] == ScriptClass::private_use ? std::nullopt : scripts[i];
  };
  std::vector<ScriptClass> resolved(n, ScriptClass::other);
  std::vector<bool> has_previous(n, false);
  std::optional<ScriptClass> previous;
  for (std::size_t i = 0; i < n; ++i) {
    if (cps[i] == '\n') previous.reset();
    if (context_script(i)) previous = context_script(i);
    if (scripts[i] == ScriptClass::private_use) {
      resolved[i] = ScriptClass::private_use;
      has_previous[i] = true;
    } else if (previous) {
      resolved[i] = *previous;
      has_previous[i] = true;
    }
  }
  std::optional<ScriptClass> next;
  for (std::size_t i = n; i-- > 0;) {
    if (cps[i] == '\n') next.reset();
    if (context_script(i)) next = context_script(i);
    if (!has_previous[i] && next) resolved[i] = *next;
  }

  out.fonts.assign(n, ResolvedText::kNoFont);
  const auto& all = fonts_->fonts;
  for (std::size_t i = 0; i < n; ++i) {
    const char32_t c = cps[i];
    if (c == '\n') continue;
    const auto& chain = fonts_->chain(resolved[i], language);
    std::uint32_t chosen = ResolvedText::kNoFont;
    char32_t missing = c;
    const bool attached = i > 0 && cps[i - 1] != '\n' &&
                          (is_variation_selector(c) || is_default_ignorable(c) ||
                           (is_combining_mark(c) && out.fonts[i - 1] != ResolvedText::kNoFont &&
                            all[out.fonts[i - 1]].has(c)));
    if (attached) {
      chosen = out.fonts[i - 1];  // drawn with (or as part of) the character before it
    } else if (is_default_ignorable(c)) {
      chosen = fonts_->chain(ScriptClass::other, language).front();  // draws nothing
    } else if (c >= 0x20 && !is_variation_selector(c)) {
      const char32_t selector = i + 1 < n && is_variation_selector(cps[i + 1]) ? cps[i + 1] : 0;
      for (std::uint32_t font : chain) {
        hb_codepoint_t glyph = 0;
        const bool has_form =
            selector == 0 || hb_font_get_variation_glyph(all[font].font.get(), c, selector, &glyph);
        if (all[font].has(c) && has_form) {
          chosen = font;
          break;
        }
      }
      // A base that exists but not in the selected form: the selector is what is missing.
      if (chosen == ResolvedText::kNoFont && selector != 0) {
        for (std::uint32_t font : chain) {
          if (all[font].has(c)) missing = selector;
        }
      }
    }
    if (report != nullptr) {
      report->push_back({c, to_string(resolved[i]),
                         chosen == ResolvedText::kNoFont ? -1 : static_cast<int>(chosen)});
    }
    if (chosen == ResolvedText::kNoFont && report == nullptr) {
      throw MissingGlyph(missing, text, context, fonts_->file.string());
    }
    out.fonts[i] = chosen;
  }
  return out;
}

std::vector<std::uint32_t> Engine::check(const std::string& text, const std::string& context,
                                         const std::string& language) const {
  std::vector<std::uint32_t> fonts = resolve_fonts(text, language, context).fonts;
  std::erase(fonts, ResolvedText::kNoFont);
  std::sort(fonts.begin(), fonts.end());
  fonts.erase(std::unique(fonts.begin(), fonts.end()), fonts.end());
  return fonts;
}

std::vector<CharFont> Engine::resolve(const std::string& text, const std::string& language) const {
  std::vector<CharFont> report;
  resolve_fonts(text, language, "", &report);
  return report;
}

std::vector<std::uint32_t> Engine::chain(const std::string& script,
                                         const std::string& language) const {
  for (ScriptClass candidate :
       {ScriptClass::han, ScriptClass::latin, ScriptClass::other, ScriptClass::private_use}) {
    if (script == to_string(candidate)) return fonts_->chain(candidate, language);
  }
  throw Error(
      ErrorKind::usage,
      fmt::format("unknown script \"{}\" (expected han, latin, other or private_use)", script));
}

std::vector<std::string> Engine::languages() const {
  std::vector<std::string> out;
  for (const auto& [language, chains] : fonts_->language_chains) out.push_back(language);
  return out;
}

std::size_t Engine::covered(std::size_t font, char32_t first, char32_t last) const {
  const hb_set_t* set = fonts_->fonts.at(font).unicodes.get();
  std::size_t count = 0;
  hb_codepoint_t code_point =
      first - 1;  // hb_set_next starts after this (HB_SET_VALUE_INVALID for 0)
  if (first == 0) code_point = HB_SET_VALUE_INVALID;
  while (hb_set_next(set, &code_point) && code_point <= last) ++count;
  return count;
}

int Engine::cap_height_font() const {
  for (ScriptClass script : {ScriptClass::latin, ScriptClass::other, ScriptClass::han}) {
    for (std::uint32_t index : fonts_->default_chains[static_cast<std::size_t>(script)]) {
      if (fonts_->fonts[index].cap_height > 0) return static_cast<int>(index);
    }
  }
  return -1;
}

double Engine::cap_height_em() const {
  const int index = cap_height_font();
  if (index < 0) return 0.733;  // no font of the set has an "H": Noto CJK's cap height
  const LoadedFont& font = fonts_->fonts[static_cast<std::size_t>(index)];
  return font.cap_height / font.units_per_em;
}

}  // namespace text_internal
}  // namespace fw
