// engine/text with real fonts: the default font set (Debian's Noto CJK, HanaMin, BabelStone,
// DejaVu), shaping checked against HarfBuzz itself, line breaks and ink in pixels, vertical
// forms, Extension B from the fallback fonts, missing glyphs, threads, the CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hb.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

#include "api/fonts.hpp"
#include "film/target_layout.hpp"
#include "render/substitute.hpp"
#include "support/test_support.hpp"
#include "text/text.hpp"

namespace fw::text_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TextEngine& engine() {
  return *TextEngine::load_default();
}

std::uint32_t font_index(const std::string& id) {
  const auto& fonts = engine().fonts();
  for (std::size_t i = 0; i < fonts.size(); ++i) {
    if (fonts[i].id == id) return static_cast<std::uint32_t>(i);
  }
  ADD_FAILURE() << "no font " << id << " in the default set";
  return 0;
}

// A white image with the layout drawn in black at (x, y).
struct Canvas {
  std::uint32_t width, height;
  std::vector<std::uint8_t> pixels;
  Canvas(std::uint32_t w, std::uint32_t h) : width(w), height(h), pixels(std::size_t{w} * h, 255) {}
  GreyImage image() { return {width, height, pixels.data(), width}; }
  std::uint8_t at(std::uint32_t x, std::uint32_t y) const {
    return pixels[std::size_t{y} * width + x];
  }
};

Canvas render(const Layout& layout, std::uint32_t margin = 10) {
  Canvas canvas(static_cast<std::uint32_t>(std::ceil(layout.width)) + 2 * margin,
                static_cast<std::uint32_t>(std::ceil(layout.height)) + 2 * margin);
  engine().draw(layout, canvas.image(), margin, margin, 0);
  return canvas;
}

// Bounding box of pixels darker than mid-grey, in the canvas; width 0 when there is none.
Rect ink_of(const Canvas& canvas, std::uint32_t x0 = 0, std::uint32_t y0 = 0,
            std::uint32_t x1 = ~0u, std::uint32_t y1 = ~0u) {
  x1 = std::min(x1, canvas.width), y1 = std::min(y1, canvas.height);
  std::uint32_t left = x1, top = y1, right = 0, bottom = 0;
  for (std::uint32_t y = y0; y < y1; ++y) {
    for (std::uint32_t x = x0; x < x1; ++x) {
      if (canvas.at(x, y) < 128) {
        left = std::min(left, x), right = std::max(right, x + 1);
        top = std::min(top, y), bottom = std::max(bottom, y + 1);
      }
    }
  }
  if (right == 0) return {};
  return {double(left), double(top), double(right - left), double(bottom - top)};
}

std::uint32_t nominal_glyph(std::uint32_t font, char32_t code_point) {
  const FontInfo& info = engine().fonts()[font];
  hb_blob_t* blob = hb_blob_create_from_file(info.file.c_str());
  hb_face_t* face = hb_face_create(blob, info.face_index);
  hb_font_t* hb_font = hb_font_create(face);
  hb_codepoint_t glyph = 0;
  hb_font_get_nominal_glyph(hb_font, code_point, &glyph);
  hb_font_destroy(hb_font);
  hb_face_destroy(face);
  hb_blob_destroy(blob);
  return glyph;
}

TEST(FontSet, DefaultSetFindsTheDebianFontsAndTheirCoverage) {
  const auto& fonts = engine().fonts();
  ASSERT_GE(fonts.size(), 5u);
  const FontInfo& noto = fonts[font_index("noto-sans-sc")];
  EXPECT_EQ(noto.family, "Noto Sans CJK SC");
  EXPECT_EQ(noto.file.filename(), "NotoSansCJK-Regular.ttc");
  EXPECT_EQ(noto.face_index, 2u);  // SC inside the collection, found by family name
  // Noto CJK lacks U+20000 and U+2A6D6: the set needs HanaMin (or BabelStone) behind it.
  EXPECT_EQ(engine().covered(font_index("noto-sans-sc"), 0x20000, 0x20000), 0u);
  EXPECT_EQ(engine().covered(font_index("hanamin-b"), 0x2A6D6, 0x2A6D6), 1u);
  EXPECT_GT(engine().covered(font_index("babelstone-han"), 0x30000, 0x3134F), 3000u);  // Ext G
  EXPECT_THAT(engine().chain("han", "zh-Hant"),
              ElementsAre(font_index("noto-sans-tc"), font_index("hanamin-a"),
                          font_index("hanamin-b"), font_index("babelstone-han")));
}

