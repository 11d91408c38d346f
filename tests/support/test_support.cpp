#include "support/test_support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

namespace fw::test {
namespace {

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TempDir::TempDir() {
  std::random_device rd;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "fw";
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  path_ = std::filesystem::temp_directory_path() / ("fwtest-" + name + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  // Keep the folder of a failing test for inspection.
  if (info && info->result()->Failed()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CliResult run_cli(const std::vector<std::string>& args) {
  TempDir capture;
  const auto out_file = capture / "stdout";
  const auto err_file = capture / "stderr";
  // A CLI that cannot be executed (relinked by a build while the tests run: "Text file busy",
  // or missing) exits 127 with the reason in its stderr, not with an empty stderr that reads
  // like a silent failure of filmwriter itself.
  const std::string cannot_exec = std::string("run_cli: cannot execute ") + FW_CLI + ": ";
  pid_t pid = fork();
  if (pid == 0) {
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> argv_storage{FW_CLI};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_storage.size() + 1);
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(FW_CLI, argv.data());
    const std::string why = cannot_exec + std::strerror(errno) + "\n";
    [[maybe_unused]] const auto written = ::write(2, why.data(), why.size());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(out_file);
  result.err = slurp(err_file);
  return result;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::filesystem::path source_dir() {
  return FW_SOURCE_DIR;
}

std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

void copy_profiles_with_short_reel(const std::filesystem::path& profiles) {
  std::filesystem::copy(source_dir() / "profiles", profiles,
                        std::filesystem::copy_options::recursive);
  std::string format = slurp(profiles / "formats" / "16mm-comic-30m.toml");
  const std::pair<const char*, const char*> changes[] = {
      {"leader_m = [0-9.]+", "leader_m = 0.001"},
      {"trailer_m = [0-9.]+", "trailer_m = 0.001"},
      {"reel_length_m = [0-9.]+", "reel_length_m = 0.035"},
      {"reel_lengths_m = \\[[0-9., ]+\\]", "reel_lengths_m = [0.035]"},
  };
  for (const auto& [pattern, replacement] : changes) {
    format = std::regex_replace(format, std::regex(pattern), replacement);
  }
  write_text(profiles / "formats" / "short-reel.toml", format);
}

void copy_profiles_with_test_recorder(const std::filesystem::path& profiles) {
  std::filesystem::copy(source_dir() / "profiles", profiles,
                        std::filesystem::copy_options::recursive);
  add_test_recorder(profiles);
}

void add_test_recorder(const std::filesystem::path& profiles) {
  const std::string recorder =
      std::regex_replace(slurp(profiles / "recorders" / "sim-default.toml"),
                         std::regex("\npixel_pitch_um = [0-9.]+"), "\npixel_pitch_um = 10.0");
  write_text(profiles / "recorders" / "sim-test.toml", recorder);
}

}  // namespace fw::test
