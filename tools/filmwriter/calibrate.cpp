// `calibrate wedge|fit|auto`: density calibration of a recorder + stock + processing.
//   wedge: write a step wedge through a driver (and a readings.csv for the densitometer)
//   fit:   densitometer readings (CSV) -> calibration profile, with the fit's error
//   auto:  against the simulated recorder: wedge -> read the developed film -> fit -> verify,
//          until every verification step is within the tolerance
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "color/calibration.hpp"
#include "color/wedge.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "film/format.hpp"
#include "qc/film_reader.hpp"
#include "sim/sim_physics.hpp"

namespace fw::cli {
namespace {

namespace sim = fw::drivers::sim;

struct DeviceFlags {
  std::string driver = "sim";
  std::vector<std::string> driver_options;
  std::string profiles;
  std::string format = "16mm-comic-30m";
};

void add_device_flags(CLI::App& cmd, DeviceFlags& flags) {
  cmd.add_option("--driver", flags.driver, "recorder driver (default sim)");
  cmd.add_option("-O,--driver-option", flags.driver_options,
                 "KEY=VALUE driver option, repeatable (e.g. -O stock=sim-negative)");
  cmd.add_option("--profiles", flags.profiles,
                 "profiles folder (default: FILMWRITER_PROFILES or the installed profiles)");
  cmd.add_option("--format", flags.format, "film format the wedge reel is loaded as");
}

std::filesystem::path profiles_dir(const std::string& flag) {
  return flag.empty() ? default_profiles_dir() : std::filesystem::path(flag);
}

hal::DriverOptions driver_options(const DeviceFlags& flags) {
  hal::DriverOptions options;
  for (const auto& kv : flags.driver_options) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorKind::usage, "--driver-option: expected KEY=VALUE, got \"" + kv + "\"");
    }
    options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  // The sim finds its stock and recorder profiles where the command finds everything else.
  if (flags.driver == "sim" && !flags.profiles.empty() && !options.contains("profiles")) {
    options["profiles"] = flags.profiles;
  }
  return options;
}

std::string option_or(const hal::DriverOptions& options, const std::string& key,
                      const std::string& fallback) {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

std::unique_ptr<hal::Recorder> open_recorder(const hal::Registry& registry,
                                             const DeviceFlags& flags,
                                             const hal::DriverOptions& options) {
  try {
    return registry.open(flags.driver, options);
  } catch (const hal::DeviceError& e) {
    throw Error(e.kind() == hal::DeviceErrorKind::bad_option ? ErrorKind::usage : ErrorKind::device,
                std::string("recorder: ") + e.what());
  }
}

// Exposes one wedge frame on reel R0001 in `dir`; `codes[c][i]` is step i's code on channel c.
// Writes dir/wedge.json. Returns the reel folder.
std::filesystem::path expose_wedge(hal::Recorder& recorder, const DeviceFlags& flags,
                                   const std::filesystem::path& dir, const WedgeLayout& layout,
                                   const std::vector<std::vector<std::uint8_t>>& codes) {
  const hal::Capabilities caps = recorder.capabilities();
  const std::uint32_t channels =
      std::find(caps.channels.begin(), caps.channels.end(), 1) != caps.channels.end() ? 1 : 3;
  std::vector<std::uint8_t> pixels(std::size_t{layout.width} * layout.height * channels);
  const std::vector<std::uint8_t> base = render_wedge(layout);
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (std::uint32_t c = 0; c < channels; ++c) pixels[i * channels + c] = base[i];
  }
  // Patches carry each channel's own code (a verification wedge differs per channel).
  for (std::size_t s = 0; s < layout.steps.size(); ++s) {
    const auto& step = layout.steps[s];
    for (std::uint32_t y = step.y; y < step.y + layout.patch_px; ++y) {
      for (std::uint32_t x = step.x; x < step.x + layout.patch_px; ++x) {
        for (std::uint32_t c = 0; c < channels; ++c) {
          pixels[(std::size_t{y} * layout.width + x) * channels + c] =
              codes[std::min<std::size_t>(c, codes.size() - 1)][s];
        }
      }
    }
  }
  const auto reel_dir = dir / "R0001";
  std::filesystem::create_directories(reel_dir);
  write_file_atomic(dir / "wedge.json", layout.to_json());
  hal::Frame frame;
  frame.width = layout.width;
  frame.height = layout.height;
  frame.channels = channels;
  frame.pixels = pixels;
  frame.pixel_pitch_um = caps.pixel_pitch_um;
  frame.reel_number = 1;
  frame.frame_number = 1;
  frame.blip = hal::BlipLevel::document;
  frame.address = "R0001-WEDGE-0001";
  frame.description = fmt::format("step wedge, {} steps", layout.steps.size());
  try {
    hal::ReelSpec spec{"R0001", 1, "calibration-wedge", flags.format, "", 0, reel_dir};
    spec.geometry = film_geometry(load_format(profiles_dir(flags.profiles), flags.format));
    recorder.load(spec);
    recorder.expose(frame);
    recorder.unload();
  } catch (const hal::DeviceError& e) {
    throw Error(ErrorKind::device, fmt::format("wedge reel {}: {}: {}", reel_dir.string(),
                                               hal::to_string(e.kind()), e.what()));
  }
  return reel_dir;
}

