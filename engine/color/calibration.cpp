#include "color/calibration.hpp"

#include <fmt/format.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "base/sha256.hpp"
#include "base/toml_reader.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

void apply_lut_scalar(std::uint8_t* p, std::size_t n, const std::uint8_t* lut) {
  for (std::size_t i = 0; i < n; ++i) p[i] = lut[p[i]];
}

// 64 pixels per step: two 128-entry byte permutes (vpermi2b) and a blend on the top bit. The
// scalar loop reads the table a byte at a time (~1.4 GB/s, 12 ms per A4 frame); this runs at
// memory speed.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void apply_lut_vbmi(
    std::uint8_t* p, std::size_t n, const std::uint8_t* lut) {
  const __m512i t0 = _mm512_loadu_si512(lut);
  const __m512i t1 = _mm512_loadu_si512(lut + 64);
  const __m512i t2 = _mm512_loadu_si512(lut + 128);
  const __m512i t3 = _mm512_loadu_si512(lut + 192);
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i x = _mm512_loadu_si512(p + i);
    const __m512i low = _mm512_permutex2var_epi8(t0, x, t1);
    const __m512i high = _mm512_permutex2var_epi8(t2, x, t3);
    _mm512_storeu_si512(p + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), low, high));
  }
  apply_lut_scalar(p + i, n - i, lut);
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// An array of numbers, at least one.
std::vector<double> numbers(const TomlValue& value) {
  std::vector<double> out;
  for (const TomlValue& item : value.array("an array of numbers", true)) {
    const auto number = item.as_number();
    if (!number) item.fail_type("a number");
    out.push_back(*number);
  }
  return out;
}

}  // namespace

double CalibrationProfile::aim(const std::string& document_class) const {
  const std::string& wanted = document_class.empty() ? default_class : document_class;
  for (const auto& [name, density] : aims) {
    if (name == wanted) return density;
  }
  std::string known;
  for (const auto& [name, density] : aims) known += (known.empty() ? "" : ", ") + name;
  throw Error(ErrorKind::job, fmt::format("calibration {}: no aim density for document class "
                                          "\"{}\" (known: {})",
                                          this->name, wanted, known));
}

std::string CalibrationProfile::to_toml() const {
  std::string out =
      "# Density calibration written by `filmwriter calibrate`. The curves are the\n"
      "# densitometer readings (code value -> density); filmwriter fits them with a\n"
      "# monotone cubic and inverts them. A lab may edit the aims or add readings.\n";
  out += fmt::format("description = {}\n", quoted(description));
  out += fmt::format("recorder = {}\nstock = {}\nprocessing = {}\n", quoted(recorder),
                     quoted(stock), quoted(processing));
  out += fmt::format("default_class = {}\n", quoted(default_class));
  out += fmt::format("tone = {:g}   # tone reproduction exponent for grey pages\n", tone);
  out +=
      fmt::format("fit_error_max_d = {:.4f}   # leave-one-out error of the fit\n", fit_error.max_d);
  out += fmt::format("fit_error_rms_d = {:.4f}\n", fit_error.rms_d);
  out += "channels = [";
  for (std::size_t i = 0; i < channels.size(); ++i) {
    out += (i ? ", " : "") + quoted(channels[i]);
  }
  out += "]\n\n[aim]   # background density by document class\n";
  for (const auto& [name, density] : aims) out += fmt::format("{} = {:.3f}\n", name, density);
  for (std::size_t c = 0; c < channels.size(); ++c) {
    out += fmt::format("\n[curve.{}]\ncodes = [", channels[c]);
    const auto& points = curves[c].points();
    for (std::size_t i = 0; i < points.size(); ++i) {
      out += fmt::format("{}{:g}", i ? ", " : "", points[i].code);
    }
    out += "]\ndensities = [";
    for (std::size_t i = 0; i < points.size(); ++i) {
      out += fmt::format("{}{:.4f}", i ? ", " : "", points[i].density);
    }
    out += "]\n";
  }
  return out;
}

std::filesystem::path calibration_path(const std::filesystem::path& profiles_dir,
                                       const std::string& name_or_file) {
  if (name_or_file.ends_with(".toml")) return name_or_file;
  return profiles_dir / "calibration" / (name_or_file + ".toml");
}

