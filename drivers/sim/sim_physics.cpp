#include "sim/sim_physics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <system_error>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <toml++/toml.h>
#include <vips/vips8>

#include "base/error.hpp"
#include "base/files.hpp"
#include "hal/recorder.hpp"

namespace fw::drivers::sim {
namespace {

using hal::DeviceError;
using hal::DeviceErrorKind;

[[noreturn]] void profile_error(const std::string& where, const std::string& what) {
  throw DeviceError(DeviceErrorKind::bad_option, "sim driver: " + where + ": " + what);
}

// Reads one TOML profile file with errors that name the file, line and key.
class ProfileFile {
 public:
  ProfileFile(const std::filesystem::path& profiles_dir, const std::string& kind,
              const std::string& name)
      : path_(profiles_dir / kind / (name + ".toml")) {
    if (name.empty() || name.find('/') != std::string::npos || name.starts_with('.')) {
      profile_error(kind, "expected a profile name, got \"" + name + "\"");
    }
    if (!std::filesystem::is_regular_file(path_)) {
      std::string known;
      std::error_code ec;
      std::vector<std::string> names;
      for (const auto& entry : std::filesystem::directory_iterator(profiles_dir / kind, ec)) {
        if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
      }
      std::sort(names.begin(), names.end());
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      profile_error(path_.string(), "no such profile (known: " + known + ")");
    }
    try {
      table_ = toml::parse_file(path_.string());
    } catch (const toml::parse_error& e) {
      profile_error(fmt::format("{}:{}", path_.string(), e.source().begin.line),
                    std::string(e.description()));
    }
  }

  const toml::table& root() const { return table_; }
  const std::filesystem::path& path() const { return path_; }

  std::string where(const toml::node* node, const std::string& key) const {
    const auto line = node ? node->source().begin.line : 1;
    return fmt::format("{}:{}: {}", path_.string(), line, key);
  }

  double number(const toml::table& table, const std::string& prefix, const std::string& key,
                double min, double max) const {
    const toml::node* node = table.get(key);
    const std::string full = prefix.empty() ? key : prefix + "." + key;
    if (!node) profile_error(where(&table, full), "expected a number, got nothing (required)");
    std::optional<double> value = node->value<double>();
    if (!value || *value < min || *value > max) {
      profile_error(where(node, full), fmt::format("expected a number {}–{}", min, max));
    }
    return *value;
  }

  std::string text(const toml::table& table, const std::string& key) const {
    const toml::node* node = table.get(key);
    auto value = node ? node->value<std::string>() : std::nullopt;
    if (!value) profile_error(where(node ? node : &table, key), "expected a string");
    return *value;
  }

  const toml::table& subtable(const toml::table& table, const std::string& key) const {
    const toml::table* sub = table.get_as<toml::table>(key);
    if (!sub) profile_error(where(&table, key), "expected a table, got nothing (required)");
    return *sub;
  }

 private:
  std::filesystem::path path_;
  toml::table table_;
};

double softplus(double x) {
  return x > 30 ? x : std::log1p(std::exp(x));
}

// splitmix64: a tiny, well-mixed hash, so that each pixel's grain depends only on the seed
// and the pixel's index (deterministic whatever the thread or the order of work).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Standard normal deviates, drawn once with a fixed seed; grain picks from it by hash.
const std::array<float, 65536>& normal_table() {
  static const std::array<float, 65536> table = [] {
    std::array<float, 65536> t{};
    std::mt19937_64 engine(20261125);
    std::normal_distribution<double> normal(0, 1);
    double sum = 0, sum_sq = 0;
    for (auto& v : t) {
      v = static_cast<float>(normal(engine));
      sum += v;
      sum_sq += double{v} * v;
    }
    // Normalise exactly to mean 0, RMS 1 so grain has the profile's RMS, not a sample's.
    const double mean = sum / t.size();
    const double rms = std::sqrt(sum_sq / t.size() - mean * mean);
    for (auto& v : t) v = static_cast<float>((v - mean) / rms);
    return t;
  }();
  return table;
}

// Density as a function of exposure, indexed by the bits of the float exposure: within one
// binade a float's value is linear in its bits, so the top mantissa bits index a table and the
// rest interpolate linearly, with no log10 per pixel. 2^11 steps per octave keep the
// interpolation error (< 1e-7 D) far below what the 0.0001 D storage step can show.
class DensityTable {
 public:
  static constexpr int kShift = 12;  // mantissa bits interpolated
  // Exposures below 1e-9 (code 0 with no light leak) develop like 1e-9: deep in the toe.
  static constexpr float kLow = 1e-9f, kHigh = 1e3f;
  DensityTable(const HdCurve& curve, double log_exposure_offset)
      : low_bits_(bits(kLow) >> kShift << kShift) {
    const std::uint32_t count = ((bits(kHigh) - low_bits_) >> kShift) + 2;
    values_.resize(count);
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t b = low_bits_ + (i << kShift);
      float x;
      std::memcpy(&x, &b, sizeof x);
      values_[i] = static_cast<float>(curve.density(std::log10(double{x}) + log_exposure_offset));
    }
  }
  float operator()(float exposure) const {
    const std::uint32_t b = bits(std::clamp(exposure, kLow, kHigh)) - low_bits_;
    const std::uint32_t i = b >> kShift;
    const float f = static_cast<float>(b & ((1u << kShift) - 1)) * (1.0f / (1u << kShift));
    return values_[i] + (values_[i + 1] - values_[i]) * f;
  }

