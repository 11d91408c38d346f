// libFuzzer target: a table of contents from a cataloguer's CSV or TSV file (byte 0 picks the
// name: .csv or .tsv), read and checked (tools/fuzz toc 3600).
#include <cstdint>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "job/job.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const char* name = data[0] % 2 ? "toc.tsv" : "toc.csv";
  const auto file = fw::fuzz::write_file(name, data + 1, size - 1);
  try {
    const auto toc = fw::read_toc_file(file, name, "documents[1]");
    fw::check_toc(toc);
  } catch (const fw::Error&) {
  }
  return 0;
}
