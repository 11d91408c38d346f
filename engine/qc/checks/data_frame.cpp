#include "qc/checks/data_frame.hpp"

#include <fmt/format.h>

namespace fw::qc {

DataFrameResult check_data_frame(const FilmPlane& film, const data::FileIdentity& expected,
                                 std::uint32_t data_frame) {
  data::FilmImage image;
  image.width = film.width;
  image.height = film.height;
  image.is_density = true;
  image.darkness.resize(std::size_t{film.width} * film.height);
  for (std::uint32_t y = 0; y < film.height; ++y) {
    for (std::uint32_t x = 0; x < film.width; ++x) {
      image.darkness[std::size_t{y} * film.width + x] = static_cast<float>(film.at(x, y));
    }
  }
  const data::DecodedFrame d = data::decode_frame(image);
  DataFrameResult out;
  out.file = expected.name;
  out.frame = data_frame + 1;
  out.decoded = d.is_data_frame;
  if (!d.is_data_frame) {
    out.problems.push_back("data frame does not decode: " + d.error);
    return out;
  }
  const auto group =
      static_cast<std::uint32_t>(d.header.code.group_data + d.header.code.group_parity);
  const std::uint32_t at = d.header.group * group + d.header.index_in_group;
  out.symbols =
      std::uint64_t{d.header.codewords} * static_cast<std::uint64_t>(d.header.code.inner_n);
  out.symbol_errors = d.symbol_errors;
  out.max_errors = d.max_errors;
  out.margin = d.min_margin;
  out.codewords_failed = d.codewords_failed;
  out.samples_per_module = d.samples_per_module;
  out.contrast_d = d.contrast_d;
  if (d.header.document != expected.document || d.header.file_index != expected.file_index ||
      at != data_frame) {
    out.problems.push_back(fmt::format(
        "data frame holds {} file {} frame {}, the plan {} file {} frame {}", d.header.document,
        d.header.file_index, at + 1, expected.document, expected.file_index, data_frame + 1));
  } else if (d.codewords_failed > 0) {
    out.problems.push_back(
        fmt::format("data frame: {} codeword(s) beyond the inner code (the outer code may still "
                    "rebuild them)",
                    d.codewords_failed));
  }
  return out;
}

}  // namespace fw::qc
