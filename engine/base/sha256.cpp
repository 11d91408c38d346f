#include "base/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "base/error.hpp"

namespace fw {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256::update(std::span<const std::uint8_t> bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

std::string hex_of(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

namespace {

std::string finish_hex(EVP_MD_CTX* ctx) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest.data(), &length);
  return hex_of(std::span(digest.data(), length));
}

const EVP_MD* evp_md(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::md5:
      return EVP_md5();
    case HashAlgorithm::sha1:
      return EVP_sha1();
    case HashAlgorithm::sha256:
      return EVP_sha256();
    case HashAlgorithm::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace

std::string Sha256::hex() {
  return finish_hex(static_cast<EVP_MD_CTX*>(ctx_));
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex();
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex();
}

std::string sha256_file(const std::filesystem::path& path) {
  return file_digests(path, std::array{HashAlgorithm::sha256}).front();
}

const char* hash_name(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::md5:
      return "MD5";
    case HashAlgorithm::sha1:
      return "SHA-1";
    case HashAlgorithm::sha256:
      return "SHA-256";
    case HashAlgorithm::sha512:
      return "SHA-512";
  }
  return "?";
}

std::size_t hex_length(HashAlgorithm algorithm) {
  return static_cast<std::size_t>(EVP_MD_get_size(evp_md(algorithm))) * 2;
}

std::vector<std::string> file_digests(const std::filesystem::path& path,
                                      std::span<const HashAlgorithm> algorithms) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, path.string() + ": cannot open: " + std::strerror(errno));
  std::vector<std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>> contexts;
  for (const HashAlgorithm algorithm : algorithms) {
    contexts.emplace_back(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(contexts.back().get(), evp_md(algorithm), nullptr);
  }
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    for (auto& ctx : contexts) {
      if (n > 0) EVP_DigestUpdate(ctx.get(), buffer.data(), n);
    }
  }
  if (in.bad()) throw Error(ErrorKind::input, path.string() + ": read failed");
  std::vector<std::string> digests;
  digests.reserve(contexts.size());
  for (auto& ctx : contexts) digests.push_back(finish_hex(ctx.get()));
  return digests;
}

}  // namespace fw
