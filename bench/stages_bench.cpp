// One benchmark per stage of the render path, each on an A4 page at 300 dpi and its 24x frame
// (3500 x 4950 px): decode per format, colour to grey, scale and place, blip track, hashing,
// and the tiff driver's expose. Counters give pages/s (or MB/s), not only time.
#include <benchmark/benchmark.h>

#include <memory>

#include "base/sha256.hpp"
#include "builtin.hpp"
#include "page_fixture.hpp"
#include "raster/raster.hpp"
#include "render/blip.hpp"

namespace {

using fw::samples::Encoding;

void pages_per_second(benchmark::State& state) {
  state.counters["pages/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Decode: the whole page into memory, as the render stage pulls it.
void decode(benchmark::State& state, Encoding encoding, int bands, bool pdf) {
  fw::bench::PageFixture fixture(encoding, fw::ImageMode::grey, bands, pdf);
  const auto& frame = fixture.page_frame();
  std::int64_t bytes = 0;
  for (auto _ : state) {
    vips::VImage page =
        fw::open_page(frame.source, frame.placement.scale_x, fixture.job.limits).copy_memory();
    bytes += static_cast<std::int64_t>(VIPS_IMAGE_SIZEOF_IMAGE(page.get_image()));
    benchmark::DoNotOptimize(page.get_image());
  }
  state.SetBytesProcessed(bytes);  // decoded bytes
  pages_per_second(state);
}
void BM_DecodeGreyJpeg(benchmark::State& s) {
  decode(s, Encoding::jpeg, 1, false);
}
void BM_DecodeColourJpeg(benchmark::State& s) {
  decode(s, Encoding::jpeg, 3, false);
}
void BM_DecodeG4Tiff(benchmark::State& s) {
  decode(s, Encoding::tiff_g4, 1, false);
}
void BM_Decode16BitTiff(benchmark::State& s) {
  decode(s, Encoding::tiff_16bit, 1, false);
}
void BM_DecodeJpeg2000(benchmark::State& s) {
  decode(s, Encoding::jp2, 1, false);
}
// A PDF page is rasterised straight at the frame's resolution (poppler).
void BM_DecodePdfPage(benchmark::State& s) {
  decode(s, Encoding::jpeg, 1, true);
}
BENCHMARK(BM_DecodeGreyJpeg)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeColourJpeg)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeG4Tiff)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Decode16BitTiff)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeJpeg2000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodePdfPage)->Unit(benchmark::kMillisecond)->UseRealTime();

// Colour to grey on a decoded colour page (sRGB -> B_W), nothing else.
void BM_ColourToGrey(benchmark::State& state) {
  fw::bench::PageFixture fixture(Encoding::tiff_none, fw::ImageMode::grey, 3);
  const auto& frame = fixture.page_frame();
  const vips::VImage page =
      fw::open_page(frame.source, frame.placement.scale_x, fixture.job.limits).copy_memory();
  for (auto _ : state) {
    vips::VImage grey = fw::to_mode(page, fw::ImageMode::grey, 128).copy_memory();
    benchmark::DoNotOptimize(grey.get_image());
  }
  pages_per_second(state);
}
BENCHMARK(BM_ColourToGrey)->Unit(benchmark::kMillisecond)->UseRealTime();

// Scale to the frame (Lanczos-3) and place the page in it, from a decoded grey page.
void BM_ScaleAndPlace(benchmark::State& state) {
  fw::bench::PageFixture fixture(Encoding::tiff_none, fw::ImageMode::grey);
  const auto& frame = fixture.page_frame();
  const vips::VImage page =
      fw::open_page(frame.source, frame.placement.scale_x, fixture.job.limits).copy_memory();
  fw::RasterSettings settings;
  for (auto _ : state) {
    auto image = fw::render_page(page, frame.placement, settings);
    benchmark::DoNotOptimize(image.pixels.data());
  }
  pages_per_second(state);
}
BENCHMARK(BM_ScaleAndPlace)->Unit(benchmark::kMillisecond)->UseRealTime();

