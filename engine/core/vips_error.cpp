#include "core/vips_error.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace fw {

namespace vips_error_detail {

// One decode's record. Shared by the scope's thread and the libvips workers it runs, hence the
// lock.
struct Capture {
  std::string where;
  mutable std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::vector<std::string> told;  // warnings a failure's reason gave
};

}  // namespace vips_error_detail

using vips_error_detail::Capture;

namespace {

// The record libvips's messages on this thread go to: a scope's on its own thread; on a libvips
// worker, the record of the thread whose threadpool it last worked for. Weak: a worker idle after
// a scope ended must not keep, nor add to, that scope's record.
thread_local std::weak_ptr<Capture> this_threads_capture;
// vips_error_freeze() on this thread: libvips discards errors raised while frozen (a loader's
// sniffing), and so does the record.
thread_local int frozen = 0;
// Set while a message is being recorded and handed on: libvips's own vips_error_system calls
// vips_error through its PLT, which is this file's again, and must not record twice.
thread_local bool recording = false;

// vips_errors_are_per_thread(), as keep_vips_warnings found it.
std::atomic<bool> per_thread = false;

thread_local std::string last_warning;
thread_local std::uint64_t warnings_logged = 0;
GlibMessageSink glib_sink;

void to_sink(const gchar* domain, GLogLevelFlags level, const gchar* message, gpointer data) {
  // Debug and info are GLib's to drop unless G_MESSAGES_DEBUG asks for them.
  if (!glib_sink || (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0) {
    g_log_default_handler(domain, level, message, data);
    return;
  }
  glib_sink(domain ? domain : "", message ? message : "", "");
}

void on_vips_warning(const gchar* domain, GLogLevelFlags level, const gchar* message,
                     gpointer data) {
  ++warnings_logged;
  if (const std::shared_ptr<Capture> capture = this_threads_capture.lock()) {
    // Printed naming the page when the scope ends, or told in its failure's reason.
    const std::scoped_lock lock(capture->mutex);
    capture->warnings.emplace_back(message ? message : "");
    return;
  }
  last_warning = message ? message : "";
  to_sink(domain, level, message, data);
}

void record(std::string message) {
  if (frozen > 0) return;
  const std::shared_ptr<Capture> capture = this_threads_capture.lock();
  if (!capture) return;
  const std::scoped_lock lock(capture->mutex);
  capture->errors.push_back(std::move(message));
}

std::string formatted(const char* domain, const char* format, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  gchar* text = g_strdup_vprintf(format, copy);
  va_end(copy);
  std::string line = domain ? std::string(domain) + ": " : std::string();
  line += text ? text : "";
  g_free(text);
  return line;
}

template <typename Function>
Function real(const char* name) {
  // The next definition after this program's: libvips's own.
  void* found = dlsym(RTLD_NEXT, name);
  if (found == nullptr) {
    std::fprintf(stderr, "filmwriter: cannot find libvips's %s: %s\n", name, dlerror());
    std::abort();
  }
  return reinterpret_cast<Function>(found);  // NOLINT: dlsym's object pointer to a function
}

using VerrorFunction = void (*)(const char*, const char*, va_list);
using VerrorSystemFunction = void (*)(int, const char*, const char*, va_list);
using NoArgumentFunction = void (*)();

// Keeps a worker on its owner's record for as long as it runs the owner's threadpool.
struct Relay {
  VipsThreadStartFn start;
  VipsThreadpoolAllocateFn allocate;
  VipsThreadpoolWorkFn work;
  VipsThreadpoolProgressFn progress;
  void* a;
  std::weak_ptr<Capture> owner;
};

VipsThreadState* relay_start(VipsImage* image, void* relay) {
  const Relay& r = *static_cast<Relay*>(relay);
  this_threads_capture = r.owner;
  return r.start(image, r.a);
}

int relay_allocate(VipsThreadState* state, void* relay, gboolean* stop) {
  const Relay& r = *static_cast<Relay*>(relay);
  this_threads_capture = r.owner;
  return r.allocate(state, r.a, stop);
}

int relay_work(VipsThreadState* state, void* relay) {
  const Relay& r = *static_cast<Relay*>(relay);
  // Left set after the work returns: libvips logs "error in tile" for a failed unit then.
  this_threads_capture = r.owner;
  return r.work(state, r.a);
}

int relay_progress(void* relay) {
  const Relay& r = *static_cast<Relay*>(relay);
  return r.progress(r.a);
}

std::vector<std::string> lines_of(const std::vector<std::string>& messages) {
  std::vector<std::string> lines;
  for (const std::string& message : messages) {
    std::size_t start = 0;
    while (start < message.size()) {
      std::size_t end = message.find('\n', start);
      if (end == std::string::npos) end = message.size();
      std::string line = message.substr(start, end - start);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
        line.pop_back();
      }
      if (!line.empty()) lines.push_back(std::move(line));
      start = end + 1;
    }
  }
  return lines;
}

// libvips's own note that a unit of a threadpool failed ("error in tile 0 x 800"): a consequence
// of the error, never its reason.
bool is_bookkeeping(const std::string& warning) {
  return warning.starts_with("error in tile");
}

}  // namespace

