// The simulated recorder opened directly through the driver registry, for the sim's tests
// (tests/sim_*_test.cpp): profiles with an edited recorder, test frames exposed one by one, and
// the developed film read back. The bodies are in sim_recorder.cpp, compiled once into the test
// support library.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "color/wedge.hpp"
#include "hal/recorder.hpp"
#include "support/test_support.hpp"

namespace fw::test {

namespace fs = std::filesystem;

extern const fs::path kProfiles;

// A profiles folder with the real stocks and formats and a recorder profile `name`: the
// sim-default one with each of `edits` (key, value) set.
fs::path profiles_with_recorder(const test::TempDir& dir, const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& edits);

// The sim driver opened as the registry opens it; options["profiles"] is the engine's profiles
// folder (the source tree's when absent), not a driver option.
std::unique_ptr<hal::Recorder> open_sim(const hal::DriverOptions& options);

struct TestFrame {
  std::uint32_t width, height;
  std::vector<std::uint8_t> pixels;
};

TestFrame flat(std::uint32_t width, std::uint32_t height, std::uint8_t code);

// Exposes `f` as frame `number` of reel 1, a page blip.
void expose(hal::Recorder& recorder, const TestFrame& f, std::uint32_t number);

// Reel R0001 of the 16 mm comic format, its folder in `dir`.
hal::ReelSpec reel_in(const fs::path& dir, double length_m = 30.5);

// Frame `frame` of R0001's developed film in `dir`.
DensityImage developed(const fs::path& dir, int frame);

// Every file of a reel's developed film, by name.
std::map<std::string, std::string> film_files(const fs::path& reel);

}  // namespace fw::test
