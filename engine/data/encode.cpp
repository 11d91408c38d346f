// Files -> data frames (docs/data-frames.md, "Encoding").
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "data/reed_solomon.hpp"
#include "data/symbol.hpp"

namespace fw::data {

using namespace detail;

struct FileEncoder::Impl {
  Layout layout;
  FileIdentity identity;
  std::vector<std::uint8_t> content;  // empty when read from `path`
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::array<std::uint8_t, 32> sha{};
  std::string sha_hex;
  FrameCount count;
  std::vector<std::uint8_t> name_record;
  ReedSolomon inner{255, 223};
  ReedSolomon header_code{kHeaderCodeword, kHeaderBytes};
  std::shared_ptr<const SlotMap> map;
  std::vector<std::uint32_t> slots, header_a, header_b;
  std::vector<std::int8_t> fixed;  // per module: its fixed level, or -1

  void init() {
    inner = ReedSolomon(layout.code.inner_n, layout.code.inner_k);
    for (int i = 0; i < 32; ++i)
      sha[i] = static_cast<std::uint8_t>(std::stoi(sha_hex.substr(2 * i, 2), nullptr, 16));
    count = frames_for_file(layout, size, identity.name);
    name_record.resize(4);
    const auto n = static_cast<std::uint32_t>(identity.name.size());
    for (int i = 0; i < 4; ++i) name_record[i] = static_cast<std::uint8_t>(n >> (8 * i));
    name_record.insert(name_record.end(), identity.name.begin(), identity.name.end());
    map = slot_map(layout);
    slots = slot_modules(layout);
    header_a = header_modules(layout, 0);
    header_b = header_modules(layout, 1);
    fixed.resize(std::size_t{layout.modules_x} * layout.modules_y);
    for (std::uint32_t y = 0; y < layout.modules_y; ++y) {
      for (std::uint32_t x = 0; x < layout.modules_x; ++x) {
        fixed[std::size_t{y} * layout.modules_x + x] =
            static_cast<std::int8_t>(fixed_level(layout, x, y));
      }
    }
  }

  // Bytes [offset, offset + out.size()) of the file, zero past its end.
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const {
    std::fill(out.begin(), out.end(), 0);
    if (offset >= size) return;
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size - offset));
    if (path.empty()) {
      std::memcpy(out.data(), content.data() + offset, n);
      return;
    }
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
    if (in.gcount() != static_cast<std::streamsize>(n)) {
      throw Error(ErrorKind::input, fmt::format("{}: cannot read {} bytes at {} (did it change "
                                                "since it was planned?)",
                                                path.string(), n, offset));
    }
  }

  // Data frame d's payload: its piece of name record + file, zero-padded.
  std::vector<std::uint8_t> data_payload(std::uint32_t d) const {
    std::vector<std::uint8_t> out(layout.payload_bytes, 0);
    const std::uint64_t begin = std::uint64_t{d} * layout.payload_bytes;
    const std::uint64_t record = name_record.size();
    std::uint64_t at = begin;
    std::size_t o = 0;
    while (at < record && o < out.size()) out[o++] = name_record[at++];
    if (o < out.size()) read(at - record, std::span(out).subspan(o));
    return out;
  }

  FrameHeader header_for(std::uint32_t group, std::uint32_t index) const {
    FrameHeader h;
    h.version = kFormatVersion;
    h.code = layout.code;
    h.modules_x = layout.modules_x;
    h.modules_y = layout.modules_y;
    h.group = group;
    h.group_frames = std::min<std::uint32_t>(layout.code.group_data,
                                             count.data - group * layout.code.group_data);
    h.index_in_group = index;
    h.data_frames = count.data;
    h.codewords = layout.codewords;
    h.file_index = identity.file_index;
    h.stream_size = name_record.size() + size;
    h.file_size = size;
    h.sha256 = sha;
    h.job = identity.job;
    h.reel = identity.reel;
    h.document = identity.document;
    return h;
  }
};

FileEncoder::FileEncoder(const Layout& layout, FileIdentity identity,
                         std::vector<std::uint8_t> content)
    : impl_(std::make_unique<Impl>()) {
  impl_->layout = layout;
  impl_->identity = std::move(identity);
  impl_->size = content.size();
  impl_->sha_hex = fw::sha256_hex(content);
  impl_->content = std::move(content);
  impl_->init();
}

FileEncoder::FileEncoder(const Layout& layout, FileIdentity identity,
                         const std::filesystem::path& file)
    : impl_(std::make_unique<Impl>()) {
  impl_->layout = layout;
  impl_->identity = std::move(identity);
  impl_->path = file;
  std::error_code ec;
  impl_->size = std::filesystem::file_size(file, ec);
  if (ec) throw Error(ErrorKind::input, file.string() + ": " + ec.message());
  impl_->sha_hex = fw::sha256_file(file);
  impl_->init();
}

FileEncoder::~FileEncoder() = default;
FileEncoder::FileEncoder(FileEncoder&&) noexcept = default;

const FrameCount& FileEncoder::count() const {
  return impl_->count;
}
const std::string& FileEncoder::sha256_hex() const {
  return impl_->sha_hex;
}
std::uint64_t FileEncoder::file_size() const {
  return impl_->size;
}

