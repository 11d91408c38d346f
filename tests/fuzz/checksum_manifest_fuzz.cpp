// libFuzzer target: a delivery's checksum files, as a supplier sends them (tools/fuzz
// checksum_manifest 3600). Byte 0 picks what the rest is:
//   0  a manifest in any of its forms (md5sum, BSD tags), its algorithm named or not;
//   1  a BagIt payload manifest (percent-encoded paths);
//   2  a bag's declaration, bagit.txt, read with its bag;
//   3  a bag's tag manifest, tagmanifest-md5.txt, checked against the bag's tag files.
// A bad file is an Error naming it and its line.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "ingest/checksum_manifest.hpp"

namespace {

// scratch()/bag: a bag of one page whose declaration, payload and tag manifests are whole,
// but for the file the input replaces.
std::filesystem::path bag_with(const std::string& name, const std::uint8_t* data,
                               std::size_t size) {
  const auto bag = fw::fuzz::scratch() / "bag";
  std::filesystem::remove_all(bag);
  std::filesystem::create_directories(bag / "data");
  const auto text = [&](const std::string& file, std::string_view content) {
    fw::fuzz::write_file("bag/" + file, reinterpret_cast<const std::uint8_t*>(content.data()),
                         content.size());
  };
  text("data/p1.tif", "abc");
  text("bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
  text("manifest-md5.txt", "900150983cd24fb0d6963f7d28e17f72  data/p1.tif\n");
  fw::fuzz::write_file("bag/" + name, data, size);
  return bag;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 4;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if (mode <= 1) {
      const std::optional<fw::HashAlgorithm> named =
          size > 1 && data[1] % 5 < 4 ? std::optional(static_cast<fw::HashAlgorithm>(data[1] % 5))
                                      : std::nullopt;
      (void)fw::parse_checksum_manifest(text, "/d/MANIFEST", "/d", named, mode == 1);
    } else {
      std::vector<std::string> manifests;
      const auto bag =
          bag_with(mode == 2 ? "bagit.txt" : "tagmanifest-md5.txt", data + 1, size - 1);
      (void)fw::read_checksums(bag, manifests);
    }
  } catch (const fw::Error&) {
  }
  return 0;
}