CalibrationProfile load_calibration(const std::filesystem::path& profiles_dir,
                                    const std::string& name_or_file) {
  const auto file = calibration_path(profiles_dir, name_or_file);
  if (!std::filesystem::is_regular_file(file)) {
    throw Error(ErrorKind::job, fmt::format("calibration \"{}\": no such profile ({})",
                                            name_or_file, file.string()));
  }
  const TomlDocument document = TomlDocument::load(file);
  const TomlTable root = document.root();
  CalibrationProfile profile;
  profile.name = file.stem().string();
  profile.file = file;
  profile.sha256 = sha256_file(file);
  profile.default_class = "high-contrast";
  static constexpr std::string_view kChannels = "[\"grey\"] or three channel names";
  std::optional<TomlValue> channels, curves;
  const auto text = [](std::string& field) {
    return [&field](const TomlValue& v) { field = v.string(); };
  };
  // The fit's error is written for the reader; the engine does not use it.
  const auto fit_error = [](const TomlValue& v) { v.number(NumberRange::at_least(0)); };
  root.read({
      {"description", text(profile.description)},
      {"recorder", text(profile.recorder)},
      {"stock", text(profile.stock)},
      {"processing", text(profile.processing)},
      {"default_class", text(profile.default_class)},
      {"tone", [&](const TomlValue& v) { profile.tone = v.number(NumberRange::between(0.2, 5)); }},
      {"fit_error_max_d", fit_error},
      {"fit_error_rms_d", fit_error},
      {"channels", [&](const TomlValue& v) { channels = v; }},
      {"curve", [&](const TomlValue& v) { curves = v; }},
      {"aim",
       [&](const TomlValue& v) {
         const TomlTable aims = v.table("a table of aims");
         for (const TomlValue& aim : aims.entries()) {
           profile.aims.emplace_back(aims.name_of(aim), aim.number(NumberRange::between(0, 4)));
         }
         // By class name, as the profile's reader has always listed them.
         std::ranges::stable_sort(profile.aims, {}, [](const auto& a) { return a.first; });
       }},
  });
  if (profile.aims.empty()) {
    if (const auto aim = root.get("aim")) aim->fail("a table of aims", "an empty table");
    root.require("aim", "a table of aims");
  }
  const auto names = root.require("channels", kChannels).array(kChannels);
  if (names.size() != 1 && names.size() != 3) channels->fail(kChannels);
  for (const TomlValue& channel : names) profile.channels.push_back(channel.text("a channel name"));
  const TomlTable curve_tables = root.require("curve", "[curve.<channel>] tables").table();
  curve_tables.only(
      std::vector<std::string_view>(profile.channels.begin(), profile.channels.end()));
  for (const std::string& name : profile.channels) {
    const TomlTable curve = curve_tables.require(name, "a table").table();
    std::vector<double> codes, densities;
    curve.read({{"codes", [&](const TomlValue& v) { codes = numbers(v); }},
                {"densities", [&](const TomlValue& v) { densities = numbers(v); }}});
    curve.require("codes", "an array of numbers");
    curve.require("densities", "an array of numbers");
    if (codes.size() != densities.size()) {
      curve.fail("densities", fmt::format("as many densities as codes ({})", codes.size()),
                 fmt::format("{}", densities.size()));
    }
    std::vector<DensityReading> readings;
    for (std::size_t i = 0; i < codes.size(); ++i) readings.push_back({codes[i], densities[i]});
    profile.curves.push_back(DensityCurve::fit(
        readings, fmt::format("{}:{}: {}", file.string(), curve.line(), curve.key())));
  }
  return profile;
}

FrameCalibration::FrameCalibration() {
  std::array<std::uint8_t, 256> identity{};
  for (int i = 0; i < 256; ++i) identity[i] = static_cast<std::uint8_t>(i);
  luts_.assign(1, identity);
  base_density_.assign(1, 0);
}

FrameCalibration::FrameCalibration(const CalibrationProfile& profile,
                                   const std::string& document_class, double tone)
    : identity_(false),
      label_(profile.sha256.empty() ? profile.name
                                    : profile.name + " sha256:" + profile.sha256.substr(0, 8)),
      profile_name_(profile.name),
      sha256_(profile.sha256),
      document_class_(document_class.empty() ? profile.default_class : document_class),
      file_(profile.file),
      aim_(profile.aim(document_class)),
      tone_(tone) {
  for (std::size_t c = 0; c < profile.curves.size(); ++c) {
    const DensityCurve& curve = profile.curves[c];
    if (aim_ > curve.max_density()) {
      throw Error(ErrorKind::job,
                  fmt::format("calibration {}: aim {:.2f} D is above the highest density read on "
                              "channel {} ({:.2f} D); the wedge must reach it",
                              profile.name, aim_, profile.channels[c], curve.max_density()));
    }
    base_density_.push_back(curve.density(0));
    std::array<std::uint8_t, 256> lut{};
    for (int v = 0; v < 256; ++v) {
      const double wanted =
          base_density_.back() + (aim_ - base_density_.back()) * std::pow(v / 255.0, tone_);
      lut[v] = static_cast<std::uint8_t>(std::clamp(std::lround(curve.code_for(wanted)), 0L, 255L));
    }
    luts_.push_back(lut);
  }
}

