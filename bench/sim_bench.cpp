// The simulated recorder (drivers/sim): developing one 24x A4 frame (3500 x 4950 px, grey:
// exposure, spot blur, H&D curve, grain), saving it as developed film, and the whole driver
// path (expose at rate 0, i.e. as fast as the host can develop) with and without film output.
// The sim must develop faster than its profile writes (sim-default: 4,800 lines/s, so a
// 4,950-line frame every 1.03 s) or the engine could not keep it fed on a real job.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <filesystem>

#include "builtin.hpp"
#include "film/format.hpp"
#include "hal/registry.hpp"
#include "sim/sim_physics.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kWidth = 3500, kHeight = 4950;

// A page: white paper (255 on a negative) with dark "text" strokes, film edge unexposed.
std::vector<std::uint8_t> page_frame() {
  std::vector<std::uint8_t> pixels(std::size_t{kWidth} * kHeight, 0);
  for (std::uint32_t y = 100; y < kHeight - 100; ++y) {
    for (std::uint32_t x = 100; x < kWidth - 100; ++x) {
      const bool stroke = (y / 12) % 4 == 0 && (x / 7) % 5 < 2;
      pixels[std::size_t{y} * kWidth + x] = stroke ? 20 : 255;
    }
  }
  return pixels;
}

const fs::path kProfiles = fw::default_profiles_dir();

void BM_SimDevelopFrame(benchmark::State& state) {
  const auto recorder = fw::drivers::sim::load_recorder(kProfiles, "sim-default");
  const auto stock = fw::drivers::sim::load_stock(kProfiles, "sim-negative");
  const auto pixels = page_frame();
  std::uint64_t seed = 1;
  for (auto _ : state) {
    auto film = fw::drivers::sim::develop(recorder, stock, pixels, kWidth, kHeight, 1, seed++);
    benchmark::DoNotOptimize(film.density.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimDevelopFrame)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SimSaveDevelopedFrame(benchmark::State& state) {
  const auto recorder = fw::drivers::sim::load_recorder(kProfiles, "sim-default");
  const auto stock = fw::drivers::sim::load_stock(kProfiles, "sim-negative");
  const auto film = fw::drivers::sim::develop(recorder, stock, page_frame(), kWidth, kHeight, 1, 1);
  const fs::path dir = fs::temp_directory_path() / "fw-sim-bench-save";
  fs::create_directories(dir);
  for (auto _ : state) fw::drivers::sim::save_developed(film, 2.5, dir / "F000001.tif");
  state.counters["MB_on_disk"] = static_cast<double>(fs::file_size(dir / "F000001.tif")) / 1e6;
  fs::remove_all(dir);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimSaveDevelopedFrame)->Unit(benchmark::kMillisecond)->UseRealTime();

// Frames per second through the driver at rate 0: expose() returns when the frame is in the
// buffer; unload() waits until the last one is developed (and saved).
void sim_expose(benchmark::State& state, const std::string& film_output) {
  fw::hal::Registry registry;
  fw::drivers::register_builtin_drivers(registry);
  const auto pixels = page_frame();
  const fs::path dir = fs::temp_directory_path() / "fw-sim-bench-expose";
  constexpr std::uint32_t kFrames = 4;
  for (auto _ : state) {
    fs::remove_all(dir);
    auto recorder = registry.open(
        "sim", {{"profiles", kProfiles.string()}, {"rate", "0"}, {"film_output", film_output}});
    recorder->load({"R0001", 1, "bench", "16mm-comic-30m", "", 30.5, dir / "R0001"});
    for (std::uint32_t n = 1; n <= kFrames; ++n) {
      fw::hal::Frame frame;
      frame.width = kWidth;
      frame.height = kHeight;
      frame.pixels = pixels;
      frame.pixel_pitch_um = 2.5;
      frame.reel_number = 1;
      frame.frame_number = n;
      frame.address = fmt::format("R0001-{:04}", n);
      recorder->expose(frame);
    }
    benchmark::DoNotOptimize(recorder->unload());
  }
  fs::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * kFrames);  // items/s = frames per second
}
BENCHMARK_CAPTURE(sim_expose, film_images, std::string("true"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(sim_expose, film_measure, std::string("measure"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(sim_expose, no_film, std::string("false"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
