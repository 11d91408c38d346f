// Durable file writes and checksums.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace fw {

// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over `path` and
// fsyncs the directory: readers see the old file or the new one, never half of one.
// Throws Error(internal) naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);

// The same, written in pieces (a file too large to build in memory first): nothing is at
// `path` until commit(); a file dropped uncommitted leaves the old version and no temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(std::string_view data);
  void commit();

 private:
  std::filesystem::path path_, tmp_;
  int fd_ = -1;
};

std::string read_file(const std::filesystem::path& path);

// Writes all of `data` to the open descriptor `fd`, through short writes and signals; throws
// Error(internal) naming `path` on failure.
void write_all(int fd, std::string_view data, const std::filesystem::path& path);

// Incremental SHA-256 (OpenSSL). hex() finishes the digest.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view text);
  std::string hex();

 private:
  void* ctx_;
};

std::string sha256_hex(std::span<const std::uint8_t> bytes);
// Streams the file; throws Error(input) naming the path when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace fw
