// recorderd: serves one local recorder driver (tiff, sim, ...) to the network with the
// protocol of drivers/net/protocol.hpp, for the `net` driver. One client holds the device at a
// time; the device state (the loaded reel and the sha256 of every frame on it) outlives client
// connections, so a client that reconnects, or a resumed job, continues the reel exactly once.
// The daemon itself: daemon.hpp (session.cpp, reel.cpp); here, its flags and main().
#include <csignal>
#include <cstdio>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <vips/vips8>

#include <vips/vector.h>  // vips_vector_set_enabled, not in vips8 (which it needs first)

#include "daemon.hpp"

namespace fw::recorderd {
std::atomic<bool> stop{false};
}  // namespace fw::recorderd

namespace {

using fw::recorderd::Daemon;
using fw::recorderd::Settings;

extern "C" void on_signal(int) {
  fw::recorderd::stop.store(true);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "recorderd: serves a local recorder driver to the network (filmwriter's net driver)"};
  Settings s;
  app.add_option("--listen", s.listen, "address to listen on")->capture_default_str();
  app.add_option("--port", s.port, "TCP port; 0 picks a free one")->capture_default_str();
  app.add_option("--port-file", s.port_file, "write the port here once listening");
  app.add_option("--driver", s.driver, "the local driver to serve (tiff, sim)")
      ->capture_default_str();
  app.add_option("-O,--driver-option", s.options, "KEY=VALUE option of the local driver");
  app.add_option("--profiles", s.profiles,
                 "profiles folder of the local driver (the sim's recorders and stocks; default "
                 "FILMWRITER_PROFILES or the installed profiles; -O profiles=DIR says the same)");
  app.add_option("--root", s.root, "folder for the device's files: ROOT/<job>/<reel>/")
      ->capture_default_str();
  app.add_option("--token", s.token, "shared token a client must present");
  app.add_option("--token-file", s.token_file, "file whose first line is the token");
  app.add_option("--idle-timeout", s.idle_timeout_s,
                 "release a client that sent nothing for this many seconds")
      ->capture_default_str();
  app.add_option("--inject-drop-mid-frame", s.drop_mid_frame,
                 "test: drop the connection while frame N of each reel arrives (once)");
  app.add_option("--inject-drop-before-ack", s.drop_before_ack,
                 "test: expose frame N of each reel, then drop the connection unacknowledged");
  app.add_option("--inject-delay-ms", s.delay_ms,
                 "test: a slow device, waiting this long before each exposure");
  app.add_option("--inject-kill-after", s.exit_after,
                 "test: SIGKILL itself after N exposed frames (counted over all reels), before "
                 "acknowledging the last");
  CLI11_PARSE(app, argc, argv);
  if (VIPS_INIT(argv[0])) {
    fmt::print(stderr, "recorderd: cannot start libvips\n");
    return 1;
  }
  vips_cache_set_max(0);
  vips_vector_set_enabled(FALSE);  // no run-time code generation, as in fw::init_vips
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    Daemon daemon(s);
    return daemon.serve();
  } catch (const fw::hal::DeviceError& e) {
    fmt::print(stderr, "recorderd: device error: {}: {}\n", fw::hal::to_string(e.kind()), e.what());
    return 4;
  } catch (const std::exception& e) {
    fmt::print(stderr, "recorderd: {}\n", e.what());
    return 2;
  }
}
