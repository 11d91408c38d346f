// One of two files that a unity build would compile in one scope (the other: second.cpp). Both
// define frame_of and kPitchUm file-locally in fw, and UnityBuild.ANameTwoFilesKeepToThemselves-
// IsNamed (tests/CMakeLists.txt) checks that tools/unity-names names them. Not compiled.
#include <string>

namespace fw {
namespace {

namespace fs = std::filesystem;  // the same alias in both: allowed, not named
std::string frame_of(int n) {
  return std::to_string(n);
}
constexpr double kPitchUm = 10;

}  // namespace
}  // namespace fw
