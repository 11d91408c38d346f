// libFuzzer target: the job file reader. Any text is a Job or an Error naming what is wrong
// (tools/fuzz job_toml 3600).
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "job/job.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const fw::Job job = fw::parse_job(text, "fuzz.toml", fw::fuzz::scratch());
    // Flags are checked like file keys, against what the file set.
    fw::JobOverrides overrides;
    overrides.title = job.title;
    fw::Job copy = job;
    fw::apply_overrides(copy, overrides);
  } catch (const fw::Error&) {
  }
  return 0;
}
