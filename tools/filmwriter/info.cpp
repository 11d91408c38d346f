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

// "reductions 7-50x", or the only ones allowed: "reductions 42x, 48x".
std::string reductions_of(const FilmFormat& f) {
  if (f.allowed_reductions.empty()) {
    return fmt::format("reductions {:g}-{:g}x", f.min_reduction, f.max_reduction);
  }
  return fmt::format("reductions {:g}x", fmt::join(f.allowed_reductions, "x, "));
}

// A fiche in its own terms (the roll fields of a fiche describe one grid cell), so that the
// listing shows the keys a new format's file gave.
int run_formats(const std::string& profiles) {
  const auto dir = profiles.empty() ? default_profiles_dir() : std::filesystem::path(profiles);
  for (const auto& f : list_formats(dir)) {
    fmt::print("{}: {}\n", f.name, f.description);
    if (f.layout == FilmLayout::fiche) {
      const FicheGrid& g = f.fiche;
      fmt::print(
          "  fiche {:g} x {:g} mm, {} frames ({} rows x {} columns, {} header row(s)), cells "
          "{:g} x {:g} mm, read by {}, {}\n",
          g.width_mm, g.height_mm, g.frames(), g.rows, g.columns, g.header_rows, g.cell_width_mm,
          g.cell_height_mm, to_string(g.order), reductions_of(f));
      continue;
    }
    fmt::print("  {:g} mm film, image area {:g} mm across, {} frames, {}, {}, reel {:g} m\n",
               f.film_width_mm, f.image_area_across_mm,
               f.frame_length_mm > 0 ? fmt::format("{:g} mm", f.frame_length_mm)
                                     : std::string("variable-length"),
               to_string(f.orientation), reductions_of(f), f.reel_length_m);
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
