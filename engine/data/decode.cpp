// Developed film -> frame payloads (docs/data-frames.md, "Decoding").
//
// 1. Threshold (Otsu) and take the connected dense component with the largest bounding box:
//    the symbol's solid border ring. Its extreme points are rough corners.
// 2. Fit each outer edge of the ring as a line through many sub-pixel edge points (outliers
//    such as dust dropped); the four intersections are the symbol's corners.
// 3. The ring's thickness (3 modules) gives a rough module size; the timing tracks, read as
//    one long profile per side, give the exact module counts (the only strong frequency).
// 4. A homography maps module centres to the image; each module is sampled there.
// 5. The calibration bars give every level's density; local levels follow the film's density
//    variation tile by tile; each bit is read with a confidence.
// 6. The header (either copy, RS(192,128) + CRC) says what the frame is; the inner codewords
//    are unshuffled and decoded.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <vips/vips8>

#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "data/decode_geometry.hpp"
#include "data/reed_solomon.hpp"
#include "data/symbol.hpp"

namespace fw::data {

using namespace detail;

namespace {

struct Grid {
  std::uint32_t nx = 0, ny = 0;
  std::vector<float> v;  // module samples, row-major
  float at(std::uint32_t x, std::uint32_t y) const { return v[std::size_t{y} * nx + x]; }
};

// Per-module levels from the bars (global) and from the data itself (local, tile by tile),
// so that the film's density variation across the frame does not move the thresholds.
struct Levels {
  int count = 2;
  std::array<float, 4> global{};
  std::uint32_t tiles_x = 0, tiles_y = 0, tile = 24;
  std::vector<std::array<float, 4>> local;

