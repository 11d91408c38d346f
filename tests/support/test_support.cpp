#include "support/test_support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

namespace fw::test {

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

pid_t spawn(const std::filesystem::path& exe, const std::vector<std::string>& args,
            const std::filesystem::path& out, const std::filesystem::path& err, bool group) {
  // Everything the child needs is made before fork(): the child of a threaded test calls only
  // async-signal-safe functions (a malloc lock held by another thread would hang it).
  std::vector<std::string> storage{exe.string()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(storage.size() + 1);
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  // An executable that cannot be run (relinked by a build while the tests run: "Text file
  // busy", or missing) exits 127 with the reason on its stderr, not with an empty stderr that
  // reads like a silent failure of the program itself.
  const std::string cannot_exec = "spawn: cannot execute " + exe.string() + ": ";
  const pid_t pid = fork();
  if (pid == 0) {
    if (group) setpgid(0, 0);
    dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644), 1);
    dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644), 2);
    execv(argv[0], argv.data());
    const char* reason = std::strerror(errno);
    [[maybe_unused]] auto written = ::write(2, cannot_exec.data(), cannot_exec.size());
    written = ::write(2, reason, std::strlen(reason));
    written = ::write(2, "\n", 1);
    _exit(127);
  }
  if (group) setpgid(pid, pid);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

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
  CliResult result;
  result.exit_code = wait_exit(spawn(FW_CLI, args, out_file, err_file));
  result.out = slurp(out_file);
  result.err = slurp(err_file);
  return result;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
}

void write_pdf(const std::filesystem::path& file, std::size_t pages, int width_pt, int height_pt,
               const std::string& content) {
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  const auto object = [&](const std::string& body) {
    offsets.push_back(pdf.size());
    pdf += fmt::format("{} 0 obj\n{}\nendobj\n", offsets.size(), body);
  };
  object("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (std::size_t i = 0; i < pages; ++i) kids += fmt::format("{} 0 R ", i + 3);
  object(fmt::format("<< /Type /Pages /Kids [{}] /Count {} >>", kids, pages));
  // Every page draws the one content stream, the object after the pages.
  const std::string contents =
      content.empty() ? std::string() : fmt::format(" /Contents {} 0 R", pages + 3);
  for (std::size_t i = 0; i < pages; ++i) {
    object(fmt::format("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}]{} >>", width_pt,
                       height_pt, contents));
  }
  if (!content.empty()) {
    object(fmt::format("<< /Length {} >>\nstream\n{}\nendstream", content.size(), content));
  }
  const std::size_t xref = pdf.size();
  pdf += fmt::format("xref\n0 {}\n0000000000 65535 f \n", offsets.size() + 1);
  for (const std::size_t at : offsets) pdf += fmt::format("{:010} 00000 n \n", at);
  pdf += fmt::format("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{}\n%%EOF\n",
                     offsets.size() + 1, xref);
  write_text(file, pdf);
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
