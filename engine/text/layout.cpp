// Layout: paragraphs are split into runs where the font or the orientation changes, each
// run is shaped by HarfBuzz with the paragraph as context, then lines (or columns) are
// broken at CJK break opportunities and the glyphs are positioned in pixels.
#include <fmt/format.h>
#include <hb-ot.h>

#include <algorithm>
#include <cmath>

#include "text/engine.hpp"
#include "text/script.hpp"

namespace fw::text_internal {
namespace {

constexpr double kEpsilon = 1e-6;

// A glyph as shaped, in pixels; `advance` runs along the line (down a column).
struct ShapedGlyph {
  std::uint32_t font = 0;
  std::uint32_t glyph_id = 0;
  std::size_t cluster = 0;  // index of its first character in ResolvedText
  double advance = 0;
  double x_offset = 0, y_offset = 0;  // font direction: y up
  bool rotated = false;
  bool upright_vertical = false;  // shaped top-to-bottom
};

struct Line {
  std::size_t begin = 0, end = 0;  // characters, trailing spaces excluded
  double length = 0;
  bool last_of_paragraph = false;
};

hb_script_t run_script(const ResolvedText& text, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    const hb_script_t script =
        hb_unicode_script(hb_unicode_funcs_get_default(), text.code_points[i]);
    if (script != HB_SCRIPT_COMMON && script != HB_SCRIPT_INHERITED &&
        script != HB_SCRIPT_UNKNOWN) {
      return script;
    }
  }
  return HB_SCRIPT_COMMON;
}

class Shaper {
 public:
  Shaper(const FontSet& fonts, const ResolvedText& text, const std::string& original,
         const TextStyle& style, const std::string& context)
      : fonts_(fonts),
        text_(text),
        original_(original),
        style_(style),
        context_(context),
        language_(hb_language_from_string(style.language.c_str(), -1)),
        vertical_(style.mode == WritingMode::vertical) {}

  // Shapes the paragraph [begin, end) and appends its glyphs.
  void shape_paragraph(std::size_t begin, std::size_t end, std::vector<ShapedGlyph>& out) {
    std::size_t run_begin = begin;
    while (run_begin < end) {
      const std::uint32_t font = text_.fonts[run_begin];
      const bool rotated = sideways(run_begin);
      std::size_t run_end = run_begin + 1;
      while (run_end < end && text_.fonts[run_end] == font && sideways(run_end) == rotated) {
        ++run_end;
      }
      shape_run(begin, end, run_begin, run_end, font, rotated, out);
      run_begin = run_end;
    }
  }

 private:
  bool sideways(std::size_t i) const {
    if (!vertical_) return false;
    // Marks and selectors follow their base character's orientation.
    std::size_t base = i;
    while (base > 0 && (is_variation_selector(text_.code_points[base]) ||
                        is_combining_mark(text_.code_points[base]) ||
                        is_default_ignorable(text_.code_points[base]))) {
      --base;
    }
    return !upright_in_vertical(text_.code_points[base]);
  }

  void shape_run(std::size_t paragraph_begin, std::size_t paragraph_end, std::size_t begin,
                 std::size_t end, std::uint32_t font_index, bool rotated,
                 std::vector<ShapedGlyph>& out) {
    const LoadedFont& font = fonts_.fonts[font_index];
    const bool upright_vertical = vertical_ && !rotated;
    HbBuffer buffer(hb_buffer_create());
    hb_buffer_add_codepoints(buffer.get(), text_.code_points.data() + paragraph_begin,
                             static_cast<int>(paragraph_end - paragraph_begin),
                             static_cast<unsigned>(begin - paragraph_begin),
                             static_cast<int>(end - begin));
    hb_buffer_set_direction(buffer.get(), upright_vertical ? HB_DIRECTION_TTB : HB_DIRECTION_LTR);
    hb_buffer_set_script(buffer.get(), run_script(text_, begin, end));
    hb_buffer_set_language(buffer.get(), language_);
    hb_buffer_set_flags(buffer.get(), static_cast<hb_buffer_flags_t>(
                                          HB_BUFFER_FLAG_REMOVE_DEFAULT_IGNORABLES |
                                          (begin == paragraph_begin ? HB_BUFFER_FLAG_BOT : 0) |
                                          (end == paragraph_end ? HB_BUFFER_FLAG_EOT : 0)));
    // Vertical alternates (rotated brackets, vertical punctuation forms); HarfBuzz turns
    // `vert` on for top-to-bottom text, `vrt2` is asked for explicitly.
    hb_feature_t features[2];
    unsigned feature_count = 0;
    if (upright_vertical) {
      hb_feature_from_string("vert", -1, &features[feature_count++]);
      hb_feature_from_string("vrt2", -1, &features[feature_count++]);
    }
    hb_shape(font.font.get(), buffer.get(), features, feature_count);

    unsigned count = 0;
    const hb_glyph_info_t* infos = hb_buffer_get_glyph_infos(buffer.get(), &count);
    const hb_glyph_position_t* positions = hb_buffer_get_glyph_positions(buffer.get(), &count);
    const double scale = style_.size_px / font.units_per_em;
    for (unsigned g = 0; g < count; ++g) {
      const std::size_t cluster = paragraph_begin + infos[g].cluster;
      if (infos[g].codepoint == 0) {
        // .notdef never reaches a frame, whatever the font's substitutions did.
        throw MissingGlyph(text_.code_points[cluster], original_, context_, fonts_.file.string());
      }
      ShapedGlyph glyph;
      glyph.font = font_index;
      glyph.glyph_id = infos[g].codepoint;
      glyph.cluster = cluster;
      glyph.advance = (upright_vertical ? -positions[g].y_advance : positions[g].x_advance) * scale;
      glyph.x_offset = positions[g].x_offset * scale;
      glyph.y_offset = positions[g].y_offset * scale;
      glyph.rotated = rotated;
      glyph.upright_vertical = upright_vertical;
      out.push_back(glyph);
    }
  }

