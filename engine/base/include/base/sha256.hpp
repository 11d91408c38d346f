// SHA-256 (OpenSSL), in lower-case hex: frames, files, manifests and profiles are named by it.
// Also the digests a delivery's checksum manifests carry (MD5, SHA-1, SHA-256, SHA-512), which
// the engine checks the sources against, never names anything by.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// Bytes in lower-case hex, two digits a byte.
std::string hex_of(std::span<const std::uint8_t> bytes);

std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view bytes);
// Streams the file; throws Error(input) naming the path when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

enum class HashAlgorithm { md5, sha1, sha256, sha512 };
// Its name for people: "MD5", "SHA-1", "SHA-256", "SHA-512".
const char* hash_name(HashAlgorithm algorithm);
// Hex digits of its digest: 32, 40, 64, 128.
std::size_t hex_length(HashAlgorithm algorithm);
// The file's digests by each of `algorithms`, in lower-case hex and the same order, from one
// read of the file. Throws Error(input) naming the path when it cannot be read.
std::vector<std::string> file_digests(const std::filesystem::path& path,
                                      std::span<const HashAlgorithm> algorithms);

}  // namespace fw
