// The recorder HAL: the only interface between filmwriter's engine and a film recorder.
//
// A recorder is a serial device. The engine calls, per reel:
//   load(ReelSpec) -> expose(Frame) for frame 1, 2, 3 ... -> unload()
// expose() blocks while the device's buffer is full: that is the back-pressure the
// pipeline relies on. A frame counts as recorded only once expose() has returned.
// Every failure is a DeviceError with a kind the engine can act on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hal/film_reader.hpp"

namespace fw::hal {

struct Capabilities {
  double pixel_pitch_um = 2.5;     // size of one device pixel on film
  std::uint32_t max_width_px = 0;  // largest frame the device writes
  std::uint32_t max_height_px = 0;
  std::vector<int> bit_depths{8};         // accepted sample depths
  std::vector<int> channels{1};           // 1 = grey, 3 = RGB
  std::vector<std::string> film_formats;  // empty: any
  double write_rate_lines_per_s = 0;      // 0: as fast as the host delivers
  std::uint32_t buffer_frames = 1;        // frames the device holds before expose() blocks
  // The density calibration that makes this device's film right with its loaded stock: a
  // profile name in profiles/calibration/ (or a .toml file), as its recorder profile names it.
  // The engine applies it to every frame unless the job chooses another, or "none". Empty:
  // the device names none, and the job must choose.
  std::string calibration;
};

// Blip (image mark) levels below the frame, AIIM MS8 style.
enum class BlipLevel : std::uint8_t { none = 0, page = 1, document = 2, batch = 3 };

// A fiche sheet: a grid of fixed cells below a header strip (profiles/formats/fiche-*.toml).
// Rows and columns are counted like the planner's: header rows first, then image rows, read
// by rows or by columns.
struct FicheSheet {
  double width_mm = 148;
  double height_mm = 105;
  std::uint32_t columns = 14;
  std::uint32_t rows = 7;  // image rows, below the header
  std::uint32_t header_rows = 1;
  double cell_width_mm = 10.5;
  double cell_height_mm = 13.0;
  bool by_rows = true;  // reading order: rows (left to right, then down) or columns

  std::uint32_t header_cells() const { return header_rows * columns; }
  std::uint32_t image_cells() const { return rows * columns; }