// Reads the wedge back from the sim's developed film, one reading list per channel.
std::vector<std::vector<DensityReading>> read_film(
    const std::filesystem::path& reel_dir, const WedgeLayout& layout,
    const std::vector<std::vector<std::uint8_t>>& codes) {
  const auto file = qc::FilmReader(reel_dir).file(1);
  if (!std::filesystem::exists(file)) {
    throw Error(ErrorKind::usage,
                reel_dir.string() +
                    ": no developed film (film/F000001.tif): automatic calibration needs the sim "
                    "driver with film_output=true; for a real recorder read the wedge with a "
                    "densitometer and use `calibrate fit`");
  }
  const DensityImage film = read_developed_film(file, sim::kDensityScale);
  std::vector<std::vector<DensityReading>> out;
  for (std::uint32_t c = 0; c < film.channels; ++c) {
    auto readings = read_wedge(layout, film, file.string(), c);
    const auto& channel_codes = codes[std::min<std::size_t>(c, codes.size() - 1)];
    for (std::size_t i = 0; i < readings.size(); ++i) readings[i].code = channel_codes[i];
    out.push_back(std::move(readings));
  }
  return out;
}

struct ProfileIdentity {
  std::string name;
  std::string recorder;
  std::string stock;
  std::string processing;
};

CalibrationProfile fit_profile(const ProfileIdentity& id,
                               const std::vector<std::vector<DensityReading>>& readings,
                               const std::vector<std::string>& channel_names,
                               const std::vector<std::pair<std::string, double>>& aims,
                               const std::string& context) {
  CalibrationProfile profile;
  profile.name = id.name;
  profile.description = fmt::format("{} on {}, {}", id.recorder, id.stock, id.processing);
  profile.recorder = id.recorder;
  profile.stock = id.stock;
  profile.processing = id.processing;
  profile.aims = aims;
  // High-contrast documents are the common case (MS23 group 1); else the stock's first class.
  const bool has_high_contrast = std::any_of(
      aims.begin(), aims.end(), [](const auto& aim) { return aim.first == "high-contrast"; });
  if (!has_high_contrast && !aims.empty()) profile.default_class = aims.front().first;
  for (std::size_t c = 0; c < readings.size(); ++c) {
    const std::string channel = c < channel_names.size() ? channel_names[c] : "grey";
    profile.channels.push_back(channel);
    profile.curves.push_back(DensityCurve::fit(readings[c], context + " (" + channel + ")"));
    const FitError error = leave_one_out_error(profile.curves.back());
    if (error.max_d >= profile.fit_error.max_d) profile.fit_error = error;
  }
  return profile;
}