  std::array<float, 4> at(std::uint32_t x, std::uint32_t y) const {
    const double tx = std::clamp((x + 0.5) / tile - 0.5, 0.0, tiles_x - 1.0);
    const double ty = std::clamp((y + 0.5) / tile - 0.5, 0.0, tiles_y - 1.0);
    const auto x0 = static_cast<std::uint32_t>(tx), y0 = static_cast<std::uint32_t>(ty);
    const std::uint32_t x1 = std::min(x0 + 1, tiles_x - 1), y1 = std::min(y0 + 1, tiles_y - 1);
    const double fx = tx - x0, fy = ty - y0;
    std::array<float, 4> out{};
    for (int l = 0; l < count; ++l) {
      const double top = local[y0 * tiles_x + x0][l] * (1 - fx) + local[y0 * tiles_x + x1][l] * fx;
      const double bottom =
          local[y1 * tiles_x + x0][l] * (1 - fx) + local[y1 * tiles_x + x1][l] * fx;
      out[l] = static_cast<float>(top * (1 - fy) + bottom * fy);
    }
    return out;
  }
};

// Mean of the middle half: dust on a bar does not move it, and a mixture of two levels (a
// 2-bit bar read before the header says so) gives their middle.
float robust_mean(std::vector<float> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double sum = 0;
  const std::size_t a = v.size() / 4, b = std::max(a + 1, v.size() - v.size() / 4);
  for (std::size_t i = a; i < b; ++i) sum += v[i];
  return static_cast<float>(sum / (b - a));
}

std::optional<Levels> read_levels(const Layout& l, const Grid& g) {
  Levels out;
  out.count = 1 << l.code.bits_per_module;
  const int top = out.count - 1;
  std::array<std::vector<float>, 4> bar;
  for (std::uint32_t y :
       {kInterior + 1, kInterior + 2, l.modules_y - kInterior - 3, l.modules_y - kInterior - 2}) {
    for (std::uint32_t x0 = kInterior; x0 + kBarPatch <= l.modules_x - kInterior; x0 += kBarPatch) {
      const int level = bar_level((x0 - kInterior) / kBarPatch, l.code.bits_per_module);
      bar[level].push_back(g.at(x0 + 1, y));
      bar[level].push_back(g.at(x0 + 2, y));
    }
  }
  for (int i = 0; i < out.count; ++i) out.global[i] = robust_mean(bar[i]);
  for (int i = 1; i < out.count; ++i) {
    if (!(out.global[i] > out.global[i - 1])) return std::nullopt;
  }
  const float contrast = out.global[top] - out.global[0];
  out.tiles_x = (l.modules_x + out.tile - 1) / out.tile;
  out.tiles_y = (l.modules_y + out.tile - 1) / out.tile;
  out.local.resize(std::size_t{out.tiles_x} * out.tiles_y);
  // k-means on each tile's samples, started at the bars' levels; values far outside the
  // levels (dust, scratches) are clipped so that they cannot pull a level away.
  tbb::parallel_for(std::uint32_t{0}, out.tiles_y, [&](std::uint32_t ty) {
    std::vector<float> values;
    for (std::uint32_t tx = 0; tx < out.tiles_x; ++tx) {
      values.clear();
      for (std::uint32_t y = ty * out.tile; y < std::min(l.modules_y, (ty + 1) * out.tile); ++y) {
        for (std::uint32_t x = tx * out.tile; x < std::min(l.modules_x, (tx + 1) * out.tile); ++x) {
          values.push_back(std::clamp(g.at(x, y), out.global[0] - 0.25f * contrast,
                                      out.global[top] + 0.25f * contrast));
        }
      }
      std::array<float, 4> level = out.global;
      for (int iteration = 0; iteration < 4; ++iteration) {
        std::array<double, 4> sum{};
        std::array<int, 4> n{};
        for (float v : values) {
          int best = 0;
          for (int i = 1; i < out.count; ++i) {
            if (std::abs(v - level[i]) < std::abs(v - level[best])) best = i;
          }
          sum[best] += v;
          ++n[best];
        }
        for (int i = 0; i < out.count; ++i) {
          if (n[i] * 4 * out.count >= static_cast<int>(values.size())) {
            level[i] = static_cast<float>(sum[i] / n[i]);
          }
        }
      }
      bool sane = level[top] - level[0] > 0.5f * contrast;
      for (int i = 1; i < out.count; ++i) sane = sane && level[i] > level[i - 1];
      out.local[ty * out.tiles_x + tx] = sane ? level : out.global;
    }
  });
  return out;
}

// A module's level and how sure the reading is: 1 at a level, 0 at a threshold or far
// outside the levels (dust, a scratch).
struct Reading {
  int level = 0;
  float confidence = 0;
};
Reading read_module(const Levels& levels, const Grid& g, std::uint32_t x, std::uint32_t y) {
  const std::array<float, 4> lv = levels.at(x, y);
  const int top = levels.count - 1;
  const float v = g.at(x, y);
  const float span = lv[top] - lv[0];
  Reading r;
  for (int i = 1; i <= top; ++i) {
    if (v > (lv[i - 1] + lv[i]) / 2) r.level = i;
  }
  float distance = 1e9f;
  for (int i = 1; i <= top; ++i) {
    const float half = (lv[i] - lv[i - 1]) / 2;
    distance = std::min(distance, std::abs(v - (lv[i - 1] + half)) / half);
  }
  r.confidence = std::min(1.0f, distance);
  if (v > lv[top] + 0.6f * span || v < lv[0] - 0.6f * span) r.confidence = 0;
  return r;
}

struct Corrected {
  bool ok = false;
  int changed = 0;
  int margin = -1;
};

// Errors-only first (t = nroots/2: miscorrection odds about 1/t!); then, only with modules
// that read far outside the levels or on a threshold as erasures, while enough parity is
// left to check the result.
Corrected correct(const ReedSolomon& rs, std::span<std::uint8_t> word,
                  std::span<const float> confidence) {
  const int nroots = rs.parity();
  std::vector<std::uint8_t> before(word.begin(), word.end());
  const auto changed = [&] {
    int n = 0;
    for (std::size_t i = 0; i < word.size(); ++i) n += word[i] != before[i];
    return n;
  };
  ReedSolomon::Result r = rs.decode(word);
  if (r.ok) return {true, changed(), nroots / 2 - r.errors};
  std::vector<int> weak;
  for (std::size_t i = 0; i < confidence.size(); ++i) {
    if (confidence[i] < 0.2f) weak.push_back(static_cast<int>(i));
  }
  std::sort(weak.begin(), weak.end(), [&](int a, int b) { return confidence[a] < confidence[b]; });
  const int most = nroots - std::max(8, nroots / 4);
  if (weak.empty() || most <= 0) return {};
  weak.resize(std::min<std::size_t>(weak.size(), static_cast<std::size_t>(most)));
  r = rs.decode(word, weak);
  const int left = nroots - r.erasures;
  if (!r.ok || r.errors > left / 4) {
    std::copy(before.begin(), before.end(), word.begin());
    return {};
  }
  return {true, changed(), left / 2 - r.errors};
}

struct SymbolRead {
  bool ok = false;
  std::string error;
  FrameHeader header;
  std::uint32_t header_errors = 0;
};

// Reads the header from a sampled grid (one of the orientations tried).
SymbolRead read_header(const Layout& guess, const Grid& g, const Levels& levels) {
  SymbolRead out;
  const ReedSolomon code(kHeaderCodeword, kHeaderBytes);
  for (int copy = 0; copy < 2; ++copy) {
    const std::vector<std::uint32_t> modules = header_modules(guess, copy);
    std::vector<std::uint8_t> bytes(kHeaderCodeword, 0);
    std::vector<float> confidence(kHeaderCodeword, 1);
    const int top = levels.count - 1;
    for (std::size_t i = 0; i < modules.size(); ++i) {
      const std::uint32_t x = modules[i] & 0xFFFF, y = modules[i] >> 16;
      const std::array<float, 4> lv = levels.at(x, y);
      const float v = g.at(x, y), mid = (lv[0] + lv[top]) / 2, half = (lv[top] - lv[0]) / 2;
      if (v > mid) bytes[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
      confidence[i / 8] = std::min(confidence[i / 8], std::min(1.0f, std::abs(v - mid) / half));
    }
    for (std::uint32_t i = 0; i < kHeaderCodeword; ++i) bytes[i] ^= header_whiten(i);
    const Corrected c = correct(code, bytes, confidence);
    if (!c.ok) continue;
    FrameHeader h;
    if (!parse_header(bytes, h)) continue;
    if (h.modules_x != guess.modules_x || h.modules_y != guess.modules_y) continue;
    out.ok = true;
    out.header = h;
    out.header_errors = static_cast<std::uint32_t>(c.changed);
    return out;
  }
  out.error = "no readable header (both copies failed)";
  return out;
}

Grid transformed(const Grid& g, int variant) {
  if (variant == 0) return g;
  Grid out = g;
  for (std::uint32_t y = 0; y < g.ny; ++y) {
    for (std::uint32_t x = 0; x < g.nx; ++x) {
      const std::uint32_t sx = (variant & 1) ? g.nx - 1 - x : x;
      const std::uint32_t sy = (variant & 2) ? g.ny - 1 - y : y;
      out.v[std::size_t{y} * g.nx + x] = g.at(sx, sy);
    }
  }
  return out;
}

}  // namespace

FilmImage read_film_image(const std::filesystem::path& file) {
  try {
    vips::VImage image = vips::VImage::new_from_file(file.c_str());
    FilmImage out;
    std::string description;
    if (image.get_typeof("image-description") != 0)
      description = image.get_string("image-description");
    double scale = 0;
    if (const auto at = description.find("density x "); at != std::string::npos) {
      scale = std::atof(description.c_str() + at + 10);
    }
    if (image.bands() >= 3) image = image.colourspace(VIPS_INTERPRETATION_B_W);
    if (image.bands() > 1) image = image.extract_band(0);
    const bool is16 = image.format() == VIPS_FORMAT_USHORT;
    if (!is16 && image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_USHORT);
    out.width = static_cast<std::uint32_t>(image.width());
    out.height = static_cast<std::uint32_t>(image.height());
    out.darkness.resize(std::size_t{out.width} * out.height);
    std::size_t size = 0;
    void* data = image.write_to_memory(&size);
    if (image.format() == VIPS_FORMAT_USHORT) {
      const auto* p = static_cast<const std::uint16_t*>(data);
      if (scale > 0) {
        out.is_density = true;
        for (std::size_t i = 0; i < out.darkness.size(); ++i)
          out.darkness[i] = static_cast<float>(p[i] / scale);
      } else {
        // A transmission scan: density from the light that came through.
        std::array<float, 65536>* table = new std::array<float, 65536>;
        for (int v = 0; v < 65536; ++v)
          (*table)[v] = static_cast<float>(-std::log10(std::max(v, 1) / 65535.0));
        for (std::size_t i = 0; i < out.darkness.size(); ++i) out.darkness[i] = (*table)[p[i]];
        delete table;
      }
    } else {
      const auto* p = static_cast<const std::uint8_t*>(data);
      std::array<float, 256> table{};
      for (int v = 0; v < 256; ++v)
        table[v] = static_cast<float>(-std::log10(std::max(v, 1) / 255.0));
      for (std::size_t i = 0; i < out.darkness.size(); ++i) out.darkness[i] = table[p[i]];
    }
    g_free(data);
    return out;
  } catch (const vips::VError& e) {
    throw Error(ErrorKind::input, file.string() + ": cannot read film image: " + e.what());
  }
}

DecodedFrame decode_frame(const FilmImage& im, const std::string& source) {
  DecodedFrame out;
  out.source = source;
  const auto fail = [&](const std::string& why) {
    out.error = why;
    return out;
  };
  if (im.width < 32 || im.height < 32) return fail("image too small for a data frame");
  const Otsu levels0 = otsu(im);
  if (!(levels0.high - levels0.low > 0.05f)) return fail("no contrast: no data frame");
  const Blob blob = largest_blob(im, levels0.threshold);
  if (!blob.found || blob.x1 - blob.x0 < 40 || blob.y1 - blob.y0 < 40) {
    return fail("no symbol border found");
  }
  const float mid = levels0.threshold;
  // Each outer edge: a robust line through the blob's outermost pixels, then sub-pixel edge
  // points close to it (a scratch or dust across the edge drops out as an outlier).
  std::array<Line, 4> rough;
  for (int side = 0; side < 4; ++side) {
    const auto line = robust_line(blob.sides[side], side % 2 == 1, side == 0 || side == 3);
    if (!line) return fail("no straight symbol border found");
    rough[side] = *line;
  }
  std::array<Point, 4> corner;  // tl, tr, br, bl
  for (int i = 0; i < 4; ++i) {
    const auto c = intersect(rough[(i + 3) % 4], rough[i]);
    if (!c) return fail("the symbol border's edges do not meet");
    corner[i] = *c;
  }
  std::array<Line, 4> lines;
  std::array<std::vector<Point>, 4> points;
  for (int side = 0; side < 4; ++side) {
    // Clockwise, so the symbol lies to the right of a -> b.
    const Point a = corner[side], b = corner[(side + 1) % 4];
    if (length(b - a) < 40) return fail("no symbol border found");
    points[side] = edge_points(im, a, b, 6, mid);
    const auto line = fit_line(points[side]);
    if (!line) return fail("the symbol border's edges are not straight lines");
    lines[side] = *line;
  }
  for (int i = 0; i < 4; ++i) {
    const auto c = intersect(lines[(i + 3) % 4], lines[i]);
    if (!c) return fail("the symbol border's edges do not meet");
    corner[i] = *c;
  }
  const double width_px = (length(corner[1] - corner[0]) + length(corner[2] - corner[3])) / 2;
  const double height_px = (length(corner[3] - corner[0]) + length(corner[2] - corner[1])) / 2;
  const Point top_dir = corner[1] - corner[0];
  out.rotation_deg = std::atan2(top_dir.y, top_dir.x) * 180 / std::numbers::pi;

  // Rough module size from the border's thickness, inward from the top and left edges.
  const Point down = (1.0 / height_px) * (corner[3] - corner[0]);
  const Point right = (1.0 / width_px) * top_dir;
  const double thick = (border_thickness(im, points[0], down, mid, height_px / 8) +
                        border_thickness(im, points[3], right, mid, width_px / 8)) /
                       2;
  if (thick < 2) return fail("the symbol border is too thin for a data frame");
  const double module_est = thick / kBorder;

  // Exact module counts from the timing tracks (module ring 4), both sides of each direction.
  const auto track = [&](bool horizontal, bool far) {
    const double extent = horizontal ? width_px : height_px;
    const double across = horizontal ? height_px : width_px;
    const std::size_t n = static_cast<std::size_t>(extent * 2);
    std::vector<float> profile(n, 0);
    for (double depth : {4.3, 4.5, 4.7}) {
      const double d = depth * module_est / across;
      const double fixed = far ? 1 - d : d;
      for (std::size_t i = 0; i < n; ++i) {
        const double t = 0.03 + 0.94 * (i + 0.5) / n;
        const Point p = horizontal ? unit_map(corner, t, fixed) : unit_map(corner, fixed, t);
        profile[i] += sample(im, p.x, p.y);
      }
    }
    double strength = 0;
    const std::uint32_t count = count_modules(profile, extent / module_est, &strength);
    return std::pair{count, strength};
  };
  const auto best_count = [&](bool horizontal) -> std::uint32_t {
    const auto a = track(horizontal, false), b = track(horizontal, true);
    const auto& pick = a.second >= b.second ? a : b;
    return pick.second >= 0.25 ? pick.first : 0;
  };
  const std::uint32_t nx = best_count(true), ny = best_count(false);
  if (nx == 0 || ny == 0) return fail("no timing track: not a data frame");
  out.samples_per_module = (width_px / nx + height_px / ny) / 2;

  const Homography h = homography(
      {Point{0, 0}, Point{double(nx), 0}, Point{double(nx), double(ny)}, Point{0, double(ny)}},
      corner);
  Grid grid;
  grid.nx = nx;
  grid.ny = ny;
  grid.v.resize(std::size_t{nx} * ny);
  const bool taps = out.samples_per_module >= 2.5;
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, ny, 64), [&](const auto& rows) {
    for (std::uint32_t y = rows.begin(); y < rows.end(); ++y) {
      for (std::uint32_t x = 0; x < nx; ++x) {
        float v;
        if (taps) {
          v = 0;
          for (double dy : {-0.2, 0.2}) {
            for (double dx : {-0.2, 0.2}) {
              const Point p = h(x + 0.5 + dx, y + 0.5 + dy);
              v += sample(im, p.x, p.y);
            }
          }
          v /= 4;
        } else {
          const Point p = h(x + 0.5, y + 0.5);
          v = sample(im, p.x, p.y);
        }
        grid.v[std::size_t{y} * nx + x] = v;
      }
    }
  });

