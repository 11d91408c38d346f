// Inside engine/qc: where a reel's developed film is and how a frame of it is read. The sim
// driver writes it (`<reel>/film/F000001.tif`, one 16-bit image per frame, density x 10000),
// and a densitometric scan of real film is put in the same place; this is the one place that
// knows the layout.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <vector>

#include "qc/measure.hpp"

namespace fw::qc {

// A developed frame as stored: density x `scale` per sample, channels interleaved, in a
// pooled buffer (qc/pooled.hpp).
class FilmFrame {
 public:
  FilmFrame() = default;
  FilmFrame(std::uint32_t width, std::uint32_t height, std::uint32_t channels, double scale);

  std::uint32_t width() const { return width_; }
  std::uint32_t height() const { return height_; }
  std::uint32_t channels() const { return channels_; }
  double scale() const { return scale_; }
  std::uint16_t* data() { return data_.data(); }
  const std::uint16_t* data() const { return data_.data(); }
  std::size_t bytes() const { return std::size_t{width_} * height_ * channels_ * 2; }
  // One channel as a plane the checks read.
  FilmPlane channel(std::uint32_t c) const {
    return {data() + c, width_, height_, channels_, scale_};
  }

 private:
  std::uint32_t width_ = 0, height_ = 0, channels_ = 1;
  double scale_ = 10000;
  PooledArray<std::uint16_t> data_;
};

class FilmReader {
 public:
  // `reel_dir`: <job>/<reel id> (R0001, or a fiche sheet's F0001).
  explicit FilmReader(const std::filesystem::path& reel_dir, double scale = 10000.0);
  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path file(std::uint32_t frame) const;
  // The numbers of the frames on film (F000001.tif ...), whatever the plan says.
  std::set<std::uint32_t> frames() const;
  // Reads a frame (16-bit unsigned, any TIFF layout libvips reads). Throws Error(input) naming
  // the file.
  FilmFrame read(std::uint32_t frame) const;

 private:
  std::filesystem::path folder_;
  double scale_;
};

}  // namespace fw::qc