TEST(FontSet, ResolvesEachCharacterAlongItsScriptsChain) {
  const auto report = engine().resolve("题A，𠀀𪛖");
  ASSERT_EQ(report.size(), 5u);
  EXPECT_EQ(report[0].font, int(font_index("noto-sans-sc")));
  EXPECT_EQ(report[1].font, int(font_index("dejavu-sans")));
  EXPECT_EQ(report[1].script, "latin");
  EXPECT_EQ(report[2].font, int(font_index("noto-sans-sc")));  // fullwidth comma: CJK chain
  EXPECT_EQ(report[3].font, int(font_index("hanamin-a")));
  EXPECT_EQ(report[4].font, int(font_index("hanamin-b")));
}

TEST(FontSet, JobFontsFolderAndErrorsNameFileLineAndKey) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "job/fonts");
  std::filesystem::create_symlink(engine().fonts()[font_index("dejavu-sans")].file,
                                  dir / "job/fonts/OurLatin.ttf");
  test::write_text(dir / "set.toml",
                   "search_paths = [\"{job}/fonts\"]\n"
                   "[fonts]\nours = { file = \"OurLatin.ttf\" }\n"
                   "[fallback]\nhan = [\"ours\"]\nlatin = [\"ours\"]\nother = [\"ours\"]\n");
  const auto own = TextEngine::load(dir / "set.toml", dir / "job");
  ASSERT_EQ(own->fonts().size(), 1u);
  EXPECT_EQ(own->fonts()[0].file, dir / "job/fonts/OurLatin.ttf");
  EXPECT_EQ(own->fonts()[0].family, "DejaVu Sans");
  EXPECT_NO_THROW(own->check("filmwriter"));
  EXPECT_THROW(own->check("题"), MissingGlyph);

  auto error_of = [&](const std::string& toml) {
    test::write_text(dir / "bad.toml", toml);
    try {
      TextEngine::load(dir / "bad.toml", dir / "job");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::job);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string prefix = (dir / "bad.toml").string();
  EXPECT_EQ(error_of("search_paths = [\"{job}/fonts\"]\n[fonts]\nours = { file = \"Nope.ttf\" }\n"),
            prefix + ":3: fonts.ours.file: expected a font file found in " +
                (dir / "job/fonts").string() +
                ", got no file named \"Nope.ttf\" (is its font package installed? see "
                "tools/install-deps)");
  EXPECT_EQ(error_of("search_paths = [\"{job}/fonts\"]\n[fonts]\nours = { file = \"OurLatin.ttf\" "
                     "}\n[fallback]\nhan = [\"ours\"]\nlatin = [\"theirs\"]\nother = [\"ours\"]\n"),
            prefix + ":6: fallback.latin[1]: expected the id of a font in [fonts], got \"theirs\"");
  EXPECT_EQ(error_of("search_paths = [\"{job}/fonts\"]\n[fonts]\nours = { file = \"OurLatin.ttf\", "
                     "family = \"Noto\" }\n"),
            prefix + ":3: fonts.ours.family: expected a family in " +
                (dir / "job/fonts/OurLatin.ttf").string() + ": \"DejaVu Sans\", got \"Noto\"");
  // Every key goes through base's TOML reader: a typo is named with the key meant, at its line.
  EXPECT_EQ(error_of("search_path = []\n"),
            prefix + ":1: search_path: unknown key (did you mean \"search_paths\"?)");
  EXPECT_EQ(error_of("search_paths = [\"{job}/fonts\"]\n[fonts.ours]\nfiel = \"OurLatin.ttf\"\n"),
            prefix + ":3: fonts.ours.fiel: unknown key (did you mean \"file\"?)");
  EXPECT_EQ(error_of("search_paths = [\"{job}/fonts\"]\n[fonts]\nours = { file = \"OurLatin.ttf\" "
                     "}\n[fallback]\nhan = [\"ours\"]\nlatn = [\"ours\"]\nother = [\"ours\"]\n"),
            prefix + ":6: fallback.latn: unknown key (did you mean \"latin\"?)");
  EXPECT_EQ(error_of("search_paths = [\"{job}/fonts\"]\n[fonts]\nours = { file = \"OurLatin.ttf\" "
                     "}\n[fallback]\nhan = [\"ours\"]\nlatin = [\"ours\"]\nother = [\"ours\"]\n"
                     "[fallback.ja]\nhan = [\"ours\"]\nkana = [\"ours\"]\n"),
            prefix +
                ":10: fallback.ja.kana: unknown key (known keys: han, latin, other, "
                "private_use)");
  EXPECT_EQ(error_of("search_paths = [\"{job}/fonts\"]\n[fonts]\nours = { file = \"OurLatin.ttf\" "
                     "}\n[fallback]\nhan = [\"ours\"]\nlatin = [\"ours\"]\nother = [\"ours\"]\n"
                     "ja = [\"ours\"]\n"),
            prefix +
                ":8: fallback.ja: expected han, latin, other, private_use or a language "
                "table, got an unknown key");
}

