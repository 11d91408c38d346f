// libFuzzer target: page sources on arbitrary bytes. The bytes after byte 0 are written to a
// file whose name byte 0 picks (.tif .tiff .jpg .png .jp2 .pdf, no extension), listed as a
// page source (a file list, or a tiff/pdf source with a page range), expanded into pages and
// each page's header probed: what libvips, libtiff and poppler read before decoding pixels.
// Every failure is an Error naming the file (tools/fuzz ingest 3600). Pixels are not decoded:
// that is isolated (pipeline/isolated_decode) and would take seconds a page.
#include <algorithm>
#include <cstdint>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "ingest/ingest.hpp"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  fw::init_vips((*argv)[0]);
  (void)argc;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const kNames[] = {"page.tif", "page.tiff", "page.jpg", "page.png",
                                       "page.jp2", "page.pdf",  "page"};
  const std::uint8_t pick = data[0];
  const char* name = kNames[(pick & 0x0f) % std::size(kNames)];
  const auto file = fw::fuzz::write_file(name, data + 1, size - 1);
  fw::PageSource source;
  source.paths = {file.string()};
  switch (pick >> 4 & 3) {
    case 0:
      source.kind = fw::PageSource::Kind::list;
      break;
    case 1:
      source.kind = fw::PageSource::Kind::tiff;
      break;
    case 2:
      source.kind = fw::PageSource::Kind::pdf;
      break;
    default:  // a page range, past the end of most files
      source.kind = pick & 0x40 ? fw::PageSource::Kind::pdf : fw::PageSource::Kind::tiff;
      source.first_page = 2;
      source.last_page = pick & 0x80 ? 3 : 0;
  }
  fw::Limits limits;
  limits.max_page_pixels = 100'000'000;
  fw::PageSettings settings;
  settings.dpi = 300;
  settings.force_dpi = pick & 0x80;
  try {
    const auto expanded = fw::expand_pages_keep_going(source, limits);
    const std::size_t probed = std::min<std::size_t>(expanded.pages.size(), 4);
    for (std::size_t i = 0; i < probed; ++i) {
      try {
        (void)fw::probe_page(expanded.pages[i], settings, limits);
      } catch (const fw::Error&) {
      }
    }
  } catch (const fw::Error&) {
  }
  return 0;
}