  // Where the sheet's n-th frame (1-based) goes: the header strip's tiles first, left to right
  // (row by row if the strip is several rows high), then the image cells in reading order, as
  // the planner numbers them. `row` and `column` are numbered like plan.json's grid (header
  // row 0, image rows and columns from 1); x and y place the cell's top-left corner on the
  // sheet, the grid centred on it. Frames beyond the last cell have none.
  struct Cell {
    std::uint32_t row = 0;
    std::uint32_t column = 0;
    double x_mm = 0;
    double y_mm = 0;
  };
  std::optional<Cell> cell_of(std::uint32_t frame) const;
};

// What a device needs of the film format to put frames on the film: the engine reads the
// format profile (or the job's inline [format]) and says it here, so no driver reads formats.
struct FilmGeometry {
  bool fiche = false;  // a step-and-repeat sheet instead of a roll
  bool comic = true;   // roll: the frame's width runs along the film; cine: its height
  double frame_gap_mm = 1.0;
  double leader_m = 1.0;
  double trailer_m = 1.0;
  FicheSheet sheet;  // fiche only
};

struct ReelSpec {
  std::string reel_id;  // "R0001"
  std::uint32_t reel_number = 1;
  std::string job_id;
  std::string film_format;  // profile name, e.g. "16mm-comic-30m"
  std::string stock;        // film stock profile name (may be empty)
  double film_length_m = 0;
  std::filesystem::path work_dir;  // where a file-writing driver puts the reel's output
  // Resume after a crash (policy `continue`): frames 1 .. first_frame - 1 are already on this
  // reel; the next expose() is frame first_frame. A device that cannot append throws fault.
  // The film may hold more than that (frames the device took before the host's crash): a
  // device that knows them says so in Status::frames_exposed after load() and recognises
  // them when they are sent again; others expose from first_frame.
  std::uint32_t first_frame = 1;
  // The device itself restarted while this reel was in it (recorderd after a crash): keep
  // whatever the film holds of this reel, even with first_frame 1, instead of fresh film.
  bool keep_film = false;
  FilmGeometry geometry{};  // of `film_format`
};

// What Recorder::prepare() made of a frame for its expose(); each driver derives its own.
struct PreparedFrame {
  virtual ~PreparedFrame() = default;
};

// One frame as device code values. Code value 255 is full exposure (maximum density).
struct Frame {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t channels = 1;            // samples per pixel, interleaved, 8 bits each
  std::span<const std::uint8_t> pixels;  // width * height * channels bytes, row-major
  double pixel_pitch_um = 0;
  std::uint32_t reel_number = 0;
  std::uint32_t frame_number = 0;  // 1-based within the reel
  BlipLevel blip = BlipLevel::none;
  std::string address;      // human-readable image address, e.g. "R0001-0003"
  std::string description;  // what the frame shows, for the device's own log/tags
  std::string reel_id;      // "R0001": the reel the frame belongs to
  std::string sha256;       // the host's SHA-256 of `pixels` (hex), or empty: drivers need not hash
  std::shared_ptr<const PreparedFrame> prepared;  // prepare()'s result for this frame, or null
};

// What the device reports when a reel is finished.
struct ReelReport {
  std::uint32_t frames = 0;
  double film_used_m = 0;
  // Files the driver produced for this reel, relative to ReelSpec::work_dir (for the manifest).
  std::vector<std::filesystem::path> files;
  // SHA-256 (hex) of the bytes the driver wrote, for those of `files` it hashed as it wrote
  // them; the manifest reads and hashes the others.
  std::map<std::filesystem::path, std::string> sha256;
};

struct Status {
  bool loaded = false;
  std::uint32_t frames_exposed = 0;  // on the loaded reel
  std::uint32_t buffered = 0;        // frames in the device buffer, not yet on film
  std::string state;                 // short human-readable state
  // Frames that survive a restart of the device (developed and recorded on its disk); those
  // after it are lost if the device dies. Unset: every exposed frame survives.
  std::optional<std::uint32_t> frames_on_film = std::nullopt;
};

enum class DeviceErrorKind {
  out_of_film,
  fault,
  disconnected,
  underrun,
  invalid_frame,
  bad_option
};

class DeviceError : public std::runtime_error {
 public:
  DeviceError(DeviceErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  DeviceErrorKind kind() const { return kind_; }

 private:
  DeviceErrorKind kind_;
};

const char* to_string(DeviceErrorKind kind);
const char* to_string(BlipLevel level);

// What a device can do beyond load, expose and unload, by name: Recorder::supports(name). The
// engine asks before it relies on one, and refuses a job that needs one the device lacks,
// naming the driver and the capability (lacks_capability()). A name no driver knows is
// supported by none.
namespace capability {
// load() continues a partly exposed reel: ReelSpec::first_frame > 1 appends to the frames
// already on it (resume with policy `continue`). Without it a stopped reel is respooled.
inline constexpr std::string_view append = "append";
// film_reader() reads back the developed film (calibrate auto measures its wedge through it).
inline constexpr std::string_view film_readback = "film_readback";
// The device keeps its own record of the frames its film holds: frames_on_film(ReelSpec)
// answers for a reel that is not loaded, and Status::frames_on_film tells the frames that
// survive a restart of the device. Resume asks it where the film ends (frames accepted into
// its buffer may be lost); without it every accepted frame counts as on film.
inline constexpr std::string_view film_record = "film_record";
}  // namespace capability

// Every capability name, in the order `filmwriter drivers` lists them.
const std::vector<std::string_view>& capability_names();
// One line on what `name` means ("" for an unknown name).
std::string_view capability_description(std::string_view name);
// The refusal of a job that needs what a driver lacks: "the tiff driver lacks the capability
// film_readback (reads back its developed film), which NEEDED_FOR needs".
std::string lacks_capability(std::string_view driver, std::string_view capability,
                             std::string_view needed_for);

class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual Capabilities capabilities() const = 0;
  // Whether the device has the capability `name` (hal::capability: append, film_readback,
  // film_record). Answers from what the driver knows after it was opened (its options, the
  // device it reached); false for a name it does not know.
  virtual bool supports(std::string_view name) const = 0;
  // The driver's work on a frame that needs no device: encoding, packing, compressing,
  // checksums. The engine calls it from its parallel stage, on any thread, in any order, even
  // before the frame's reel is loaded, and hands the result to expose() in Frame::prepared, so
  // that the serial expose() is left with the device I/O. It must not touch the device.
  // expose() works without it (prepared null). Default: nothing to prepare.
  virtual std::shared_ptr<const PreparedFrame> prepare(const Frame&) const { return nullptr; }
  virtual void load(const ReelSpec& reel) = 0;
  virtual void expose(const Frame& frame) = 0;
  virtual ReelReport unload() = 0;
  virtual Status status() const = 0;
  // Resume after a stop: how many frames of `reel` (not loaded) its film holds by the device's
  // own record, from frame 1 without a gap. Frames the host sent after them were lost in the
  // device's buffer and are sent again. nullopt: the device cannot tell, and every frame it
  // accepted is on film. The engine asks only a device that supports(capability::film_record).
  virtual std::optional<std::uint32_t> frames_on_film(const ReelSpec&) { return std::nullopt; }
  // A device that develops its film reads it back (calibration); null: it cannot. Non-null
  // exactly when supports(capability::film_readback). The reader lives as long as the recorder.
  virtual const FilmReader* film_reader() const { return nullptr; }
};

// Driver options come from the job ([recorder.options]) and the CLI, as strings.
using DriverOptions = std::map<std::string, std::string>;

// Checks a frame against capabilities; throws DeviceError(invalid_frame). Drivers call it in
// expose().
void check_frame(const Capabilities& caps, const Frame& frame);

}  // namespace fw::hal