TEST(Shaping, GlyphsAndAdvancesAreHarfBuzzsOwnForAPinnedFont) {
  // Pinned: Noto Sans CJK SC from fonts-noto-cjk, shaped here directly with HarfBuzz.
  const std::string text = "国家图书馆藏善本，第一批。";
  const std::uint32_t noto = font_index("noto-sans-sc");
  const FontInfo& info = engine().fonts()[noto];
  hb_blob_t* blob = hb_blob_create_from_file(info.file.c_str());
  hb_face_t* face = hb_face_create(blob, info.face_index);
  hb_font_t* font = hb_font_create(face);
  hb_buffer_t* buffer = hb_buffer_create();
  hb_buffer_add_utf8(buffer, text.c_str(), -1, 0, -1);
  hb_buffer_set_direction(buffer, HB_DIRECTION_LTR);
  hb_buffer_set_script(buffer, HB_SCRIPT_HAN);
  hb_buffer_set_language(buffer, hb_language_from_string("zh-Hans", -1));
  hb_shape(font, buffer, nullptr, 0);
  unsigned count = 0;
  const hb_glyph_info_t* infos = hb_buffer_get_glyph_infos(buffer, &count);
  const hb_glyph_position_t* positions = hb_buffer_get_glyph_positions(buffer, &count);
  const double upem = hb_face_get_upem(face);

  TextStyle style;
  style.size_px = 40;
  const Layout layout = engine().layout(text, {}, style);
  ASSERT_EQ(layout.glyphs.size(), count);
  double pen = 0;
  for (unsigned i = 0; i < count; ++i) {
    EXPECT_EQ(layout.glyphs[i].font, noto);
    EXPECT_EQ(layout.glyphs[i].glyph_id, infos[i].codepoint) << "glyph " << i;
    EXPECT_NEAR(layout.glyphs[i].x, pen + positions[i].x_offset * 40 / upem, 1e-9);
    EXPECT_DOUBLE_EQ(layout.glyphs[i].y, layout.glyphs[0].y);
    pen += positions[i].x_advance * 40 / upem;
  }
  EXPECT_NEAR(layout.width, pen, 1e-9);
  hb_buffer_destroy(buffer);
  hb_font_destroy(font);
  hb_face_destroy(face);
  hb_blob_destroy(blob);
}

