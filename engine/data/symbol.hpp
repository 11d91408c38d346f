// The symbol's internals shared by the encoder and the decoder (engine/data); the format is
// specified in docs/data-frames.md, and every constant here is named there.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "data/data_frames.hpp"

namespace fw::data::detail {

// Module rings from the symbol's edge inward: border (dense), clear, timing, clear.
inline constexpr std::uint32_t kBorder = 3;
inline constexpr std::uint32_t kInterior = 6;  // first interior module (each side)
inline constexpr std::uint32_t kBarRows = 4;   // calibration bar at the top and bottom
inline constexpr std::uint32_t kBarPatch = 4;  // modules per bar patch along the row
inline constexpr std::uint32_t kHeaderBytes = 128;
inline constexpr std::uint32_t kHeaderParity = 64;
inline constexpr std::uint32_t kHeaderCodeword = kHeaderBytes + kHeaderParity;  // RS(192, 128)
inline constexpr std::uint32_t kHeaderBlockW = 2, kHeaderBlockH = 4;

// Seeds of the format's pseudo-random streams (docs/data-frames.md, "Scrambling").
inline constexpr std::uint64_t kSeedWhiten = 0x4657'4446'5748'4954ull;   // "FWDFWHIT"
inline constexpr std::uint64_t kSeedHeader = 0x4657'4446'4845'4144ull;   // "FWDFHEAD"
inline constexpr std::uint64_t kSeedShuffle = 0x4657'4446'5348'5546ull;  // "FWDFSHUF"
inline constexpr std::uint64_t kSeedFiller = 0x4657'4446'4649'4c4cull;   // "FWDFFILL"

// splitmix64's output function of x: the format's only pseudo-random primitive.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint32_t crc32(std::span<const std::uint8_t> bytes);

// Layout from the symbol's size in modules (what a decoder reads from the timing tracks).
Layout layout_for_symbol(std::uint32_t modules_x, std::uint32_t modules_y, const CodeParams& code);

// Levels (0 .. 2^bits - 1) of the fixed parts of the symbol: border, rings, timing, bars and
// filler. Returns -1 for a module that carries header or data bits.
int fixed_level(const Layout& layout, std::uint32_t x, std::uint32_t y);

// The modules of header copy `copy` (0 top, 1 bottom), block by block, 8 per byte, most
// significant bit first: symbol coordinates packed as y << 16 | x.
std::vector<std::uint32_t> header_modules(const Layout& layout, int copy);

// Data slots: for slot s, its modules in bit order (8 / bits_per_module of them).
std::vector<std::uint32_t> slot_modules(const Layout& layout);

// Which slot holds symbol j of inner codeword i: shuffle[j * codewords + i]; and the
// whitening byte of each slot. Cached per layout (the decoder meets the same one per reel).
struct SlotMap {
  std::vector<std::uint32_t> shuffle;
  std::vector<std::uint8_t> whiten;
};
std::shared_ptr<const SlotMap> slot_map(const Layout& layout);

std::uint8_t header_whiten(std::uint32_t i);

// The header's bytes (kHeaderBytes, CRC included) and back. parse returns false when the
// magic, version or CRC is wrong.
std::vector<std::uint8_t> serialise_header(const FrameHeader& header);
bool parse_header(std::span<const std::uint8_t> bytes, FrameHeader& header);

// The stream a file is written as: a name record (u32 little-endian length, UTF-8 name)
// followed by the file's bytes.
std::uint64_t name_record_size(const std::string& name);

// The level of calibration bar patch q (kBarPatch modules along the bar): 1 bit alternates
// dense and clear; 2 bits cycle 3, 0, 2, 1, so that a reader that does not know the levels
// yet still finds dense patches (3, 2) and clear ones (0, 1) alternating.
inline int bar_level(std::uint32_t q, int bits_per_module) {
  if (bits_per_module == 1) return q % 2 == 0 ? 1 : 0;
  static constexpr int kCycle[4] = {3, 0, 2, 1};
  return kCycle[q % 4];
}

// Level -> device code value: evenly spaced from 0 (unexposed) to 255 (full exposure).
inline std::uint8_t level_code(int level, int levels) {
  return static_cast<std::uint8_t>((level * 255 + (levels - 1) / 2) / (levels - 1));
}

}  // namespace fw::data::detail
