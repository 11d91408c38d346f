// libvips reports errors through one global, accumulating buffer that VError copies; this
// header gives each page decode the errors and warnings libvips raised for it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <vips/vips8>

namespace fw {

namespace vips_error_detail {
struct Capture;
}

// libvips 8.14 keeps ONE error buffer for the whole process (vips_error_buffer()): every thread
// appends to it and any thread's vips_error_clear() empties it. Pages decode in parallel, so the
// buffer's first line at a failure can be another page's, or gone. filmwriter therefore defines
// libvips's error functions itself (vips_error, vips_verror, vips_error_system, ...; the
// definitions in vips_error.cpp take the place of libvips's own, which libvips calls through its
// PLT), records each message for the thread that raised it and then hands it on to libvips's
// own function, so the buffer and VError behave as before.
//
// A scope marks one decode on this thread: what libvips raises on this thread while it lives,
// and on the libvips workers this thread runs (vips_sink_disc's threadpool: filmwriter's
// vips_threadpool_run hands the scope to each worker for its units of work), belongs to it.
// Scopes nest: an inner one adds to the outer one's record. `where` names the page ("a.tif
// (page 2)"): warnings libvips logs during the scope are printed naming it when the scope ends,
// unless a failure's reason told them already (vips_error_message).
class VipsMessageScope {
 public:
  explicit VipsMessageScope(std::string where);
  ~VipsMessageScope();
  VipsMessageScope(const VipsMessageScope&) = delete;
  VipsMessageScope& operator=(const VipsMessageScope&) = delete;

  // The error lines ("domain: text") and warnings recorded since the scope began, oldest first.
  std::vector<std::string> errors() const;
  std::vector<std::string> warnings() const;

 private:
  std::shared_ptr<vips_error_detail::Capture> capture_;
  std::weak_ptr<vips_error_detail::Capture> outer_;
  bool owns_ = false;
};

// Whether libvips's calls to its own error functions reach filmwriter's definitions (they do not
// if libvips is ever linked -Bsymbolic, or filmwriter statically): checked by calling into libvips
// and looking for its error in this thread's record. Tests assert it; without it, reasons come
// from the shared buffer again.
bool vips_errors_are_per_thread();

// Why a libvips call failed: the first non-empty line libvips raised on this thread within the
// current VipsMessageScope (the root cause; later lines are its consequences), followed by the
// decoder's warnings of the same decode (libpng's "IDAT: CRC error" behind libvips's "libpng
// read error"). Outside a scope, or when the scope recorded nothing, the first line of the
// buffer VError copied, as before. The record and libvips's buffer are cleared, so the next
// failure does not repeat it.
std::string vips_error_message(const vips::VError& error);

// Keeps each thread's libvips warnings for vips_error_message and its scope, and hands every
// message GLib would print on stderr (libvips's warnings, any library's criticals) to the sink,
// or to GLib's own printer while none is set. Called once, after libvips started.
void keep_vips_warnings();

// How many libvips warnings this thread has logged. libvips logs some decoder warnings only
// when the load closes, after the last rows were handed out: libjpeg's "premature end of data
// segment" met in a baseline JPEG's last rows is "read gave 1 warnings" then libvips's whole
// error buffer, which fail_on=warning never sees. Counting before the load and after its last
// image is released (the load closes then, on the thread that releases it) catches it:
// ingest's decode_page_checked.
std::uint64_t vips_warnings_logged();

// Where those messages go: the CLI's log, so that stderr keeps its format (one JSON object a
// line with --log-format json). `domain` is GLib's ("VIPS", "GLib-GObject"); `where` names the
// page the message came from ("scans/a.tif (page 1)"), empty when it came from no page decode.
// May be called from any thread. Set before the work starts.
using GlibMessageSink = std::function<void(const std::string& domain, const std::string& message,
                                           const std::string& where)>;
void set_glib_message_sink(GlibMessageSink sink);

}  // namespace fw