  // The header says the code; until then read the fixed parts as 1 bit per module. A frame
  // read mirrored or upside down (film scanned from the base side, a reel wound backwards)
  // is tried in the other orientations.
  SymbolRead read;
  Grid oriented;
  Levels levels;
  std::string why = "no readable header";
  for (int variant = 0; variant < 4 && !read.ok; ++variant) {
    oriented = transformed(grid, variant);
    Layout guess;
    try {
      guess = layout_for_symbol(nx, ny, CodeParams{});
    } catch (const Error& e) {
      return fail(e.what());
    }
    const auto lv = read_levels(guess, oriented);
    if (!lv) {
      why = "the calibration bars do not read as levels";
      continue;
    }
    levels = *lv;
    read = read_header(guess, oriented, levels);
    if (!read.ok) why = read.error;
  }
  if (!read.ok) return fail(why + fmt::format(" ({} x {} modules found)", nx, ny));
  out.is_data_frame = true;
  out.header = read.header;
  out.header_errors = read.header_errors;
  const FrameHeader& hd = out.header;

  Layout layout;
  try {
    layout = layout_for_symbol(nx, ny, hd.code);
  } catch (const Error& e) {
    return fail(std::string("header: ") + e.what());
  }
  if (layout.codewords != hd.codewords) {
    return fail(
        fmt::format("header: {} codewords, the layout holds {}", hd.codewords, layout.codewords));
  }
  if (hd.code.bits_per_module != 1) {
    const auto lv = read_levels(layout, oriented);
    if (!lv) return fail("the calibration bars do not read as four levels");
    levels = *lv;
  }
  out.contrast_d = levels.global[levels.count - 1] - levels.global[0];

