// `fonts` and `text`: what the font set covers, which font draws each character, and a
// preview of a title as it will be set on film (api/fonts.hpp), printed.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <glib.h>

#include "api/fonts.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

std::string utf8(char32_t code_point) {
  char bytes[6];
  return std::string(bytes, static_cast<std::size_t>(g_unichar_to_utf8(code_point, bytes)));
}

// One line per character; a character no font draws fails the command (exit 3).
int run_text_check(const std::string& font_set, const std::string& check,
                   const std::string& language) {
  const auto engine = api::open_font_set(font_set);
  char32_t missing = 0;
  for (const auto& c : engine->resolve(check, language)) {
    if (c.code_point == '\n') continue;
    const std::string shown = c.code_point < 0x20 ? "" : utf8(c.code_point);
    if (c.font < 0) {
      fmt::print("U+{:04X} {}  {}: MISSING (no font in the {} chain)\n",
                 static_cast<std::uint32_t>(c.code_point), shown, c.script, c.script);
      if (missing == 0) missing = c.code_point;
    } else {
      const FontInfo& font = engine->fonts()[static_cast<std::size_t>(c.font)];
      fmt::print("U+{:04X} {}  {}: {} ({})\n", static_cast<std::uint32_t>(c.code_point), shown,
                 c.script, font.id, font.family);
    }
  }
  if (missing != 0) {
    throw MissingGlyph(missing, check, "fonts --check", engine->font_set_file().string());
  }
  return exit_ok;
}

int run_fonts(const std::string& font_set) {
  const auto engine = api::open_font_set(font_set);
  fmt::print("font set {}\n", engine->font_set_file().string());
  for (std::size_t i = 0; i < engine->fonts().size(); ++i) {
    const FontInfo& font = engine->fonts()[i];
    fmt::print("{}: {}, {} (face {}), {} glyphs, {} code points\n", font.id, font.family,
               font.file.string(), font.face_index, font.glyphs, font.code_points);
    std::string coverage;
    for (const auto& block : api::block_coverage(*engine, i)) {
      coverage +=
          fmt::format("{}{} {}", coverage.empty() ? "" : ", ", block.block, block.code_points);
    }
    fmt::print("  covers {}\n",
               coverage.empty() ? std::string("none of the CJK blocks") : coverage);
  }
  for (const auto& chain : api::fallback_chains(*engine)) {
    fmt::print("fallback {}{}: {}\n", chain.script,
               chain.language.empty() ? "" : " (" + chain.language + ")",
               fmt::join(chain.fonts, ", "));
  }
  return exit_ok;
}

int run_text(const api::TextPreviewRequest& request) {
  const api::TextPreview preview = api::render_text_preview(request);
  fmt::print("{}: {} x {} px, {} {}, size {:.1f} px (cap height {:.1f} px), fonts {}\n",
             request.out.string(), preview.width_px, preview.height_px, preview.lines,
             request.vertical ? "column(s)" : "line(s)", preview.size_px, preview.cap_height_px,
             fmt::join(preview.fonts, ", "));
  if (!preview.fits) {
    fmt::print("note: the text is larger than the box given ({:.0f} x {:.0f} px of ink)\n",
               preview.ink_width_px, preview.ink_height_px);
  }
  return exit_ok;
}

// The font set, as `fonts` and `text` both take it.
void add_font_set_option(CLI::App& cmd, std::string& font_set) {
  cmd.add_option("--font-set,--set", font_set,
                 "font set: a name in fonts/ (serif) or a set file (default: fonts/default.toml)");
}

}  // namespace

void add_text_commands(CLI::App& app, std::vector<Command>& commands) {
  struct FontsFlags {
    std::string font_set, check, language = "zh-Hans";
  };
  auto fonts_flags = std::make_shared<FontsFlags>();
  auto* fonts =
      app.add_subcommand("fonts", "list the font set, or which font draws each character");
  fonts->add_option("--check", fonts_flags->check, "text to check character by character");
  add_font_set_option(*fonts, fonts_flags->font_set);
  fonts->add_option("--lang", fonts_flags->language,
                    "language for --check: zh-Hans, zh-Hant, ja ...");
  commands.push_back({fonts, [fonts_flags](Context&) {
                        const FontsFlags& f = *fonts_flags;
                        return f.check.empty() ? run_fonts(f.font_set)
                                               : run_text_check(f.font_set, f.check, f.language);
                      }});

  auto request = std::make_shared<api::TextPreviewRequest>();
  auto* text = app.add_subcommand("text", "render a text preview as it will be set on film");
  text->add_option("TEXT", request->text,
                   "the text; a newline starts a new paragraph (bash: $'第一行\\n第二行')")
      ->required();
  text->add_option("--font-size", request->font_size,
                   "em size in px (40px) or cap height in mm at the document scale (3.5mm)");
  text->add_option("--reduction", request->reduction,
                   "reduction for mm sizes (default 1: on film)");
  text->add_option("--pitch-um", request->pitch_um, "recorder pixel pitch for mm sizes (2.5)");
  text->add_flag("--vertical", request->vertical, "vertical: top to bottom, columns right to left");
  text->add_option("--lang", request->language, "zh-Hans (default), zh-Hant, zh-HK, ja, en ...");
  text->add_option("--width", request->width, "box width in px or mm: lines break there");
  text->add_option("--height", request->height, "box height in px or mm: columns break there");
  text->add_option("--align", request->align, "start, centre, end or justify");
  text->add_flag("--bitonal", request->bitonal, "no anti-aliasing (bitonal jobs)");
  add_font_set_option(*text, request->font_set);
  text->add_option("--out", request->out, "preview image (.png, .tif)")->required();
  commands.push_back({text, [request](Context&) { return run_text(*request); }});
}

}  // namespace fw::cli
