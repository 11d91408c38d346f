// Helpers shared by the tests: temporary folders, running the real CLI, reading images.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <vips/vips8>

namespace fw::test {

// A fresh folder under the system temp dir, removed when the test passes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs build/bin/filmwriter with `args` (no shell), capturing stdout and stderr.
CliResult run_cli(const std::vector<std::string>& args);

// Starts `exe` with `args` (no shell), stdout and stderr appended to files (created when
// missing; "/dev/null" to drop them); in its own process group when `group` (so that a test
// can kill -9 a queue together with the job it runs). An `exe` that cannot be executed exits
// 127 saying why on its stderr.
pid_t spawn(const std::filesystem::path& exe, const std::vector<std::string>& args,
            const std::filesystem::path& out, const std::filesystem::path& err, bool group = false);
// Waits for `pid`; its exit code, or 128 + N when signal N ended it (as a shell says).
int wait_exit(pid_t pid);
// A file's bytes; empty when it cannot be read.
std::string slurp(const std::filesystem::path& file);

// Writes `text` to `file`, creating parent folders.
void write_text(const std::filesystem::path& file, const std::string& text);

// A PDF of `pages` pages of `width_pt` x `height_pt` (A4 by default), each drawn by `content`
// (a PDF content stream; empty: blank pages), written by hand: objects and a cross-reference
// table.
void write_pdf(const std::filesystem::path& file, std::size_t pages, int width_pt = 595,
               int height_pt = 842, const std::string& content = {});

// The source tree's root (for profiles/ and fonts/).
std::filesystem::path source_dir();

// The rows of a CSV file split at every comma (the tests' files quote no commas).
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file);

// Copies the project's profiles/ to `profiles` and adds formats/short-reel.toml: the 16 mm
// comic format on reels of 35 mm with 1 mm leader and trailer, so a few small pages fill a
// reel and a job spans several.
void copy_profiles_with_short_reel(const std::filesystem::path& profiles);

// Copies profiles/ to `profiles` and adds `sim-test`: the default simulated recorder at a
// 10 um pitch, so that frames are a few hundred pixels.
void copy_profiles_with_test_recorder(const std::filesystem::path& profiles);
// Adds `sim-test` to a copy of the profiles.
void add_test_recorder(const std::filesystem::path& profiles);

}  // namespace fw::test
