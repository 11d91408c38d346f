#include "qc/checks/density.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "color/paper.hpp"

namespace fw::qc {

FrameAreas::FrameAreas(std::uint32_t width, std::uint32_t height)
    : width_(width), height_(height), bits_(std::size_t{width} * height) {}

FrameAreas find_areas(const std::uint8_t* codes, std::uint32_t width, std::uint32_t height,
                      std::uint32_t channels, const AreaSpec& spec) {
  FrameAreas areas(width, height);
  areas.neutral_paper = spec.neutral_paper;
  MaskPlane mask = areas.plane();
  const Rect& page = spec.page;
  const std::uint8_t paper_white = spec.negative ? 255 : 0, full_ink = spec.negative ? 0 : 255;
  // Clipped to the frame: the page's columns [px0, px1) of the rows [page.y, py1).
  const std::uint32_t px1 = std::min(width, page.x + page.width);
  const std::uint32_t px0 = std::min(page.x, px1);
  const std::uint32_t py1 = std::min(height, page.y + page.height);
  // Clear film: code 0 outside the page (channel 0).
  auto clear = [&](const std::uint8_t* in, std::uint8_t* out, std::uint32_t x0, std::uint32_t x1) {
    if (channels == 1) {
      for (std::uint32_t x = x0; x < x1; ++x) out[x] = in[x] == 0 ? kClearFilm : 0;
    } else {
      for (std::uint32_t x = x0; x < x1; ++x)
        out[x] = in[std::size_t{x} * channels] == 0 ? kClearFilm : 0;
    }
  };
  for (std::uint32_t y = 0; y < height; ++y) {
    const std::uint8_t* in = codes + std::size_t{y} * width * channels;
    std::uint8_t* out = mask.bits.data() + std::size_t{y} * width;
    if (y < page.y || y >= py1) {
      clear(in, out, 0, width);
      continue;
    }
    clear(in, out, 0, px0);
    clear(in, out, px1, width);
    for (std::uint32_t x = px0; x < px1; ++x) {
      const std::uint8_t* px = in + std::size_t{x} * channels;
      std::uint8_t bits = 0;
      if (spec.neutral_paper && px[0] == paper_white) {
        bool neutral = true;
        for (std::uint32_t c = 1; c < channels; ++c) neutral &= px[c] == px[0];
        if (neutral) bits |= kPaper;
      }
      if (spec.ink && px[0] == full_ink) bits |= kInk;
      out[x] = bits;
    }
  }
  if (!spec.neutral_paper) {
    const Paper found =
        find_paper({codes, std::size_t{width} * height}, width, height,
                   {page.x, page.y, page.width, page.height}, spec.negative, spec.paper_block_px);
    areas.paper_found = found.found;
    areas.paper_level = found.level;
    for (std::uint32_t j = 0; j < found.blocks_y; ++j) {
      for (std::uint32_t i = 0; i < found.blocks_x; ++i) {
        if (!found.blocks[std::size_t{j} * found.blocks_x + i]) continue;
        for (std::uint32_t y = 0; y < found.block_px; ++y) {
          std::uint8_t* row = mask.bits.data() +
                              std::size_t{page.y + j * found.block_px + y} * width + page.x +
                              i * found.block_px;
          for (std::uint32_t x = 0; x < found.block_px; ++x) row[x] |= kPaper;
        }
      }
    }
  }
  erode(mask, spec.edge_px);
  return areas;
}

namespace {

// Film values and pixels over the pixels of [x0, x1) of a row that have `bit`.
struct Sum {
  std::uint64_t sum = 0;
  std::size_t n = 0;
  Sum& operator+=(const Sum& o) {
    sum += o.sum;
    n += o.n;
    return *this;
  }
  double mean(double scale) const {
    return n ? static_cast<double>(sum) / static_cast<double>(n) / scale : 0;
  }
};

template <std::uint32_t kStride>
Sum row_sum(const std::uint16_t* values, std::uint32_t stride, const std::uint8_t* mask,
            std::uint8_t bit, std::uint32_t x0, std::uint32_t x1) {
  const std::uint32_t step = kStride ? kStride : stride;
  std::uint32_t s = 0, n = 0;  // a row of 16-bit values fits: frames are at most 30,000 px wide
  for (std::uint32_t x = x0; x < x1; ++x) {
    const bool in = (mask[x] & bit) != 0;
    s += in ? values[std::size_t{x} * step] : 0u;
    n += in;
  }
  return {s, n};
}

Sum row_sum(const FilmPlane& film, std::span<const std::uint8_t> bits, std::uint32_t y,
            std::uint8_t bit, std::uint32_t x0, std::uint32_t x1) {
  const std::size_t row = std::size_t{y} * film.width;
  const std::uint16_t* values = film.data + row * film.stride;
  return film.stride == 1 ? row_sum<1>(values, 1, bits.data() + row, bit, x0, x1)
                          : row_sum<0>(values, film.stride, bits.data() + row, bit, x0, x1);
}

// What the density check reads of one layer, in one pass over the frame: clear film around
// the page, the paper over the page and in each cell of a 4 x 4 grid over it.
struct LayerSums {
  Sum clear, paper;
  std::array<Sum, 16> cells;
};

LayerSums layer_sums(const FilmPlane& film, std::span<const std::uint8_t> bits, Rect page) {
  LayerSums out;
  const std::uint32_t px1 = std::min(film.width, page.x + page.width);
  const std::uint32_t py1 = std::min(film.height, page.y + page.height);
  const std::uint32_t px0 = std::min(page.x, px1);
  // The grid's cells: [x + g w / 4, + w / 4) across and down (they may leave a pixel out).
  std::array<std::uint32_t, 4> cx0{}, cx1{}, cy0{}, cy1{};
  for (std::uint32_t g = 0; g < 4; ++g) {
    cx0[g] = std::min(px1, page.x + g * page.width / 4);
    cx1[g] = std::min(px1, cx0[g] + page.width / 4);
    cy0[g] = page.y + g * page.height / 4;
    cy1[g] = cy0[g] + page.height / 4;
  }
  // The row's spans between every cell edge, summed once each.
  std::vector<std::uint32_t> cuts{px0, px1};
  for (std::uint32_t g = 0; g < 4; ++g) {
    cuts.push_back(cx0[g]);
    cuts.push_back(cx1[g]);
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<Sum> spans(cuts.size());
  for (std::uint32_t y = 0; y < film.height; ++y) {
    if (y < page.y || y >= py1) {
      out.clear += row_sum(film, bits, y, kClearFilm, 0, film.width);
      continue;
    }
    // Clear film is only outside the page, paper only inside it.
    out.clear += row_sum(film, bits, y, kClearFilm, 0, px0);
    out.clear += row_sum(film, bits, y, kClearFilm, px1, film.width);
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
      spans[i] = row_sum(film, bits, y, kPaper, cuts[i], cuts[i + 1]);
      out.paper += spans[i];
    }
    for (std::uint32_t gy = 0; gy < 4; ++gy) {
      if (y < cy0[gy] || y >= cy1[gy]) continue;
      for (std::uint32_t gx = 0; gx < 4; ++gx) {
        for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
          if (cuts[i] >= cx0[gx] && cuts[i + 1] <= cx1[gx]) out.cells[gy * 4 + gx] += spans[i];
        }
      }
    }
  }
  return out;
}

}  // namespace

