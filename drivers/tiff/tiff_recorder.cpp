// The `tiff` driver: a "recorder" that writes each exposed frame as an 8-bit TIFF, one
// folder per reel. It is what a lab hands to a writer that takes TIFF input (Kodak i9600
// style), and a faithful record of the exact code values sent to a device.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <span>
#include <system_error>

#include "base/buffer_pool.hpp"
#include "base/error.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "hal/registry.hpp"
#include "tiff/tiff_file.hpp"

namespace fw::drivers {
namespace {

using hal::DeviceError;
using hal::DeviceErrorKind;

class TiffRecorder final : public hal::Recorder {
 public:
  explicit TiffRecorder(const hal::DriverOptions& options) {
    hal::OptionReader read("tiff", options);
    caps_.pixel_pitch_um = read.number("pitch_um", 2.5, 0.5, 50);
    caps_.max_width_px = static_cast<std::uint32_t>(read.number("max_width_px", 30000, 16, 65535));
    caps_.max_height_px =
        static_cast<std::uint32_t>(read.number("max_height_px", 30000, 16, 65535));
    caps_.channels = {1, 3};
    caps_.buffer_frames = 1;
    // The recorder these files are for decides the calibration: a property of that device (its
    // factory or lab calibration, Capabilities::calibration), which the engine applies unless
    // the job chooses another. Named factory_calibration, not calibration, which is the job's
    // own choice and the engine's setting (-O calibration= never reaches a driver). Without a
    // word, the simulated recorder's factory calibration: the frames are then exactly what the
    // sim would be sent.
    caps_.calibration = read.text("factory_calibration", "sim-default-negative");
    // Uncompressed by default: the recorders that take TIFF input read uncompressed strips
    // (G4 is for bitonal pages, and these frames are 8-bit code values), and deflate costs
    // about 4x the CPU of the uncompressed encode per A4 frame (bench/README.md), in the stage
    // that keeps the recorder fed. `compression=deflate` or `lzw` makes files some 3-10x
    // smaller where the disk, not the CPU, is short.
    const std::string compression = read.text("compression", "none");
    if (compression == "deflate") {
      compression_ = TiffCompression::deflate;
    } else if (compression == "lzw") {
      compression_ = TiffCompression::lzw;
    } else if (compression != "none") {
      throw DeviceError(DeviceErrorKind::bad_option,
                        "tiff driver: option compression: expected none, deflate or lzw, got \"" +
                            compression + "\"");
    }
    read.finish();
  }

  hal::Capabilities capabilities() const override { return caps_; }

  // Appends: a reel's frames already written stay, and load() checks they are there. It has no
  // film to read back, and writes each frame before expose() returns (no buffer to lose).
  bool supports(std::string_view name) const override { return name == hal::capability::append; }

  // The TIFF file is encoded (and compressed) and hashed here, in the engine's parallel stage;
  // expose() only writes its bytes.
  std::shared_ptr<const hal::PreparedFrame> prepare(const hal::Frame& frame) const override {
    hal::check_frame(caps_, frame);
    return encode(frame, frame.reel_id, fmt::format("F{:06}.tif", frame.frame_number));
  }

  void load(const hal::ReelSpec& reel) override {
    if (loaded_) {
      throw DeviceError(DeviceErrorKind::fault,
                        "tiff driver: reel " + reel_.reel_id + " is still loaded; unload it first");
    }
    reel_ = reel;
    frames_dir_ = reel.work_dir / "frames";
    std::error_code ec;
    std::filesystem::create_directories(frames_dir_, ec);
    if (ec == std::errc::no_space_on_device) {
      // A full disk is the storage's failure (exit 8), whatever the recorder.
      throw Error(ErrorKind::storage, "tiff driver: " + frames_dir_.string() +
                                          ": cannot create the folder: " + ec.message());
    }
    if (ec) {
      throw DeviceError(DeviceErrorKind::fault,
                        "tiff driver: cannot create " + frames_dir_.string() + ": " + ec.message());
    }
    report_ = {};
    // Resume: the frames already written stay on the reel (and in its manifest).
    for (std::uint32_t number = 1; number < reel.first_frame; ++number) {
      const auto name = fmt::format("F{:06}.tif", number);
      if (!std::filesystem::exists(frames_dir_ / name)) {
        throw DeviceError(
            DeviceErrorKind::fault,
            fmt::format("tiff driver: reel {}: cannot continue at frame {}: {} is missing",
                        reel.reel_id, reel.first_frame, (frames_dir_ / name).string()));
      }
      report_.files.push_back(std::filesystem::path("frames") / name);
      ++report_.frames;
    }
    loaded_ = true;
  }

