// The scans the oversize tests film from the command line (tests/oversize*_test.cpp): a book of
// an A4 page, an A3 fold-out and an A4 page, at 50 dpi.
#pragma once

#include <filesystem>
#include <string>

#include <vips/vips8>

namespace fw::test {

// p1.png, p2.png (the fold-out, 297 x 420 mm) and p3.png in `folder`: each with a black frame
// line 2 mm inside the paper's edge, so that a page filmed cut or misplaced fails verify, and a
// block of ink from a quarter to a little over half of its width and from a quarter of its
// height to 45 % of it (on the fold-out x 74-173 mm, y 105-189 mm).
inline void write_fold_out_scans(const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder);
  const auto page = [&](const std::string& name, double width_mm, double height_mm) {
    const int w = static_cast<int>(width_mm / 25.4 * 50),
              h = static_cast<int>(height_mm / 25.4 * 50);
    vips::VImage image = (vips::VImage::black(w, h) + 255).cast(VIPS_FORMAT_UCHAR).copy_memory();
    image.draw_rect({0}, 4, 4, w - 8, h - 8);
    image.draw_rect({0}, w / 4, h / 4, w / 3, h / 5, vips::VImage::option()->set("fill", true));
    image.copy(vips::VImage::option()->set("xres", 50 / 25.4)->set("yres", 50 / 25.4))
        .pngsave((folder / name).c_str());
  };
  page("p1.png", 210, 297);
  page("p2.png", 297, 420);
  page("p3.png", 210, 297);
}

}  // namespace fw::test