TEST(Shaping, RunsSplitWhereTheFontChanges) {
  const Layout layout = engine().layout("题A𠀀𪛖名", {}, TextStyle{});
  std::vector<std::uint32_t> fonts;
  for (const auto& glyph : layout.glyphs) fonts.push_back(glyph.font);
  EXPECT_THAT(fonts, ElementsAre(font_index("noto-sans-sc"), font_index("dejavu-sans"),
                                 font_index("hanamin-a"), font_index("hanamin-b"),
                                 font_index("noto-sans-sc")));
}

TEST(Layout, BreaksBetweenIdeographsAtTheBoxWidthInPixels) {
  TextStyle style;
  style.size_px = 20;
  const Layout layout = engine().layout("一二三四五六", {60, 0}, style);
  EXPECT_THAT(layout.lines, ElementsAre("一二三", "四五六"));
  ASSERT_EQ(layout.glyphs.size(), 6u);
  const double pitch = 1.25 * 20;
  for (int i = 0; i < 6; ++i) {
    const int row = i / 3;
    EXPECT_DOUBLE_EQ(layout.glyphs[i].x, 20.0 * (i % 3));
    EXPECT_DOUBLE_EQ(layout.glyphs[i].y, layout.glyphs[0].y + pitch * row);
  }
  // Baseline: half-leading + the ideographic em box (Noto: 880/1000 em above the baseline).
  EXPECT_DOUBLE_EQ(layout.glyphs[0].y, (pitch - 20) / 2 + 0.88 * 20);
  EXPECT_DOUBLE_EQ(layout.height, 2 * pitch);
  EXPECT_TRUE(layout.fits);

  // In pixels: two bands of ink, each inside its line box.
  const Canvas canvas = render(layout, 0);
  const Rect first = ink_of(canvas, 0, 0, 60, 25);
  const Rect second = ink_of(canvas, 0, 25, 60, 50);
  EXPECT_GT(first.width, 50);
  EXPECT_GT(second.width, 50);
  EXPECT_GE(second.y, 25);
  EXPECT_NEAR(second.y - first.y, pitch, 3);  // "四" starts lower than "一" but within 3 px
}

TEST(Layout, KinsokuKeepsPunctuationOffTheWrongEndOfALine) {
  TextStyle style;
  style.size_px = 20;
  // "，" may not start a line: "三" moves down with it.
  EXPECT_THAT(engine().layout("一二三，四五", {60, 0}, style).lines,
              ElementsAre("一二", "三，四", "五"));
  // "「" may not end a line: it moves down with "三".
  EXPECT_THAT(engine().layout("一二「三」", {60, 0}, style).lines, ElementsAre("一二", "「三」"));
  // "——" stays whole: it does not fit after "一二", so both dashes move down.
  EXPECT_THAT(engine().layout("一二——三", {60, 0}, style).lines, ElementsAre("一二", "——三"));
}

TEST(Layout, LatinWordsStayWholeAndSpacesHang) {
  TextStyle style;
  style.size_px = 20;
  const double box = std::max(engine().layout("filmwriter", {}, style).width,
                              engine().layout("keeps words", {}, style).width) +
                     1;
  const Layout layout = engine().layout("filmwriter keeps words", {box, 0}, style);
  EXPECT_THAT(layout.lines, ElementsAre("filmwriter", "keeps words"));
  EXPECT_THAT(engine().layout("题名ABC题名", {80, 0}, style).lines,
              ElementsAre("题名", "ABC题", "名"));
}

TEST(Layout, AlignmentAndJustificationMoveGlyphsInPixels) {
  TextStyle style;
  style.size_px = 20;
  style.align = Align::justify;
  // 7 ideographs in a 70 px box: lines of 3; 10 px of slack spread over 2 gaps.
  const Layout justified = engine().layout("一二三四五六七", {70, 0}, style);
  ASSERT_THAT(justified.lines, ElementsAre("一二三", "四五六", "七"));
  EXPECT_DOUBLE_EQ(justified.glyphs[1].x, 25);
  EXPECT_DOUBLE_EQ(justified.glyphs[2].x, 50);
  EXPECT_DOUBLE_EQ(justified.glyphs[6].x, 0);  // last line of the paragraph: not stretched
  style.align = Align::centre;
  EXPECT_DOUBLE_EQ(engine().layout("一二", {100, 0}, style).glyphs[0].x, 30);
  style.align = Align::end;
  EXPECT_DOUBLE_EQ(engine().layout("一二", {100, 0}, style).glyphs[0].x, 60);
}

