// Small generated pages for the ingest tests (tests/ingest_*_test.cpp): a page with a dark mark
// at a known place, written in any encoding, listed as a page source, and the input errors that
// reading bad ones must raise.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "ingest/ingest.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw::test {

namespace fs = std::filesystem;
using samples::Encoding;
using samples::Mark;
using samples::PageSpec;

inline constexpr double kDpi = 200;

// 40 x 30 mm at 200 dpi: 315 x 236 px, one 5 mm mark at (12.5, 7.5) mm = (98, 59) px.
inline PageSpec small_page(int bands = 1, Mark mark = {12.5, 7.5, 5}) {
  PageSpec spec;
  spec.width_mm = 40;
  spec.height_mm = 30;
  spec.dpi = kDpi;
  spec.bands = bands;
  spec.marks = {mark};
  return spec;
}

inline int px(double mm, double dpi = kDpi) {
  return static_cast<int>(std::lround(mm * dpi / 25.4));
}

inline const char* extension(Encoding encoding) {
  switch (encoding) {
    case Encoding::jpeg:
      return "jpg";
    case Encoding::png:
      return "png";
    case Encoding::jp2:
      return "jp2";
    default:
      return "tif";
  }
}

inline PageSource list_of(const std::vector<fs::path>& files) {
  PageSource source;
  source.kind = PageSource::Kind::list;
  for (const auto& file : files) source.paths.push_back(file.string());
  return source;
}

inline PageSource one_file(PageSource::Kind kind, const fs::path& file, std::uint32_t first = 1,
                           std::uint32_t last = 0) {
  PageSource source;
  source.kind = kind;
  source.paths = {file};
  source.first_page = first;
  source.last_page = last;
  return source;
}

inline fs::path write_page(const test::TempDir& dir, const std::string& stem, Encoding encoding,
                           const PageSpec& spec = small_page(), bool with_resolution = true) {
  fs::path file = dir / (stem + "." + extension(encoding));
  samples::save_page(samples::make_page(spec), file, encoding, spec.dpi, with_resolution);
  return file;
}

inline std::string read_bytes(const fs::path& file) {
  return read_file(file);
}

inline void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline Error expect_input_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input) << error.what();
    return error;
  }
  ADD_FAILURE() << "expected an input error";
  return Error(ErrorKind::internal, "no error");
}

}  // namespace fw::test
