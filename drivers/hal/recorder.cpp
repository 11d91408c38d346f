#include "hal/recorder.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace fw::hal {

const char* to_string(DeviceErrorKind kind) {
  switch (kind) {
    case DeviceErrorKind::out_of_film:
      return "out of film";
    case DeviceErrorKind::fault:
      return "device fault";
    case DeviceErrorKind::disconnected:
      return "disconnected";
    case DeviceErrorKind::underrun:
      return "buffer underrun";
    case DeviceErrorKind::invalid_frame:
      return "invalid frame";
    case DeviceErrorKind::bad_option:
      return "bad driver option";
  }
  return "device error";
}

const char* to_string(BlipLevel level) {
  switch (level) {
    case BlipLevel::none:
      return "none";
    case BlipLevel::page:
      return "page";
    case BlipLevel::document:
      return "document";
    case BlipLevel::batch:
      return "batch";
  }
  return "none";
}

const std::vector<std::string_view>& capability_names() {
  static const std::vector<std::string_view> names{capability::append, capability::film_readback,
                                                   capability::film_record};
  return names;
}

std::string_view capability_description(std::string_view name) {
  if (name == capability::append) return "continues a partly exposed reel (resume: continue)";
  if (name == capability::film_readback) return "reads back its developed film";
  if (name == capability::film_record) {
    return "knows which frames its film holds (frames lost in its buffer are sent again)";
  }
  return "";
}

std::string lacks_capability(std::string_view driver, std::string_view capability,
                             std::string_view needed_for) {
  const std::string_view what = capability_description(capability);
  return fmt::format("the {} driver lacks the capability {}{}, which {} needs", driver, capability,
                     what.empty() ? std::string() : fmt::format(" ({})", what), needed_for);
}

void check_frame(const Capabilities& caps, const Frame& frame) {
  auto fail = [&](const std::string& what) {
    throw DeviceError(DeviceErrorKind::invalid_frame,
                      "frame " + std::to_string(frame.frame_number) + ": " + what);
  };
  if (frame.width == 0 || frame.height == 0) fail("empty frame");
  if ((caps.max_width_px && frame.width > caps.max_width_px) ||
      (caps.max_height_px && frame.height > caps.max_height_px)) {
    fail(std::to_string(frame.width) + "x" + std::to_string(frame.height) +
         " px exceeds the device maximum " + std::to_string(caps.max_width_px) + "x" +
         std::to_string(caps.max_height_px));
  }
  if (std::find(caps.channels.begin(), caps.channels.end(), static_cast<int>(frame.channels)) ==
      caps.channels.end()) {
    fail(std::to_string(frame.channels) + " channels not supported by the device");
  }
  const std::size_t expected = std::size_t{frame.width} * frame.height * frame.channels;
  if (frame.pixels.size() != expected) {
    fail("pixel buffer holds " + std::to_string(frame.pixels.size()) + " bytes, expected " +
         std::to_string(expected));
  }
  if (frame.pixel_pitch_um != caps.pixel_pitch_um) {
    fail(fmt::format("rendered for a {} um pitch, the device has {} um", frame.pixel_pitch_um,
                     caps.pixel_pitch_um));
  }
}

std::optional<FicheSheet::Cell> FicheSheet::cell_of(std::uint32_t frame) const {
  if (frame == 0 || frame > header_cells() + image_cells()) return std::nullopt;
  const double grid_x = (width_mm - columns * cell_width_mm) / 2;
  const double grid_y = (height_mm - (header_rows + rows) * cell_height_mm) / 2;
  std::uint32_t sheet_row = 0, column = 0;  // 0-based, from the sheet's top-left corner
  Cell cell;
  if (frame <= header_cells()) {
    sheet_row = (frame - 1) / columns;
    column = (frame - 1) % columns;
    cell.row = 0;
  } else {
    const std::uint32_t used = frame - header_cells() - 1;
    const std::uint32_t image_row = by_rows ? used / columns : used % rows;
    column = by_rows ? used % columns : used / rows;
    sheet_row = header_rows + image_row;
    cell.row = image_row + 1;
  }
  cell.column = column + 1;
  cell.x_mm = grid_x + column * cell_width_mm;
  cell.y_mm = grid_y + sheet_row * cell_height_mm;
  return cell;
}

}  // namespace fw::hal
