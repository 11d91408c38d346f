// The calibration stage: one LUT pass over a 24x A4 frame (3500 x 4950 px, grey), the cost
// the pipeline adds per frame when a calibration profile is set.
#include <benchmark/benchmark.h>

#include <cmath>

#include "color/calibration.hpp"

namespace {

fw::CalibrationProfile bench_profile() {
  fw::CalibrationProfile profile;
  profile.name = "bench";
  profile.aims = {{"high-contrast", 1.10}};
  profile.channels = {"grey"};
  std::vector<fw::DensityReading> readings;
  for (int i = 0; i <= 20; ++i) {
    const double code = 255.0 * i / 20;
    readings.push_back({code, 0.06 + 2.1 / (1 + std::exp(-(code - 130) / 18))});
  }
  profile.curves = {fw::DensityCurve::fit(readings, "bench")};
  return profile;
}

void BM_CalibrateFrame(benchmark::State& state) {
  const fw::FrameCalibration calibration(bench_profile(), "", 1.0);
  std::vector<std::uint8_t> frame(std::size_t{3500} * 4950);
  for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<std::uint8_t>(i * 131);
  for (auto _ : state) {
    calibration.apply(frame, 1);
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_CalibrateFrame)->Unit(benchmark::kMillisecond);

void BM_BuildFrameCalibration(benchmark::State& state) {
  const auto profile = bench_profile();
  for (auto _ : state) benchmark::DoNotOptimize(fw::FrameCalibration(profile, "", 1.0));
}
BENCHMARK(BM_BuildFrameCalibration)->Unit(benchmark::kMicrosecond);

}  // namespace