// The stock's aim densities and channel names (profiles/stocks/<stock>.toml).
sim::Stock load_stock_profile(const std::filesystem::path& profiles, const std::string& name) {
  try {
    return sim::load_stock(profiles, name);
  } catch (const hal::DeviceError& e) {
    throw Error(ErrorKind::usage, std::string("--stock: ") + e.what());
  }
}

void save_profile(const CalibrationProfile& profile, const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  write_file_atomic(file, profile.to_toml());
}

// ---- calibrate wedge ------------------------------------------------------------------------

struct WedgeFlags {
  DeviceFlags device;
  std::string out;
  int steps = 21;
};

int run_wedge(const WedgeFlags& flags, const hal::Registry& registry) {
  const auto options = driver_options(flags.device);
  auto recorder = open_recorder(registry, flags.device, options);
  const auto codes = wedge_codes(flags.steps);
  const WedgeLayout layout = make_wedge(codes);
  const auto reel_dir = expose_wedge(*recorder, flags.device, flags.out, layout, {codes});
  const auto csv = std::filesystem::path(flags.out) / "readings.csv";
  write_file_atomic(csv, readings_csv(layout, {}));
  fmt::print("wedge: {} steps, code 0–255, {}x{} px, exposed with the {} driver\n", flags.steps,
             layout.width, layout.height, flags.device.driver);
  fmt::print("reel:     {}\n", reel_dir.string());
  fmt::print("layout:   {}\n", (std::filesystem::path(flags.out) / "wedge.json").string());
  fmt::print(
      "readings: {} (fill in the density column, then: filmwriter calibrate fit {} "
      "--profile NAME)\n",
      csv.string(), csv.string());
  return exit_ok;
}

// ---- calibrate fit --------------------------------------------------------------------------

struct FitFlags {
  std::string readings;
  std::string profile;
  std::string profiles;
  std::string recorder = "sim-default";
  std::string stock = "sim-negative";
  std::string processing = "standard";
};

int run_fit(const FitFlags& flags) {
  const auto profiles = profiles_dir(flags.profiles);
  const auto readings = parse_readings_csv(read_file(flags.readings), flags.readings);
  const sim::Stock stock = load_stock_profile(profiles, flags.stock);
  const auto file = calibration_path(profiles, flags.profile);
  const CalibrationProfile profile =
      fit_profile({file.stem().string(), flags.recorder, flags.stock, flags.processing}, {readings},
                  {"grey"}, stock.aims, flags.readings);
  save_profile(profile, file);
  const auto& curve = profile.curves.front();
  fmt::print("fit: {} readings, {:.3f}–{:.3f} D, monotone cubic (Fritsch–Carlson)\n",
             readings.size(), curve.min_density(), curve.max_density());
  fmt::print("fit error (leave-one-out): max {:.4f} D at code {:g}, rms {:.4f} D\n",
             profile.fit_error.max_d, profile.fit_error.worst_code, profile.fit_error.rms_d);
  for (const auto& [name, aim] : profile.aims) {
    fmt::print("  aim {} {:.2f} D -> code {:.1f}\n", name, aim, curve.code_for(aim));
  }
  fmt::print("profile: {}\n", file.string());
  return exit_ok;
}

// ---- calibrate auto -------------------------------------------------------------------------

struct AutoFlags {
  DeviceFlags device;
  std::string profile;
  std::string start;
  std::string out = "calibration-out";
  double tolerance = 0.03;
  int max_iterations = 5;
  int steps = 21;
};

struct Verification {
  double max_error = 0;
  double mean_error = 0;
  std::vector<std::vector<DensityReading>> readings;  // what was written and read: more data
};

