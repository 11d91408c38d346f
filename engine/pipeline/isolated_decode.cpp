#include "pipeline/isolated_decode.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX kill(), not in <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/json_fields.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

// AddressSanitizer reserves terabytes of address space for its shadow memory: under it the
// child's address space cannot be limited (its memory still is, by the machine).
// gcc says so with __SANITIZE_ADDRESS__, clang 14 only through __has_feature.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FW_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(FW_ADDRESS_SANITIZER)
constexpr bool kLimitAddressSpace = false;
#else
constexpr bool kLimitAddressSpace = true;
#endif

std::mutex decoder_mutex;
std::filesystem::path decoder;
std::vector<std::string> decoder_options;

}  // namespace

void set_isolated_decoder(std::filesystem::path executable, std::vector<std::string> options) {
  const std::lock_guard lock(decoder_mutex);
  decoder = std::move(executable);
  decoder_options = std::move(options);
}

std::filesystem::path isolated_decoder() {
  const std::lock_guard lock(decoder_mutex);
  return decoder;
}

bool decodes_isolated(SourceFormat format) {
  return format == SourceFormat::jp2 || format == SourceFormat::pdf;
}

nlohmann::json decode_request(const SourcePage& page, double scale, const Limits& limits) {
  return {{"file", page.ref.file},
          {"page_in_file", page.ref.page_in_file},
          {"pages_in_file", page.ref.pages_in_file},
          {"format", to_string(page.ref.format)},
          {"width_px", page.info.width_px},
          {"height_px", page.info.height_px},
          {"orientation", page.info.orientation},
          {"scale", scale},
          {"max_page_pixels", limits.max_page_pixels},
          {"max_file_bytes", limits.max_file_bytes},
          {"min_page_mm", limits.min_page_mm}};
}

SourcePage page_of(const nlohmann::json& request) {
  SourcePage page;
  page.ref.file = request.at("file").get<std::string>();
  page.ref.page_in_file = json_get<std::uint32_t>(request, "page_in_file");
  page.ref.pages_in_file = json_get<std::uint32_t>(request, "pages_in_file");
  const std::string format = request.at("format").get<std::string>();
  bool known = false;
  for (const SourceFormat f : {SourceFormat::tiff, SourceFormat::jpeg, SourceFormat::png,
                               SourceFormat::jp2, SourceFormat::pdf}) {
    if (format == to_string(f)) {
      page.ref.format = f;
      known = true;
    }
  }
  if (!known) throw Error(ErrorKind::usage, "decode-page: unknown format \"" + format + "\"");
  page.info.width_px = json_get<std::uint32_t>(request, "width_px");
  page.info.height_px = json_get<std::uint32_t>(request, "height_px");
  page.info.orientation = json_get<std::uint32_t>(request, "orientation");
  return page;
}

double scale_of(const nlohmann::json& request) {
  return request.at("scale").get<double>();
}

Limits limits_of(const nlohmann::json& request) {
  Limits limits;
  limits.max_page_pixels = json_get<std::uint64_t>(request, "max_page_pixels");
  limits.max_file_bytes = json_get<std::uint64_t>(request, "max_file_bytes");
  limits.min_page_mm = json_get<double>(request, "min_page_mm");
  return limits;
}

std::string decode_failure_isolated(const std::filesystem::path& executable, const SourcePage& page,
                                    double scale, const Limits& limits,
                                    const IsolationLimits& isolation) {
  const std::string request = decode_request(page, scale, limits).dump();
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    throw Error(ErrorKind::internal, std::string("decode-page: pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls.
  const std::string exe = executable.string();
  std::vector<std::string> args = {exe};
  {
    const std::lock_guard lock(decoder_mutex);
    args.insert(args.end(), decoder_options.begin(), decoder_options.end());
  }
  args.insert(args.end(), {"decode-page", request});
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const rlimit memory{isolation.address_space_bytes, isolation.address_space_bytes};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw Error(ErrorKind::internal, std::string("decode-page: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    if (kLimitAddressSpace) ::setrlimit(RLIMIT_AS, &memory);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  // The child's answer (its reason, a line) and its end, within the timeout.
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + isolation.timeout;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    std::array<char, 4096> buffer{};
    const ssize_t n = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end: it is ending
    if (answer.size() < 64 * 1024) answer.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  const char* decoder_name = format_name(page.ref.format);
  if (timed_out) {
    return fmt::format(
        "cannot decode: the {} decoder did not finish within {} s (stopped); the "
        "page is not filmed",
        decoder_name, isolation.timeout.count());
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return fmt::format(
        "cannot decode: the {} decoder crashed on this page (signal {}, {}); the "
        "file is damaged or the decoder has a bug; the job went on without it",
        decoder_name, signal, strsignal(signal));
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  if (code == 0) return {};
  if (code == exit_input && !answer.empty()) return answer;
  return fmt::format("cannot decode: the {} decoder failed (exit {}{}{})", decoder_name, code,
                     answer.empty() ? "" : ": ", answer);
}

}  // namespace fw
