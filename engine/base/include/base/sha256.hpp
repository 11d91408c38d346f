// SHA-256 (OpenSSL), in lower-case hex: frames, files, manifests and profiles are named by it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace fw {

// Incremental: update() as the bytes come, hex() finishes the digest.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view bytes);
  std::string hex();

 private:
  void* ctx_;
};

std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view bytes);
// Streams the file; throws Error(input) naming the path when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace fw