// Writes a wedge of target densities through the profile's curves and reads it back.
Verification verify(const CalibrationProfile& profile, hal::Recorder& recorder,
                    const DeviceFlags& flags, const std::filesystem::path& dir) {
  // Targets: evenly from just above base + fog to a little above the highest aim, plus the
  // aims themselves, on every channel's curve.
  double top = 0;
  for (const auto& [name, aim] : profile.aims) top = std::max(top, aim);
  double bottom = 0, ceiling = 10;
  for (const auto& curve : profile.curves) {
    bottom = std::max(bottom, curve.min_density());
    ceiling = std::min(ceiling, curve.max_density());
  }
  top = std::min(top + 0.5, ceiling - 0.05);
  std::vector<double> targets;
  for (int i = 0; i < 15; ++i) targets.push_back(bottom + 0.05 + (top - bottom - 0.05) * i / 14);
  for (const auto& [name, aim] : profile.aims) targets.push_back(aim);
  std::vector<std::vector<std::uint8_t>> codes(profile.curves.size());
  for (std::size_t c = 0; c < profile.curves.size(); ++c) {
    for (double target : targets) {
      codes[c].push_back(static_cast<std::uint8_t>(
          std::clamp(std::lround(profile.curves[c].code_for(target)), 0L, 255L)));
    }
  }
  const WedgeLayout layout = make_wedge(codes[0], targets);
  const auto reel_dir = expose_wedge(recorder, flags, dir, layout, codes);
  Verification result;
  result.readings = read_film(reel_dir, layout, codes);
  double sum = 0;
  int count = 0;
  for (const auto& channel : result.readings) {
    for (std::size_t i = 0; i < channel.size(); ++i) {
      const double error = std::abs(channel[i].density - targets[i]);
      result.max_error = std::max(result.max_error, error);
      sum += error;
      ++count;
    }
  }
  result.mean_error = count ? sum / count : 0;
  return result;
}

int run_auto(const AutoFlags& flags, const hal::Registry& registry) {
  const auto profiles = profiles_dir(flags.device.profiles);
  const auto options = driver_options(flags.device);
  auto recorder = open_recorder(registry, flags.device, options);
  const ProfileIdentity id{
      calibration_path(profiles, flags.profile).stem().string(),
      option_or(options, "recorder", "sim-default"), option_or(options, "stock", "sim-negative"),
      fmt::format("simulated processing, seed {}", option_or(options, "seed", "1"))};
  const sim::Stock stock = load_stock_profile(profiles, id.stock);
  const std::filesystem::path out = flags.out;
  std::filesystem::create_directories(out);

  std::vector<std::vector<DensityReading>> readings(stock.curves.size());
  auto add = [&](const std::vector<std::vector<DensityReading>>& more) {
    for (std::size_t c = 0; c < readings.size() && c < more.size(); ++c) {
      readings[c].insert(readings[c].end(), more[c].begin(), more[c].end());
    }
  };
  std::optional<CalibrationProfile> profile;
  if (!flags.start.empty()) {
    profile = load_calibration(profiles, flags.start);
    const auto check = verify(*profile, *recorder, flags.device, out / "start-verify");
    fmt::print("start profile {}: max error {:.3f} D, mean {:.3f} D\n", profile->name,
               check.max_error, check.mean_error);
    add(check.readings);
  }
  {
    const auto codes = wedge_codes(flags.steps);
    const WedgeLayout layout = make_wedge(codes);
    const auto reel_dir = expose_wedge(*recorder, flags.device, out / "wedge", layout, {codes});
    add(read_film(reel_dir, layout, {codes}));
    fmt::print("wedge: {} steps read from {}\n", flags.steps,
               qc::FilmReader(reel_dir).folder().string());
  }
  for (int iteration = 1; iteration <= flags.max_iterations; ++iteration) {
    profile = fit_profile(id, readings, stock.channel_names, stock.aims, "calibrate auto");
    const auto check =
        verify(*profile, *recorder, flags.device, out / fmt::format("verify-{}", iteration));
    fmt::print(
        "iteration {}: {} readings, fit error {:.4f} D; verification max error {:.3f} D, "
        "mean {:.3f} D\n",
        iteration, readings[0].size(), profile->fit_error.max_d, check.max_error, check.mean_error);
    if (check.max_error < flags.tolerance) {
      const auto file = calibration_path(profiles, flags.profile);
      save_profile(*profile, file);
      fmt::print("converged: every step within {:.3f} D of its target\n", flags.tolerance);
      for (const auto& [name, aim] : profile->aims) {
        fmt::print("  aim {} {:.2f} D -> code {:.1f}\n", name, aim,
                   profile->curves[0].code_for(aim));
      }
      fmt::print("profile: {}\n", file.string());
      return exit_ok;
    }
    add(check.readings);  // the verification steps are readings too, near the targets
  }
  throw Error(ErrorKind::qc, fmt::format("calibrate auto: no convergence within {} iterations "
                                         "(tolerance {:.3f} D); see {}",
                                         flags.max_iterations, flags.tolerance, out.string()));
}

}  // namespace

