// Check: densities, per dye layer. Base + fog on unexposed film around the page; the
// background on the page's own paper, as a lab reads it (the brightest large uniform area of
// the page, color/paper.hpp, whatever its code value, so aged and yellowed paper is judged
// too; colour pages and separations keep their paper's colour on film and are read where the
// page is white in every channel); uniformity of that background in a 4 x 4 grid over the page;
// and, over a reel, each frame's background against the reel's mean.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qc/measure.hpp"

namespace fw::qc {

// The areas a frame's densities are read on, found on the code values before calibration
// (what the page says), each eroded by `edge` px clear of the edges the spot and the scaling
// blur. Bits of one plane.
inline constexpr std::uint8_t kClearFilm = 1;  // unexposed film outside the page
inline constexpr std::uint8_t kPaper = 2;      // the page's paper
inline constexpr std::uint8_t kInk = 4;        // full ink on the page (technical targets)

class FrameAreas {
 public:
  FrameAreas() = default;
  FrameAreas(std::uint32_t width, std::uint32_t height);

  MaskPlane plane() { return {width_, height_, bits_.span()}; }
  std::span<const std::uint8_t> bits() const { return bits_.span(); }
  std::uint32_t width() const { return width_; }
  std::uint32_t height() const { return height_; }

  bool neutral_paper = false;      // read where every channel is paper white
  bool paper_found = false;        // otherwise: color/paper.hpp found the page's paper ...
  std::uint8_t paper_level = 255;  // ... at this code value, in page terms

 private:
  std::uint32_t width_ = 0, height_ = 0;
  PooledArray<std::uint8_t> bits_;
};

struct AreaSpec {
  Rect page;                   // the page's rectangle in the frame
  bool negative = true;        // the job's polarity
  bool neutral_paper = false;  // colour page or separation: paper where all channels are white
  bool ink = false;            // mark full ink too (the technical target's chart)
  std::uint32_t edge_px = 2;   // erosion
  std::uint32_t paper_block_px = 4;
};
// `codes`: the frame as rendered before calibration, `channels` samples per pixel.
FrameAreas find_areas(const std::uint8_t* codes, std::uint32_t width, std::uint32_t height,
                      std::uint32_t channels, const AreaSpec& spec);

struct DensityLimits {
  bool negative = true;
  double aim_low = 1.0, aim_high = 1.2;  // background on a negative
  double positive_background_max = 0.30;
  double base_fog_max = 0.10;
  double frame_uniformity = 0.10;
};

struct ChannelDensity {
  std::optional<double> base_fog;    // none: no clear film around the page
  std::optional<double> background;  // none: no paper measured, or not a page
  std::optional<double> uniformity;  // with the background
  double paper_mean = 0;             // the paper's mean even when not judged (the chart's contrast)
};

struct DensityResult {
  std::vector<ChannelDensity> channels;
  bool judged_page = false;  // a page or substitute: its background is judged
  bool neutral_paper = false;
  bool paper_found = false;
  std::uint8_t paper_level = 255;
  // Over the channels: the worst base + fog and uniformity, the mean background.
  std::optional<double> base_fog, background, uniformity;
  std::vector<std::string> problems;
};
// `names`: each layer's name in a problem ("red" ...; empty for grey film).
DensityResult check_density(const std::vector<FilmPlane>& layers, const FrameAreas& areas,
                            Rect page, bool judged_page, const DensityLimits& limits,
                            const std::vector<std::string>& names);

// Along the reel: each channel's page backgrounds against that channel's mean.
struct BackgroundSeries {
  std::vector<std::pair<std::uint32_t, double>> frames;  // frame number, background
};
struct ReelChannelDensity {
  double mean = 0, min = 0, max = 0;
  double uniformity = 0;  // the largest deviation from the mean
};
struct OffTheMean {
  std::uint32_t frame = 0;
  std::uint32_t channel = 0;
  double background = 0, mean = 0;
};
struct ReelDensity {
  std::vector<std::optional<ReelChannelDensity>> channels;  // none: no background measured
  std::vector<OffTheMean> off;                              // in channel, then frame order
};
ReelDensity check_reel_density(const std::vector<BackgroundSeries>& channels, double limit);

}  // namespace fw::qc
