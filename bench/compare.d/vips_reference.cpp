// fw-vips-reference: the "hand-written libvips" reference of bench/compare. It does exactly
// the core work and nothing else: decode -> grey -> resize to the frame size with the same
// kernel filmwriter uses (Lanczos-3) -> 8-bit TIFF, with N pages in flight (one thread each,
// libvips concurrency 1, as filmwriter runs it).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include <vips/vips8>

int main(int argc, char** argv) {
  CLI::App app{"fw-vips-reference: decode, grey, resize, save; nothing else"};
  std::filesystem::path out;
  std::vector<std::string> files;
  int width = 3500;
  int height = 4950;
  int in_flight = 2;
  app.add_option("--out", out, "folder for the frames")->required();
  app.add_option("--width", width, "frame width in pixels");
  app.add_option("--height", height, "frame height in pixels");
  app.add_option("--in-flight", in_flight, "pages processed at once (threads)");
  app.add_option("files", files, "pages")->required();
  CLI11_PARSE(app, argc, argv);
  if (VIPS_INIT(argv[0])) return 1;
  vips_concurrency_set(1);
  std::filesystem::create_directories(out);

  std::atomic<std::size_t> next{0};
  std::atomic<int> failures{0};
  auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      try {
        using vips::VImage;
        VImage page = VImage::new_from_file(
            files[i].c_str(), VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
        VImage grey = page.colourspace(VIPS_INTERPRETATION_B_W);
        if (grey.bands() > 1) grey = grey.extract_band(0);
        grey = grey.resize(double(width) / grey.width(),
                           VImage::option()
                               ->set("vscale", double(height) / grey.height())
                               ->set("kernel", VIPS_KERNEL_LANCZOS3))
                   .cast(VIPS_FORMAT_UCHAR);
        grey.tiffsave((out / fmt::format("f{:06}.tif", i + 1)).c_str());
      } catch (const vips::VError& e) {
        fmt::print(stderr, "{}: {}\n", files[i], e.what());
        ++failures;
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(in_flight));
  for (int t = 0; t < in_flight; ++t) threads.emplace_back(work);
  for (auto& thread : threads) thread.join();
  vips_shutdown();
  return failures == 0 ? 0 : 1;
}
