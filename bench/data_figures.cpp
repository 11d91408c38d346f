// fw-data-bench: the figures of bench/README.md for data frames (engine/data): net capacity
// per frame and per reel on 16 mm and 35 mm, encode and decode speed on a full 16 mm frame
// developed by the sim, the error margin on clean film, and the damage limits (rescan
// resolution, rotation, scratches, dust) on small frames.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <random>

#include <vips/vips8>

#include "data/data_frames.hpp"
#include "sim/sim_physics.hpp"

namespace {

namespace sim = fw::drivers::sim;
using fw::data::FilmImage;
using fw::data::Layout;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Sim {
  sim::RecorderProfile recorder;
  sim::Stock stock;
};

FilmImage develop(const Sim& s, const fw::data::FramePixels& f, std::uint64_t seed) {
  const auto d = sim::develop(s.recorder, s.stock, f.pixels, f.width, f.height, 1, seed);
  FilmImage out{f.width, f.height, {}, true};
  out.darkness.resize(d.density.size());
  for (std::size_t i = 0; i < d.density.size(); ++i) out.darkness[i] = d.density[i] / 10000.0f;
  return out;
}

FilmImage rescan(const FilmImage& im, double scale, double degrees) {
  vips::VImage image =
      vips::VImage::new_from_memory(const_cast<float*>(im.darkness.data()), im.darkness.size() * 4,
                                    static_cast<int>(im.width), static_cast<int>(im.height), 1,
                                    VIPS_FORMAT_FLOAT)
          .similarity(vips::VImage::option()
                          ->set("scale", scale)
                          ->set("angle", degrees)
                          ->set("interpolate", vips::VInterpolate::new_from_name("bicubic"))
                          ->set("background", std::vector<double>{0.06}))
          .copy_memory();
  FilmImage out{static_cast<std::uint32_t>(image.width()),
                static_cast<std::uint32_t>(image.height()),
                {},
                true};
  std::size_t size = 0;
  auto* data = static_cast<float*>(image.write_to_memory(&size));
  out.darkness.assign(data, data + size / 4);
  g_free(data);
  return out;
}

void line(FilmImage& im, double x, double width, float density) {
  for (std::uint32_t y = 0; y < im.height; ++y) {
    const double cx = x + 0.01 * y;
    for (auto px = static_cast<std::int64_t>(cx - width / 2);
         px <= static_cast<std::int64_t>(cx + width / 2); ++px) {
      if (px >= 0 && px < im.width) im.darkness[std::size_t{y} * im.width + px] = density;
    }
  }
}

void specks(FilmImage& im, int count, double radius, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < count; ++i) {
    const double cx = rng() % im.width, cy = rng() % im.height;
    for (auto y = static_cast<std::int64_t>(cy - radius); y <= cy + radius; ++y) {
      for (auto x = static_cast<std::int64_t>(cx - radius); x <= cx + radius; ++x) {
        if (x >= 0 && y >= 0 && x < im.width && y < im.height &&
            std::hypot(x - cx, y - cy) <= radius) {
          im.darkness[std::size_t(y) * im.width + x] = 3.0f;
        }
      }
    }
  }
}

std::string verdict(const fw::data::DecodedFrame& f) {
  if (!f.is_data_frame) return "not found: " + f.error;
  if (f.codewords_failed > 0) {
    return fmt::format("{} of {} codewords lost", f.codewords_failed, f.known.size());
  }
  return fmt::format("ok, margin {}, {} symbol errors corrected", f.min_margin, f.symbol_errors);
}

}  // namespace

