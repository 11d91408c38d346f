// `fonts` and `text`: what the font set covers, which font draws each character, and a
// preview of a title as it will be set on film.
#include <fmt/format.h>

#include <vips/vips8>

#include <charconv>
#include <set>

#include "commands.hpp"
#include "core/error.hpp"
#include "text/text.hpp"

namespace fw::cli {
namespace {

struct Block {
  const char* name;
  char32_t first, last;
};
// The CJK blocks a preservation title may need, for `fonts`' coverage table.
constexpr Block kBlocks[] = {
    {"CJK Unified", 0x4E00, 0x9FFF},   {"Ext A", 0x3400, 0x4DBF},   {"Ext B", 0x20000, 0x2A6DF},
    {"Ext C", 0x2A700, 0x2B73F},       {"Ext D", 0x2B740, 0x2B81F}, {"Ext E", 0x2B820, 0x2CEAF},
    {"Ext F", 0x2CEB0, 0x2EBEF},       {"Ext G", 0x30000, 0x3134F}, {"Ext H", 0x31350, 0x323AF},
    {"Compatibility", 0xF900, 0xFAFF}, {"Latin", 0x0020, 0x024F},
};

std::shared_ptr<const TextEngine> open_font_set(const std::string& font_set) {
  // A set name ("serif": fonts/serif.toml) or a set file, as the job's `fonts` key takes.
  return font_set.empty() ? TextEngine::load_default()
                          : TextEngine::load(TextEngine::find_font_set(font_set));
}

std::string utf8(char32_t code_point) {
  char bytes[6];
  return std::string(bytes, static_cast<std::size_t>(g_unichar_to_utf8(code_point, bytes)));
}

std::string font_names(const TextEngine& engine, const std::vector<std::uint32_t>& chain) {
  std::string names;
  for (std::uint32_t font : chain) names += (names.empty() ? "" : ", ") + engine.fonts()[font].id;
  return names;
}

int run_fonts(const std::string& font_set, const std::string& check, const std::string& language) {
  const auto engine = open_font_set(font_set);
  if (!check.empty()) {
    // One line per character; a character no font draws fails the command (exit 3).
    const auto report = engine->resolve(check, language);
    char32_t missing = 0;
    for (const auto& c : report) {
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
  fmt::print("font set {}\n", engine->font_set_file().string());
  for (std::size_t i = 0; i < engine->fonts().size(); ++i) {
    const FontInfo& font = engine->fonts()[i];
    fmt::print("{}: {}, {} (face {}), {} glyphs, {} code points\n", font.id, font.family,
               font.file.string(), font.face_index, font.glyphs, font.code_points);
    std::string coverage;
    for (const Block& block : kBlocks) {
      const std::size_t covered = engine->covered(i, block.first, block.last);
      if (covered > 0) {
        coverage += fmt::format("{}{} {}", coverage.empty() ? "" : ", ", block.name, covered);
      }
    }
    fmt::print("  covers {}\n",
               coverage.empty() ? std::string("none of the CJK blocks") : coverage);
  }
  for (const std::string& lang : [&] {
         auto all = engine->languages();
         all.insert(all.begin(), "");
         return all;
       }()) {
    for (const char* script : {"han", "latin", "other", "private_use"}) {
      const auto chain = engine->chain(script, lang);
      if (chain.empty()) continue;
      fmt::print("fallback {}{}: {}\n", script, lang.empty() ? "" : " (" + lang + ")",
                 font_names(*engine, chain));
    }
  }
  return exit_ok;
}

// "40px", "40" or "3.5mm"; mm are at the document's scale (see size_for_cap_height_mm).
struct Length {
  double value = 0;
  bool mm = false;
};

Length parse_length(const std::string& option, const std::string& text) {
  Length length;
  std::string_view number = text;
  if (number.ends_with("mm")) {
    length.mm = true;
    number.remove_suffix(2);
  } else if (number.ends_with("px")) {
    number.remove_suffix(2);
  }
  const auto [end, error] =
      std::from_chars(number.data(), number.data() + number.size(), length.value);
  if (error != std::errc() || end != number.data() + number.size() || !(length.value > 0)) {
    throw Error(ErrorKind::usage,
                fmt::format("{}: expected a length > 0 in px or mm (40px, 3.5mm), got \"{}\"",
                            option, text));
  }
  return length;
}

struct TextFlags {
  std::string text;
  std::string font_size = "32px";
  double reduction = 1;
  double pitch_um = 2.5;
  bool vertical = false;
  bool bitonal = false;
  std::string language = "zh-Hans";
  std::string width, height;
  std::string align = "start";
  std::string font_set;
  std::string out;
};

int run_text(const TextFlags& flags) {
  const auto engine = open_font_set(flags.font_set);
  auto to_px = [&](const std::string& option, const std::string& text) {
    const Length length = parse_length(option, text);
    return length.mm ? length.value / flags.reduction * 1000.0 / flags.pitch_um : length.value;
  };
  if (!(flags.reduction > 0) || !(flags.pitch_um > 0)) {
    throw Error(ErrorKind::usage, "--reduction and --pitch-um: expected numbers > 0");
  }
  TextStyle style;
  const Length size = parse_length("--font-size", flags.font_size);
  style.size_px = size.mm ? size_for_cap_height_mm(size.value, flags.reduction, flags.pitch_um,
                                                   engine->cap_height_em())
                          : size.value;
  style.mode = flags.vertical ? WritingMode::vertical : WritingMode::horizontal;
  style.language = flags.language;
  style.bitonal = flags.bitonal;
  if (flags.align == "start") {
    style.align = Align::start;
  } else if (flags.align == "centre" || flags.align == "center") {
    style.align = Align::centre;
  } else if (flags.align == "end") {
    style.align = Align::end;
  } else if (flags.align == "justify") {
    style.align = Align::justify;
  } else {
    throw Error(
        ErrorKind::usage,
        fmt::format("--align: expected start, centre, end or justify, got \"{}\"", flags.align));
  }
  Box box;
  if (!flags.width.empty()) box.width = to_px("--width", flags.width);
  if (!flags.height.empty()) box.height = to_px("--height", flags.height);

  const Layout layout = engine->layout(flags.text, box, style, "text");
  // Black ink on white paper with a one-em margin, as the operator will read the frame.
  const auto margin = static_cast<std::uint32_t>(std::ceil(style.size_px));
  const auto width = static_cast<std::uint32_t>(std::ceil(layout.width)) + 2 * margin;
  const auto height = static_cast<std::uint32_t>(std::ceil(layout.height)) + 2 * margin;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height, 255);
  engine->draw(layout, GreyImage{width, height, pixels.data(), width}, margin, margin, 0);
  vips::VImage image =
      vips::VImage::new_from_memory(pixels.data(), pixels.size(), static_cast<int>(width),
                                    static_cast<int>(height), 1, VIPS_FORMAT_UCHAR);
  image.write_to_file(flags.out.c_str());

  std::set<std::uint32_t> used;
  for (const auto& glyph : layout.glyphs) used.insert(glyph.font);
  std::string fonts;
  for (std::uint32_t font : used) fonts += (fonts.empty() ? "" : ", ") + engine->fonts()[font].id;
  fmt::print("{}: {} x {} px, {} {}, size {:.1f} px (cap height {:.1f} px), fonts {}\n", flags.out,
             width, height, layout.lines.size(), flags.vertical ? "column(s)" : "line(s)",
             style.size_px, style.size_px * engine->cap_height_em(), fonts);
  if (!layout.fits) {
    fmt::print("note: the text is larger than the box given ({:.0f} x {:.0f} px of ink)\n",
               layout.ink.width, layout.ink.height);
  }
  return exit_ok;
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
  fonts->add_option(
      "--font-set,--set", fonts_flags->font_set,
      "font set: a name in fonts/ (serif) or a set file (default: fonts/default.toml)");
  fonts->add_option("--lang", fonts_flags->language,
                    "language for --check: zh-Hans, zh-Hant, ja ...");
  commands.push_back({fonts, [fonts_flags](Context&) {
                        return run_fonts(fonts_flags->font_set, fonts_flags->check,
                                         fonts_flags->language);
                      }});

  auto flags = std::make_shared<TextFlags>();
  auto* text = app.add_subcommand("text", "render a text preview as it will be set on film");
  text->add_option("TEXT", flags->text,
                   "the text; a newline starts a new paragraph (bash: $'第一行\\n第二行')")
      ->required();
  text->add_option("--font-size", flags->font_size,
                   "em size in px (40px) or cap height in mm at the document scale (3.5mm)");
  text->add_option("--reduction", flags->reduction, "reduction for mm sizes (default 1: on film)");
  text->add_option("--pitch-um", flags->pitch_um, "recorder pixel pitch for mm sizes (2.5)");
  text->add_flag("--vertical", flags->vertical, "vertical: top to bottom, columns right to left");
  text->add_option("--lang", flags->language, "zh-Hans (default), zh-Hant, zh-HK, ja, en ...");
  text->add_option("--width", flags->width, "box width in px or mm: lines break there");
  text->add_option("--height", flags->height, "box height in px or mm: columns break there");
  text->add_option("--align", flags->align, "start, centre, end or justify");
  text->add_flag("--bitonal", flags->bitonal, "no anti-aliasing (bitonal jobs)");
  text->add_option(
      "--font-set,--set", flags->font_set,
      "font set: a name in fonts/ (serif) or a set file (default: fonts/default.toml)");
  text->add_option("--out", flags->out, "preview image (.png, .tif)")->required();
  commands.push_back({text, [flags](Context&) { return run_text(*flags); }});
}

}  // namespace fw::cli