 private:
  static std::uint32_t bits(float x) {
    std::uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
  }
  std::uint32_t low_bits_;
  std::vector<float> values_;
};

// The writing spot as a normalised, separable Gaussian kernel (taps down to 0.001 of the
// peak, like libvips's gaussblur with min_ampl 0.001).
std::vector<float> spot_kernel(double sigma_px) {
  if (sigma_px < 0.2) return {1.0f};
  const int radius =
      std::max(1, static_cast<int>(std::ceil(sigma_px * std::sqrt(2 * std::log(1000.0)))));
  std::vector<float> kernel(2 * radius + 1);
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) sum += std::exp(-i * i / (2 * sigma_px * sigma_px));
  for (int i = -radius; i <= radius; ++i) {
    kernel[i + radius] = static_cast<float>(std::exp(-i * i / (2 * sigma_px * sigma_px)) / sum);
  }
  return kernel;
}

}  // namespace

double HdCurve::density(double log_exposure) const {
  // A straight line of slope gamma, rounded into d_min by a softplus toe and into d_max by a
  // softplus shoulder: monotone, smooth, and with the profile's numbers where they belong.
  const double range = d_max - d_min;
  const double line = gamma * (log_exposure - log_exposure_inertia);
  const double toe = toe_d * softplus(line / toe_d);
  return d_min + range - shoulder_d * softplus((range - toe) / shoulder_d);
}

double HdCurve::grain_rms(double density) const {
  return grain_rms_at_1d * std::sqrt(std::max(density, 0.0));
}

double RecorderProfile::log_exposure(double code) const {
  const double relative = light_leak + (1 - light_leak) * std::pow(code / 255.0, light_gamma);
  return log_exposure_max + std::log10(std::max(relative, 1e-9));
}

Stock load_stock(const std::filesystem::path& profiles_dir, const std::string& name) {
  ProfileFile file(profiles_dir, "stocks", name);
  const toml::table& root = file.root();
  Stock stock;
  stock.name = name;
  stock.description = file.text(root, "description");
  const toml::array* channels = root.get_as<toml::array>("channels");
  if (!channels || (channels->size() != 1 && channels->size() != 3)) {
    profile_error(
        file.where(channels ? static_cast<const toml::node*>(channels) : &root, "channels"),
        "expected [\"grey\"] or three channel names");
  }
  const toml::table& curves = file.subtable(root, "curve");
  for (const auto& channel : *channels) {
    auto channel_name = channel.value<std::string>();
    if (!channel_name) profile_error(file.where(&channel, "channels"), "expected strings");
    const std::string prefix = "curve." + *channel_name;
    const toml::table& c = file.subtable(curves, *channel_name);
    HdCurve curve;
    curve.d_min = file.number(c, prefix, "d_min", 0, 1);
    curve.d_max = file.number(c, prefix, "d_max", curve.d_min + 0.1, 6);
    curve.gamma = file.number(c, prefix, "gamma", 0.1, 10);
    curve.log_exposure_inertia = file.number(c, prefix, "log_exposure_inertia", -6, 2);
    curve.toe_d = file.number(c, prefix, "toe_d", 0.001, 1);
    curve.shoulder_d = file.number(c, prefix, "shoulder_d", 0.001, 1);
    curve.grain_rms_at_1d = file.number(c, prefix, "grain_rms_at_1d", 0, 0.5);
    stock.channel_names.push_back(*channel_name);
    stock.curves.push_back(curve);
  }
  if (const toml::table* aims = root.get_as<toml::table>("aim")) {
    for (const auto& [key, node] : *aims) {
      const std::string k(key.str());
      stock.aims.emplace_back(k, file.number(*aims, "aim", k, 0, 4));
    }
  }
  return stock;
}

