#include "ingest/jp2_header.hpp"

#include <array>
#include <cmath>
#include <fstream>
#include <string_view>

#include "ingest/file_boxes.hpp"

namespace fw::ingest_detail {
namespace {

using namespace std::string_view_literals;

struct Box {
  std::string_view type;
  std::string_view body;
};

// The boxes of `bytes` one after another; stops at the first that does not fit.
std::vector<Box> boxes_of(std::string_view bytes) {
  std::vector<Box> boxes;
  std::size_t at = 0;
  while (at + 8 <= bytes.size()) {
    const auto* head = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    std::uint64_t length = big_endian(head, 4);
    std::size_t header = 8;
    if (length == 1) {  // the length follows, in 64 bits
      if (at + 16 > bytes.size()) break;
      length = big_endian(head + 8, 8);
      header = 16;
    } else if (length == 0) {  // to the end
      length = bytes.size() - at;
    }
    if (length < header || length > bytes.size() - at) break;
    boxes.push_back({bytes.substr(at + 4, 4), bytes.substr(at + header, length - header)});
    at += length;
  }
  return boxes;
}

// A resolution box's body (resc or resd): vertical and horizontal numerator, denominator
// (16 bits each) and exponent (signed 8 bits), in grid points per metre.
std::optional<Jp2Resolution> resolution(std::string_view body) {
  if (body.size() != 10) return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(body.data());
  const auto per_mm = [](std::uint64_t numerator, std::uint64_t denominator, int exponent) {
    if (denominator == 0) return 0.0;
    return static_cast<double>(numerator) / static_cast<double>(denominator) *
           std::pow(10.0, exponent) / 1000;
  };
  const double y = per_mm(big_endian(b, 2), big_endian(b + 2, 2), static_cast<std::int8_t>(b[8]));
  const double x =
      per_mm(big_endian(b + 4, 2), big_endian(b + 6, 2), static_cast<std::int8_t>(b[9]));
  if (!(x > 0) || !(y > 0)) return std::nullopt;
  return Jp2Resolution{x, y};
}

}  // namespace

Jp2Header read_jp2_header(const std::string& file) {
  Jp2Header header;
  std::ifstream in(file, std::ios::binary);
  std::array<unsigned char, 12> signature{};
  // The JP2 signature box; a J2K codestream starts with its SOC marker instead.
  if (!in.read(reinterpret_cast<char*>(signature.data()), signature.size()) ||
      std::string_view(reinterpret_cast<const char*>(signature.data()) + 4, 4) != "jP  "sv) {
    return header;
  }
  // The top-level boxes up to the header box: signature, file type, perhaps XML or uuid boxes.
  in.seekg(0);
  for (int box = 0; box < 1000; ++box) {
    const auto head = read_jp2_box_head(in);
    if (!head) break;  // the end, or the last box (the codestream) running to the end
    const std::string_view type = head->type;
    const std::uint64_t body_size = head->body_size;
    if (type == "jp2c"sv) break;  // the header box comes before the codestream
    if (type != "jp2h"sv) {
      in.seekg(static_cast<std::streamoff>(body_size), std::ios::cur);
      continue;
    }
    if (body_size > (std::uint64_t{64} << 20)) break;  // no header box holds more
    std::string body(body_size, '\0');
    if (!in.read(body.data(), static_cast<std::streamsize>(body.size()))) break;
    bool colour_read = false;
    for (const Box& child : boxes_of(body)) {
      if (child.type == "colr"sv && !colour_read && child.body.size() >= 3) {
        colour_read = true;
        const auto method = static_cast<unsigned char>(child.body[0]);
        if (method == 1 && child.body.size() >= 7) {
          header.enumerated = static_cast<std::uint32_t>(
              big_endian(reinterpret_cast<const unsigned char*>(child.body.data()) + 3, 4));
        } else if (method == 2 || method == 3) {
          header.icc.assign(child.body.begin() + 3, child.body.end());
        }
      } else if (child.type == "res "sv) {
        for (const Box& res : boxes_of(child.body)) {
          if (res.type == "resc"sv) header.capture = resolution(res.body);
          if (res.type == "resd"sv) header.display = resolution(res.body);
        }
      }
    }
    break;
  }
  return header;
}

}  // namespace fw::ingest_detail
