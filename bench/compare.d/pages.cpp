// fw-bench-pages: writes the page set bench/compare times every tool on, and the job files
// for filmwriter. Pages look like scans of printed text (lines of type on slightly noisy
// paper), so that decoders and resamplers see realistic entropy, not flat white.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <vips/vips8>

namespace {

using vips::VImage;

struct Options {
  std::filesystem::path dir;
  int grey = 200;
  int colour = 50;
  int g4 = 50;
  double dpi = 300;
  int quality = 85;
  int repeat_pages = 0;  // >0: also write job-repeat.toml filming the grey pages this often
};

// One page of type: a paragraph of text set by libvips (pango), tiled into lines and varied
// per page by an offset, on paper with a little sensor noise.
VImage text_page(int index, const Options& options) {
  const int width = static_cast<int>(std::lround(210 / 25.4 * options.dpi));
  const int height = static_cast<int>(std::lround(297 / 25.4 * options.dpi));
  const int margin = width / 10;
  const std::string words =
      "The national library films its collections onto silver halide microfilm, the medium "
      "that lasts five hundred years. Every page is scanned, checked and written by an "
      "archive writer, frame after frame, with its title and its place in the reel.";
  VImage type = VImage::text(words.c_str(), VImage::option()
                                                ->set("width", width - 2 * margin)
                                                ->set("dpi", int(options.dpi))
                                                ->set("font", "DejaVu Serif 11"));
  // text gives ink as 255 on 0; paper is white, ink black.
  type = type.invert();
  const int block = type.height() + static_cast<int>(options.dpi / 6);
  VImage page = VImage::black(width, height) + 235;
  page = page.cast(VIPS_FORMAT_UCHAR);
  const int shift = (index * 37) % 23;
  for (int y = margin + shift; y + type.height() < height - margin; y += block) {
    page = page.insert(type.linear(0.92, 0).cast(VIPS_FORMAT_UCHAR), margin, y);
  }
  VImage noise =
      VImage::gaussnoise(width, height, VImage::option()->set("sigma", 2.0)->set("mean", 0.0));
  return (page + noise).cast(VIPS_FORMAT_UCHAR);
}

VImage colour_page(int index, const Options& options) {
  VImage grey = text_page(index, options);
  // Warm paper and a colour plate: what a colour scan of an illustrated page carries.
  VImage rgb = VImage::bandjoin(
      {grey, (grey * 0.97).cast(VIPS_FORMAT_UCHAR), (grey * 0.88).cast(VIPS_FORMAT_UCHAR)});
  const int side = grey.width() / 2;
  VImage plate = VImage::xyz(side, side);
  plate = VImage::bandjoin({plate[0], plate[1], (plate[0] + plate[1]) / 2}) * (255.0 / side);
  rgb = rgb.insert(plate.cast(VIPS_FORMAT_UCHAR), side / 2, grey.height() / 3);
  return rgb.copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

void write_job(const std::filesystem::path& file, const std::string& id, double dpi,
               const std::vector<std::pair<std::string, std::string>>& documents) {
  std::ofstream out(file);
  out << fmt::format(
      "version = 1\nid = \"{}\"\ntitle = \"bench/compare {}\"\nformat = \"16mm-comic-30m\"\n"
      "reduction = 24\ndpi = {}\ntargets = \"none\"\n\n"
      "[calibration]\nprofile = \"calibration.toml\"\n\n",
      id, id, dpi);
  for (const auto& [doc_id, pages] : documents) {
    out << fmt::format("[[documents]]\nid = \"{}\"\ntitle = \"{}\"\npages = {}\n\n", doc_id, doc_id,
                       pages);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fw-bench-pages: the page set and jobs for bench/compare"};
  Options options;
  app.add_option("dir", options.dir, "output folder")->required();
  app.add_option("--grey", options.grey, "grey JPEG pages");
  app.add_option("--colour", options.colour, "colour JPEG pages");
  app.add_option("--g4", options.g4, "bitonal CCITT G4 TIFF pages");
  app.add_option("--dpi", options.dpi, "scan resolution");
  app.add_option("--quality", options.quality, "JPEG quality");
  app.add_option("--repeat-pages", options.repeat_pages,
                 "also write job-repeat.toml filming this many pages (the grey ones, cycled)");
  CLI11_PARSE(app, argc, argv);
  if (VIPS_INIT(argv[0])) return 1;
  vips_concurrency_set(1);

  namespace fs = std::filesystem;
  for (const char* sub : {"grey", "colour", "g4"}) fs::create_directories(options.dir / sub);
  std::vector<std::string> grey_files;
  const double pixels_per_mm = options.dpi / 25.4;
  for (int i = 0; i < options.grey; ++i) {
    const auto file = options.dir / "grey" / fmt::format("p{:05}.jpg", i + 1);
    text_page(i, options).jpegsave(file.c_str(), VImage::option()->set("Q", options.quality));
    grey_files.push_back(fs::absolute(file).string());
  }
  for (int i = 0; i < options.colour; ++i) {
    colour_page(i, options)
        .jpegsave((options.dir / "colour" / fmt::format("p{:05}.jpg", i + 1)).c_str(),
                  VImage::option()->set("Q", options.quality));
  }
  for (int i = 0; i < options.g4; ++i) {
    (text_page(i, options) > 128)
        .tiffsave((options.dir / "g4" / fmt::format("p{:05}.tif", i + 1)).c_str(),
                  VImage::option()
                      ->set("compression", VIPS_FOREIGN_TIFF_COMPRESSION_CCITTFAX4)
                      ->set("bitdepth", 1)
                      ->set("xres", pixels_per_mm)
                      ->set("yres", pixels_per_mm));
  }
  // The jobs are calibrated as a lab's would be: a density LUT from a measured step wedge (an
  // H&D curve with toe and shoulder, read off sim-default / sim-negative), applied per frame.
  std::ofstream(options.dir / "calibration.toml")
      << "recorder = \"sim-default\"\nstock = \"sim-negative\"\nprocessing = \"bench\"\n"
         "channels = [\"grey\"]\n[aim]\nhigh-contrast = 1.10\nfaint = 0.90\n[curve.grey]\n"
         "codes = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255]\n"
         "densities = [0.06, 0.09, 0.17, 0.33, 0.58, 0.90, 1.25, 1.58, 1.86, 2.06, 2.17]\n";
  write_job(options.dir / "job-grey.toml", "grey", options.dpi, {{"G", "{ dir = \"grey\" }"}});
  write_job(
      options.dir / "job-all.toml", "all", options.dpi,
      {{"G", "{ dir = \"grey\" }"}, {"C", "{ dir = \"colour\" }"}, {"B", "{ dir = \"g4\" }"}});
  if (options.repeat_pages > 0 && !grey_files.empty()) {
    std::string list = "{ files = [";
    for (int i = 0; i < options.repeat_pages; ++i) {
      list += fmt::format("{}\"{}\"", i ? ", " : "", grey_files[i % grey_files.size()]);
    }
    list += "] }";
    write_job(options.dir / "job-repeat.toml", fmt::format("repeat{}", options.repeat_pages),
              options.dpi, {{"R", list}});
  }
  vips_shutdown();
  return 0;
}
