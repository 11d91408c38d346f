#include "core/vips_error.hpp"

#include <cctype>

namespace fw {

std::string vips_error_message(const vips::VError& error) {
  const std::string text = error.what();
  vips_error_clear();
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) return line;
    start = end + 1;
  }
  return "libvips reported an error without a message";
}

}  // namespace fw
