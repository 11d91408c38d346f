#include "data/symbol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "core/error.hpp"

namespace fw::data {
namespace detail {
namespace {

void put_u16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u16(const std::uint8_t* p) {
  return p[0] | (std::uint32_t{p[1]} << 8);
}
std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{p[i]} << (8 * i);
  return v;
}
std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}
void put_text(std::uint8_t* p, std::size_t size, const std::string& text) {
  std::memset(p, 0, size);
  // A fixed-width field, zero-padded; a full one has no terminator (get_text stops at `size`).
  std::memcpy(p, text.data(),  // NOLINT(bugprone-not-null-terminated-result): see above
              std::min(size, text.size()));
}
std::string get_text(const std::uint8_t* p, std::size_t size) {
  std::size_t n = 0;
  while (n < size && p[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(p), n);
}

void check_code(const CodeParams& code) {
  const auto bad = [](const std::string& what) {
    throw Error(ErrorKind::usage, "data frames: " + what);
  };
  if (code.bits_per_module != 1 && code.bits_per_module != 2) {
    bad(fmt::format("bits per module {}: expected 1 or 2", code.bits_per_module));
  }
  if (code.inner_n < 2 || code.inner_n > 255 || code.inner_k < 1 || code.inner_k >= code.inner_n) {
    bad(fmt::format("inner code RS({}, {}): expected 1 <= k < n <= 255", code.inner_n,
                    code.inner_k));
  }
  if (code.group_data < 1 || code.group_parity < 0 || code.group_data + code.group_parity > 255) {
    bad(
        fmt::format("outer code {} + {} frames: expected 1 or more data frames, 0 or more parity "
                    "frames, at most 255 in all",
                    code.group_data, code.group_parity));
  }
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::uint8_t b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Layout layout_for_symbol(std::uint32_t modules_x, std::uint32_t modules_y, const CodeParams& code) {
  check_code(code);
  Layout l;
  l.code = code;
  l.modules_x = modules_x;
  l.modules_y = modules_y;
  const std::uint32_t min_side = 2 * kInterior + 8;
  if (modules_x < min_side || modules_y < min_side || modules_x % 2 == 0 || modules_y % 2 == 0 ||
      modules_x > 65535 || modules_y > 65535) {
    throw Error(ErrorKind::usage,
                fmt::format("data frames: a symbol of {} x {} modules: expected odd sizes of {} "
                            "to 65535 modules",
                            modules_x, modules_y, min_side));
  }
  const std::uint32_t wi = modules_x - 2 * kInterior, hi = modules_y - 2 * kInterior;
  const std::uint32_t header_blocks_x = wi / kHeaderBlockW;
  const std::uint32_t bands = (kHeaderCodeword + header_blocks_x - 1) / header_blocks_x;
  l.header_rows = bands * kHeaderBlockH;
  l.data_row0 = kInterior + kBarRows + l.header_rows;
  l.block_w = 2;
  l.block_h = code.bits_per_module == 1 ? 4 : 2;
  const std::int64_t data_rows =
      std::int64_t{hi} - 2 * std::int64_t{kBarRows} - 2 * std::int64_t{l.header_rows};
  l.blocks_x = wi / l.block_w;
  l.blocks_y = data_rows > 0 ? static_cast<std::uint32_t>(data_rows) / l.block_h : 0;
  l.slots = l.blocks_x * l.blocks_y;
  l.codewords = l.slots / static_cast<std::uint32_t>(code.inner_n);
  l.payload_bytes = std::uint64_t{l.codewords} * static_cast<std::uint64_t>(code.inner_k);
  if (l.codewords == 0) {
    throw Error(ErrorKind::usage,
                fmt::format("data frames: a symbol of {} x {} modules holds {} bytes, less than "
                            "one RS({}, {}) codeword",
                            modules_x, modules_y, l.slots, code.inner_n, code.inner_k));
  }
  return l;
}

int fixed_level(const Layout& l, std::uint32_t x, std::uint32_t y) {
  const int top = (1 << l.code.bits_per_module) - 1;
  const std::uint32_t depth = std::min({x, y, l.modules_x - 1 - x, l.modules_y - 1 - y});
  if (depth < kBorder) return top;
  if (depth == 3 || depth == 5) return 0;
  if (depth == 4) return (x + y) % 2 == 0 ? top : 0;
  const std::uint32_t xi = x - kInterior, yi = y - kInterior;
  const std::uint32_t hi = l.modules_y - 2 * kInterior;
  if (yi < kBarRows || yi >= hi - kBarRows)
    return bar_level(xi / kBarPatch, l.code.bits_per_module);
  const std::uint32_t header_blocks_x = (l.modules_x - 2 * kInterior) / kHeaderBlockW;
  const auto in_header = [&](std::uint32_t row) {
    const std::uint32_t band = row / kHeaderBlockH, bx = xi / kHeaderBlockW;
    return bx < header_blocks_x && band * header_blocks_x + bx < kHeaderCodeword;
  };
  if (yi < kBarRows + l.header_rows) {
    if (in_header(yi - kBarRows)) return -1;
  } else if (yi >= hi - kBarRows - l.header_rows) {
    if (in_header(yi - (hi - kBarRows - l.header_rows))) return -1;
  } else {
    const std::uint32_t by = (y - l.data_row0) / l.block_h, bx = xi / l.block_w;
    if (bx < l.blocks_x && by < l.blocks_y) return -1;
  }
  return static_cast<int>(mix(kSeedFiller ^ (std::uint64_t{y} << 32 | x)) % (top + 1));
}

std::vector<std::uint32_t> header_modules(const Layout& l, int copy) {
  const std::uint32_t header_blocks_x = (l.modules_x - 2 * kInterior) / kHeaderBlockW;
  const std::uint32_t y0 =
      copy == 0 ? kInterior + kBarRows : l.modules_y - kInterior - kBarRows - l.header_rows;
  std::vector<std::uint32_t> out;
  out.reserve(kHeaderCodeword * 8);
  for (std::uint32_t h = 0; h < kHeaderCodeword; ++h) {
    const std::uint32_t bx = h % header_blocks_x, band = h / header_blocks_x;
    for (std::uint32_t r = 0; r < kHeaderBlockH; ++r) {
      for (std::uint32_t c = 0; c < kHeaderBlockW; ++c) {
        out.push_back((y0 + band * kHeaderBlockH + r) << 16 | (kInterior + bx * kHeaderBlockW + c));
      }
    }
  }
  return out;
}

std::vector<std::uint32_t> slot_modules(const Layout& l) {
  std::vector<std::uint32_t> out;
  out.reserve(std::size_t{l.slots} * l.block_w * l.block_h);
  for (std::uint32_t by = 0; by < l.blocks_y; ++by) {
    for (std::uint32_t bx = 0; bx < l.blocks_x; ++bx) {
      for (std::uint32_t r = 0; r < l.block_h; ++r) {
        for (std::uint32_t c = 0; c < l.block_w; ++c) {
          out.push_back((l.data_row0 + by * l.block_h + r) << 16 |
                        (kInterior + bx * l.block_w + c));
        }
      }
    }
  }
  return out;
}

std::shared_ptr<const SlotMap> slot_map(const Layout& l) {
  using Key = std::tuple<std::uint32_t, std::uint32_t, int, int, int>;
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<const SlotMap>> cache;
  const Key key{l.modules_x, l.modules_y, l.code.bits_per_module, l.code.inner_n, l.code.inner_k};
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto map = std::make_shared<SlotMap>();
  // Fisher–Yates with the format's own stream, so a decoder in any language rebuilds it.
  map->shuffle.resize(l.slots);
  for (std::uint32_t i = 0; i < l.slots; ++i) map->shuffle[i] = i;
  for (std::uint32_t i = l.slots - 1; i >= 1; --i) {
    const auto j = static_cast<std::uint32_t>(mix(kSeedShuffle + i) % (std::uint64_t{i} + 1));
    std::swap(map->shuffle[i], map->shuffle[j]);
  }
  map->whiten.resize(l.slots);
  for (std::uint32_t s = 0; s < l.slots; ++s) {
    map->whiten[s] = static_cast<std::uint8_t>(mix(kSeedWhiten + s));
  }
  std::lock_guard lock(mutex);
  if (cache.size() > 16) cache.clear();  // a reel has one or two layouts; bound the rest
  return cache.emplace(key, std::move(map)).first->second;
}

std::uint8_t header_whiten(std::uint32_t i) {
  return static_cast<std::uint8_t>(mix(kSeedHeader + i));
}

std::vector<std::uint8_t> serialise_header(const FrameHeader& h) {
  std::vector<std::uint8_t> b(kHeaderBytes, 0);
  std::memcpy(b.data(), "FWDF", 4);
  b[4] = static_cast<std::uint8_t>(h.version);
  b[5] = static_cast<std::uint8_t>(h.code.bits_per_module);
  b[6] = static_cast<std::uint8_t>(h.code.inner_n);
  b[7] = static_cast<std::uint8_t>(h.code.inner_k);
  b[8] = static_cast<std::uint8_t>(h.code.group_data);
  b[9] = static_cast<std::uint8_t>(h.code.group_parity);
  b[10] = static_cast<std::uint8_t>(h.group_frames);
  b[11] = static_cast<std::uint8_t>(h.index_in_group);
  put_u16(&b[12], h.modules_x);
  put_u16(&b[14], h.modules_y);
  put_u32(&b[16], h.group);
  put_u32(&b[20], h.data_frames);
  put_u32(&b[24], h.codewords);
  put_u32(&b[28], h.file_index);
  put_u64(&b[32], h.stream_size);
  put_u64(&b[40], h.file_size);
  std::memcpy(&b[48], h.sha256.data(), 32);
  put_text(&b[80], 16, h.job);
  put_text(&b[96], 8, h.reel);
  put_text(&b[104], 16, h.document);
  put_u32(&b[124], crc32(std::span(b).first(124)));
  return b;
}

bool parse_header(std::span<const std::uint8_t> b, FrameHeader& h) {
  if (b.size() < kHeaderBytes || std::memcmp(b.data(), "FWDF", 4) != 0) return false;
  if (get_u32(&b[124]) != crc32(b.first(124))) return false;
  h = {};
  h.version = b[4];
  if (h.version != kFormatVersion) return false;
  h.code.bits_per_module = b[5];
  h.code.inner_n = b[6];
  h.code.inner_k = b[7];
  h.code.group_data = b[8];
  h.code.group_parity = b[9];
  h.group_frames = b[10];
  h.index_in_group = b[11];
  h.modules_x = get_u16(&b[12]);
  h.modules_y = get_u16(&b[14]);
  h.group = get_u32(&b[16]);
  h.data_frames = get_u32(&b[20]);
  h.codewords = get_u32(&b[24]);
  h.file_index = get_u32(&b[28]);
  h.stream_size = get_u64(&b[32]);
  h.file_size = get_u64(&b[40]);
  std::memcpy(h.sha256.data(), &b[48], 32);
  h.job = get_text(&b[80], 16);
  h.reel = get_text(&b[96], 8);
  h.document = get_text(&b[104], 16);
  return true;
}

std::uint64_t name_record_size(const std::string& name) {
  return 4 + name.size();
}

}  // namespace detail

Layout Layout::make(const FrameGeometry& geometry, const CodeParams& code) {
  if (geometry.module_px < 1) throw Error(ErrorKind::usage, "data frames: module size 0 px");
  const std::uint32_t m = geometry.module_px;
  const auto fit = [&](std::uint32_t px) -> std::uint32_t {
    const std::int64_t n = std::int64_t{px / m} - 2 * std::int64_t{geometry.quiet_modules};
    if (n <= 0) return 0;
    return static_cast<std::uint32_t>(n % 2 == 0 ? n - 1 : n);
  };
  const std::uint32_t mx = std::min<std::uint32_t>(fit(geometry.width_px), 65535);
  const std::uint32_t my = std::min<std::uint32_t>(fit(geometry.height_px), 65535);
  Layout l;
  try {
    l = detail::layout_for_symbol(mx, my, code);
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, fmt::format("a {} x {} px data frame with {} px modules: {}",
                                              geometry.width_px, geometry.height_px, m, e.what()));
  }
  l.geometry = geometry;
  l.offset_x_px = (geometry.width_px - mx * m) / 2;
  l.offset_y_px = (geometry.height_px - my * m) / 2;
  return l;
}

FrameCount frames_for_file(const Layout& layout, std::uint64_t file_size, const std::string& name) {
  const std::uint64_t stream = detail::name_record_size(name) + file_size;
  FrameCount c;
  c.data = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, (stream + layout.payload_bytes - 1) / layout.payload_bytes));
  const auto g = static_cast<std::uint32_t>(layout.code.group_data);
  c.groups = (c.data + g - 1) / g;
  c.parity = c.groups * static_cast<std::uint32_t>(layout.code.group_parity);
  return c;
}

std::uint32_t FrameHeader::data_index() const {
  return group * static_cast<std::uint32_t>(code.group_data) + index_in_group;
}

}  // namespace fw::data
