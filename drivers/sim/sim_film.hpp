// The sim's developed film on disk, and the HAL reader that reads it back: each developed
// frame is <reel>/film/F000001.tif, ... (16-bit, density x kDensityScale), written by the sim
// recorder's developer thread (sim_device_threads.cpp) with save_developed().
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

#include "hal/film_reader.hpp"

namespace fw::drivers::sim {

// The frame's developed film, relative to the reel folder: "film/F000001.tif".
std::filesystem::path film_frame_file(std::uint32_t frame);

class FilmReader final : public hal::FilmReader {
 public:
  explicit FilmReader(hal::FilmMaterial material) : material_(std::move(material)) {}
  hal::FilmMaterial material() const override { return material_; }
  std::vector<std::uint32_t> frames(const std::filesystem::path& reel_dir) const override;
  std::filesystem::path frame_file(const std::filesystem::path& reel_dir,
                                   std::uint32_t frame) const override;
  hal::DensityImage read(const std::filesystem::path& reel_dir, std::uint32_t frame) const override;

 private:
  hal::FilmMaterial material_;
};

}  // namespace fw::drivers::sim
