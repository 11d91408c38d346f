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
#include <vips/vips8>

#include "base/error.hpp"
#include "base/files.hpp"
#include "base/toml_reader.hpp"
#include "hal/recorder.hpp"

namespace fw::drivers::sim {
namespace {

using hal::DeviceError;
using hal::DeviceErrorKind;

[[noreturn]] void profile_error(const std::string& where, const std::string& what) {
  throw DeviceError(DeviceErrorKind::bad_option, "sim driver: " + where + ": " + what);
}

// profiles/<kind>/<name>.toml, read with base's TOML reader: every message names the file,
// line and key. Its Errors become the driver's DeviceError(bad_option).
TomlDocument load_profile(const std::filesystem::path& profiles_dir, const std::string& kind,
                          const std::string& name) {
  const std::filesystem::path path = profiles_dir / kind / (name + ".toml");
  if (name.empty() || name.find('/') != std::string::npos || name.starts_with('.')) {
    profile_error(kind, "expected a profile name, got \"" + name + "\"");
  }
  if (!std::filesystem::is_regular_file(path)) {
    std::string known;
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(profiles_dir / kind, ec)) {
      if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    profile_error(path.string(), "no such profile (known: " + known + ")");
  }
  try {
    return TomlDocument::load(path);
  } catch (const Error& e) {
    throw DeviceError(DeviceErrorKind::bad_option, std::string("sim driver: ") + e.what());
  }
}

// A key of a profile table: how to read it, what it must be, and whether it must be there.
struct Key {
  TomlTable::Rule rule;
  std::string expected;
  bool required = true;
};

// A number in [low, high] stored in `field`.
Key number(std::string_view name, double& field, double low, double high) {
  const NumberRange range = NumberRange::between(low, high);
  return {{name, [&field, range](const TomlValue& v) { field = v.number(range); }}, range.number()};
}

// Reads each key of `table` in file order (one not in `keys` is refused), then refuses a
// missing required one.
void read_keys(const TomlTable& table, const std::vector<Key>& keys) {
  std::vector<TomlTable::Rule> rules;
  rules.reserve(keys.size());
  for (const Key& key : keys) rules.push_back(key.rule);
  table.read(rules);
  for (const Key& key : keys) {
    if (key.required && !table.has(key.rule.name)) table.require(key.rule.name, key.expected);
  }
}

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
  const TomlDocument document = load_profile(profiles_dir, "stocks", name);
  Stock stock;
  stock.name = name;
  try {
    static constexpr std::string_view kChannels = "[\"grey\"] or three channel names";
    const TomlTable root = document.root();
    std::optional<TomlValue> channels, curves;
    read_keys(root,
              {
                  {{"description", [&](const TomlValue& v) { stock.description = v.string(); }},
                   "a string"},
                  {{"channels", [&](const TomlValue& v) { channels = v; }}, std::string(kChannels)},
                  {{"curve", [&](const TomlValue& v) { curves = v; }}, "a table"},
                  {{"aim",
                    [&](const TomlValue& v) {
                      const TomlTable aims = v.table("a table of document class = density");
                      for (const TomlValue& aim : aims.entries()) {
                        stock.aims.emplace_back(aims.name_of(aim),
                                                aim.number(NumberRange::between(0, 4)));
                      }
                      // By class name, as the profile's reader has always listed them.
                      std::ranges::stable_sort(stock.aims, {},
                                               [](const auto& a) { return a.first; });
                    }},
                   "a table",
                   false},
              });
    const auto names = channels->array(kChannels);
    if (names.size() != 1 && names.size() != 3) channels->fail(kChannels);
    for (const TomlValue& channel : names) {
      stock.channel_names.push_back(channel.text("a channel name"));
    }
    const TomlTable curve_tables = curves->table();
    const std::vector<std::string_view> known(stock.channel_names.begin(),
                                              stock.channel_names.end());
    curve_tables.only(known);
    for (const std::string& channel : stock.channel_names) {
      const TomlTable c = curve_tables.require(channel, "a table").table();
      HdCurve curve;
      curve.d_min = c.number("d_min", NumberRange::between(0, 1));  // d_max's range needs it
      read_keys(
          c,
          {number("d_min", curve.d_min, 0, 1), number("d_max", curve.d_max, curve.d_min + 0.1, 6),
           number("gamma", curve.gamma, 0.1, 10),
           number("log_exposure_inertia", curve.log_exposure_inertia, -6, 2),
           number("toe_d", curve.toe_d, 0.001, 1), number("shoulder_d", curve.shoulder_d, 0.001, 1),
           number("grain_rms_at_1d", curve.grain_rms_at_1d, 0, 0.5)});
      stock.curves.push_back(curve);
    }
  } catch (const Error& e) {
    throw DeviceError(DeviceErrorKind::bad_option, std::string("sim driver: ") + e.what());
  }
  return stock;
}

RecorderProfile load_recorder(const std::filesystem::path& profiles_dir, const std::string& name) {
  const TomlDocument document = load_profile(profiles_dir, "recorders", name);
  RecorderProfile p;
  p.name = name;
  p.channels.clear();
  try {
    static constexpr std::string_view kChannels = "[1] or [1, 3]";
    const TomlTable root = document.root();
    double max_width = 0, max_height = 0, buffer_frames = 0;
    read_keys(
        root,
        {
            {{"description", [&](const TomlValue& v) { p.description = v.string(); }}, "a string"},
            number("pixel_pitch_um", p.pixel_pitch_um, 0.5, 50),
            number("spot_fwhm_um", p.spot_fwhm_um, 0, 100),
            number("max_width_px", max_width, 16, 65535),
            number("max_height_px", max_height, 16, 65535),
            {{"channels",
              [&](const TomlValue& v) {
                for (const TomlValue& c : v.array(kChannels, true)) {
                  const auto count = c.integer(NumberRange::between(1, 3));
                  if (count == 2) c.fail("1 or 3");
                  p.channels.push_back(static_cast<int>(count));
                }
              }},
             std::string(kChannels)},
            number("write_rate_lines_per_s", p.write_rate_lines_per_s, 1, 1e7),
            number("buffer_frames", buffer_frames, 1, 1000),
            number("film_length_m", p.film_length_m, 1, 10000),
            number("stall_tolerance_ms", p.stall_tolerance_ms, 0, 60000),
            number("stall_waste_mm", p.stall_waste_mm, 0, 1000),
            number("watchdog_s", p.watchdog_s, 0.1, 3600),
            {{"light",
              [&](const TomlValue& v) {
                read_keys(v.table(), {number("gamma", p.light_gamma, 0.1, 10),
                                      number("log_exposure_max", p.log_exposure_max, -4, 4),
                                      number("leak", p.light_leak, 0, 0.5)});
              }},
             "a table"},
            {{"calibration",
              [&](const TomlValue& v) {
                const TomlTable table = v.table("a table stock = profile");
                for (const TomlValue& entry : table.entries()) {
                  p.calibrations.emplace_back(table.name_of(entry), entry.text("a profile name"));
                }
                // By stock name, as the profile's reader has always listed them.
                std::ranges::stable_sort(p.calibrations, {}, [](const auto& c) { return c.first; });
              }},
             "a table",
             false},
        });
    p.max_width_px = static_cast<std::uint32_t>(max_width);
    p.max_height_px = static_cast<std::uint32_t>(max_height);
    p.buffer_frames = static_cast<std::uint32_t>(buffer_frames);
  } catch (const Error& e) {
    throw DeviceError(DeviceErrorKind::bad_option, std::string("sim driver: ") + e.what());
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

std::uint64_t mix_seed(std::uint64_t x) {
  return mix(x);
}

std::vector<Scratch> make_scratches(std::uint32_t count, double width_um, ScratchKind kind,
                                    std::uint64_t seed) {
  std::vector<Scratch> out;
  out.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint64_t r = mix(seed ^ 0x5343524154434845ull ^ (std::uint64_t{i} << 40));
    const double u = static_cast<double>(r >> 11) / 9007199254740992.0;  // [0, 1)
    const bool clear = kind == ScratchKind::clear || (kind == ScratchKind::mixed && (r & 1));
    out.push_back({0.02 + 0.96 * u, width_um, clear});
  }
  return out;
}

std::uint32_t damage_film(DevelopedFrame& frame, const Stock& stock, const FilmDamage& damage,
                          double pitch_um, bool travel_along_width, std::uint64_t seed) {
  const std::uint32_t w = frame.width, h = frame.height, channels = frame.channels;
  if (w == 0 || h == 0) return 0;
  const auto stored = [](double d) {
    return static_cast<std::uint16_t>(std::clamp(std::nearbyint(d * kDensityScale), 0.0, 65535.0));
  };
  std::vector<std::uint16_t> base(channels), dense(channels, stored(kDenseScratchD)),
      opaque(channels, stored(kDustD));
  for (std::uint32_t c = 0; c < channels; ++c) {
    base[c] = stored(stock.curves.at(stock.curves.size() == 1 ? 0 : c).d_min);
  }
  const auto set = [&](std::uint32_t x, std::uint32_t y, const std::vector<std::uint16_t>& d) {
    std::copy(d.begin(), d.end(), frame.density.begin() + (std::size_t{y} * w + x) * channels);
  };
  // Scratches: the pixels across the film whose centres lie within half the width of the
  // scratch's centre line, at least the one it crosses.
  const std::uint32_t across_px = travel_along_width ? h : w;
  const std::uint32_t along_px = travel_along_width ? w : h;
  for (const Scratch& s : damage.scratches) {
    const double centre = s.across * across_px;
    const double half = s.width_um / pitch_um / 2;
    const auto first = static_cast<std::uint32_t>(std::clamp(
        std::min(std::ceil(centre - half - 0.5), std::floor(centre)), 0.0, across_px - 1.0));
    const auto last = static_cast<std::uint32_t>(std::clamp(
        std::max(std::floor(centre + half - 0.5), std::floor(centre)), 0.0, across_px - 1.0));
    const auto& level = s.clear ? base : dense;
    for (std::uint32_t a = first; a <= last; ++a) {
      for (std::uint32_t t = 0; t < along_px; ++t) {
        travel_along_width ? set(t, a, level) : set(a, t, level);
      }
    }
  }
  if (damage.dust_per_cm2 <= 0) return 0;
  const auto uniform = [&](std::uint64_t i) {
    return static_cast<double>(mix(seed ^ 0x44555354ull ^ (i * 0x9E3779B97F4A7C15ull)) >> 11) /
           9007199254740992.0;
  };
  const double area_cm2 = w * pitch_um * 1e-4 * (h * pitch_um * 1e-4);
  const double mean = damage.dust_per_cm2 * area_cm2;
  const auto specks = static_cast<std::uint32_t>(
      std::min(1e7, std::floor(mean) + (uniform(0) < mean - std::floor(mean) ? 1 : 0)));
  const auto& level = damage.dust_at_exposure ? base : opaque;
  for (std::uint32_t i = 0; i < specks; ++i) {
    const std::uint64_t k = 1 + 3 * std::uint64_t{i};
    const double cx = uniform(k) * w, cy = uniform(k + 1) * h;
    const double diameter_um = kDustMinUm * std::pow(kDustMaxUm / kDustMinUm, uniform(k + 2));
    const double r = std::max(0.5, diameter_um / pitch_um / 2);
    const auto x0 = static_cast<std::int64_t>(std::floor(cx - r));
    const auto y0 = static_cast<std::int64_t>(std::floor(cy - r));
    const auto x1 = static_cast<std::int64_t>(std::ceil(cx + r));
    const auto y1 = static_cast<std::int64_t>(std::ceil(cy + r));
    for (std::int64_t y = std::max<std::int64_t>(0, y0); y <= std::min<std::int64_t>(h - 1, y1);
         ++y) {
      for (std::int64_t x = std::max<std::int64_t>(0, x0); x <= std::min<std::int64_t>(w - 1, x1);
           ++x) {
        const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        // A speck smaller than a pixel still darkens the pixel it lies in.
        const bool inside = dx * dx + dy * dy <= r * r || (x == static_cast<std::int64_t>(cx) &&
                                                           y == static_cast<std::int64_t>(cy));
        if (inside) set(static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y), level);
      }
    }
  }
  return specks;
}

void save_developed(const DevelopedFrame& frame, double pitch_um,
                    const std::filesystem::path& file) {
  // Encoded in memory, then written with write_file_atomic: a write that fails (a full disk)
  // is a storage error naming the file and the reason, which libtiff's own file I/O would
  // report as a bare "write error".
  VipsBlob* blob = nullptr;
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
    blob = image.tiffsave_buffer(vips::VImage::option()
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
  std::size_t size = 0;
  const void* data = vips_blob_get(blob, &size);
  // On disk before the reel's record says the frame was developed (resume trusts the record).
  try {
    write_file_atomic(file, std::string_view(static_cast<const char*>(data), size));
  } catch (...) {
    vips_area_unref(VIPS_AREA(blob));
    throw;  // Error(storage) naming the file: the film's disk is full or cannot be written
  }
  vips_area_unref(VIPS_AREA(blob));
}

}  // namespace fw::drivers::sim
