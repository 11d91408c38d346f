// Text benchmarks: a typical title target, as the film module sets it on a frame. The title
// (job title, document title with a rare Extension B character, reel and frame address) is
// shaped, broken and drawn at the sizes of a 16 mm title frame at 24x and 2.5 um: heading
// capitals 5 mm and body 3 mm at the document's scale, i.e. 83 and 50 px on film.
#include <benchmark/benchmark.h>

#include <vector>

#include "text/text.hpp"

namespace {

const char* const kHeading = "国家图书馆 善本古籍 第一批";
const char* const kBody =
    "論語集註 卷一 𠀀𪛖\n朱熹 撰 宋刻本\nReel R0001  Frames 1–1200\n"
    "National Library of China, preservation master";

struct Title {
  std::shared_ptr<const fw::TextEngine> engine = fw::TextEngine::load_default();
  fw::TextStyle heading, body;
  Title() {
    heading.size_px = fw::size_for_cap_height_mm(5, 24, 2.5, engine->cap_height_em());
    heading.align = fw::Align::centre;
    body.size_px = fw::size_for_cap_height_mm(3, 24, 2.5, engine->cap_height_em());
  }
};

// Layout only: font resolution, shaping, line breaking, positions.
void BM_TextTitleLayout(benchmark::State& state) {
  Title title;
  for (auto _ : state) {
    auto heading = title.engine->layout(kHeading, {3000, 0}, title.heading);
    auto body = title.engine->layout(kBody, {3000, 0}, title.body);
    benchmark::DoNotOptimize(heading.glyphs.data());
    benchmark::DoNotOptimize(body.glyphs.data());
  }
}
BENCHMARK(BM_TextTitleLayout)->Unit(benchmark::kMicrosecond);

// Layout and drawing into a 3500 x 1200 px band of the frame (the glyph cache is warm after
// the first iteration, as it is for every frame after a reel's first).
void BM_TextTitleLayoutAndDraw(benchmark::State& state) {
  Title title;
  std::vector<std::uint8_t> band(3500 * 1200, 255);
  for (auto _ : state) {
    auto heading = title.engine->layout(kHeading, {3000, 0}, title.heading);
    auto body = title.engine->layout(kBody, {3000, 0}, title.body);
    title.engine->draw(heading, {3500, 1200, band.data(), 3500}, 250, 100);
    title.engine->draw(body, {3500, 1200, band.data(), 3500}, 250, 100 + heading.height + 50);
    benchmark::DoNotOptimize(band.data());
  }
}
BENCHMARK(BM_TextTitleLayoutAndDraw)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->ThreadRange(1, 2);

// Loading the default font set (once per process in the pipeline).
void BM_TextLoadFontSet(benchmark::State& state) {
  for (auto _ : state) {
    auto engine = fw::TextEngine::load(fw::TextEngine::default_font_set());
    benchmark::DoNotOptimize(engine.get());
  }
}
BENCHMARK(BM_TextLoadFontSet)->Unit(benchmark::kMillisecond);

}  // namespace
