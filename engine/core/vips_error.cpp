#include "core/vips_error.hpp"

#include <cctype>
#include <utility>

namespace fw {
namespace {

thread_local std::string last_warning;
thread_local std::uint64_t warnings_logged = 0;
GlibMessageSink glib_sink;

void to_sink(const gchar* domain, GLogLevelFlags level, const gchar* message, gpointer data) {
  // Debug and info are GLib's to drop unless G_MESSAGES_DEBUG asks for them.
  if (!glib_sink || (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0) {
    g_log_default_handler(domain, level, message, data);
    return;
  }
  glib_sink(domain ? domain : "", message ? message : "");
}

void on_vips_warning(const gchar* domain, GLogLevelFlags level, const gchar* message,
                     gpointer data) {
  last_warning = message ? message : "";
  ++warnings_logged;
  to_sink(domain, level, message, data);
}

}  // namespace

void keep_vips_warnings() {
  g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, on_vips_warning, nullptr);
  g_log_set_default_handler(to_sink, nullptr);
}

std::uint64_t vips_warnings_logged() {
  return warnings_logged;
}

void set_glib_message_sink(GlibMessageSink sink) {
  glib_sink = std::move(sink);
}

std::string vips_error_message(const vips::VError& error) {
  const std::string text = error.what();
  vips_error_clear();
  std::string warning;
  std::swap(warning, last_warning);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) return line;
    start = end + 1;
  }
  if (!warning.empty()) return warning;
  return "libvips reported an error without a message";
}

}  // namespace fw
