// The resume tests' fixture (tests/resume_test.cpp, tests/resume_sim_kill_test.cpp): a small
// multi-reel tiff job, the CLI run and killed, and the journal, reels and manifests compared with
// a run that was never killed. The bodies are in resume_fixture.cpp, compiled once into the test
// support library.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "api/convert.hpp"
#include "support/test_support.hpp"

namespace fw::test {

// A job of 16 small pages in 4 documents (one longer than a reel) on a format whose reels
// hold about six frames, at 50 um pitch so that frames are a few hundred pixels.
class ResumeTest : public ::testing::Test {
 protected:
  void SetUp() override;

  std::vector<std::string> convert_args(const std::filesystem::path& out) const;

  // What convert_args(out) runs, through the engine API: the reference runs and set-ups, which
  // are checked by what they leave, not by what the CLI prints.
  api::ConvertResult convert_into(const std::filesystem::path& out,
                                  const api::ConvertOptions& options = {}) const;

  // Starts the CLI with `args`, its output thrown away.
  static pid_t spawn(const std::vector<std::string>& args);

  // Starts the CLI and kills it with SIGKILL `delay` after the journal holds `frames` frame
  // records; false if the job ended before the kill.
  static bool kill_after_frames(const std::vector<std::string>& args,
                                const std::filesystem::path& journal, std::size_t frames,
                                std::chrono::microseconds delay);

  // The state a crash leaves when it comes while `reel` holds `frames` journaled frames,
  // made from a finished run: the journal cut after that frame record, the reel without
  // index and manifest, one more frame file on disk (exposed, not yet journaled) and no later
  // reels. Exact, where a kill at that moment of a sub-second job would be a race.
  static void simulate_crash(const std::filesystem::path& job_dir, const std::string& reel,
                             std::size_t frames);

  // Frame records in the journal: sequence -> how many times it was recorded.
  static std::map<std::uint64_t, int> journal_frames(const std::filesystem::path& journal);

  static std::vector<std::string> reels(const std::filesystem::path& job_dir);

  // Everything that must equal the uninterrupted run: plan, every reel's index, manifest and
  // the frame files the manifest names (sha256sum -c style).
  void expect_same_as_reference(const std::filesystem::path& job_dir, const std::string& context);

  test::TempDir dir;
};

}  // namespace fw::test