DensityResult check_density(const std::vector<FilmPlane>& layers, const FrameAreas& areas,
                            Rect page, bool judged_page, const DensityLimits& limits,
                            const std::vector<std::string>& names) {
  DensityResult out;
  out.judged_page = judged_page;
  out.neutral_paper = areas.neutral_paper;
  out.paper_found = areas.paper_found;
  out.paper_level = areas.paper_level;
  double background_sum = 0, base_fog = 0, uniformity = 0;
  bool has_background = false, has_base_fog = false;
  for (std::size_t c = 0; c < layers.size(); ++c) {
    const FilmPlane& film = layers[c];
    const std::string layer = names[c].empty() ? std::string() : names[c] + " ";
    const LayerSums sums = layer_sums(film, areas.bits(), page);
    ChannelDensity cd;
    if (sums.clear.n > 0) {
      const double dmin = sums.clear.mean(film.scale);
      has_base_fog = true;
      cd.base_fog = dmin;
      base_fog = std::max(base_fog, dmin);
      if (dmin > limits.base_fog_max + 1e-9) {
        out.problems.push_back(
            fmt::format("{}base + fog {:.3f} D above {:.2f} D", layer, dmin, limits.base_fog_max));
      }
    }
    const double bg = sums.paper.mean(film.scale);
    cd.paper_mean = bg;
    if (sums.paper.n > 0 && judged_page) {
      has_background = true;
      cd.background = bg;
      background_sum += bg;
      if (limits.negative && (bg < limits.aim_low - 1e-9 || bg > limits.aim_high + 1e-9)) {
        out.problems.push_back(fmt::format("{}background {:.3f} D outside {:.2f}–{:.2f} D", layer,
                                           bg, limits.aim_low, limits.aim_high));
      }
      if (!limits.negative && bg > limits.positive_background_max + 1e-9) {
        out.problems.push_back(fmt::format("{}background {:.3f} D above {:.2f} D (positive)", layer,
                                           bg, limits.positive_background_max));
      }
      // Each cell's background against the frame's; cells with too little paper say nothing.
      double worst = 0;
      for (const Sum& cell : sums.cells) {
        if (cell.n >= 50) worst = std::max(worst, std::abs(cell.mean(film.scale) - bg));
      }
      cd.uniformity = worst;
      uniformity = std::max(uniformity, worst);
      if (worst > limits.frame_uniformity + 1e-9) {
        out.problems.push_back(
            fmt::format("{}background varies by {:.3f} D within the frame (limit ±{:.2f})", layer,
                        worst, limits.frame_uniformity));
      }
    }
    out.channels.push_back(cd);
  }
  if (has_base_fog) out.base_fog = base_fog;
  if (has_background) {
    out.background = background_sum / static_cast<double>(layers.size());
    out.uniformity = uniformity;
  }
  return out;
}

ReelDensity check_reel_density(const std::vector<BackgroundSeries>& channels, double limit) {
  ReelDensity out;
  for (std::uint32_t c = 0; c < channels.size(); ++c) {
    const auto& series = channels[c].frames;
    if (series.empty()) {
      out.channels.emplace_back();
      continue;
    }
    double sum = 0, lo = 1e9, hi = -1e9;
    for (const auto& [n, d] : series) {
      sum += d;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    const double mean = sum / static_cast<double>(series.size());
    double worst = 0;
    for (const auto& [n, d] : series) {
      worst = std::max(worst, std::abs(d - mean));
      if (std::abs(d - mean) > limit + 1e-9) out.off.push_back({n, c, d, mean});
    }
    out.channels.emplace_back(ReelChannelDensity{mean, lo, hi, worst});
  }
  return out;
}

}  // namespace fw::qc