int main(int argc, char** argv) {
  if (VIPS_INIT(argv[0])) return 1;
  const std::string profiles = argc > 1 ? argv[1] : FW_PROFILES_DIR;
  const Sim s{sim::load_recorder(profiles, "sim-default"),
              sim::load_stock(profiles, "sim-negative")};
  std::mt19937 rng(1);

  fmt::print("## Capacity (1 bit per module, RS(255,223) per frame, 16 + 2 frames per group)\n\n");
  fmt::print(
      "| format | data area | module | symbol | net per frame | frames per 30.5 m | net per reel "
      "|\n");
  fmt::print("|---|---|---|---|---|---|---|\n");
  struct Format {
    const char* name;
    double across_mm, along_mm;
  };
  for (const Format& f : {Format{"16 mm", 12.5, 12.5}, Format{"35 mm", 32.0, 32.0}}) {
    for (std::uint32_t m : {2u, 3u}) {
      const Layout l = Layout::make({static_cast<std::uint32_t>(f.across_mm * 400),
                                     static_cast<std::uint32_t>(f.along_mm * 400), 2.5, m, 4});
      // 30.5 m less 1 m leader and 1 m trailer; each frame is followed by a 1 mm gap.
      const auto frames = static_cast<std::uint64_t>(28500 / (f.along_mm + 1.0));
      const double net = static_cast<double>(l.payload_bytes) * frames * 16 / 18;
      fmt::print("| {} | {} x {} mm | {} px ({} um) | {} x {} | {:.3f} MB | {} | {:.0f} MB |\n",
                 f.name, f.across_mm, f.along_mm, m, m * 2.5, l.modules_x, l.modules_y,
                 l.payload_bytes / 1e6, frames, net / 1e6);
    }
  }

  fmt::print(
      "\n## Speed and margin on a full 16 mm frame (5000 x 5000 px), sim-default on "
      "sim-negative\n\n");
  {
    const Layout l = Layout::make({5000, 5000, 2.5, 2, 4});
    std::vector<std::uint8_t> content(l.payload_bytes * 3);
    for (auto& b : content) b = static_cast<std::uint8_t>(rng());
    const fw::data::FileEncoder encoder(l, {"bench", "R0001", "D001", 1, "bench.bin"}, content);
    auto t0 = std::chrono::steady_clock::now();
    const auto frame = encoder.frame(1);
    const double encode_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto parity = encoder.frame(3);
    const double parity_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const FilmImage film = develop(s, frame, 7);
    const double develop_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto decoded = fw::data::decode_frame(film, "16mm");
    const double decode_s = seconds_since(t0);
    std::uint64_t errors_total = 0;
    fmt::print("- payload {:.3f} MB per frame\n", l.payload_bytes / 1e6);
    fmt::print(
        "- encode a data frame: {:.3f} s ({:.1f} MB/s); a parity frame (reads its group): {:.3f} "
        "s\n",
        encode_s, l.payload_bytes / 1e6 / encode_s, parity_s);
    fmt::print("- sim develop (not part of the codec): {:.3f} s\n", develop_s);
    fmt::print("- decode from developed film: {:.3f} s ({:.1f} MB/s): {}\n", decode_s,
               l.payload_bytes / 1e6 / decode_s, verdict(decoded));
    errors_total += decoded.symbol_errors;
    fmt::print(
        "- clean film: {} symbol errors in {} codewords, at most {} in one; every codeword could "
        "take {} more\n",
        errors_total, decoded.known.size(), decoded.max_errors, decoded.min_margin);
    (void)parity;
  }

  fmt::print(
      "\n## Damage limits on a 3 x 2.5 mm frame (1200 x 1000 px, 591 x 491 modules of 5 um)\n\n");
  const Layout small = Layout::make({1200, 1000, 2.5, 2, 4});
  std::vector<std::uint8_t> content(small.payload_bytes);
  for (auto& b : content) b = static_cast<std::uint8_t>(rng());
  const fw::data::FileEncoder encoder(small, {"bench", "R0001", "D001", 1, "x"}, content);
  const FilmImage film = develop(s, encoder.frame(0), 3);
  fmt::print("rescan resolution (samples per module):\n");
  for (double spm : {3.0, 2.0, 1.6, 1.5, 1.4, 1.3, 1.2, 1.1, 1.0}) {
    fmt::print("  {:.1f}: {}\n", spm, verdict(fw::data::decode_frame(rescan(film, spm / 2, 0))));
  }
  fmt::print("rotation (degrees, at 2 samples per module):\n");
  for (double deg : {1.0, 2.0, 3.0, 5.0, 10.0}) {
    fmt::print("  {:.0f}: {}\n", deg, verdict(fw::data::decode_frame(rescan(film, 1, deg))));
  }
  fmt::print("clear scratches along the film, 3 px (7.5 um) wide, full height:\n");
  for (int n : {1, 4, 8, 16, 24, 32}) {
    FilmImage f = film;
    for (int i = 0; i < n; ++i) line(f, 40 + (1120.0 * i) / n + 13, 3, 0.06f);
    fmt::print("  {}: {}\n", n, verdict(fw::data::decode_frame(f)));
  }
  fmt::print("one wide scratch along the film (px wide):\n");
  for (int w : {8, 16, 32, 64, 96, 128}) {
    FilmImage f = film;
    line(f, 600, w, 0.06f);
    fmt::print("  {} ({} um): {}\n", w, w * 2.5, verdict(fw::data::decode_frame(f)));
  }
  fmt::print("dust, specks of 30 um (6 px radius), per frame:\n");
  for (int n : {20, 40, 80, 160, 240}) {
    FilmImage f = film;
    specks(f, n, 6, 5);
    fmt::print("  {}: {}\n", n, verdict(fw::data::decode_frame(f)));
  }
  vips_shutdown();
  return 0;
}