RecorderProfile load_recorder(const std::filesystem::path& profiles_dir, const std::string& name) {
  ProfileFile file(profiles_dir, "recorders", name);
  const toml::table& root = file.root();
  RecorderProfile p;
  p.name = name;
  p.description = file.text(root, "description");
  p.pixel_pitch_um = file.number(root, "", "pixel_pitch_um", 0.5, 50);
  p.spot_fwhm_um = file.number(root, "", "spot_fwhm_um", 0, 100);
  p.max_width_px = static_cast<std::uint32_t>(file.number(root, "", "max_width_px", 16, 65535));
  p.max_height_px = static_cast<std::uint32_t>(file.number(root, "", "max_height_px", 16, 65535));
  p.channels.clear();
  if (const toml::array* channels = root.get_as<toml::array>("channels")) {
    for (const auto& c : *channels) {
      auto v = c.value<int>();
      if (!v || (*v != 1 && *v != 3)) profile_error(file.where(&c, "channels"), "expected 1 or 3");
      p.channels.push_back(*v);
    }
  }
  if (p.channels.empty()) profile_error(file.where(&root, "channels"), "expected [1] or [1, 3]");
  p.write_rate_lines_per_s = file.number(root, "", "write_rate_lines_per_s", 1, 1e7);
  p.buffer_frames = static_cast<std::uint32_t>(file.number(root, "", "buffer_frames", 1, 1000));
  p.film_length_m = file.number(root, "", "film_length_m", 1, 10000);
  p.stall_tolerance_ms = file.number(root, "", "stall_tolerance_ms", 0, 60000);
  p.stall_waste_mm = file.number(root, "", "stall_waste_mm", 0, 1000);
  p.watchdog_s = file.number(root, "", "watchdog_s", 0.1, 3600);
  const toml::table& light = file.subtable(root, "light");
  p.light_gamma = file.number(light, "light", "gamma", 0.1, 10);
  p.log_exposure_max = file.number(light, "light", "log_exposure_max", -4, 4);
  p.light_leak = file.number(light, "light", "leak", 0, 0.5);
  if (const toml::node* node = root.get("calibration")) {
    const toml::table* table = node->as_table();
    if (!table) profile_error(file.where(node, "calibration"), "expected a table stock = profile");
    for (const auto& [stock, value] : *table) {
      const auto name = value.value<std::string>();
      const std::string key = "calibration." + std::string(stock.str());
      if (!name || name->empty()) profile_error(file.where(&value, key), "expected a profile name");
      p.calibrations.emplace_back(std::string(stock.str()), *name);
    }
  }
  return p;
}

std::string RecorderProfile::calibration_for(const std::string& stock) const {
  for (const auto& [name, calibration] : calibrations) {
    if (name == stock) return calibration;
  }
  return "";
}

