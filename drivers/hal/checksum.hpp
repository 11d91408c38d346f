// SHA-256 for drivers: the checksums a device reports for the frames and files it wrote.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace fw::hal {

std::string sha256_hex(std::span<const std::uint8_t> bytes);  // lower-case hex
std::string sha256_file(const std::string& path);             // throws runtime_error

}  // namespace fw::hal