FramePixels FileEncoder::frame(std::uint32_t k) const {
  const Impl& im = *impl_;
  const Layout& l = im.layout;
  if (k >= im.count.total()) {
    throw Error(ErrorKind::internal,
                fmt::format("data frames of {}: frame {} asked, the file has {}", im.identity.name,
                            k, im.count.total()));
  }
  const auto g_size = static_cast<std::uint32_t>(l.code.group_data + l.code.group_parity);
  const std::uint32_t group = k / g_size, index = k % g_size;
  const FrameHeader header = im.header_for(group, index);

  // The payload: a data chunk, or the outer code's parity over the group's chunks.
  std::vector<std::uint8_t> payload;
  if (index < header.group_frames) {
    payload = im.data_payload(group * l.code.group_data + index);
  } else {
    const std::uint32_t gk = header.group_frames;
    const auto p = static_cast<std::uint32_t>(l.code.group_parity);
    std::vector<std::vector<std::uint8_t>> chunks;
    for (std::uint32_t i = 0; i < gk; ++i)
      chunks.push_back(im.data_payload(group * l.code.group_data + i));
    const ReedSolomon outer(static_cast<int>(gk + p), static_cast<int>(gk));
    payload.resize(l.payload_bytes);
    std::vector<std::uint8_t> column(gk), parity(p);
    const std::uint32_t which = index - gk;
    for (std::size_t b = 0; b < payload.size(); ++b) {
      for (std::uint32_t i = 0; i < gk; ++i) column[i] = chunks[i][b];
      outer.encode(column, parity);
      payload[b] = parity[which];
    }
  }

  // Inner code, shuffled over the slots and whitened.
  const auto n = static_cast<std::uint32_t>(l.code.inner_n),
             kk = static_cast<std::uint32_t>(l.code.inner_k);
  std::vector<std::uint8_t> slot_bytes(l.slots, 0);
  std::vector<std::uint8_t> parity(n - kk);
  for (std::uint32_t c = 0; c < l.codewords; ++c) {
    const std::span<const std::uint8_t> data(payload.data() + std::size_t{c} * kk, kk);
    im.inner.encode(data, parity);
    for (std::uint32_t j = 0; j < n; ++j) {
      slot_bytes[im.map->shuffle[std::size_t{j} * l.codewords + c]] =
          j < kk ? data[j] : parity[j - kk];
    }
  }
  for (std::uint32_t s = 0; s < l.slots; ++s) slot_bytes[s] ^= im.map->whiten[s];

  // Header, RS(192, 128) and whitened, in both copies.
  std::vector<std::uint8_t> head = serialise_header(header);
  head.resize(kHeaderCodeword);
  im.header_code.encode(std::span(head).first(kHeaderBytes), std::span(head).subspan(kHeaderBytes));
  for (std::uint32_t i = 0; i < kHeaderCodeword; ++i) head[i] ^= header_whiten(i);

  // Module levels, then pixels.
  const int levels = 1 << l.code.bits_per_module;
  const int top = levels - 1;
  std::vector<std::uint8_t> level(im.fixed.size());
  for (std::size_t i = 0; i < level.size(); ++i)
    level[i] = static_cast<std::uint8_t>(std::max<int>(im.fixed[i], 0));
  const auto at = [&](std::uint32_t packed) -> std::uint8_t& {
    return level[std::size_t{packed >> 16} * l.modules_x + (packed & 0xFFFF)];
  };
  for (const auto* modules : {&im.header_a, &im.header_b}) {
    for (std::size_t i = 0; i < modules->size(); ++i) {
      at((*modules)[i]) = static_cast<std::uint8_t>((head[i / 8] >> (7 - i % 8)) & 1 ? top : 0);
    }
  }
  const std::uint32_t per_slot = 8 / static_cast<std::uint32_t>(l.code.bits_per_module);
  for (std::uint32_t s = 0; s < l.slots; ++s) {
    for (std::uint32_t m = 0; m < per_slot; ++m) {
      const std::uint32_t packed = im.slots[std::size_t{s} * per_slot + m];
      if (l.code.bits_per_module == 1) {
        at(packed) = static_cast<std::uint8_t>((slot_bytes[s] >> (7 - m)) & 1);
      } else {
        const int v = (slot_bytes[s] >> (6 - 2 * m)) & 3;
        at(packed) = static_cast<std::uint8_t>(v ^ (v >> 1));  // Gray: neighbours differ by a bit
      }
    }
  }
  std::array<std::uint8_t, 4> code{};
  for (int i = 0; i < levels; ++i) code[i] = level_code(i, levels);
  FramePixels out;
  out.width = l.geometry.width_px;
  out.height = l.geometry.height_px;
  out.pixels.assign(std::size_t{out.width} * out.height, 0);
  const std::uint32_t m = l.geometry.module_px;
  for (std::uint32_t y = 0; y < l.modules_y; ++y) {
    for (std::uint32_t r = 0; r < m; ++r) {
      std::uint8_t* row =
          out.pixels.data() + std::size_t{l.offset_y_px + y * m + r} * out.width + l.offset_x_px;
      const std::uint8_t* levels_row = level.data() + std::size_t{y} * l.modules_x;
      for (std::uint32_t x = 0; x < l.modules_x; ++x) {
        std::memset(row + std::size_t{x} * m, code[levels_row[x]], m);
      }
    }
  }
  return out;
}

}  // namespace fw::data