  void expose(const hal::Frame& frame) override {
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "tiff driver: no reel loaded");
    hal::check_frame(caps_, frame);
    if (frame.frame_number != report_.frames + 1) {
      throw DeviceError(DeviceErrorKind::invalid_frame,
                        fmt::format("tiff driver: reel {}: expected frame {}, got frame {}",
                                    reel_.reel_id, report_.frames + 1, frame.frame_number));
    }
    const auto name = fmt::format("F{:06}.tif", frame.frame_number);
    const auto path = frames_dir_ / name;
    const auto* prepared = dynamic_cast<const EncodedTiff*>(frame.prepared.get());
    std::shared_ptr<const EncodedTiff> encoded_now;
    if (!prepared || prepared->reel_id != reel_.reel_id ||
        prepared->frame_number != frame.frame_number) {
      encoded_now = encode(frame, reel_.reel_id, path);
      prepared = encoded_now.get();
    }
    write_file(path, prepared->bytes);
    report_.sha256[std::filesystem::path("frames") / name] = prepared->sha256;
    report_.files.push_back(std::filesystem::path("frames") / name);
    ++report_.frames;
  }

  hal::ReelReport unload() override {
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "tiff driver: no reel loaded");
    loaded_ = false;
    return report_;
  }

  hal::Status status() const override {
    return {loaded_, report_.frames, 0, loaded_ ? "writing " + reel_.reel_id : "idle"};
  }

 private:
  // A frame's TIFF file in memory and the SHA-256 of its bytes (the manifest's digest).
  struct EncodedTiff final : hal::PreparedFrame {
    ~EncodedTiff() override { frame_buffers().give(std::move(bytes)); }
    std::string reel_id;
    std::uint32_t frame_number = 0;
    std::vector<std::uint8_t> bytes;
    std::string sha256;
  };

  std::shared_ptr<const EncodedTiff> encode(const hal::Frame& frame, const std::string& reel_id,
                                            const std::filesystem::path& name) const {
    auto encoded = std::make_shared<EncodedTiff>();
    encoded->reel_id = reel_id;
    encoded->frame_number = frame.frame_number;
    TiffFrame tiff{
        frame.width,
        frame.height,
        frame.channels,
        frame.pixels,
        10000.0 / caps_.pixel_pitch_um,
        fmt::format("filmwriter reel={} frame={} address={} blip={} pitch_um={} {}", reel_id,
                    frame.frame_number, frame.address, hal::to_string(frame.blip),
                    caps_.pixel_pitch_um, frame.description)};
    try {
      encoded->bytes = encode_tiff(tiff, compression_);
    } catch (const std::exception& e) {
      throw DeviceError(DeviceErrorKind::fault,
                        "tiff driver: cannot encode " + name.string() + ": " + e.what());
    }
    encoded->sha256 = sha256_hex(encoded->bytes);
    return encoded;
  }

  // Durable before expose() returns: the journal line that says the frame is exposed follows
  // it at once, and must never name a file a power cut could leave empty.
  static void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    try {
      write_file_atomic(path, bytes);
    } catch (const Error& e) {
      // A full disk or a folder that refuses the file: the storage's failure, named with the
      // path (exit 8), not the recorder's.
      if (e.kind() == ErrorKind::storage) {
        throw Error(ErrorKind::storage, std::string("tiff driver: ") + e.what());
      }
      throw DeviceError(DeviceErrorKind::fault, std::string("tiff driver: ") + e.what());
    }
  }

  hal::Capabilities caps_;
  TiffCompression compression_ = TiffCompression::none;
  hal::ReelSpec reel_;
  std::filesystem::path frames_dir_;
  hal::ReelReport report_;
  bool loaded_ = false;
};

}  // namespace

void register_tiff_driver(hal::Registry& registry) {
  registry.add({"tiff",
                "writes each frame as an 8-bit TIFF (R0001/frames/F000001.tif), resolution and "
                "frame metadata in tags",
                {{"pitch_um", "pixel pitch on film in micrometres (default 2.5)"},
                 {"compression",
                  "none, deflate or lzw (default none: what recorders read, and the fastest; "
                  "deflate costs ~4x the CPU per frame)"},
                 {"factory_calibration",
                  "calibration of the recorder the files are for (the device's own, applied "
                  "unless the job chooses one): a profile in profiles/calibration/, a .toml "
                  "file, or none (default sim-default-negative)"},
                 {"max_width_px", "largest frame width (default 30000)"},
                 {"max_height_px", "largest frame height (default 30000)"}},
                [](const hal::DriverOptions& options,
                   const hal::OpenContext&) -> std::unique_ptr<hal::Recorder> {
                  return std::make_unique<TiffRecorder>(options);
                }});
}

}  // namespace fw::drivers