TEST(Layout, InkBoxMatchesTheRenderedPixels) {
  TextStyle style;
  style.size_px = 48;
  const Layout layout = engine().layout("善本 Hg", {}, style);
  const Canvas canvas = render(layout, 10);
  const Rect pixels = ink_of(canvas);
  ASSERT_GT(pixels.width, 0);
  EXPECT_NEAR(pixels.x - 10, layout.ink.x, 1.0);
  EXPECT_NEAR(pixels.y - 10, layout.ink.y, 1.0);
  EXPECT_NEAR(pixels.width, layout.ink.width, 1.5);
  EXPECT_NEAR(pixels.height, layout.ink.height, 1.5);
}

TEST(Layout, CapHeightInMillimetresOnFilm) {
  // 2 mm capitals read at 24x on a 2.5 um recorder: 2 / 24 mm on film = 33.3 px.
  TextStyle style;
  style.size_px = size_for_cap_height_mm(2, 24, 2.5, engine().cap_height_em());
  const Canvas canvas = render(engine().layout("H", {}, style));
  EXPECT_NEAR(ink_of(canvas).height, 2.0 / 24 * 1000 / 2.5, 1.0);
  EXPECT_THROW(size_for_cap_height_mm(0, 24, 2.5), Error);
}

TEST(Vertical, UsesVerticalPunctuationForms) {
  TextStyle style;
  style.size_px = 40;
  style.mode = WritingMode::vertical;
  const std::uint32_t noto = font_index("noto-sans-sc");
  const Layout layout = engine().layout("「书」，", {}, style);
  ASSERT_EQ(layout.glyphs.size(), 4u);
  // The `vert` forms are the glyphs of the vertical presentation forms U+FE41, U+FE42, U+FE10.
  EXPECT_EQ(layout.glyphs[0].glyph_id, nominal_glyph(noto, 0xFE41));
  EXPECT_EQ(layout.glyphs[2].glyph_id, nominal_glyph(noto, 0xFE42));
  EXPECT_EQ(layout.glyphs[3].glyph_id, nominal_glyph(noto, 0xFE10));
  EXPECT_NE(layout.glyphs[3].glyph_id, nominal_glyph(noto, 0xFF0C));
  // Top to bottom, one em per character, in one column.
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(layout.glyphs[i].x, layout.glyphs[0].x);
  EXPECT_DOUBLE_EQ(layout.glyphs[1].y - layout.glyphs[0].y, 40);
}

TEST(Vertical, ColumnsRunRightToLeftAndLatinTurnsSideways) {
  TextStyle style;
  style.size_px = 20;
  style.mode = WritingMode::vertical;
  const Layout columns = engine().layout("一二三四", {0, 40}, style);
  ASSERT_THAT(columns.lines, ElementsAre("一二", "三四"));
  EXPECT_DOUBLE_EQ(columns.width, 2 * 25);
  EXPECT_DOUBLE_EQ(columns.glyphs[0].x, 50 - 12.5 - 10);  // centred in the right column
  EXPECT_DOUBLE_EQ(columns.glyphs[2].x, 25 - 12.5 - 10);
  EXPECT_DOUBLE_EQ(columns.glyphs[2].y, columns.glyphs[0].y);

  // An "l" standing upright is tall; turned sideways in a column it lies flat.
  style.size_px = 60;
  const Layout latin = engine().layout("l", {}, style);
  ASSERT_EQ(latin.glyphs.size(), 1u);
  EXPECT_TRUE(latin.glyphs[0].rotated);
  const Rect ink = ink_of(render(latin));
  EXPECT_GT(ink.width, 3 * ink.height);
  style.mode = WritingMode::horizontal;
  const Rect upright = ink_of(render(engine().layout("l", {}, style)));
  EXPECT_GT(upright.height, 3 * upright.width);
}