  const FontSet& fonts_;
  const ResolvedText& text_;
  const std::string& original_;
  const TextStyle& style_;
  const std::string& context_;
  hb_language_t language_;
  bool vertical_;
};

// Greedy filling: each line takes as many unbreakable pieces as fit in `extent` (0 = no
// limit). A piece longer than a whole line is cut between characters.
void break_paragraph(const ResolvedText& text, const std::vector<double>& advances,
                     std::size_t begin, std::size_t end, double extent, std::vector<Line>& lines) {
  const auto& cps = text.code_points;
  auto trimmed = [&](std::size_t line_begin, std::size_t line_end) {
    Line line;
    line.begin = line_begin;
    line.end = line_end;
    while (line.end > line.begin && is_breaking_space(cps[line.end - 1])) --line.end;
    for (std::size_t i = line.begin; i < line.end; ++i) line.length += advances[i];
    return line;
  };
  if (begin == end) {
    lines.push_back({begin, end, 0, true});
    return;
  }
  std::size_t position = begin;
  while (position < end) {
    const std::size_t line_begin = position;
    std::size_t last_break = 0;  // 0: none yet (a break is never at line_begin)
    std::size_t line_end = end;
    double length = 0;
    for (std::size_t i = line_begin; i < end; ++i) {
      if (i > line_begin && break_allowed(cps[i - 1], cps[i])) last_break = i;
      const bool overflows = extent > 0 && length + advances[i] > extent + kEpsilon;
      if (overflows && !is_breaking_space(cps[i]) && i > line_begin) {
        line_end = last_break > line_begin ? last_break : i;
        break;
      }
      length += advances[i];
    }
    lines.push_back(trimmed(line_begin, line_end));
    position = line_end;
    while (position < end && is_breaking_space(cps[position])) ++position;
  }
  lines.back().last_of_paragraph = true;
}

}  // namespace

