#include "render/frame_mark.hpp"

#include <dmtx.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.hpp"

namespace fw {
namespace {

struct Symbol {
  std::uint32_t size = 0;
  std::vector<std::uint8_t> dark;  // row-major from the top, 1 = dark module
};

Symbol encode(const std::string& text) {
  std::unique_ptr<DmtxEncode, void (*)(DmtxEncode*)> enc(
      dmtxEncodeCreate(), [](DmtxEncode* e) { dmtxEncodeDestroy(&e); });
  if (!enc) throw Error(ErrorKind::internal, "libdmtx: cannot create an encoder");
  dmtxEncodeSetProp(enc.get(), DmtxPropModuleSize, 1);
  dmtxEncodeSetProp(enc.get(), DmtxPropMarginSize, 0);
  dmtxEncodeSetProp(enc.get(), DmtxPropPixelPacking, DmtxPack8bppK);
  dmtxEncodeSetProp(enc.get(), DmtxPropSizeRequest, DmtxSymbolSquareAuto);
  std::vector<unsigned char> bytes(text.begin(), text.end());
  if (dmtxEncodeDataMatrix(enc.get(), static_cast<int>(bytes.size()), bytes.data()) != DmtxPass) {
    throw Error(ErrorKind::internal, "libdmtx: cannot encode \"" + text + "\"");
  }
  DmtxImage* image = enc->image;
  Symbol symbol;
  symbol.size = static_cast<std::uint32_t>(image->width);
  symbol.dark.resize(std::size_t{symbol.size} * symbol.size);
  for (std::uint32_t row = 0; row < symbol.size; ++row) {
    for (std::uint32_t col = 0; col < symbol.size; ++col) {
      int value = 255;
      // libdmtx's y axis points up: row 0 (the top) is y = height - 1.
      dmtxImageGetPixelValue(image, static_cast<int>(col), static_cast<int>(symbol.size - 1 - row),
                             0, &value);
      symbol.dark[std::size_t{row} * symbol.size + col] = value < 128;
    }
  }
  return symbol;
}

}  // namespace

std::string FrameMark::payload() const {
  return fmt::format("{:04}{:06}{:010}", reel % 10000, frame % 1000000, source_hash);
}

std::optional<FrameMark> FrameMark::parse(const std::string& payload) {
  if (payload.size() != 20 ||
      !std::all_of(payload.begin(), payload.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  FrameMark mark;
  mark.reel = static_cast<std::uint32_t>(std::stoul(payload.substr(0, 4)));
  mark.frame = static_cast<std::uint32_t>(std::stoul(payload.substr(4, 6)));
  const unsigned long long hash = std::stoull(payload.substr(10));
  if (hash > 0xffffffffull) return std::nullopt;
  mark.source_hash = static_cast<std::uint32_t>(hash);
  return mark;
}

std::uint32_t FrameMark::hash_of(const std::string& sha256_hex) {
  if (sha256_hex.size() < 8) return 0;
  return static_cast<std::uint32_t>(std::stoul(sha256_hex.substr(0, 8), nullptr, 16));
}

void draw_frame_mark(FrameImage& image, const PlannedFrame& frame, const FilmFormat& format,
                     double pitch_um, const std::string& source_sha256) {
  const MarkBox box = mark_box(frame.placement, format, pitch_um);
  if (box.size == 0) return;
  const std::uint32_t channels = image.channels;
  auto at = [&](std::uint32_t x, std::uint32_t y) {
    return (std::size_t{y} * image.width + x) * channels;
  };
  // The planner made the frame long enough for its address and its mark; ink under the box
  // means it did not, and the frame must not be filmed with either one spoilt.
  for (std::uint32_t y = box.y; y < box.y + box.size; ++y) {
    for (std::uint32_t x = box.x; x < box.x + box.size; ++x) {
      if (image.pixels[at(x, y)] != 0) {
        throw Error(ErrorKind::internal,
                    fmt::format("frame {} ({}): the frame mark's place at x {} y {} (a {} px "
                                "square) is not clear film",
                                frame.number, frame.address, box.x, box.y, box.size));
      }
    }
  }
  const FrameMark mark{frame.reel, frame.number, FrameMark::hash_of(source_sha256)};
  const Symbol symbol = encode(mark.payload());
  const std::uint32_t module = box.size / (symbol.size + 2 * kMarkQuietModules);
  const std::uint32_t x0 = box.x + (box.size - module * symbol.size) / 2;
  const std::uint32_t y0 = box.y + (box.size - module * symbol.size) / 2;
  for (std::uint32_t row = 0; row < symbol.size; ++row) {
    for (std::uint32_t col = 0; col < symbol.size; ++col) {
      if (!symbol.dark[std::size_t{row} * symbol.size + col]) continue;
      for (std::uint32_t y = y0 + row * module; y < y0 + (row + 1) * module; ++y) {
        for (std::uint32_t x = x0 + col * module; x < x0 + (col + 1) * module; ++x) {
          for (std::uint32_t c = 0; c < channels; ++c) image.pixels[at(x, y) + c] = 255;
        }
      }
    }
  }
}

std::optional<std::string> decode_datamatrix(const std::vector<std::uint8_t>& grey,
                                             std::uint32_t width, std::uint32_t height) {
  if (width < 8 || height < 8 || grey.size() < std::size_t{width} * height) return std::nullopt;
  std::vector<unsigned char> pixels(grey.begin(), grey.begin() + std::size_t{width} * height);
  std::unique_ptr<DmtxImage, void (*)(DmtxImage*)> image(
      dmtxImageCreate(pixels.data(), static_cast<int>(width), static_cast<int>(height),
                      DmtxPack8bppK),
      [](DmtxImage* i) { dmtxImageDestroy(&i); });
  if (!image) return std::nullopt;
  dmtxImageSetProp(image.get(), DmtxPropImageFlip, DmtxFlipNone);
  std::unique_ptr<DmtxDecode, void (*)(DmtxDecode*)> decoder(
      dmtxDecodeCreate(image.get(), 1), [](DmtxDecode* d) { dmtxDecodeDestroy(&d); });
  if (!decoder) return std::nullopt;
  dmtxDecodeSetProp(decoder.get(), DmtxPropSymbolSize, DmtxSymbolSquareAuto);
  // No wall-clock timeout: a verdict must not depend on how busy the machine is (a 2 s limit
  // read a data frame's mark as unreadable on a loaded host). The search is bounded by the
  // work instead: the image is the mark's box and its quiet zone, whose scan grid libdmtx
  // exhausts, and at most four candidate regions are decoded.
  for (int attempt = 0; attempt < 4; ++attempt) {
    DmtxRegion* region = dmtxRegionFindNext(decoder.get(), nullptr);
    if (!region) break;
    DmtxMessage* message = dmtxDecodeMatrixRegion(decoder.get(), region, DmtxUndefined);
    std::optional<std::string> text;
    if (message) {
      text = std::string(reinterpret_cast<const char*>(message->output), message->outputIdx);
      dmtxMessageDestroy(&message);
    }
    dmtxRegionDestroy(&region);
    if (text) return text;
  }
  return std::nullopt;
}

}  // namespace fw
