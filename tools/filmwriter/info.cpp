// `drivers` and `formats`: what this installation can write, and onto what.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/drivers.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "film/format.hpp"

namespace fw::cli {
namespace {

int run_drivers(const hal::Registry& registry) {
  for (const api::DriverDescription& d : api::describe_drivers(registry)) {
    fmt::print("{}: {}\n", d.name, d.description);
    if (const auto& caps = d.capabilities) {
      fmt::print("  pitch {} um, max frame {}x{} px, channels", caps->pixel_pitch_um,
                 caps->max_width_px, caps->max_height_px);
      for (int c : caps->channels) fmt::print(" {}", c);
      fmt::print(", buffer {} frame(s), write rate {}\n", caps->buffer_frames,
                 caps->write_rate_lines_per_s > 0
                     ? fmt::format("{} lines/s", caps->write_rate_lines_per_s)
                     : std::string("host-limited"));
      fmt::print("  supports: {}\n",
                 d.supports.empty() ? "none" : fmt::format("{}", fmt::join(d.supports, ", ")));
    } else {
      // A remote recorder (net) reports its capabilities only once reached.
      fmt::print("  capabilities: from the device once reached ({})\n", d.unreachable);
      fmt::print("  supports: from the device once reached\n");
    }
    for (const auto& [name, help] : d.options) fmt::print("  option {}: {}\n", name, help);
  }
  return exit_ok;
}

int run_formats(const std::string& profiles) {
  const auto dir = profiles.empty() ? default_profiles_dir() : std::filesystem::path(profiles);
  for (const auto& f : list_formats(dir)) {
    fmt::print(
        "{}: {}\n  {:g} mm film, image area {:g} mm across, {} frames, {}, "
        "reductions {:g}-{:g}x, reel {:g} m\n",
        f.name, f.description, f.film_width_mm, f.image_area_across_mm,
        f.frame_length_mm > 0 ? fmt::format("{:g} mm", f.frame_length_mm)
                              : std::string("variable-length"),
        to_string(f.orientation), f.min_reduction, f.max_reduction, f.reel_length_m);
  }
  return exit_ok;
}

}  // namespace

void add_info_commands(CLI::App& app, std::vector<Command>& commands) {
  auto* drivers = app.add_subcommand("drivers", "list recorder drivers and their capabilities");
  commands.push_back({drivers, [](Context& context) { return run_drivers(context.drivers); }});

  auto profiles = std::make_shared<std::string>();
  auto* formats = app.add_subcommand("formats", "list film formats");
  formats->add_option("--profiles", *profiles, "profiles folder");
  commands.push_back({formats, [profiles](Context&) { return run_formats(*profiles); }});
}

}  // namespace fw::cli