// Blip mark and image address drawn into a rendered frame.
void BM_BlipTrack(benchmark::State& state) {
  fw::bench::PageFixture fixture(Encoding::tiff_none, fw::ImageMode::grey);
  const auto& frame = fixture.page_frame();
  fw::FrameImage image;
  image.width = frame.placement.frame_width_px;
  image.height = frame.placement.frame_height_px;
  image.pixels.assign(std::size_t{image.width} * image.height, 0);
  for (auto _ : state) {
    fw::draw_blip_track(image, frame, fixture.plan.format, fixture.plan.pitch_um);
    benchmark::DoNotOptimize(image.pixels.data());
  }
  pages_per_second(state);
}
BENCHMARK(BM_BlipTrack)->Unit(benchmark::kMicrosecond)->UseRealTime();

std::vector<std::uint8_t> a4_frame() {
  std::vector<std::uint8_t> pixels(std::size_t{3500} * 5000);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 131);
  return pixels;
}

// SHA-256 of a frame's pixels (every frame is hashed once for the index).
void BM_HashFrame(benchmark::State& state) {
  const auto pixels = a4_frame();
  for (auto _ : state) benchmark::DoNotOptimize(fw::sha256_hex(pixels));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * pixels.size()));
  pages_per_second(state);
}
BENCHMARK(BM_HashFrame)->Unit(benchmark::kMillisecond)->UseRealTime();

// The tiff driver's two halves: prepare() encodes the TIFF file in memory and hashes it (the
// pipeline's parallel stage); expose() of a prepared frame writes it under a temporary name
// and renames it, no fsync (the serial stage).
void tiff_driver(benchmark::State& state, const char* compression, bool prepare_only) {
  fw::hal::Registry registry;
  fw::drivers::register_builtin_drivers(registry);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("fw-bench-tiff-" + std::to_string(::getpid()) + compression);
  auto recorder = registry.open("tiff", {{"compression", compression}});
  fw::hal::ReelSpec reel;
  reel.reel_id = "R0001";
  reel.job_id = "bench";
  reel.film_format = "16mm-comic-30m";
  reel.film_length_m = 30.5;
  reel.work_dir = dir;
  recorder->load(reel);
  // A real frame (a page of type), so that compression sees what it sees in production.
  fw::bench::PageFixture fixture(Encoding::jpeg, fw::ImageMode::grey);
  fw::SourceHashes hashes;
  const auto rendered = fw::render_frame(fixture.job, fixture.plan, fixture.page_frame(), hashes);
  const auto& pixels = rendered.pixels;
  fw::hal::Frame frame;
  frame.width = rendered.width;
  frame.height = rendered.height;
  frame.pixels = pixels;
  frame.pixel_pitch_um = 2.5;
  frame.reel_number = 1;
  frame.reel_id = reel.reel_id;
  for (auto _ : state) {
    ++frame.frame_number;
    if (prepare_only) {
      benchmark::DoNotOptimize(recorder->prepare(frame));
      continue;
    }
    state.PauseTiming();
    frame.prepared = recorder->prepare(frame);
    state.ResumeTiming();
    recorder->expose(frame);
  }
  recorder->unload();
  std::filesystem::remove_all(dir);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * pixels.size()));
  pages_per_second(state);
}
void BM_TiffPrepareUncompressed(benchmark::State& s) {
  tiff_driver(s, "none", true);
}
void BM_TiffPrepareDeflate(benchmark::State& s) {
  tiff_driver(s, "deflate", true);
}
void BM_TiffExposeUncompressed(benchmark::State& s) {
  tiff_driver(s, "none", false);
}
void BM_TiffExposeDeflate(benchmark::State& s) {
  tiff_driver(s, "deflate", false);
}
BENCHMARK(BM_TiffPrepareUncompressed)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TiffPrepareDeflate)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TiffExposeUncompressed)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TiffExposeDeflate)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
