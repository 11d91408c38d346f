#include "data/reed_solomon.hpp"

extern "C" {
#include <fec.h>
}

#include <algorithm>
#include <stdexcept>
#include <string>

namespace fw::data {

ReedSolomon::ReedSolomon(int n, int k) : n_(n), k_(k) {
  if (n < 2 || n > 255 || k < 1 || k >= n) {
    throw std::invalid_argument("Reed-Solomon code RS(" + std::to_string(n) + ", " +
                                std::to_string(k) + "): expected 1 <= k < n <= 255");
  }
  rs_ = init_rs_char(8, 0x11d, 0, 1, n - k, 255 - n);
  if (!rs_) throw std::runtime_error("libfec: init_rs_char failed");
}

ReedSolomon::~ReedSolomon() {
  if (rs_) free_rs_char(rs_);
}

ReedSolomon::ReedSolomon(ReedSolomon&& other) noexcept
    : n_(other.n_), k_(other.k_), rs_(other.rs_) {
  other.rs_ = nullptr;
}

ReedSolomon& ReedSolomon::operator=(ReedSolomon&& other) noexcept {
  if (this != &other) {
    if (rs_) free_rs_char(rs_);
    n_ = other.n_;
    k_ = other.k_;
    rs_ = other.rs_;
    other.rs_ = nullptr;
  }
  return *this;
}

void ReedSolomon::encode(std::span<const std::uint8_t> data, std::span<std::uint8_t> parity) const {
  if (data.size() != static_cast<std::size_t>(k_) ||
      parity.size() != static_cast<std::size_t>(n_ - k_)) {
    throw std::invalid_argument("Reed-Solomon encode: wrong block sizes");
  }
  // libfec takes a non-const pointer but does not write the data.
  encode_rs_char(rs_, const_cast<std::uint8_t*>(data.data()), parity.data());
}

ReedSolomon::Result ReedSolomon::decode(std::span<std::uint8_t> codeword,
                                        std::span<const int> erasures) const {
  if (codeword.size() != static_cast<std::size_t>(n_)) {
    throw std::invalid_argument("Reed-Solomon decode: wrong codeword size");
  }
  Result result;
  result.erasures = static_cast<int>(erasures.size());
  if (result.erasures > n_ - k_) return result;
  // libfec (Debian's 1.0-26) counts positions in the shortened codeword, in and out, and
  // writes up to n - k corrected positions back into the array (tests/data_frames_test.cpp
  // checks both conventions in shortened codes).
  int positions[256];
  for (int i = 0; i < result.erasures; ++i) {
    if (erasures[i] < 0 || erasures[i] >= n_) return result;
    positions[i] = erasures[i];
  }
  const int count = decode_rs_char(rs_, codeword.data(), positions, result.erasures);
  if (count < 0) return result;
  result.ok = true;
  result.corrected = count;
  // Erased positions that were right are not in libfec's count; the errors are the corrected
  // positions that were not given as erasures.
  int errors = 0;
  for (int i = 0; i < count; ++i) {
    const int position = positions[i];
    if (std::find(erasures.begin(), erasures.end(), position) == erasures.end()) ++errors;
  }
  result.errors = errors;
  return result;
}

}  // namespace fw::data
