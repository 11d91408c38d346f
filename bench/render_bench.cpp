// Render stage benchmark: one A4 page at 300 dpi to a 24x frame at the default 2.5 um pitch
// (3500 x 4950 px page in a 5000 px high comic frame), the whole parallel stage of the
// pipeline for one frame: decode, grey, scale, place, blips, hash.
#include <benchmark/benchmark.h>

#include "page_fixture.hpp"

namespace {

void render(benchmark::State& state, fw::samples::Encoding encoding, fw::ImageMode mode) {
  fw::bench::PageFixture fixture(encoding, mode);
  const auto& frame = fixture.page_frame();
  for (auto _ : state) {
    fw::SourceHashes hashes;
    auto rendered = fw::render_frame(fixture.job, fixture.plan, frame, hashes);
    benchmark::DoNotOptimize(rendered.pixels.data());
  }
  state.counters["pages/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["frame_Mpx"] =
      frame.placement.frame_width_px * double(frame.placement.frame_height_px) / 1e6;
}

void BM_RenderA4GreyJpeg(benchmark::State& state) {
  render(state, fw::samples::Encoding::jpeg, fw::ImageMode::grey);
}
void BM_RenderA4BitonalG4(benchmark::State& state) {
  render(state, fw::samples::Encoding::tiff_g4, fw::ImageMode::bitonal);
}
BENCHMARK(BM_RenderA4GreyJpeg)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RenderA4BitonalG4)->Unit(benchmark::kMillisecond)->UseRealTime();

// A page stored turned (EXIF/TIFF orientation) and the job's rotate on top: what turning the
// page upright costs on top of the whole render (orientation 1 and rotate 0 is the baseline;
// 2 mirrors rows while they stream; the others decode the page into memory first).
void BM_RenderA4GreyJpegTurned(benchmark::State& state) {
  fw::bench::PageFixture fixture(fw::samples::Encoding::jpeg, fw::ImageMode::grey, 1, false,
                                 static_cast<int>(state.range(0)),
                                 static_cast<int>(state.range(1)));
  const auto& frame = fixture.page_frame();
  for (auto _ : state) {
    fw::SourceHashes hashes;
    auto rendered = fw::render_frame(fixture.job, fixture.plan, frame, hashes);
    benchmark::DoNotOptimize(rendered.pixels.data());
  }
  state.counters["pages/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RenderA4GreyJpegTurned)
    ->ArgNames({"orientation", "rotate"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({3, 0})
    ->Args({6, 0})
    ->Args({1, 90})
    ->Args({6, 90})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()  // libvips decodes on its own worker thread
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  fw::init_vips(argv[0]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