TEST(Glyphs, ExtensionBRendersWithARealGlyphFromTheFallbackFont) {
  TextStyle style;
  style.size_px = 64;
  const Layout layout = engine().layout("𠀀𪛖", {}, style);
  ASSERT_EQ(layout.glyphs.size(), 2u);
  EXPECT_EQ(layout.glyphs[0].font, font_index("hanamin-a"));
  EXPECT_EQ(layout.glyphs[0].glyph_id, nominal_glyph(font_index("hanamin-a"), 0x20000));
  EXPECT_EQ(layout.glyphs[1].font, font_index("hanamin-b"));
  EXPECT_EQ(layout.glyphs[1].glyph_id, nominal_glyph(font_index("hanamin-b"), 0x2A6D6));
  EXPECT_NE(layout.glyphs[1].glyph_id, 0u);
  // Each character leaves ink in its own em square: 𪛖 (three 龍) is dense.
  const Canvas canvas = render(layout, 0);
  auto dark = [&](std::uint32_t x0, std::uint32_t x1) {
    int count = 0;
    for (std::uint32_t y = 0; y < canvas.height; ++y) {
      for (std::uint32_t x = x0; x < x1; ++x) count += canvas.at(x, y) < 128;
    }
    return count;
  };
  EXPECT_GT(dark(0, 64), 50);
  EXPECT_GT(dark(64, 128), 400);
}

TEST(Glyphs, MissingCodePointsFailNamingThemAndTheContext) {
  const std::string pua = "题名\xEE\x80\x80";  // U+E000, private use
  try {
    engine().layout(pua, {}, TextStyle{}, "document D003 title");
    FAIL() << "no MissingGlyph";
  } catch (const MissingGlyph& e) {
    EXPECT_EQ(e.code_point(), 0xE000u);
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_THAT(e.what(), HasSubstr("document D003 title: no font in "));
    EXPECT_THAT(e.what(), HasSubstr("can draw U+E000, a private-use code point"));
    EXPECT_THAT(e.what(), HasSubstr("(in \"" + pua + "\")"));
  }
  const std::string unassigned = "A\xCD\xB8";  // U+0378, unassigned
  try {
    engine().check(unassigned, "fiche header");
    FAIL() << "no MissingGlyph";
  } catch (const MissingGlyph& e) {
    EXPECT_EQ(e.code_point(), 0x378u);
    EXPECT_THAT(e.what(), HasSubstr("fiche header: no font in"));
    EXPECT_THAT(e.what(), HasSubstr("can draw U+0378 (in \"A\xCD\xB8\")"));
  }
  EXPECT_THROW(engine().check("tab\there"), MissingGlyph);
  EXPECT_THROW(engine().check("bad \xFF utf-8"), Error);
  EXPECT_NO_THROW(engine().check("論語集註 卷一 𠀀𪛖 Analects (朱熹)"));
}

TEST(Rendering, BitonalHasNoGreyAndGreyIsAntiAliased) {
  TextStyle style;
  style.size_px = 30;
  auto values = [&](bool bitonal) {
    style.bitonal = bitonal;
    const Canvas canvas = render(engine().layout("善本书目", {}, style));
    return std::set<std::uint8_t>(canvas.pixels.begin(), canvas.pixels.end());
  };
  EXPECT_EQ(values(true), (std::set<std::uint8_t>{0, 255}));
  EXPECT_GT(values(false).size(), 50u);
}

TEST(Rendering, EightThreadsDrawTheSamePixelsAsOne) {
  TextStyle style;
  style.size_px = 37.3;  // fractional: exercises sub-pixel positions
  const std::string title = "国家图书馆 善本古籍 第一批\n論語集註 卷一 𠀀𪛖 R0001";
  const Canvas reference = render(engine().layout(title, {400, 0}, style));
  std::vector<Canvas> results(8, Canvas(reference.width, reference.height));
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 5; ++repeat) {
        Canvas canvas(reference.width, reference.height);
        engine().draw(engine().layout(title, {400, 0}, style), canvas.image(), 10, 10, 0);
        results[t] = std::move(canvas);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_TRUE(result.pixels == reference.pixels);
}

