// The `tiff` driver: a "recorder" that writes each exposed frame as an 8-bit TIFF, one
// folder per reel. It is what a lab hands to a writer that takes TIFF input (Kodak i9600
// style), and a faithful record of the exact code values sent to a device.
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include <vips/vips8>

#include "hal/registry.hpp"

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
    compression_ = read.text("compression", "deflate");
    if (compression_ != "none" && compression_ != "deflate" && compression_ != "lzw") {
      throw DeviceError(DeviceErrorKind::bad_option,
                        "tiff driver: option compression: expected none, deflate or lzw, got \"" +
                            compression_ + "\"");
    }
    read.finish();
  }

  hal::Capabilities capabilities() const override { return caps_; }

  void load(const hal::ReelSpec& reel) override {
    if (loaded_) {
      throw DeviceError(DeviceErrorKind::fault,
                        "tiff driver: reel " + reel_.reel_id + " is still loaded; unload it first");
    }
    reel_ = reel;
    frames_dir_ = reel.work_dir / "frames";
    std::error_code ec;
    std::filesystem::create_directories(frames_dir_, ec);
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
    const auto tmp = frames_dir_ / (name + ".tmp");
    try {
      vips::VImage image = vips::VImage::new_from_memory(
          const_cast<std::uint8_t*>(frame.pixels.data()), frame.pixels.size(),
          static_cast<int>(frame.width), static_cast<int>(frame.height),
          static_cast<int>(frame.channels), VIPS_FORMAT_UCHAR);
      image = image.copy(vips::VImage::option()
                             ->set("interpretation", frame.channels == 3 ? VIPS_INTERPRETATION_sRGB
                                                                         : VIPS_INTERPRETATION_B_W)
                             ->set("xres", 1000.0 / caps_.pixel_pitch_um)
                             ->set("yres", 1000.0 / caps_.pixel_pitch_um));
      image.set("image-description",
                fmt::format("filmwriter reel={} frame={} address={} blip={} pitch_um={} {}",
                            reel_.reel_id, frame.frame_number, frame.address,
                            hal::to_string(frame.blip), caps_.pixel_pitch_um, frame.description)
                    .c_str());
      image.tiffsave(tmp.c_str(), vips::VImage::option()
                                      ->set("compression", compression_.c_str())
                                      ->set("resunit", "cm")
                                      ->set("strip", false));
    } catch (const vips::VError& e) {
      throw DeviceError(DeviceErrorKind::fault,
                        "tiff driver: cannot write " + path.string() + ": " + e.what());
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      throw DeviceError(DeviceErrorKind::fault,
                        "tiff driver: cannot write " + path.string() + ": " + ec.message());
    }
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
  hal::Capabilities caps_;
  std::string compression_;
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
                 {"compression", "none, deflate or lzw (default deflate)"},
                 {"max_width_px", "largest frame width (default 30000)"},
                 {"max_height_px", "largest frame height (default 30000)"}},
                [](const hal::DriverOptions& options) -> std::unique_ptr<hal::Recorder> {
                  return std::make_unique<TiffRecorder>(options);
                }});
}

}  // namespace fw::drivers
