#include "support/sim_recorder.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/files.hpp"
#include "builtin.hpp"
#include "film/format.hpp"
#include "hal/registry.hpp"

namespace fw::test {

const fs::path kProfiles = test::source_dir() / "profiles";

fs::path profiles_with_recorder(const test::TempDir& dir, const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& edits) {
  fs::path root = dir / "profiles";
  if (!fs::exists(root)) {
    fs::create_directories(root / "recorders");
    fs::copy(kProfiles / "stocks", root / "stocks", fs::copy_options::recursive);
    fs::copy(kProfiles / "formats", root / "formats", fs::copy_options::recursive);
  }
  std::string text = read_file(kProfiles / "recorders" / "sim-default.toml");
  for (const auto& [key, value] : edits) {
    const auto at = text.find("\n" + key + " = ");
    EXPECT_NE(at, std::string::npos) << key;
    const auto end = text.find('\n', at + 1);
    text.replace(at + 1, end - at - 1, key + " = " + value);
  }
  test::write_text(root / "recorders" / (name + ".toml"), text);
  return root;
}

std::unique_ptr<hal::Recorder> open_sim(const hal::DriverOptions& options) {
  hal::Registry registry;
  drivers::register_builtin_drivers(registry);
  // The profiles folder is the engine's, not a driver option: the sim gets it when opened.
  hal::DriverOptions device = options;
  const auto profiles = hal::take_option(device, "profiles");
  return registry.open("sim", device, {profiles.value_or(kProfiles.string())});
}

TestFrame flat(std::uint32_t width, std::uint32_t height, std::uint8_t code) {
  return {width, height, std::vector<std::uint8_t>(std::size_t{width} * height, code)};
}

void expose(hal::Recorder& recorder, const TestFrame& f, std::uint32_t number) {
  hal::Frame frame;
  frame.width = f.width;
  frame.height = f.height;
  frame.pixels = f.pixels;
  frame.pixel_pitch_um = recorder.capabilities().pixel_pitch_um;
  frame.reel_number = 1;
  frame.frame_number = number;
  frame.blip = hal::BlipLevel::page;
  frame.address = "R0001-T-" + std::to_string(number);
  recorder.expose(frame);
}

hal::ReelSpec reel_in(const fs::path& dir, double length_m) {
  hal::ReelSpec spec{"R0001", 1, "test", "16mm-comic-30m", "", length_m, dir / "R0001"};
  spec.geometry = film_geometry(load_format(kProfiles, spec.film_format));
  return spec;
}

DensityImage developed(const fs::path& dir, int frame) {
  return read_developed_film(dir / "R0001" / "film" / fmt::format("F{:06}.tif", frame));
}

std::map<std::string, std::string> film_files(const fs::path& reel) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(reel / "film")) {
    files[entry.path().filename().string()] = read_file(entry.path());
  }
  return files;
}

}  // namespace fw::test