TEST(Substitute, TargetIsSetWithTheTextEngineAndRefusesMissingGlyphs) {
  Job job;
  job.id = "t";
  job.title = "t";
  Document document;
  document.id = "D001";
  document.key = "documents[1]";
  document.title = "論語 𪛖";
  job.documents.push_back(document);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 10;  // small frames
  DocumentPages pages;
  pages.substitutes = {{0, "cannot decode", {}}};
  Plan plan = plan_reels(job, load_format(test::source_dir() / "profiles", "16mm-comic-30m"), caps,
                         {pages});
  plan.profiles_dir = test::source_dir() / "profiles";
  const PlannedFrame* frame = nullptr;
  for (const auto& f : plan.frames) {
    if (f.kind == FrameKind::substitute) frame = &f;
  }
  ASSERT_NE(frame, nullptr);
  const Placement& p = frame->placement;
  const FrameImage image = render_substitute(job, plan, *frame, "cannot decode", RasterSettings{});
  ASSERT_EQ(image.pixels.size(), std::size_t(p.frame_width_px) * p.frame_height_px);
  int ink = 0;
  for (std::uint32_t y = p.page_y_px; y < p.page_y_px + p.page_height_px; ++y) {
    for (std::uint32_t x = p.page_x_px; x < p.page_x_px + p.page_width_px; ++x) {
      ink += image.pixels[y * p.frame_width_px + x] < 128;
    }
  }
  EXPECT_GT(ink, 500);                                   // text in the page area
  EXPECT_EQ(image.pixels[2 * p.frame_width_px + 2], 0);  // unexposed film around the page

  job.documents[0].title = "論語 \xEE\x80\x80";
  try {
    render_substitute(job, plan, *frame, "cannot decode", RasterSettings{});
    FAIL() << "no MissingGlyph";
  } catch (const MissingGlyph& e) {
    EXPECT_THAT(e.what(), HasSubstr("substitute target for document D001 page 1"));
    EXPECT_THAT(e.what(), HasSubstr("U+E000"));
  }
  // A reason that only exists once the page fails to render cannot be checked before
  // filming: an undrawable character in it is written as <U+E000>, never .notdef.
  job.documents[0].title = "論語";
  EXPECT_NO_THROW(render_substitute(job, plan, *frame, "bad \xEE\x80\x80", RasterSettings{}));
  EXPECT_EQ(drawable_text(*TextEngine::load_default(), "bad \xEE\x80\x80", "zh-Hans"),
            "bad <U+E000>");
}

// api/fonts.hpp: what `fonts` and `text` print, through the API.
TEST(FontsApi, CoverageByBlockAndEveryFallbackChain) {
  const auto set = api::open_font_set("");
  const auto coverage = api::block_coverage(*set, font_index("hanamin-b"));
  const auto ext_b = std::ranges::find_if(
      coverage, [](const api::BlockCoverage& c) { return std::string(c.block) == "Ext B"; });
  ASSERT_NE(ext_b, coverage.end());
  EXPECT_EQ(ext_b->code_points, 42711u);
  for (const auto& c : coverage) EXPECT_GT(c.code_points, 0u) << c.block;
  const auto chains = api::fallback_chains(*set);
  ASSERT_FALSE(chains.empty());
  EXPECT_EQ(chains[0].script, "han");
  EXPECT_EQ(chains[0].language, "");
  EXPECT_THAT(chains[0].fonts,
              ElementsAre("noto-sans-sc", "hanamin-a", "hanamin-b", "babelstone-han"));
  const auto tc = std::ranges::find_if(chains, [](const api::FallbackChain& c) {
    return c.script == "han" && c.language == "zh-Hant";
  });
  ASSERT_NE(tc, chains.end());
  EXPECT_EQ(tc->fonts.front(), "noto-sans-tc");
}