VipsMessageScope::VipsMessageScope(std::string where) {
  if (std::shared_ptr<Capture> outer = this_threads_capture.lock()) {
    capture_ = std::move(outer);
    return;
  }
  outer_ = this_threads_capture;
  capture_ = std::make_shared<Capture>();
  capture_->where = std::move(where);
  this_threads_capture = capture_;
  owns_ = true;
}

VipsMessageScope::~VipsMessageScope() {
  if (!owns_) return;
  this_threads_capture = outer_;
  std::vector<std::string> untold;
  {
    const std::scoped_lock lock(capture_->mutex);
    // libvips opens a file more than once for one page (header, then pixels): libtiff's
    // "Unknown field with tag ..." comes once per opening, and is worth one line.
    for (const std::string& warning : capture_->warnings) {
      const auto said = [&](const std::vector<std::string>& lines) {
        return std::find(lines.begin(), lines.end(), warning) != lines.end();
      };
      if (!said(untold) && !said(capture_->told)) untold.push_back(warning);
    }
  }
  for (const std::string& warning : untold) {
    if (glib_sink) {
      glib_sink("VIPS", warning, capture_->where);
    } else {
      g_log_default_handler("VIPS", G_LOG_LEVEL_WARNING, (capture_->where + ": " + warning).c_str(),
                            nullptr);
    }
  }
}

std::vector<std::string> VipsMessageScope::errors() const {
  const std::scoped_lock lock(capture_->mutex);
  return capture_->errors;
}

std::vector<std::string> VipsMessageScope::warnings() const {
  const std::scoped_lock lock(capture_->mutex);
  return capture_->warnings;
}

bool vips_errors_are_per_thread() {
  const VipsMessageScope scope("");
  // libvips raises this error inside the library: it reaches the record only if libvips's call
  // to vips_error reaches this file's.
  const bool failed =
      vips_enum_from_nick("fw-self-test", VIPS_TYPE_INTERPRETATION, "no-such-interpretation") < 0;
  const bool recorded = !scope.errors().empty();
  vips_error_clear();
  return failed && recorded;
}

std::string vips_error_message(const vips::VError& error) {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  const std::shared_ptr<Capture> capture = this_threads_capture.lock();
  const bool in_scope = capture != nullptr;
  if (capture) {
    const std::scoped_lock lock(capture->mutex);
    errors = lines_of(capture->errors);
    for (const std::string& warning : capture->warnings) {
      if (!is_bookkeeping(warning) &&
          std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) {
        warnings.push_back(warning);
      }
    }
  }
  // Empties this thread's record too (vips_error_clear below).
  const std::string buffer = error.what();
  vips_error_clear();
  std::string reason;
  if (!errors.empty()) {
    reason = errors.front();
  } else if (!in_scope || !per_thread.load()) {
    // No scope, or libvips's errors do not reach the record: the shared buffer, as VError copied
    // it, is all there is. Within a scope that recorded nothing, the buffer's lines are other
    // threads' (a substitute frame would film them as this page's reason).
    if (const std::vector<std::string> lines = lines_of({buffer}); !lines.empty()) {
      reason = lines.front();
    }
  }
  std::string warning;
  std::swap(warning, last_warning);
  if (warnings.empty() && !warning.empty() && reason.empty()) warnings.push_back(warning);
  // The decoder's own words behind libvips's summary, at most three of them.
  constexpr std::size_t told_warnings = 3;
  std::vector<std::string> told;
  for (std::size_t i = 0; i < warnings.size() && i < told_warnings; ++i) {
    told.push_back(warnings[i]);
    if (reason.find(warnings[i]) != std::string::npos) continue;
    reason += (reason.empty() ? "" : i == 0 ? ": " : "; ") + warnings[i];
  }
  if (capture) {
    // The rest (libvips's "error in tile ...") are printed naming the page as the scope ends.
    const std::scoped_lock lock(capture->mutex);
    capture->told.insert(capture->told.end(), told.begin(), told.end());
  }
  if (!reason.empty()) return reason;
  return "libvips reported an error without a message";
}

