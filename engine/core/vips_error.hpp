// libvips reports errors through one global, accumulating buffer that VError copies.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <vips/vips8>

namespace fw {

// The first non-empty line of what libvips said (the root cause; later lines are its
// consequences), and the global buffer cleared so the next failure does not repeat it.
// When the buffer is empty (libpng's "IHDR: CRC error" reaches libvips as a warning only),
// the last libvips warning this thread logged is the reason.
std::string vips_error_message(const vips::VError& error);

// Keeps each thread's last libvips warning for vips_error_message, and hands every message
// GLib would print on stderr (libvips's warnings, any library's criticals) to the sink, or to
// GLib's own printer while none is set. Called once, after libvips started.
void keep_vips_warnings();

// How many libvips warnings this thread has logged. libvips logs some decoder warnings only
// when the load closes, after the last rows were handed out: libjpeg's "premature end of data
// segment" met in a baseline JPEG's last rows is "read gave 1 warnings" then libvips's whole
// error buffer, which fail_on=warning never sees. Counting before the load and after its last
// image is released (the load closes then, on the thread that releases it) catches it:
// ingest's decode_page_checked. The buffer is every thread's, so its text is not this load's.
std::uint64_t vips_warnings_logged();

// Where those messages go: the CLI's log, so that stderr keeps its format (one JSON object a
// line with --log-format json). `domain` is GLib's ("VIPS", "GLib-GObject"); may be called from
// any thread. Set before the work starts.
using GlibMessageSink = std::function<void(const std::string& domain, const std::string& message)>;
void set_glib_message_sink(GlibMessageSink sink);

}  // namespace fw
