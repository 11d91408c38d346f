// libFuzzer target for engine/data's reader: the frame header parser, the frame decoder and the
// restorer, on what a damaged or hostile scan could give them (tools/fuzz data_frame 3600).
//
// Input: byte 0 picks the case.
//   0: the rest is a frame header (magic and CRC set, so that parsing goes past them), given to
//      the restorer with a payload of the size it claims, capped: sizes and counts that do not
//      add up must be refused, never trusted with memory.
//   1: the rest damages a real data frame: (position, value) pairs written into its pixels.
//   2: the rest is an image: 2 bytes of width, then darkness values.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <vector>

#include "data/data_frames.hpp"
#include "data/symbol.hpp"

namespace {

using namespace fw::data;

const FilmImage& clean_frame() {
  static const FilmImage image = [] {
    FrameGeometry geometry;
    geometry.width_px = 320;
    geometry.height_px = 240;
    geometry.module_px = 2;
    const Layout layout = Layout::make(geometry);
    std::vector<std::uint8_t> content(4000);
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>(i * 7);
    const FileEncoder encoder(layout, {"fuzz", "R0001", "D001", 1, "f.bin"}, content);
    const FramePixels frame = encoder.frame(0);
    FilmImage out;
    out.width = frame.width + 40;
    out.height = frame.height + 40;
    out.is_density = true;
    out.darkness.assign(std::size_t{out.width} * out.height, 0.1f);
    for (std::uint32_t y = 0; y < frame.height; ++y) {
      for (std::uint32_t x = 0; x < frame.width; ++x) {
        out.darkness[std::size_t{y + 20} * out.width + x + 20] =
            0.1f + frame.pixels[std::size_t{y} * frame.width + x] / 255.0f;
      }
    }
    return out;
  }();
  return image;
}

void put_u32(std::uint8_t* at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 3;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  if (mode == 0) {
    std::vector<std::uint8_t> bytes(detail::kHeaderBytes, 0);
    std::memcpy(bytes.data(), rest.data(), std::min(rest.size(), bytes.size()));
    std::memcpy(bytes.data(), "FWDF", 4);
    bytes[4] = static_cast<std::uint8_t>(kFormatVersion);
    put_u32(&bytes[124], detail::crc32(std::span(bytes).first(124)));
    DecodedFrame frame;
    if (!detail::parse_header(bytes, frame.header)) return 0;
    frame.is_data_frame = true;
    const std::uint64_t claimed = std::uint64_t{frame.header.codewords} *
                                  static_cast<std::uint64_t>(frame.header.code.inner_k);
    frame.payload.assign(static_cast<std::size_t>(std::min<std::uint64_t>(claimed, 1 << 16)), 0xA5);
    frame.known.assign(std::min<std::uint32_t>(frame.header.codewords, 1 << 12), 1);
    Restorer restorer;
    restorer.add(frame);
    restorer.add(frame);
    const auto dir = std::filesystem::temp_directory_path() / "fw-data-fuzz";
    (void)restorer.finish(dir);
    std::filesystem::remove_all(dir);
  } else if (mode == 1) {
    FilmImage image = clean_frame();
    for (std::size_t i = 0; i + 3 <= rest.size(); i += 3) {
      const std::size_t at = (std::size_t{rest[i]} << 8 | rest[i + 1]) * 7 % image.darkness.size();
      image.darkness[at] = rest[i + 2] / 128.0f;
    }
    (void)decode_frame(image, "fuzz");
  } else {
    if (rest.size() < 2) return 0;
    FilmImage image;
    image.width = 8 + (std::uint32_t{rest[0]} << 8 | rest[1]) % 400;
    const std::size_t values = rest.size() - 2;
    image.height = static_cast<std::uint32_t>(std::max<std::size_t>(1, values / image.width));
    image.darkness.assign(std::size_t{image.width} * image.height, 0);
    for (std::size_t i = 0; i < values && i < image.darkness.size(); ++i) {
      image.darkness[i] = rest[2 + i] / 100.0f;
    }
    (void)decode_frame(image, "fuzz");
  }
  return 0;
}