Layout Engine::layout(const std::string& text, Box box, const TextStyle& style,
                      const std::string& context) const {
  if (!(style.size_px > 0) || !std::isfinite(style.size_px) || !(style.line_spacing > 0)) {
    throw Error(
        ErrorKind::usage,
        fmt::format("{}text size {} px and line spacing {} em must be > 0",
                    context.empty() ? "" : context + ": ", style.size_px, style.line_spacing));
  }
  const ResolvedText resolved = resolve_fonts(text, style.language, context);
  const auto& cps = resolved.code_points;
  const std::size_t n = cps.size();
  const bool vertical = style.mode == WritingMode::vertical;
  const double extent = std::max(0.0, vertical ? box.height : box.width);
  const double cross_limit = std::max(0.0, vertical ? box.width : box.height);

  // Shape every paragraph; each character's advance is the sum of its cluster's glyphs.
  Shaper shaper(*fonts_, resolved, text, style, context);
  std::vector<ShapedGlyph> glyphs;
  std::vector<Line> lines;
  std::vector<double> advances(n, 0.0);
  std::size_t paragraph_begin = 0;
  std::vector<std::pair<std::size_t, std::size_t>> paragraphs;
  for (std::size_t i = 0; i <= n; ++i) {
    if (i == n || cps[i] == '\n') {
      paragraphs.emplace_back(paragraph_begin, i);
      paragraph_begin = i + 1;
    }
  }
  for (const auto& [begin, end] : paragraphs) shaper.shape_paragraph(begin, end, glyphs);
  for (const auto& glyph : glyphs) advances[glyph.cluster] += glyph.advance;
  for (const auto& [begin, end] : paragraphs) {
    break_paragraph(resolved, advances, begin, end, extent, lines);
  }

  Layout out;
  out.style = style;
  const double pitch = style.line_spacing * style.size_px;
  double longest = 0;
  for (const auto& line : lines) longest = std::max(longest, line.length);
  const double line_extent = extent > 0 ? extent : longest;
  const double cross_extent = static_cast<double>(lines.size()) * pitch;
  out.width = vertical ? (cross_limit > 0 ? cross_limit : cross_extent) : line_extent;
  out.height = vertical ? line_extent : (cross_limit > 0 ? cross_limit : cross_extent);
  out.fits = longest <= line_extent + kEpsilon &&
             (cross_limit == 0 || cross_extent <= cross_limit + kEpsilon);

  // The primary font (first of the CJK chain) sets where the em box sits in a line.
  const LoadedFont& primary = fonts_->fonts[fonts_->chain(ScriptClass::han, style.language)[0]];
  const double em_top_to_baseline =
      (primary.units_per_em + primary.ideographic_bottom) / primary.units_per_em * style.size_px;
  const double half_leading = (pitch - style.size_px) / 2;

  // Where each character starts along its line (alignment and justification included).
  std::vector<double> starts(n, 0.0);
  std::vector<std::size_t> line_of(n, lines.size());
  for (std::size_t l = 0; l < lines.size(); ++l) {
    const Line& line = lines[l];
    out.lines.push_back(
        text.substr(resolved.byte_offsets[line.begin],
                    resolved.byte_offsets[line.end] - resolved.byte_offsets[line.begin]));
    const double slack = std::max(0.0, line_extent - line.length);
    double cursor = 0;
    double gap = 0;
    switch (style.align) {
      case Align::start:
        break;
      case Align::centre:
        cursor = slack / 2;
        break;
      case Align::end:
        cursor = slack;
        break;
      case Align::justify: {
        // Spread the slack over the line's break opportunities: between ideographs and at
        // spaces. The last line of a paragraph stays flush with the start.
        std::size_t gaps = 0;
        for (std::size_t i = line.begin + 1; i < line.end; ++i) {
          gaps += break_allowed(cps[i - 1], cps[i]) ? 1 : 0;
        }
        if (!line.last_of_paragraph && gaps > 0) gap = slack / static_cast<double>(gaps);
        break;
      }
    }
    for (std::size_t i = line.begin; i < line.end; ++i) {
      if (i > line.begin && gap > 0 && break_allowed(cps[i - 1], cps[i])) cursor += gap;
      starts[i] = cursor;
      line_of[i] = l;
      cursor += advances[i];
    }
  }

  // Glyph origins in pixels from the box's top-left corner.
  double ink_left = INFINITY, ink_top = INFINITY, ink_right = -INFINITY, ink_bottom = -INFINITY;
  std::size_t previous_cluster = n;
  double pen = 0;
  for (const ShapedGlyph& glyph : glyphs) {
    const std::size_t l = line_of[glyph.cluster];
    if (l == lines.size()) continue;  // a trimmed space
    if (glyph.cluster != previous_cluster) pen = starts[glyph.cluster];
    previous_cluster = glyph.cluster;
    const LoadedFont& font = fonts_->fonts[glyph.font];
    const double scale = style.size_px / font.units_per_em;
    Layout::Glyph placed;
    placed.font = glyph.font;
    placed.glyph_id = glyph.glyph_id;
    placed.rotated = glyph.rotated;
    const double l_pos = static_cast<double>(l);
    if (!vertical) {
      placed.x = pen + glyph.x_offset;
      placed.y = l_pos * pitch + half_leading + em_top_to_baseline - glyph.y_offset;
    } else {
      const double column_centre = out.width - (l_pos + 0.5) * pitch;
      if (glyph.upright_vertical) {
        // HarfBuzz gives vertical offsets from the glyph's horizontal origin.
        placed.x = column_centre + glyph.x_offset;
        placed.y = pen - glyph.y_offset;
      } else {
        // Sideways: the baseline runs down the column, centred on the font's ascender and
        // descender; the glyph's up points right.
        const double baseline_x = column_centre - (font.ascender + font.descender) / 2 * scale;
        placed.x = baseline_x + glyph.y_offset;
        placed.y = pen + glyph.x_offset;
      }
    }
    pen += glyph.advance;
    out.glyphs.push_back(placed);

    hb_glyph_extents_t extents{};
    if (!hb_font_get_glyph_extents(font.font.get(), glyph.glyph_id, &extents) ||
        extents.width == 0 || extents.height == 0) {
      continue;  // a space: no ink
    }
    const double left = extents.x_bearing * scale, right = left + extents.width * scale;
    const double top = extents.y_bearing * scale, bottom = top + extents.height * scale;
    double x0, x1, y0, y1;
    if (!glyph.rotated) {
      x0 = placed.x + left, x1 = placed.x + right, y0 = placed.y - top, y1 = placed.y - bottom;
    } else {  // font (x, y) -> image (x + y, y + x) turned clockwise
      x0 = placed.x + bottom, x1 = placed.x + top, y0 = placed.y + left, y1 = placed.y + right;
    }
    ink_left = std::min(ink_left, x0), ink_right = std::max(ink_right, x1);
    ink_top = std::min(ink_top, y0), ink_bottom = std::max(ink_bottom, y1);
  }
  if (ink_left <= ink_right)
    out.ink = {ink_left, ink_top, ink_right - ink_left, ink_bottom - ink_top};
  return out;
}

}  // namespace fw::text_internal
