// Reed–Solomon codes over GF(256) for data frames (engine/data), on Phil Karn's libfec
// (Debian's libfec0, LGPL-2.1, linked dynamically), behind a small C++ interface so that
// fec.h stays out of the engine's headers. Positions are indices into the (shortened)
// codeword; a shortened code pads zeros at the front, as libfec does.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace fw::data {

// An RS(n, k) code over GF(2^8) with field polynomial x^8+x^4+x^3+x^2+1 (0x11d), generator
// roots alpha^0 .. alpha^(n-k-1), alpha = 2: the code of QR symbols (ISO/IEC 18004), so its
// published examples are known vectors. n <= 255; shortened codes are the full code with
// leading zero symbols.
// Systematic: a codeword is the k data symbols followed by n - k parity symbols.
class ReedSolomon {
 public:
  ReedSolomon(int n, int k);
  ~ReedSolomon();
  ReedSolomon(ReedSolomon&&) noexcept;
  ReedSolomon& operator=(ReedSolomon&&) noexcept;

  int n() const { return n_; }
  int k() const { return k_; }
  int parity() const { return n_ - k_; }

  // `parity` receives n - k symbols for the k symbols of `data`.
  void encode(std::span<const std::uint8_t> data, std::span<std::uint8_t> parity) const;

  struct Result {
    bool ok = false;
    int errors = 0;     // symbols corrected that were not given as erasures
    int erasures = 0;   // erasures given
    int corrected = 0;  // errors + erasures (libfec counts every erased position)
  };
  // Corrects `codeword` (n symbols) in place. `erasures` are positions (0 .. n-1, no
  // duplicates) known to be unreliable. Succeeds while 2 * errors + erasures <= n - k; beyond,
  // it either reports failure with the codeword unchanged or (rarely, a miscorrection)
  // returns another codeword: the callers' checksums catch that.
  Result decode(std::span<std::uint8_t> codeword, std::span<const int> erasures = {}) const;

 private:
  int n_ = 0, k_ = 0;
  void* rs_ = nullptr;
};

}  // namespace fw::data
