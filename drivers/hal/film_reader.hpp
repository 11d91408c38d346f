// Reading back developed film: what a recorder that develops its own film (the sim, or a
// device with a film scanner behind it) offers the engine, so that calibration and QC measure
// the film through the HAL and never through a driver's file layout.
//
// A reader works on a reel's folder (ReelSpec::work_dir) after the reel was exposed, in this
// process or an earlier one: it reads what the device left there, not the device itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fw::hal {

// One developed frame: density per pixel, samples interleaved like the frame that was sent.
struct DensityImage {
  std::uint32_t width = 0, height = 0, channels = 1;
  std::vector<double> density;
};

// What makes the film, as a calibration profile names it.
struct FilmMaterial {
  std::string recorder;    // the recorder profile, e.g. "sim-default"
  std::string stock;       // the film stock profile (profiles/stocks/NAME.toml)
  std::string processing;  // how the film is developed
};

class FilmReader {
 public:
  virtual ~FilmReader() = default;
  virtual FilmMaterial material() const = 0;
  // The frame numbers the reel's developed film holds, ascending (none: an empty list).
  virtual std::vector<std::uint32_t> frames(const std::filesystem::path& reel_dir) const = 0;
  // Where frame `frame`'s developed film is kept (for messages; it may not exist).
  virtual std::filesystem::path frame_file(const std::filesystem::path& reel_dir,
                                           std::uint32_t frame) const = 0;
  // Throws DeviceError(fault) naming the file when the frame is missing or unreadable.
  virtual DensityImage read(const std::filesystem::path& reel_dir, std::uint32_t frame) const = 0;
};

}  // namespace fw::hal