TEST(FontsApi, ATextPreviewIsSetInPixelsOrMillimetresAndWrittenWithAMargin) {
  test::TempDir dir;
  api::TextPreviewRequest request;
  request.text = "题名 𪛖";
  request.font_size = "40px";
  request.out = dir / "preview.png";
  const api::TextPreview preview = api::render_text_preview(request);
  EXPECT_EQ(preview.size_px, 40);
  EXPECT_EQ(preview.lines, 1u);
  EXPECT_THAT(preview.fonts, ::testing::Contains("hanamin-b"));
  EXPECT_TRUE(preview.fits);
  const vips::VImage image = vips::VImage::new_from_file(request.out.c_str());
  EXPECT_EQ(static_cast<std::uint32_t>(image.width()), preview.width_px);
  EXPECT_EQ(static_cast<std::uint32_t>(image.height()), preview.height_px);
  EXPECT_GE(preview.height_px, 3u * 40);  // the line and a one-em margin above and below

  // 2 mm capitals at 24x on a 2.5 um recorder: 2 / 24 mm on film, 33.3 px.
  request.text = "HELLO";
  request.font_size = "2mm";
  request.reduction = 24;
  request.width = "1px";  // narrower than any word: the text does not fit
  const api::TextPreview mm = api::render_text_preview(request);
  EXPECT_NEAR(mm.cap_height_px, 2000.0 / 24 / 2.5, 0.05);
  EXPECT_FALSE(mm.fits);

  const auto usage = [&](const api::TextPreviewRequest& bad) {
    try {
      api::render_text_preview(bad);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  request.width.clear();
  api::TextPreviewRequest big = request;
  big.font_size = "big";
  EXPECT_EQ(usage(big),
            "--font-size: expected a length > 0 in px or mm (40px, 3.5mm), got \"big\"");
  api::TextPreviewRequest middle = request;
  middle.align = "middle";
  EXPECT_EQ(usage(middle), "--align: expected start, centre, end or justify, got \"middle\"");
  api::TextPreviewRequest pitch = request;
  pitch.pitch_um = 0;
  EXPECT_EQ(usage(pitch), "--reduction and --pitch-um: expected numbers > 0");
}

TEST(Cli, TextPreviewAndFontsCheck) {
  test::TempDir dir;
  const auto out = dir / "preview.png";
  const auto result = test::run_cli(
      {"text", "题名 𪛖 Title", "--font-size", "40px", "--vertical", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("1 column(s), size 40.0 px"));
  EXPECT_THAT(result.out, HasSubstr("hanamin-b"));
  const vips::VImage image = vips::VImage::new_from_file(out.c_str());
  EXPECT_GT(image.height(), image.width());  // one column: taller than wide
  EXPECT_LT(image.min(), 64);

  const auto mm = test::run_cli({"text", "HELLO", "--font-size", "2mm", "--reduction", "24",
                                 "--pitch-um", "2.5", "--out", out.string()});
  ASSERT_EQ(mm.exit_code, 0) << mm.err;
  EXPECT_THAT(mm.out, HasSubstr("(cap height 33.3 px)"));

  const auto check = test::run_cli({"fonts", "--check", "题𪛖\xEE\x80\x80"});
  EXPECT_EQ(check.exit_code, exit_input);
  EXPECT_THAT(check.out, HasSubstr("U+2A6D6 𪛖  han: hanamin-b (HanaMinB)"));
  EXPECT_THAT(check.out, HasSubstr("U+E000 \xEE\x80\x80  private_use: MISSING"));
  EXPECT_THAT(check.err, HasSubstr("can draw U+E000"));

  const auto fonts = test::run_cli({"fonts"});
  ASSERT_EQ(fonts.exit_code, 0) << fonts.err;
  EXPECT_THAT(fonts.out, HasSubstr("hanamin-b: HanaMinB"));
  EXPECT_THAT(fonts.out, HasSubstr("Ext B 42711"));
  EXPECT_THAT(fonts.out,
              HasSubstr("fallback han: noto-sans-sc, hanamin-a, hanamin-b, babelstone-han"));
}

}  // namespace
}  // namespace fw::text_test
