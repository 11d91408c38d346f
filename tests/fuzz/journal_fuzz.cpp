// libFuzzer target: a job's journal.jsonl replayed for resume. A damaged journal is an
// Error naming journal.jsonl:LINE (tools/fuzz journal 3600).
#include <cstdint>

#include "catalog/journal.hpp"
#include "core/error.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = fw::fuzz::write_file("journal.jsonl", data, size);
  try {
    if (!fw::journal_started(file)) return 0;
    const fw::JournalState state = fw::read_journal(file);
    if (const fw::JournalReel* reel = state.in_recorder()) (void)state.find(reel->id);
  } catch (const fw::Error&) {
  }
  return 0;
}
