// fw-data-module-size: which module size the simulated recorder and stock resolve, measured
// on developed film (drivers/sim physics: spot blur, H&D curve, grain). Prints, per module
// size and exposure, the eye of the module readings at the module centres: the separation
// of adjacent levels relative to their spacing, the Q factor and the raw error rate with
// thresholds halfway between the level means; also after a rescan at 1.5 samples per module.
// docs/data-frames.md quotes its output.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <vips/vips8>

#include "sim/sim_physics.hpp"

namespace {

namespace sim = fw::drivers::sim;

struct Eye {
  double opening = 0;  // worst (lowest upper-level minus highest lower-level) / level spacing
  double q = 0;        // worst (mean difference) / (sum of standard deviations)
  double ber = 0;      // bit errors (Gray) per bit
};

Eye measure(const sim::RecorderProfile& recorder, const sim::Stock& stock, int module_px,
            const std::vector<int>& codes, double rescan_spm) {
  const int levels = static_cast<int>(codes.size());
  const int n = 160;  // modules per side
  const int size = n * module_px;
  std::mt19937 rng(module_px * 7 + levels);
  std::vector<int> level(n * n);
  for (int& l : level) l = static_cast<int>(rng() % levels);
  std::vector<std::uint8_t> pixels(std::size_t(size) * size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      pixels[std::size_t(y) * size + x] =
          static_cast<std::uint8_t>(codes[level[(y / module_px) * n + x / module_px]]);
    }
  }
  const sim::DevelopedFrame film = sim::develop(recorder, stock, pixels, size, size, 1, 3);
  std::vector<float> density(film.density.size());
  for (std::size_t i = 0; i < density.size(); ++i)
    density[i] = film.density[i] / sim::kDensityScale;
  int w = size;
  double scale = 1;
  if (rescan_spm > 0) {
    scale = rescan_spm / module_px;
    vips::VImage image =
        vips::VImage::new_from_memory(density.data(), density.size() * 4, size, size, 1,
                                      VIPS_FORMAT_FLOAT)
            .resize(scale, vips::VImage::option()->set("kernel", VIPS_KERNEL_CUBIC));
    w = image.width();
    std::size_t bytes = 0;
    auto* data = static_cast<float*>(image.write_to_memory(&bytes));
    density.assign(data, data + bytes / 4);
    g_free(data);
  }
  const auto at = [&](double x, double y) {
    x = std::clamp(x, 0.0, w - 1.0);
    y = std::clamp(y, 0.0, w - 1.0);
    const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
    const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, w - 1);
    const double fx = x - x0, fy = y - y0;
    const auto d = [&](int xx, int yy) { return density[std::size_t(yy) * w + xx]; };
    return (d(x0, y0) * (1 - fx) + d(x1, y0) * fx) * (1 - fy) +
           (d(x0, y1) * (1 - fx) + d(x1, y1) * fx) * fy;
  };
  std::vector<std::vector<double>> samples(levels);
  std::vector<std::pair<int, double>> all;
  for (int y = 4; y < n - 4; ++y) {
    for (int x = 4; x < n - 4; ++x) {
      // Module centre in the (rescanned) image; pixel centres at integers.
      const double cx = ((x + 0.5) * module_px) * scale - 0.5,
                   cy = ((y + 0.5) * module_px) * scale - 0.5;
      const double v = at(cx, cy);
      samples[level[y * n + x]].push_back(v);
      all.emplace_back(level[y * n + x], v);
    }
  }
  std::vector<double> mean(levels), sd(levels), lo(levels), hi(levels);
  for (int l = 0; l < levels; ++l) {
    double s = 0, s2 = 0;
    for (double v : samples[l]) s += v, s2 += v * v;
    mean[l] = s / samples[l].size();
    sd[l] = std::sqrt(std::max(0.0, s2 / samples[l].size() - mean[l] * mean[l]));
    lo[l] = *std::min_element(samples[l].begin(), samples[l].end());
    hi[l] = *std::max_element(samples[l].begin(), samples[l].end());
  }
  Eye eye{1e9, 1e9, 0};
  for (int l = 1; l < levels; ++l) {
    const double spacing = mean[l] - mean[l - 1];
    eye.opening = std::min(eye.opening, (lo[l] - hi[l - 1]) / spacing);
    eye.q = std::min(eye.q, spacing / (sd[l] + sd[l - 1]));
  }
  std::size_t errors = 0;
  for (const auto& [l, v] : all) {
    int read = 0;
    for (int i = 1; i < levels; ++i) {
      if (v > (mean[i] + mean[i - 1]) / 2) read = i;
    }
    const int g1 = l ^ (l >> 1), g2 = read ^ (read >> 1);
    errors += static_cast<std::size_t>(__builtin_popcount(static_cast<unsigned>(g1 ^ g2)));
  }
  eye.ber = static_cast<double>(errors) / (all.size() * std::log2(levels));
  return eye;
}

}  // namespace

int main(int argc, char** argv) {
  if (VIPS_INIT(argv[0])) return 1;
  const std::string profiles = argc > 1 ? argv[1] : FW_PROFILES_DIR;
  const sim::RecorderProfile recorder = sim::load_recorder(profiles, "sim-default");
  const sim::Stock stock = sim::load_stock(profiles, "sim-negative");
  fmt::print("recorder {}: pitch {} um, spot FWHM {} um; stock {}\n", recorder.name,
             recorder.pixel_pitch_um, recorder.spot_fwhm_um, stock.name);
  fmt::print(
      "{:>6} {:>7} {:>28} | {:>8} {:>6} {:>9} | rescan 1.5 samples/module: {:>8} {:>6} {:>9}\n",
      "module", "um", "levels (device codes)", "opening", "Q", "raw BER", "opening", "Q",
      "raw BER");
  // 255 is full exposure (D ~2.2, the shoulder); 134 is what the factory calibration sends for
  // a page's white (1.10 D); the 2-bit levels are evenly spaced in density up to either.
  const std::vector<std::pair<std::string, std::vector<int>>> exposures{
      {"1 bit: 0, 255", {0, 255}},
      {"1 bit: 0, 134 (1.10 D)", {0, 134}},
      {"2 bits: 0, 85, 170, 255", {0, 85, 170, 255}},
      {"2 bits: 0, 102, 117, 134", {0, 102, 117, 134}},
  };
  for (int m = 1; m <= 4; ++m) {
    for (const auto& [name, codes] : exposures) {
      const Eye eye = measure(recorder, stock, m, codes, 0);
      const Eye re = measure(recorder, stock, m, codes, 1.5);
      fmt::print(
          "{:>6} {:>7.1f} {:>28} | {:>8.2f} {:>6.1f} {:>9.2e} | {:>35.2f} {:>6.1f} {:>9.2e}\n", m,
          m * recorder.pixel_pitch_um, name, eye.opening, eye.q, eye.ber, re.opening, re.q, re.ber);
    }
  }
  vips_shutdown();
  return 0;
}
