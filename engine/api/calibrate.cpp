#include "api/calibrate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "base/files.hpp"
#include "color/stock.hpp"
#include "core/error.hpp"
#include "film/format.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

using Codes = std::vector<std::vector<std::uint8_t>>;  // [channel][step]

// Exposes one wedge frame on reel R0001 in `dir`; `codes[c][i]` is step i's code on channel c.
// Writes dir/wedge.json. Returns the reel folder.
fs::path expose_wedge(hal::Recorder& recorder, const RecorderSettings& settings,
                      const std::string& format, const fs::path& dir, const WedgeLayout& layout,
                      const Codes& codes) {
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
  auto reel_dir = dir / "R0001";  // not const: returned, so moved
  fs::create_directories(reel_dir);
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
    hal::ReelSpec spec{"R0001", 1, "calibration-wedge", format, "", 0, reel_dir};
    spec.geometry = film_geometry(load_format(settings.profiles_dir, format));
    recorder.load(spec);
    recorder.expose(frame);
    recorder.unload();
  } catch (const hal::DeviceError& e) {
    throw Error(ErrorKind::device, fmt::format("wedge reel {}: {}: {}", reel_dir.string(),
                                               hal::to_string(e.kind()), e.what()));
  }
  return reel_dir;
}

[[noreturn]] void no_developed_film(const hal::FilmReader* reader, const RecorderSettings& settings,
                                    const fs::path& reel_dir) {
  const std::string what =
      reader ? reader->frame_file(reel_dir, 1).lexically_relative(reel_dir).string()
             : fmt::format("the {} driver reads no film back", settings.driver);
  throw Error(ErrorKind::usage,
              fmt::format("{}: no developed film ({}): automatic calibration needs the sim "
                          "driver with film_output=true; for a real recorder read the wedge "
                          "with a densitometer and use `calibrate fit`",
                          reel_dir.string(), what));
}

// The recorder's film reader, or Error(usage) when the reel's wedge frame cannot be read back.
const hal::FilmReader& wedge_film(const hal::Recorder& recorder, const RecorderSettings& settings,
                                  const fs::path& reel_dir) {
  const hal::FilmReader* reader = recorder.film_reader();
  const auto frames = reader ? reader->frames(reel_dir) : std::vector<std::uint32_t>{};
  if (!reader || std::find(frames.begin(), frames.end(), 1u) == frames.end()) {
    no_developed_film(reader, settings, reel_dir);
  }
  return *reader;
}

