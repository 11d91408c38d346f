// fw-samples DIR: writes the demo set (pages in every supported format and job.toml) into DIR.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "ingest/ingest.hpp"
#include "samples/samples.hpp"

namespace {

void print_usage(std::FILE* to) {
  std::fputs(
      "usage: fw-samples DIR\n"
      "Writes a small demo job into DIR: D001 (a folder of TIFF, JPEG, PNG and JPEG 2000 pages),\n"
      "D002.tif (a 3-page bitonal CCITT G4 TIFF), D003.pdf (a 2-page PDF), job.toml and the\n"
      "variants reels.toml, fiche.toml and data.toml.\n"
      "Then: filmwriter convert DIR/job.toml\n",
      to);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    print_usage(stdout);
    return fw::exit_ok;
  }
  if (argc != 2) {
    print_usage(stderr);
    return fw::exit_usage;
  }
  try {
    fw::init_vips(argv[0]);
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    fw::samples::make_demo_set(dir);
    std::vector<std::filesystem::path> made;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) made.push_back(entry.path());
    }
    std::sort(made.begin(), made.end(), [](const auto& a, const auto& b) {
      return fw::natural_less(a.string(), b.string());
    });
    std::printf("demo set written to %s:\n", dir.c_str());
    for (const auto& file : made) {
      std::printf("  %-24s %10ju bytes\n", std::filesystem::relative(file, dir).c_str(),
                  static_cast<std::uintmax_t>(std::filesystem::file_size(file)));
    }
    std::printf("run it with: filmwriter convert %s\n", (dir / "job.toml").c_str());
    std::printf("split across short reels: filmwriter convert %s\n", (dir / "reels.toml").c_str());
    std::printf("on A6 fiche:              filmwriter convert %s\n", (dir / "fiche.toml").c_str());
    std::printf("masters as data frames:   filmwriter convert %s\n", (dir / "data.toml").c_str());
    return fw::exit_ok;
  } catch (const fw::Error& error) {
    std::fprintf(stderr, "fw-samples: %s\n", error.what());
    return fw::exit_code(error.kind());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fw-samples: %s\n", error.what());
    return fw::exit_internal;
  }
}
