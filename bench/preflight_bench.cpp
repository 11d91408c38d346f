// Preflight against the conversion it protects, in one run: N A4 pages at 300 dpi that look
// like scans of printed type (lines of text on slightly noisy paper, as bench/compare's
// pages), planned at 24x on the default 2.5 um recorder (frames 3540 x 5600 px), converted
// with the tiff driver (uncompressed, as bench/compare) and 2 threads. Each iteration times
//   preflight: every page decoded in full (pipeline/preflight.hpp, preflight_plan),
//   convert:   run_plan with preflight off (the conversion as it was),
//   both:      run_plan with preflight on (what `convert` now does),
// and the counters give them per page, in wall time and in the process's CPU time (all its
// threads, libvips's workers included; steadier than wall time on a shared machine), and as
// ratios to the conversion.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "builtin.hpp"
#include "hal/registry.hpp"
#include "pipeline/pipeline.hpp"
#include "samples/samples.hpp"

namespace {

namespace fs = std::filesystem;
using vips::VImage;

constexpr double kDpi = 300;

VImage scan_like_page(int index, bool bitonal) {
  const int width = static_cast<int>(std::lround(210 / 25.4 * kDpi));
  const int height = static_cast<int>(std::lround(297 / 25.4 * kDpi));
  const int margin = width / 10;
  const std::string words =
      "The national library films its collections onto silver halide microfilm, the medium "
      "that lasts five hundred years. Every page is scanned, checked and written by an "
      "archive writer, frame after frame, with its title and its place in the reel.";
  const VImage type = VImage::text(words.c_str(), VImage::option()
                                                      ->set("width", width - 2 * margin)
                                                      ->set("dpi", int(kDpi))
                                                      ->set("font", "DejaVu Serif 11"))
                          .invert();
  VImage page = (VImage::black(width, height) + 235).cast(VIPS_FORMAT_UCHAR);
  const int block = type.height() + static_cast<int>(kDpi / 6);
  for (int y = margin + (index * 37) % 23; y + type.height() < height - margin; y += block) {
    page = page.insert(type.linear(0.92, 0).cast(VIPS_FORMAT_UCHAR), margin, y);
  }
  if (bitonal) return page > 128;
  const VImage noise =
      VImage::gaussnoise(width, height, VImage::option()->set("sigma", 2.0)->set("mean", 0.0));
  return (page + noise).cast(VIPS_FORMAT_UCHAR);
}

// Wall and CPU seconds of the process since construction.
struct Stopwatch {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = cpu_now();
  static double cpu_now() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  }
  void add_to(double& wall_s, double& cpu_s) const {
    wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    cpu_s += cpu_now() - cpu;
  }
};

void preflight_vs_convert(benchmark::State& state, fw::samples::Encoding encoding) {
  const int pages = static_cast<int>(state.range(0));
  const bool g4 = encoding == fw::samples::Encoding::tiff_g4;
  const fs::path dir = fs::temp_directory_path() /
                       fmt::format("fw-bench-preflight-{}-{}", ::getpid(), g4 ? "g4" : "jpeg");
  fs::create_directories(dir / "scans");
  for (int i = 1; i <= pages; ++i) {
    fw::samples::save_page(scan_like_page(i, g4),
                           dir / "scans" / fmt::format("p{}.{}", i, g4 ? "tif" : "jpg"), encoding,
                           kDpi);
  }
  fw::Job job;
  job.id = "bench";
  job.title = "bench";
  job.output = dir / "out";
  job.targets = "none";
  job.threads = 2;
  job.defaults.mode = g4 ? fw::ImageMode::bitonal : fw::ImageMode::grey;
  fw::Document doc;
  doc.id = "D1";
  doc.title = "bench";
  doc.key = "documents[1]";
  doc.pages.kind = fw::PageSource::Kind::directory;
  doc.pages.paths = {(dir / "scans").string()};
  job.documents.push_back(doc);

  fw::hal::Registry registry;
  fw::drivers::register_builtin_drivers(registry);
  auto open = [&] { return registry.open("tiff", {{"compression", "none"}}); };
  const fw::PreparedJob prepared =
      fw::prepare_job(job, open()->capabilities(), fw::default_profiles_dir());

  double preflight_s = 0, convert_s = 0, both_s = 0;
  double preflight_cpu = 0, convert_cpu = 0, both_cpu = 0;
  auto convert = [&](bool preflight, double& wall_s, double& cpu_s) {
    fs::remove_all(prepared.job_dir);
    auto recorder = open();
    fw::RunOptions options;
    options.threads = 2;
    options.preflight = preflight;
    const Stopwatch watch;
    benchmark::DoNotOptimize(
        fw::run_plan(job, prepared.plan, *recorder, prepared.job_dir, options));
    watch.add_to(wall_s, cpu_s);
  };
  for (auto _ : state) {
    const Stopwatch watch;
    const fw::PreflightReport report = fw::preflight_plan(job, prepared.plan, {2, nullptr, {}});
    watch.add_to(preflight_s, preflight_cpu);
    if (report.pages != static_cast<std::size_t>(pages) || !report.bad.empty()) {
      state.SkipWithError("preflight did not decode every page cleanly");
      break;
    }
    convert(false, convert_s, convert_cpu);
    convert(true, both_s, both_cpu);
  }
  fs::remove_all(dir);
  const double per_page = 1.0 / (static_cast<double>(state.iterations()) * pages);
  state.counters["preflight_ms/page"] = preflight_s * per_page * 1e3;
  state.counters["convert_ms/page"] = convert_s * per_page * 1e3;
  state.counters["with_preflight_ms/page"] = both_s * per_page * 1e3;
  state.counters["preflight/convert"] = preflight_s / convert_s;
  state.counters["with/without"] = both_s / convert_s;
  state.counters["preflight_cpu_ms/page"] = preflight_cpu * per_page * 1e3;
  state.counters["convert_cpu_ms/page"] = convert_cpu * per_page * 1e3;
  state.counters["cpu preflight/convert"] = preflight_cpu / convert_cpu;
  state.counters["cpu with/without"] = both_cpu / convert_cpu;
}

void BM_PreflightVsConvertGreyJpeg(benchmark::State& state) {
  preflight_vs_convert(state, fw::samples::Encoding::jpeg);
}
void BM_PreflightVsConvertG4Tiff(benchmark::State& state) {
  preflight_vs_convert(state, fw::samples::Encoding::tiff_g4);
}
BENCHMARK(BM_PreflightVsConvertGreyJpeg)
    ->Arg(20)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(BM_PreflightVsConvertG4Tiff)
    ->Arg(20)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
