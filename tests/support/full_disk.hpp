// A full disk for the CLI, without root (the disk-full tests: tests/disk_full_test.cpp, the
// output folder; tests/catalog_full_test.cpp, the catalog's; tests/ops_faults_test.cpp,
// recorderd's): tests/fault/enospc_shim.c
// preloaded, the files under one folder allowed a byte budget. The shim is built only without
// the sanitizers (ASan must be the first library loaded), and passed to the tests that use it
// as FW_ENOSPC_SHIM (tests/CMakeLists.txt); without it a test skips.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_support.hpp"

namespace fw::test {

// Skips the calling test (GTEST_SKIP) when the shim is not built.
#ifdef FW_ENOSPC_SHIM
#define FW_SKIP_WITHOUT_ENOSPC_SHIM()
#else
#define FW_SKIP_WITHOUT_ENOSPC_SHIM() \
  GTEST_SKIP() << "the ENOSPC shim is not built with the sanitizers (ASan must load first)"
#endif

// While it lives, every process this one starts has the shim preloaded: the files under
// `folder` may take `budget` bytes. With `count`, the shim says at exit how many bytes were
// written there (written_under).
class FullDisk {
 public:
  FullDisk(const std::filesystem::path& folder, long long budget, bool count = false) {
#ifdef FW_ENOSPC_SHIM
    setenv("LD_PRELOAD", FW_ENOSPC_SHIM, 1);
#endif
    setenv("FW_ENOSPC_DIR", folder.c_str(), 1);
    setenv("FW_ENOSPC_BUDGET", std::to_string(budget).c_str(), 1);
    if (count) setenv("FW_ENOSPC_COUNT", "1", 1);
  }
  ~FullDisk() {
    for (const char* name :
         {"LD_PRELOAD", "FW_ENOSPC_DIR", "FW_ENOSPC_BUDGET", "FW_ENOSPC_COUNT"}) {
      unsetenv(name);
    }
  }
  FullDisk(const FullDisk&) = delete;
  FullDisk& operator=(const FullDisk&) = delete;
};

// The CLI on a disk where the files under `folder` may take `budget` bytes.
inline CliResult run_cli_on_full_disk(const std::vector<std::string>& args,
                                      const std::filesystem::path& folder, long long budget,
                                      bool count = false) {
  const FullDisk disk(folder, budget, count);
  return run_cli(args);
}

// The file the budget ran out in, as the shim said on stderr; nullopt when it never ran out.
inline std::optional<std::string> budget_spent_at(const std::string& err) {
  constexpr std::string_view kSpent = "enospc_shim: budget spent at ";
  const auto at = err.find(kSpent);
  if (at == std::string::npos) return std::nullopt;
  const auto begin = at + kSpent.size();
  return err.substr(begin, err.find('\n', begin) - begin);
}

// The bytes a run with `count` wrote under the folder, as the shim said; -1 when it did not say.
inline long long written_under(const std::string& err) {
  constexpr std::string_view kWritten = "enospc_shim: ";
  for (auto at = err.find(kWritten); at != std::string::npos; at = err.find(kWritten, at + 1)) {
    char* end = nullptr;
    const long long bytes = std::strtoll(err.c_str() + at + kWritten.size(), &end, 10);
    if (end != err.c_str() + at + kWritten.size() &&
        std::string_view(end).starts_with(" bytes written under ")) {
      return bytes;
    }
  }
  return -1;
}

}  // namespace fw::test