  // Slots: bytes and their weakest module's confidence, unwhitened.
  const std::vector<std::uint32_t> modules = slot_modules(layout);
  const auto map = slot_map(layout);
  const std::uint32_t per_slot = 8 / static_cast<std::uint32_t>(hd.code.bits_per_module);
  std::vector<std::uint8_t> slot_bytes(layout.slots);
  std::vector<float> slot_conf(layout.slots);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, layout.slots, 4096), [&](const auto& r) {
    for (std::uint32_t s = r.begin(); s < r.end(); ++s) {
      std::uint32_t byte = 0;
      float conf = 1;
      for (std::uint32_t m = 0; m < per_slot; ++m) {
        const std::uint32_t packed = modules[std::size_t{s} * per_slot + m];
        const Reading rd = read_module(levels, oriented, packed & 0xFFFF, packed >> 16);
        const int bits = hd.code.bits_per_module == 1 ? rd.level : (rd.level ^ (rd.level >> 1));
        byte = (byte << hd.code.bits_per_module) | static_cast<std::uint32_t>(bits);
        conf = std::min(conf, rd.confidence);
      }
      slot_bytes[s] = static_cast<std::uint8_t>(byte) ^ map->whiten[s];
      slot_conf[s] = conf;
    }
  });

  const auto n = static_cast<std::uint32_t>(hd.code.inner_n),
             k = static_cast<std::uint32_t>(hd.code.inner_k);
  const std::uint32_t cw = layout.codewords;
  out.payload.assign(layout.payload_bytes, 0);
  out.known.assign(cw, 0);
  std::vector<int> changed(cw, 0), margin(cw, -1);
  const ReedSolomon rs(static_cast<int>(n), static_cast<int>(k));
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, cw, 64), [&](const auto& r) {
    std::vector<std::uint8_t> word(n);
    std::vector<float> conf(n);
    for (std::uint32_t c = r.begin(); c < r.end(); ++c) {
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::uint32_t s = map->shuffle[std::size_t{j} * cw + c];
        word[j] = slot_bytes[s];
        conf[j] = slot_conf[s];
      }
      const Corrected result = correct(rs, word, conf);
      if (!result.ok) continue;
      out.known[c] = 1;
      changed[c] = result.changed;
      margin[c] = result.margin;
      std::copy(word.begin(), word.begin() + k, out.payload.begin() + std::size_t{c} * k);
    }
  });
  out.min_margin = static_cast<int>(n - k);
  for (std::uint32_t c = 0; c < cw; ++c) {
    if (!out.known[c]) {
      ++out.codewords_failed;
      out.min_margin = -1;
      continue;
    }
    out.symbol_errors += static_cast<std::uint64_t>(changed[c]);
    out.max_errors =
        std::max<std::uint32_t>(out.max_errors, static_cast<std::uint32_t>(changed[c]));
    out.min_margin = std::min(out.min_margin, margin[c]);
  }
  if (out.codewords_failed > 0) {
    out.error = fmt::format("{} of {} codewords could not be corrected", out.codewords_failed, cw);
  }
  return out;
}

}  // namespace fw::data
