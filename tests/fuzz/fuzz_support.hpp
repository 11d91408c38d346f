// What the libFuzzer targets share: a scratch folder per process and the rule for results.
// A target catches the errors the code under test is documented to throw (fw::Error, and
// the net protocol's NetError); anything else escapes and libFuzzer reports it as a finding,
// like a crash, a sanitizer report, a timeout or running out of memory.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fw::fuzz {

// /tmp/fw-fuzz-PID/: created on first use, its files overwritten by each input, removed when
// the fuzzer exits normally (a crash leaves it beside the reproducer).
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() / ("fw-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  // Registered once `dir` is constructed, so it runs before `dir` is destroyed.
  static const int removed_at_exit = std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(scratch(), ignored);
  });
  (void)removed_at_exit;
  return dir;
}

inline std::filesystem::path write_file(const std::string& name, const std::uint8_t* data,
                                        std::size_t size) {
  const auto path = scratch() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace fw::fuzz