void add_calibrate_commands(CLI::App& app, std::vector<Command>& commands) {
  auto* calibrate = app.add_subcommand("calibrate", "density calibration: wedge, fit, auto");
  calibrate->require_subcommand(1);

  auto wedge_flags = std::make_shared<WedgeFlags>();
  auto* wedge = calibrate->add_subcommand("wedge", "write a step-wedge reel through a driver");
  wedge->add_option("--out", wedge_flags->out, "output folder (reel, wedge.json, readings.csv)")
      ->required();
  wedge->add_option("--steps", wedge_flags->steps, "steps, 4–256 (default 21)");
  add_device_flags(*wedge, wedge_flags->device);
  commands.push_back({wedge, [wedge_flags](Context& context) {
                        return run_wedge(*wedge_flags, context.drivers);
                      }});

  auto fit_flags = std::make_shared<FitFlags>();
  auto* fit =
      calibrate->add_subcommand("fit", "densitometer readings (CSV) -> calibration profile");
  fit->add_option("READINGS", fit_flags->readings, "CSV with the columns code and density")
      ->required();
  fit->add_option("--profile", fit_flags->profile,
                  "profile name (written to profiles/calibration/NAME.toml) or a .toml file")
      ->required();
  fit->add_option("--profiles", fit_flags->profiles, "profiles folder");
  fit->add_option("--recorder", fit_flags->recorder, "recorder the wedge was written on");
  fit->add_option("--stock", fit_flags->stock, "film stock (its aims go into the profile)");
  fit->add_option("--processing", fit_flags->processing,
                  "processing: developer, time, temperature");
  commands.push_back({fit, [fit_flags](Context&) { return run_fit(*fit_flags); }});

  auto auto_flags = std::make_shared<AutoFlags>();
  auto* automatic = calibrate->add_subcommand(
      "auto", "wedge -> developed film -> fit -> verify on the simulated recorder");
  automatic
      ->add_option("--profile", auto_flags->profile,
                   "profile name (written to profiles/calibration/NAME.toml) or a .toml file")
      ->required();
  automatic->add_option("--start", auto_flags->start, "verify this profile first (name or file)");
  automatic->add_option("--out", auto_flags->out, "folder for the wedge and verification reels");
  automatic->add_option("--tolerance", auto_flags->tolerance,
                        "largest verification error in D (default 0.03)");
  automatic->add_option("--max-iterations", auto_flags->max_iterations, "(default 5)");
  automatic->add_option("--steps", auto_flags->steps, "wedge steps, 4–256 (default 21)");
  add_device_flags(*automatic, auto_flags->device);
  commands.push_back({automatic, [auto_flags](Context& context) {
                        return run_auto(*auto_flags, context.drivers);
                      }});
}

}  // namespace fw::cli
