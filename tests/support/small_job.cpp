#include "support/small_job.hpp"

#include <fmt/format.h>

#include "base/files.hpp"
#include "support/test_support.hpp"

namespace fw::test {

std::string small_tiff_job(const std::string& id, const std::string& title, const std::string& keys,
                           const std::string& document, const std::string& pages) {
  return fmt::format(
      "version = 1\nid = \"{}\"\ntitle = \"{}\"\n{}[recorder]\ndriver = \"tiff\"\n"
      "[recorder.options]\npitch_um = 50\n[[documents]]\nid = \"D001\"\ntitle = \"{}\"\n"
      "pages = {}\n",
      id, title, keys, document, pages);
}

std::string tiff_job_head(const std::string& id, const std::string& title,
                          const std::string& format) {
  return fmt::format(
      "version = 1\nid = \"{}\"\ntitle = \"{}\"\nformat = \"{}\"\nthreads = 2\n"
      "targets = \"none\"\n[recorder]\ndriver = \"tiff\"\n[recorder.options]\npitch_um = 50\n"
      "compression = \"none\"\n",
      id, title, format);
}

FilmFormat small_film_format() {
  FilmFormat format;
  format.name = "test-5mm";
  format.film_width_mm = 8;
  format.image_area_across_mm = 5;
  format.margin_mm = 0.05;
  return format;
}

std::string cut_in_half(const std::filesystem::path& file) {
  std::string bytes = read_file(file);
  write_text(file, bytes.substr(0, bytes.size() / 2));
  return bytes;
}

}  // namespace fw::test