// Reads the wedge back from the developed film, one reading list per channel.
std::vector<std::vector<DensityReading>> read_film(const hal::Recorder& recorder,
                                                   const RecorderSettings& settings,
                                                   const fs::path& reel_dir,
                                                   const WedgeLayout& layout, const Codes& codes) {
  const hal::FilmReader& reader = wedge_film(recorder, settings, reel_dir);
  const std::string file = reader.frame_file(reel_dir, 1).string();
  DensityImage film;
  try {
    hal::DensityImage read = reader.read(reel_dir, 1);
    film = {read.width, read.height, read.channels, std::move(read.density)};
  } catch (const hal::DeviceError& e) {
    throw Error(ErrorKind::input, e.what());
  }
  std::vector<std::vector<DensityReading>> out;
  for (std::uint32_t c = 0; c < film.channels; ++c) {
    auto readings = read_wedge(layout, film, file, c);
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

void save_profile(const CalibrationProfile& profile, const fs::path& file) {
  fs::create_directories(file.parent_path());
  write_file_atomic(file, profile.to_toml());
}

// Writes a wedge of target densities through the profile's curves and reads it back.
Verification verify_profile(const CalibrationProfile& profile, hal::Recorder& recorder,
                            const AutoRequest& request, const fs::path& dir) {
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
  targets.reserve(15 + profile.aims.size());
  for (int i = 0; i < 15; ++i) targets.push_back(bottom + 0.05 + (top - bottom - 0.05) * i / 14);
  for (const auto& [name, aim] : profile.aims) targets.push_back(aim);
  Codes codes(profile.curves.size());
  for (std::size_t c = 0; c < profile.curves.size(); ++c) {
    codes[c].reserve(targets.size());
    for (double target : targets) {
      codes[c].push_back(static_cast<std::uint8_t>(
          std::clamp(std::lround(profile.curves[c].code_for(target)), 0L, 255L)));
    }
  }
  const WedgeLayout layout = make_wedge(codes[0], targets);
  const auto reel_dir =
      expose_wedge(recorder, request.recorder, request.format, dir, layout, codes);
  Verification result;
  result.readings = read_film(recorder, request.recorder, reel_dir, layout, codes);
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

}  // namespace

WedgeResult calibrate_wedge(const WedgeRequest& request, const hal::Registry& drivers) {
  auto recorder = open_recorder(request.recorder, drivers);
  WedgeResult result;
  const auto codes = wedge_codes(request.steps);
  result.layout = make_wedge(codes);
  result.reel_dir = expose_wedge(*recorder, request.recorder, request.format, request.out,
                                 result.layout, {codes});
  result.layout_json = request.out / "wedge.json";
  result.readings_csv = request.out / "readings.csv";
  write_file_atomic(result.readings_csv, readings_csv(result.layout, {}));
  return result;
}

FitResult calibrate_fit(const FitRequest& request) {
  const auto profiles =
      request.profiles_dir.empty() ? default_profiles_dir() : request.profiles_dir;
  FitResult result;
  const auto readings = parse_readings_csv(read_file(request.readings), request.readings.string());
  result.readings = readings.size();
  StockAims stock;
  try {
    stock = load_stock_aims(profiles, request.stock);
  } catch (const Error& e) {
    throw with_context("--stock", e);
  }
  result.file = calibration_path(profiles, request.profile);
  result.profile = fit_profile(
      {result.file.stem().string(), request.recorder, request.stock, request.processing},
      {readings}, {"grey"}, stock.aims, request.readings.string());
  save_profile(result.profile, result.file);
  return result;
}

AutoResult calibrate_auto(const AutoRequest& request, const hal::Registry& drivers,
                          CalibrateListener& listener) {
  const fs::path& profiles = request.recorder.profiles_dir;
  auto recorder = open_recorder(request.recorder, drivers);
  // Asked before anything is exposed: a wedge nobody can read back is film wasted.
  if (!recorder->supports(hal::capability::film_readback)) {
    throw Error(
        ErrorKind::usage,
        fmt::format("calibrate auto: {}: for a recorder that cannot, read the wedge of "
                    "`calibrate wedge` with a densitometer and use `calibrate fit`",
                    hal::lacks_capability(request.recorder.driver, hal::capability::film_readback,
                                          "automatic calibration")));
  }
  const hal::FilmReader* reader = recorder->film_reader();
  if (!reader) no_developed_film(nullptr, request.recorder, request.out / "wedge" / "R0001");
  const hal::FilmMaterial material = reader->material();
  const ProfileIdentity id{calibration_path(profiles, request.profile).stem().string(),
                           material.recorder, material.stock, material.processing};
  const StockAims stock = load_stock_aims(profiles, id.stock);
  const fs::path& out = request.out;
  fs::create_directories(out);

  std::vector<std::vector<DensityReading>> readings(stock.channels.size());
  auto add = [&](const std::vector<std::vector<DensityReading>>& more) {
    for (std::size_t c = 0; c < readings.size() && c < more.size(); ++c) {
      readings[c].insert(readings[c].end(), more[c].begin(), more[c].end());
    }
  };
  if (!request.start.empty()) {
    const CalibrationProfile start = load_calibration(profiles, request.start);
    const auto check = verify_profile(start, *recorder, request, out / "start-verify");
    listener.start_checked(start, check);
    add(check.readings);
  }
  {
    const auto codes = wedge_codes(request.steps);
    const WedgeLayout layout = make_wedge(codes);
    const auto reel_dir =
        expose_wedge(*recorder, request.recorder, request.format, out / "wedge", layout, {codes});
    add(read_film(*recorder, request.recorder, reel_dir, layout, {codes}));
    listener.wedge_read(request.steps, reader->frame_file(reel_dir, 1).parent_path());
  }
  for (int iteration = 1; iteration <= request.max_iterations; ++iteration) {
    CalibrationProfile profile =
        fit_profile(id, readings, stock.channels, stock.aims, "calibrate auto");
    const auto check =
        verify_profile(profile, *recorder, request, out / fmt::format("verify-{}", iteration));
    listener.iteration(iteration, readings[0].size(), profile, check);
    if (check.max_error < request.tolerance) {
      AutoResult result{std::move(profile), calibration_path(profiles, request.profile), iteration};
      save_profile(result.profile, result.file);
      return result;
    }
    add(check.readings);  // the verification steps are readings too, near the targets
  }
  throw Error(ErrorKind::qc, fmt::format("calibrate auto: no convergence within {} iterations "
                                         "(tolerance {:.3f} D); see {}",
                                         request.max_iterations, request.tolerance, out.string()));
}

}  // namespace fw::api