void keep_vips_warnings() {
  per_thread = vips_errors_are_per_thread();
  g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, on_vips_warning, nullptr);
  g_log_set_default_handler(to_sink, nullptr);
}

std::uint64_t vips_warnings_logged() {
  return warnings_logged;
}

void set_glib_message_sink(GlibMessageSink sink) {
  glib_sink = std::move(sink);
}

}  // namespace fw

// libvips's error functions, defined here so that libvips's calls reach them (see
// vips_error.hpp): each records its message for this thread's scope, then hands it on to
// libvips's own function, found after this program in the link order.
extern "C" {

void vips_verror(const char* domain, const char* fmt, va_list ap) {
  static const auto libvips = fw::real<fw::VerrorFunction>("vips_verror");
  if (!fw::recording) {
    fw::recording = true;
    fw::record(fw::formatted(domain, fmt, ap));
    libvips(domain, fmt, ap);
    fw::recording = false;
    return;
  }
  libvips(domain, fmt, ap);
}

void vips_error(const char* domain, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vips_verror(domain, fmt, ap);
  va_end(ap);
}

void vips_verror_system(int err, const char* domain, const char* fmt, va_list ap) {
  static const auto libvips = fw::real<fw::VerrorSystemFunction>("vips_verror_system");
  if (!fw::recording) {
    fw::recording = true;
    fw::record(fw::formatted(domain, fmt, ap));
    fw::record(std::string("unix error: ") + std::strerror(err));
    libvips(err, domain, fmt, ap);
    fw::recording = false;
    return;
  }
  libvips(err, domain, fmt, ap);
}

void vips_error_system(int err, const char* domain, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vips_verror_system(err, domain, fmt, ap);
  va_end(ap);
}

void vips_error_clear() {
  static const auto libvips = fw::real<fw::NoArgumentFunction>("vips_error_clear");
  if (const std::shared_ptr<fw::Capture> capture = fw::this_threads_capture.lock()) {
    const std::scoped_lock lock(capture->mutex);
    capture->errors.clear();
  }
  libvips();
}

void vips_error_freeze() {
  static const auto libvips = fw::real<fw::NoArgumentFunction>("vips_error_freeze");
  ++fw::frozen;
  libvips();
}

void vips_error_thaw() {
  static const auto libvips = fw::real<fw::NoArgumentFunction>("vips_error_thaw");
  --fw::frozen;
  libvips();
}

int vips_threadpool_run(VipsImage* image, VipsThreadStartFn start,
                        VipsThreadpoolAllocateFn allocate, VipsThreadpoolWorkFn work,
                        VipsThreadpoolProgressFn progress, void* a) {
  using Function = int (*)(VipsImage*, VipsThreadStartFn, VipsThreadpoolAllocateFn,
                           VipsThreadpoolWorkFn, VipsThreadpoolProgressFn, void*);
  static const auto libvips = fw::real<Function>("vips_threadpool_run");
  fw::Relay relay{.start = start,
                  .allocate = allocate,
                  .work = work,
                  .progress = progress,
                  .a = a,
                  .owner = fw::this_threads_capture};
  return libvips(image, fw::relay_start, fw::relay_allocate, fw::relay_work,
                 progress ? fw::relay_progress : nullptr, &relay);
}

}  // extern "C"
