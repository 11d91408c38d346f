// `calibrate wedge|fit|auto`: density calibration of a recorder + stock + processing
// (engine/api/calibrate.hpp). Flags in, the engine's results printed.
#include <fmt/format.h>

#include "api/calibrate.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "job_flags.hpp"

namespace fw::cli {
namespace {

struct DeviceFlags {
  std::string driver = "sim";
  std::vector<std::string> driver_options;
  std::string profiles;
  std::string format = "16mm-comic-30m";

  api::RecorderSettings recorder() const {
    return api::resolve_recorder(driver, driver_options, profiles);
  }
};

void add_device_flags(CLI::App& cmd, DeviceFlags& flags) {
  cmd.add_option("--driver", flags.driver, "recorder driver (default sim)");
  cmd.add_option("-O,--driver-option", flags.driver_options,
                 "KEY=VALUE driver option, repeatable (e.g. -O stock=sim-negative)");
  add_profiles_option(cmd, flags.profiles);
  cmd.add_option("--format", flags.format, "film format the wedge reel is loaded as");
}

void print_aims(const CalibrationProfile& profile) {
  for (const auto& [name, aim] : profile.aims) {
    fmt::print("  aim {} {:.2f} D -> code {:.1f}\n", name, aim, profile.curves[0].code_for(aim));
  }
}

int run_wedge(const DeviceFlags& device, const std::string& out, int steps,
              const hal::Registry& drivers) {
  const auto r = api::calibrate_wedge({device.recorder(), device.format, out, steps}, drivers);
  fmt::print("wedge: {} steps, code 0–255, {}x{} px, exposed with the {} driver\n", steps,
             r.layout.width, r.layout.height, device.driver);
  fmt::print("reel:     {}\n", r.reel_dir.string());
  fmt::print("layout:   {}\n", r.layout_json.string());
  fmt::print(
      "readings: {} (fill in the density column, then: filmwriter calibrate fit {} "
      "--profile NAME)\n",
      r.readings_csv.string(), r.readings_csv.string());
  return exit_ok;
}

int run_fit(const api::FitRequest& request) {
  const auto r = api::calibrate_fit(request);
  const auto& curve = r.profile.curves.front();
  fmt::print("fit: {} readings, {:.3f}–{:.3f} D, monotone cubic (Fritsch–Carlson)\n", r.readings,
             curve.min_density(), curve.max_density());
  fmt::print("fit error (leave-one-out): max {:.4f} D at code {:g}, rms {:.4f} D\n",
             r.profile.fit_error.max_d, r.profile.fit_error.worst_code, r.profile.fit_error.rms_d);
  print_aims(r.profile);
  fmt::print("profile: {}\n", r.file.string());
  return exit_ok;
}

struct AutoPrinter final : api::CalibrateListener {
  void start_checked(const CalibrationProfile& p, const api::Verification& v) override {
    fmt::print("start profile {}: max error {:.3f} D, mean {:.3f} D\n", p.name, v.max_error,
               v.mean_error);
  }
  void wedge_read(int steps, const std::filesystem::path& film) override {
    fmt::print("wedge: {} steps read from {}\n", steps, film.string());
  }
  void iteration(int n, std::size_t readings, const CalibrationProfile& p,
                 const api::Verification& v) override {
    fmt::print(
        "iteration {}: {} readings, fit error {:.4f} D; verification max error {:.3f} D, "
        "mean {:.3f} D\n",
        n, readings, p.fit_error.max_d, v.max_error, v.mean_error);
  }
};

int run_auto(api::AutoRequest request, const DeviceFlags& device, const hal::Registry& drivers) {
  request.recorder = device.recorder();
  request.format = device.format;
  AutoPrinter printer;
  const auto r = api::calibrate_auto(request, drivers, printer);
  fmt::print("converged: every step within {:.3f} D of its target\n", request.tolerance);
  print_aims(r.profile);
  fmt::print("profile: {}\n", r.file.string());
  return exit_ok;
}

}  // namespace

void add_calibrate_commands(CLI::App& app, std::vector<Command>& commands) {
  auto* calibrate = app.add_subcommand("calibrate", "density calibration: wedge, fit, auto");
  calibrate->require_subcommand(1);
  const char* profile_help =
      "profile name (written to profiles/calibration/NAME.toml) or a .toml file";

  struct WedgeFlags {
    DeviceFlags device;
    std::string out;
    int steps = 21;
  };
  auto wedge_flags = std::make_shared<WedgeFlags>();
  auto* wedge = calibrate->add_subcommand("wedge", "write a step-wedge reel through a driver");
  wedge->add_option("--out", wedge_flags->out, "output folder (reel, wedge.json, readings.csv)")
      ->required();
  wedge->add_option("--steps", wedge_flags->steps, "steps, 4–256 (default 21)");
  add_device_flags(*wedge, wedge_flags->device);
  commands.push_back({wedge, [f = wedge_flags](Context& context) {
                        return run_wedge(f->device, f->out, f->steps, context.drivers);
                      }});

  auto fit_flags = std::make_shared<api::FitRequest>();
  auto& fit_request = *fit_flags;
  auto* fit =
      calibrate->add_subcommand("fit", "densitometer readings (CSV) -> calibration profile");
  fit->add_option("READINGS", fit_request.readings, "CSV with the columns code and density")
      ->required();
  fit->add_option("--profile", fit_request.profile, profile_help)->required();
  add_profiles_option(*fit, fit_request.profiles_dir);
  fit->add_option("--recorder", fit_request.recorder, "recorder the wedge was written on");
  fit->add_option("--stock", fit_request.stock, "film stock (its aims go into the profile)");
  fit->add_option("--processing", fit_request.processing,
                  "processing: developer, time, temperature");
  commands.push_back({fit, [f = fit_flags](Context&) { return run_fit(*f); }});

  struct AutoFlags {
    DeviceFlags device;
    api::AutoRequest request;
  };
  auto auto_flags = std::make_shared<AutoFlags>();
  auto& auto_request = auto_flags->request;
  auto* automatic = calibrate->add_subcommand(
      "auto", "wedge -> developed film -> fit -> verify on the simulated recorder");
  automatic->add_option("--profile", auto_request.profile, profile_help)->required();
  automatic->add_option("--start", auto_request.start, "verify this profile first (name or file)");
  automatic->add_option("--out", auto_request.out, "folder for the wedge and verification reels");
  automatic->add_option("--tolerance", auto_request.tolerance,
                        "largest verification error in D (default 0.03)");
  automatic->add_option("--max-iterations", auto_request.max_iterations, "(default 5)");
  automatic->add_option("--steps", auto_request.steps, "wedge steps, 4–256 (default 21)");
  add_device_flags(*automatic, auto_flags->device);
  commands.push_back({automatic, [f = auto_flags](Context& context) {
                        return run_auto(f->request, f->device, context.drivers);
                      }});
}

}  // namespace fw::cli
