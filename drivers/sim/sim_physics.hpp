// The simulated recorder's physics and profiles (drivers/sim). Pure functions, no device
// state: code values -> exposure (the recorder's light output) -> spot blur -> density (the
// stock's characteristic curve) -> seeded grain. The numbers come from TOML profiles in
// profiles/recorders/ and profiles/stocks/, never from code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fw::drivers::sim {

// Developed film stores density x kDensityScale as uint16 (0.0001 D steps, up to 6.55 D).
inline constexpr double kDensityScale = 10000.0;

// One dye layer's (or a B&W emulsion's) characteristic curve and grain.
struct HdCurve {
  double d_min = 0.06;  // base + fog
  double d_max = 2.2;
  double gamma = 2.7;                  // slope of the straight line, D per log10 exposure
  double log_exposure_inertia = -1.0;  // where the straight line meets d_min
  double toe_d = 0.08;                 // softness of the toe, in density
  double shoulder_d = 0.15;            // softness of the shoulder, in density
  double grain_rms_at_1d = 0.015;      // RMS density noise at D = 1, scales with sqrt(D)

  double density(double log_exposure) const;
  double grain_rms(double density) const;
};

struct Stock {
  std::string name;
  std::string description;
  std::vector<std::string> channel_names;            // "grey", or "red", "green", "blue"
  std::vector<HdCurve> curves;                       // one per channel
  std::vector<std::pair<std::string, double>> aims;  // document class -> background density
};

struct RecorderProfile {
  std::string name;
  std::string description;
  double pixel_pitch_um = 2.5;
  double spot_fwhm_um = 3.0;
  std::uint32_t max_width_px = 30000;
  std::uint32_t max_height_px = 30000;
  std::vector<int> channels{1, 3};
  double write_rate_lines_per_s = 4800;
  std::uint32_t buffer_frames = 8;
  double film_length_m = 30.5;
  double stall_tolerance_ms = 50;
  double stall_waste_mm = 3;
  double watchdog_s = 5;
  // Light output: relative exposure = 10^log_exposure_max * (leak + (1-leak) (code/255)^gamma).
  double light_gamma = 2.2;
  double log_exposure_max = 0;
  double light_leak = 0;
  // Factory calibration per stock ([calibration] table: stock name -> calibration profile).
  std::vector<std::pair<std::string, std::string>> calibrations;

  double log_exposure(double code) const;
  std::string calibration_for(const std::string& stock) const;  // "" when none is named
};

// Loaders throw hal::DeviceError(bad_option) naming the file, line and key.
Stock load_stock(const std::filesystem::path& profiles_dir, const std::string& name);
RecorderProfile load_recorder(const std::filesystem::path& profiles_dir, const std::string& name);

struct DevelopedFrame {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t channels = 1;
  std::vector<std::uint16_t> density;  // density x kDensityScale, interleaved like the input
};

// Develops one frame of 8-bit code values, blocks of rows in parallel (oneTBB, the caller's
// arena). Deterministic for a given `grain_seed`, whatever the number of threads.
DevelopedFrame develop(const RecorderProfile& recorder, const Stock& stock,
                       std::span<const std::uint8_t> pixels, std::uint32_t width,
                       std::uint32_t height, std::uint32_t channels, std::uint64_t grain_seed);

// Damage to the film (the sim's fault options `scratches` and `dust_per_cm2`), put on a
// developed frame after development, so that the decoder and QC meet it as on real film.
//
// A scratch runs along the film's travel (the direction the head writes lines in: across a
// comic frame's width, down a cine frame's or a fiche cell's height) through every frame of
// the reel, at the same place across the film, as the burr of a film path makes it. `clear`:
// the emulsion is scratched off down to the base, which reads as base + fog (the stock's
// d_min); otherwise a scratch in the base, which scatters the reader's light and reads dense
// (kDenseScratchD). Dust is specks of random size on each frame: on the developed film (a
// reader, scanner or printer sees them opaque, kDustD), or in the recorder's gate at
// exposure, where a speck shades the emulsion, which on a negative stays clear (d_min).
inline constexpr double kDenseScratchD = 3.0;
inline constexpr double kDustD = 4.0;
inline constexpr double kDustMinUm = 10;  // speck diameters, log-uniform between these
inline constexpr double kDustMaxUm = 50;

struct Scratch {
  double across = 0.5;  // centre, as a fraction of the frame's extent across the film
  double width_um = 10;
  bool clear = true;
};

enum class ScratchKind { clear, dense, mixed };

// splitmix64's output function: seeds derived from the sim's seed.
std::uint64_t mix_seed(std::uint64_t x);

struct FilmDamage {
  std::vector<Scratch> scratches;  // the reel's, the same on every frame
  double dust_per_cm2 = 0;
  bool dust_at_exposure = false;  // false: dust on the developed film
  bool any() const { return !scratches.empty() || dust_per_cm2 > 0; }
};

// `count` scratches of `width_um` at seeded places across the film (clear, dense, or each
// one either at random with `mixed`), away from the frame's outermost 2 %.
std::vector<Scratch> make_scratches(std::uint32_t count, double width_um, ScratchKind kind,
                                    std::uint64_t seed);

// Puts the scratches and a seeded number of dust specks (dust_per_cm2 times the frame's area,
// rounded up or down at random so that the mean is right) on a developed frame;
// `travel_along_width`: the film runs along the frame's width (comic roll film). Returns the
// number of dust specks.
std::uint32_t damage_film(DevelopedFrame& frame, const Stock& stock, const FilmDamage& damage,
                          double pitch_um, bool travel_along_width, std::uint64_t seed);

// Saves a developed frame as a 16-bit TIFF (zstd-compressed strips, TIFF compression 50000)
// through a temporary name; resolution tags give the pitch. engine/color reads it back
// (read_developed_film). A file that cannot be written (a full disk) throws Error(storage)
// naming it; a frame libvips cannot encode, DeviceError(fault).
void save_developed(const DevelopedFrame& frame, double pitch_um,
                    const std::filesystem::path& file);

}  // namespace fw::drivers::sim
