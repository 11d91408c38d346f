// recorderd's daemon (tools/recorderd): one local recorder driver served to the network with
// the protocol of drivers/net/protocol.hpp. Its files: session.cpp (connections, hello, the
// client's session and its messages), reel.cpp (the device's reel: load, frames, unload, what
// the film holds), main.cpp (flags, signals, main).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/utc.hpp"
#include "hal/registry.hpp"
#include "net/protocol.hpp"

namespace fw::recorderd {

namespace fs = std::filesystem;
using fw::net::Connection;
using fw::net::Message;
using fw::net::NetError;

// Set by SIGINT and SIGTERM (main.cpp): the daemon stops serving.
extern std::atomic<bool> stop;

template <typename... Args>
void log(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "{} recorderd: {}\n", fw::utc_timestamp_now(),
             fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stderr);
}

struct Settings {
  std::string listen = "127.0.0.1";
  std::uint16_t port = fw::net::kDefaultPort;
  std::string port_file;
  std::string driver = "sim";
  std::vector<std::string> options;
  std::string profiles;  // the local driver's profiles folder; "": its default
  std::string root = "recorderd-out";
  std::string token;
  std::string token_file;
  double idle_timeout_s = 600;
  // Fault injection for tests: at frame N of each reel, once.
  std::uint32_t drop_mid_frame = 0;   // close the connection while the frame's data arrives
  std::uint32_t drop_before_ack = 0;  // expose the frame, then close without acknowledging
  int delay_ms = 0;                   // a slow device: wait this long before each exposure
  std::uint64_t exit_after = 0;       // SIGKILL itself after this many newly exposed frames
};

class Daemon {
 public:
  explicit Daemon(Settings settings);
  int serve();

 private:
  // session.cpp
  void accept_one(fw::net::Listener& listener);
  void greet(Connection incoming, const Message& hello);
  void handle(const Message& m);
  static void reply_error(Connection& c, const std::string& kind, const std::string& message);
  void device_error(const fw::hal::DeviceError& e);
  nlohmann::json state() const;

  // reel.cpp
  // Frames of the loaded reel that outlive a restart of this daemon (on the device's disk).
  std::uint32_t on_film() const;
  fs::path reel_dir(const fw::hal::ReelSpec& spec) const;
  void close_reel(const char* why);
  // Reel and job ids become folder names under --root: one path component each, short
  // enough for any file system, without control characters.
  static constexpr std::size_t kMaxIdBytes = 128;
  static bool plain_name(const std::string& id);
  static bool plain_names(const fw::hal::ReelSpec& spec);
  static std::string names_refused();
  // What the film holds of a reel, for a client that resumes: the loaded reel holds every frame
  // the daemon accepted (its buffer develops while the daemon lives); another reel, what the
  // device's own record says.
  void film(const nlohmann::json& r);
  void load(const nlohmann::json& r);
  void frame(const Message& m);
  // on_film: the client may forget its copies of frames up to it; later ones it keeps, to send
  // again if this daemon dies with them in the device's buffer.
  void accepted(std::uint32_t number, bool duplicate);
  void unload();

  using Clock = std::chrono::steady_clock;
  static constexpr int kHelloSeconds = 5;
  static constexpr int kMessageSeconds = 120;
  static constexpr std::size_t kMaxGreetings = 16;
  struct Greeting {
    Connection connection;
    fw::net::MessageReader reader;
    Clock::time_point deadline;
  };

  Settings s_;
  std::uint64_t max_frame_bytes_ = 0;
  std::vector<Greeting> greetings_;
  Clock::time_point last_message_ = Clock::now();
  fw::hal::Registry registry_;
  fw::hal::DriverOptions options_;
  std::unique_ptr<fw::hal::Recorder> recorder_;
  fw::hal::Capabilities caps_;
  Connection client_;
  std::string holder_, holder_since_, session_;
  bool loaded_ = false;
  fw::hal::ReelSpec spec_;
  std::uint32_t exposed_ = 0;
  std::uint64_t exposed_total_ = 0;
  std::vector<std::string> shas_;  // of frames 1..exposed_ ("" when loaded past them)
  std::set<std::string> fired_;
};

}  // namespace fw::recorderd