FrameCalibration FrameCalibration::for_job(const Job& job, const hal::Capabilities& recorder,
                                           const std::filesystem::path& profiles_dir) {
  // The class when nothing is calibrated: still what verify judges the background against.
  const auto uncalibrated = [&](const std::string& chosen_by, const std::string& document_class) {
    FrameCalibration identity;
    identity.chosen_by_ = chosen_by;
    identity.document_class_ = document_class.empty() ? "high-contrast" : document_class;
    return identity;
  };
  const auto calibrated = [&](const std::string& name, const std::string& chosen_by,
                              const std::string& document_class, std::optional<double> tone) {
    const auto profile = load_calibration(profiles_dir, name);
    FrameCalibration calibration(profile, document_class, tone.value_or(profile.tone));
    calibration.chosen_by_ = chosen_by;
    return calibration;
  };

  // The job's own choice: its calibration key, --calibration, or the older recorder options
  // calibration, document_class and tone, which the settings resolver (api::resolve) moved
  // into the choice.
  const CalibrationChoice& choice = job.calibration;
  if (!choice.profile.empty()) {
    if (choice.profile == "none") return uncalibrated(choice.chosen_by, choice.document_class);
    try {
      return calibrated(choice.profile, choice.chosen_by, choice.document_class, choice.tone);
    } catch (const Error& e) {
      throw with_context(!choice.origin.empty()
                             ? choice.origin
                             : fmt::format("job file line {}: calibration.profile", choice.line),
                         e);
    }
  }
  // The recorder's own: the factory or lab calibration its profile names for the loaded stock.
  if (recorder.calibration == "none") return uncalibrated("recorder", "");
  if (!recorder.calibration.empty()) {
    try {
      return calibrated(recorder.calibration, "recorder", "", std::nullopt);
    } catch (const Error& e) {
      throw with_context(fmt::format("the recorder (driver {}) names calibration \"{}\"",
                                     job.driver, recorder.calibration),
                         e);
    }
  }
  throw Error(ErrorKind::job,
              fmt::format("the recorder (driver {}) names no density calibration, so the film's "
                          "densities would not be controlled: choose one with calibration = "
                          "\"NAME\" (profiles/calibration/NAME.toml, see `filmwriter calibrate`) "
                          "or --calibration NAME; calibration = \"none\" sends raw code values",
                          job.driver));
}

nlohmann::ordered_json FrameCalibration::record() const {
  nlohmann::ordered_json json = {{"profile", profile_name_}, {"chosen_by", chosen_by_}};
  if (!identity_) {
    json["file"] = file_.string();
    json["sha256"] = sha256_;
  }
  json["document_class"] = document_class_;
  if (!identity_) {
    json["aim_density"] = std::round(aim_ * 1000) / 1000;
    json["tone"] = tone_;
  }
  return json;
}

void FrameCalibration::apply(std::span<std::uint8_t> pixels, std::uint32_t channels,
                             std::uint8_t paper, bool negative) const {
  if (identity_) return;
  if (channels == 1 && paper > 0 && paper < 255) {
    std::array<std::uint8_t, 256> lut{};
    for (int v = 0; v < 256; ++v) {
      const int page = negative ? v : 255 - v;
      const int scaled = std::min(255, static_cast<int>(std::lround(page * 255.0 / paper)));
      lut[v] = luts_[0][negative ? scaled : 255 - scaled];
    }
    apply_lut(pixels, lut);
    return;
  }
  if (channels == 1 || luts_.size() == 1) {
    apply_lut(pixels, luts_[0]);
    return;
  }
  const auto &r = luts_[0], &g = luts_[1], &b = luts_[2];
  for (std::size_t i = 0; i + 2 < pixels.size(); i += 3) {
    pixels[i] = r[pixels[i]];
    pixels[i + 1] = g[pixels[i + 1]];
    pixels[i + 2] = b[pixels[i + 2]];
  }
}

double FrameCalibration::wanted_density(std::uint8_t value, std::size_t channel) const {
  const double base = base_density_.at(std::min(channel, base_density_.size() - 1));
  return base + (aim_ - base) * std::pow(value / 255.0, tone_);
}

void apply_lut(std::span<std::uint8_t> pixels, const std::array<std::uint8_t, 256>& lut) {
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi") != 0;
  (vbmi ? apply_lut_vbmi : apply_lut_scalar)(pixels.data(), pixels.size(), lut.data());
}

}  // namespace fw
