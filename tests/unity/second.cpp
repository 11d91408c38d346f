// The other of the two files (tests/unity/first.cpp). Not compiled.
#include <string>

namespace fw {
namespace fs = std::filesystem;

static std::string frame_of(const std::string& id) {
  return id;
}

namespace {
constexpr double kPitchUm = 2.5;
}  // namespace
}  // namespace fw
