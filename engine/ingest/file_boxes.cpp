#include "ingest/file_boxes.hpp"

#include <array>

namespace fw::ingest_detail {

std::optional<BoxHead> read_jp2_box_head(std::istream& in) {
  std::array<unsigned char, 8> head{};
  if (!in.read(reinterpret_cast<char*>(head.data()), head.size())) return std::nullopt;
  std::uint64_t length = big_endian(head.data(), 4);
  std::uint64_t size_of_head = 8;
  if (length == 1) {  // the length follows, in 64 bits
    std::array<unsigned char, 8> wide{};
    if (!in.read(reinterpret_cast<char*>(wide.data()), wide.size())) return std::nullopt;
    length = big_endian(wide.data(), 8);
    size_of_head = 16;
  }
  if (length < size_of_head) return std::nullopt;  // 0 (to the end of the file) or damaged
  return BoxHead{std::string(reinterpret_cast<const char*>(head.data()) + 4, 4),
                 length - size_of_head};
}

std::optional<BoxHead> read_png_chunk_head(std::istream& in) {
  std::array<unsigned char, 8> head{};
  if (!in.read(reinterpret_cast<char*>(head.data()), head.size())) return std::nullopt;
  const std::uint64_t length = big_endian(head.data(), 4);
  if (length > 0x7fffffffu) return std::nullopt;
  return BoxHead{std::string(reinterpret_cast<const char*>(head.data()) + 4, 4), length};
}

}  // namespace fw::ingest_detail