DevelopedFrame develop(const RecorderProfile& recorder, const Stock& stock,
                       std::span<const std::uint8_t> pixels, std::uint32_t width,
                       std::uint32_t height, std::uint32_t channels, std::uint64_t grain_seed) {
  DevelopedFrame out{width, height, channels, {}};
  const std::size_t count = std::size_t{width} * height;
  out.density.resize(count * channels);
  if (count == 0) return out;
  // The spot spreads light, so blur acts on exposure (linear), before the emulsion's
  // non-linear response; sigma from the FWHM at the real pitch. Exposure is kept relative to
  // the recorder's maximum (10^log_exposure_max) and the table adds that offset back.
  const std::vector<float> kernel = spot_kernel(
      recorder.spot_fwhm_um / (2 * std::sqrt(2 * std::log(2.0))) / recorder.pixel_pitch_um);
  const int radius = static_cast<int>(kernel.size() / 2);
  std::array<float, 256> exposure{};
  for (int code = 0; code < 256; ++code) {
    exposure[code] =
        static_cast<float>(std::pow(10.0, recorder.log_exposure(code) - recorder.log_exposure_max));
  }
  std::vector<DensityTable> tables;
  std::vector<std::uint64_t> channel_seeds;
  for (std::uint32_t c = 0; c < channels; ++c) {
    tables.emplace_back(stock.curves.at(stock.curves.size() == 1 ? 0 : c),
                        recorder.log_exposure_max);
    channel_seeds.push_back(mix(grain_seed ^ (std::uint64_t{c} << 56)));
  }
  const auto& normals = normal_table();
  const int w = static_cast<int>(width), h = static_cast<int>(height);
  // Rows are independent once blurred, and each pixel's grain depends only on its index, so
  // blocks of rows develop in parallel and give the same film on any number of threads.
  tbb::parallel_for(tbb::blocked_range<int>(0, h, 64), [&](const tbb::blocked_range<int>& rows) {
    const int y0 = rows.begin(), y1 = rows.end();
    const int band = y1 - y0 + 2 * radius;
    std::vector<float> across(std::size_t(band) *
                              w);  // rows y0-radius .. y1+radius, blurred across
    std::vector<float> line(w + 2 * radius);
    std::vector<float> blurred(w);
    for (std::uint32_t c = 0; c < channels; ++c) {
      for (int j = 0; j < band; ++j) {
        const int y = std::clamp(y0 - radius + j, 0, h - 1);  // edges extend, as film would not
        const std::uint8_t* in = pixels.data() + (std::size_t(y) * w) * channels + c;
        for (int x = 0; x < w; ++x) line[x + radius] = exposure[in[std::size_t(x) * channels]];
        for (int k = 0; k < radius; ++k) {
          line[k] = line[radius];
          line[w + radius + k] = line[w + radius - 1];
        }
        float* dst = across.data() + std::size_t(j) * w;
        for (int x = 0; x < w; ++x) {
          float sum = 0;
          for (int k = 0; k < static_cast<int>(kernel.size()); ++k) sum += kernel[k] * line[x + k];
          dst[x] = sum;
        }
      }
      const DensityTable& table = tables[c];
      const HdCurve& curve = stock.curves.at(stock.curves.size() == 1 ? 0 : c);
      const float grain_at_1d = static_cast<float>(curve.grain_rms_at_1d);
      for (int y = y0; y < y1; ++y) {
        std::fill(blurred.begin(), blurred.end(), 0.0f);
        for (int k = 0; k < static_cast<int>(kernel.size()); ++k) {
          const float* src = across.data() + std::size_t(y - y0 + k) * w;
          const float weight = kernel[k];
          for (int x = 0; x < w; ++x) blurred[x] += weight * src[x];
        }
        const std::size_t row = std::size_t(y) * w;
        std::uint16_t* dst = out.density.data() + row * channels + c;
        for (int x = 0; x < w; ++x) {
          const float density = table(blurred[x]);
          const float grain = grain_at_1d * std::sqrt(std::max(density, 0.0f)) *
                              normals[mix(channel_seeds[c] + row + x) & 0xFFFF];
          const float stored =
              std::nearbyint((density + grain) * static_cast<float>(kDensityScale));
          dst[std::size_t(x) * channels] =
              static_cast<std::uint16_t>(std::clamp(stored, 0.0f, 65535.0f));
        }
      }
    }
  });
  return out;
}

void save_developed(const DevelopedFrame& frame, double pitch_um,
                    const std::filesystem::path& file) {
  const auto tmp = std::filesystem::path(file.string() + ".tmp");
  try {
    vips::VImage image = vips::VImage::new_from_memory(
        const_cast<std::uint16_t*>(frame.density.data()), frame.density.size() * 2,
        static_cast<int>(frame.width), static_cast<int>(frame.height),
        static_cast<int>(frame.channels), VIPS_FORMAT_USHORT);
    image = image.copy(vips::VImage::option()
                           ->set("interpretation", frame.channels == 3 ? VIPS_INTERPRETATION_RGB16
                                                                       : VIPS_INTERPRETATION_GREY16)
                           ->set("xres", 1000.0 / pitch_um)
                           ->set("yres", 1000.0 / pitch_um));
    image.set("image-description",
              fmt::format("filmwriter developed film: density x {:g}, pitch_um={}", kDensityScale,
                          pitch_um)
                  .c_str());
    image.tiffsave(tmp.c_str(), vips::VImage::option()
                                    // Grain is noise, which deflate compresses
                                    // slowly and no better: on a 24x A4 frame zstd level 1
                                    // takes 0.13 s of CPU for 25.7 MB, deflate 2.1 s for
                                    // 26.2 MB (vips tiffsave on 1.1 D with grain).
                                    ->set("compression", "zstd")
                                    ->set("level", 1)
                                    ->set("resunit", "cm")
                                    ->set("strip", false));
  } catch (const vips::VError& e) {
    throw DeviceError(DeviceErrorKind::fault,
                      "sim driver: cannot write " + file.string() + ": " + e.what());
  }
  // On disk before the reel's record says the frame was developed (resume trusts the record).
  try {
    publish_file(tmp, file);
  } catch (const Error& e) {
    throw DeviceError(DeviceErrorKind::fault, std::string("sim driver: ") + e.what());
  }
}

}  // namespace fw::drivers::sim
