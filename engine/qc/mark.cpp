#include "qc/mark.hpp"

#include <dmtx.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.hpp"

namespace fw {
namespace {

// 16 x 16 modules and a quiet zone of two modules on each side (the standard asks for one;
// the second keeps the address's last letter and the film edge out of the finder's way).
constexpr std::uint32_t kSymbolModules = 16;
constexpr std::uint32_t kQuietModules = 2;
constexpr std::uint32_t kMinModulePx = 2;

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

namespace {

// Module size and square for a band `across` px wide (gaps already taken off); 0 when the
// symbol would need modules under kMinModulePx. The module is capped at about 20 um on film
// (a 0.4 mm symbol reads well and keeps the search verify runs small), but not below 3 px:
// libdmtx misses 2 px modules under the film's grain more often than not; 2 px is the last
// resort of a narrow margin.
MarkBox square_in_band(std::uint32_t across, double pitch_um) {
  const std::uint32_t cap = std::max<std::uint32_t>(3, mm_to_px(0.02, pitch_um));
  const std::uint32_t module = std::min(cap, across / (kSymbolModules + 2 * kQuietModules));
  if (module < kMinModulePx) return {};
  MarkBox box;
  box.module_px = module;
  box.size = module * (kSymbolModules + 2 * kQuietModules);
  return box;
}

// In the blip track, beside the blip lane, at the frame's trailing end.
MarkBox in_track(const Placement& p, const FilmFormat& format, double pitch_um) {
  const bool comic = format.orientation == Orientation::comic;
  const std::uint32_t along = comic ? p.track_width_px : p.track_height_px;
  const std::uint32_t across = comic ? p.track_height_px : p.track_width_px;
  const std::uint32_t lane = mm_to_px(format.blips.mark_width_mm, pitch_um);
  const std::uint32_t gap = std::max<std::uint32_t>(1, mm_to_px(0.05, pitch_um));
  if (across <= lane + 2 * gap) return {};
  const std::uint32_t band = across - lane - 2 * gap;
  // The track keeps its historic size rule (no cap): marks on roll film look as before.
  const std::uint32_t module = band / (kSymbolModules + 2 * kQuietModules);
  if (module < kMinModulePx) return {};
  const std::uint32_t size = module * (kSymbolModules + 2 * kQuietModules);
  if (along < size + gap) return {};
  MarkBox box;
  box.size = size;
  box.module_px = module;
  const std::uint32_t along_at = along - gap - size;
  const std::uint32_t across_at = lane + gap + (band - size) / 2;
  box.x = p.track_x_px + (comic ? along_at : across_at);
  box.y = p.track_y_px + (comic ? across_at : along_at);
  return box;
}

// No blip track (fiche, or a roll format without one): in the frame's clear margin around
// the page image. Candidates are the margin before the page along the film and the two
// margins across it; the margin after the page along the film is left alone, because a
// separation frame's calibration strip goes there (film/separation.hpp). The candidate that
// takes the largest modules wins (ties: leading, then the far edge across, then the near one),
// and the square sits at the candidate's far end, a gap from the page and from the frame edge.
MarkBox in_margin(const Placement& p, const FilmFormat& format, double pitch_um) {
  const std::uint32_t fw = p.frame_width_px, fh = p.frame_height_px;
  if (fw == 0 || fh == 0 || p.page_x_px + p.page_width_px > fw ||
      p.page_y_px + p.page_height_px > fh) {
    return {};
  }
  const std::uint32_t gap = std::max<std::uint32_t>(1, mm_to_px(0.05, pitch_um));
  const std::uint32_t left = p.page_x_px, top = p.page_y_px;
  const std::uint32_t right = fw - p.page_x_px - p.page_width_px;
  const std::uint32_t bottom = fh - p.page_y_px - p.page_height_px;
  struct Candidate {
    std::uint32_t thickness;
    bool vertical;         // a strip running top to bottom (left or right of the page)
    std::uint32_t offset;  // where the strip starts across its thickness
  };
  // Comic: the film runs left to right, so the leading margin is on the left and the margins
  // across the film are above and below the page. Cine: the film runs top to bottom.
  const bool comic = format.orientation == Orientation::comic;
  std::vector<Candidate> candidates;
  if (comic) {
    candidates = {{left, true, 0}, {bottom, false, fh - bottom}, {top, false, 0}};
  } else {
    candidates = {{top, false, 0}, {right, true, fw - right}, {left, true, 0}};
  }
  MarkBox best;
  for (const Candidate& c : candidates) {
    if (c.thickness <= 2 * gap) continue;
    MarkBox box = square_in_band(c.thickness - 2 * gap, pitch_um);
    const std::uint32_t length = c.vertical ? fh : fw;
    if (box.size == 0 || length < box.size + 2 * gap || box.module_px <= best.module_px) continue;
    const std::uint32_t across_at = c.offset + (c.thickness - box.size) / 2;
    const std::uint32_t along_at = length - gap - box.size;
    box.x = c.vertical ? across_at : along_at;
    box.y = c.vertical ? along_at : across_at;
    best = box;
  }
  return best;
}

}  // namespace

MarkBox mark_box(const Placement& p, const FilmFormat& format, double pitch_um) {
  if (p.track_width_px > 0 && p.track_height_px > 0) return in_track(p, format, pitch_um);
  return in_margin(p, format, pitch_um);
}

void draw_frame_mark(FrameImage& image, const PlannedFrame& frame, const FilmFormat& format,
                     double pitch_um, const std::string& source_sha256) {
  const MarkBox box = mark_box(frame.placement, format, pitch_um);
  if (box.size == 0) return;
  const std::uint32_t channels = image.channels;
  auto at = [&](std::uint32_t x, std::uint32_t y) {
    return (std::size_t{y} * image.width + x) * channels;
  };
  // A frame too short for the address and the mark keeps its address: never draw over ink.
  for (std::uint32_t y = box.y; y < box.y + box.size; ++y) {
    for (std::uint32_t x = box.x; x < box.x + box.size; ++x) {
      if (image.pixels[at(x, y)] != 0) return;
    }
  }
  const FrameMark mark{frame.reel, frame.number, FrameMark::hash_of(source_sha256)};
  const Symbol symbol = encode(mark.payload());
  const std::uint32_t module = box.size / (symbol.size + 2 * kQuietModules);
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
  // The search gives up after a bounded time: an unreadable mark must not stall verify.
  DmtxTime timeout = dmtxTimeAdd(dmtxTimeNow(), 2000);
  for (int attempt = 0; attempt < 4; ++attempt) {
    DmtxRegion* region = dmtxRegionFindNext(decoder.get(), &timeout);
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
