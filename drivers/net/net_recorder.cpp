// The `net` driver: a recorder on the network, served by tools/recorderd (protocol in
// protocol.hpp). expose() returns only when the daemon acknowledged that its device accepted
// the frame. A dropped connection or a daemon restart is survived: the driver reconnects with
// exponential backoff, asks the device what it holds, reloads the reel if the daemon lost it
// and sends the frame again (a frame the device already has is recognised by its sha256, so
// nothing is exposed twice). A device that dies loses what sat in its buffer, so the driver
// keeps a copy of every acknowledged frame until the daemon reports it on film (`on_film`)
// and sends those copies again after a daemon restart. When that cannot work it throws a typed
// DeviceError naming the daemon, the reel and the frame.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "base/json_fields.hpp"
#include "base/sha256.hpp"
#include "hal/registry.hpp"
#include "net/protocol.hpp"

namespace fw::drivers {
namespace {

using hal::DeviceError;
using hal::DeviceErrorKind;
using net::NetError;

std::string read_token_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    throw DeviceError(DeviceErrorKind::bad_option,
                      "net driver: option token_file: cannot read " + file);
  }
  std::string token;
  std::getline(in, token);
  return token;
}

class NetRecorder final : public hal::Recorder {
 public:
  explicit NetRecorder(const hal::DriverOptions& options) {
    hal::OptionReader read("net", options);
    host_ = read.text("host", "");
    port_ = static_cast<std::uint16_t>(read.number("port", net::kDefaultPort, 1, 65535));
    token_ = read.text("token", "");
    if (const auto file = read.text("token_file", ""); !file.empty()) {
      token_ = read_token_file(file);
    }
    timeout_ms_ = static_cast<int>(read.number("timeout_ms", 30000, 100, 3.6e6));
    connect_timeout_ms_ = static_cast<int>(read.number("connect_timeout_ms", 5000, 50, 600000));
    retries_ = static_cast<int>(read.number("retries", 5, 0, 1000));
    backoff_ms_ = static_cast<int>(read.number("backoff_ms", 250, 1, 600000));
    max_backoff_ms_ = static_cast<int>(read.number("max_backoff_ms", 10000, 1, 3.6e6));
    read.finish();
    if (host_.empty()) {
      throw DeviceError(DeviceErrorKind::bad_option,
                        "net driver: option host: expected the recorderd host name or address "
                        "(-O host=ADDRESS), got nothing");
    }
    where_ = fmt::format("recorderd {}:{}", host_, port_);
    // The capabilities decide the plan, so the daemon must answer now.
    with_retries("connect", [&] { ensure_connected(); });
  }

  ~NetRecorder() override {
    if (connection_.open()) {
      try {
        connection_.send({{"type", "bye"}}, {}, 1000);
      } catch (...) {
      }
    }
  }

  hal::Capabilities capabilities() const override { return caps_; }

  // What the daemon's device supports and this client can relay: append (load carries
  // first_frame) and film_record (the `film` request, `on_film` in every acknowledgement). A
  // daemon older than the `supports` list: both, as before it (the engine asks, and takes a
  // device's "cannot tell" as every accepted frame on film). Never film_readback: the film is
  // on the daemon's host, and the protocol has no request to read it.
  bool supports(std::string_view name) const override {
    if (name != hal::capability::append && name != hal::capability::film_record) return false;
    return !device_supports_ ||
           std::ranges::find(*device_supports_, name) != device_supports_->end();
  }

  void load(const hal::ReelSpec& reel) override {
    reel_ = reel;
    loaded_ = true;
    acked_ = reel.first_frame - 1;
    on_film_ = acked_;
    unconfirmed_.clear();
    reel_started_ = false;
    device_has_reel_ = false;
    work_dir_ = reel.work_dir;
    with_retries(fmt::format("load reel {}", reel.reel_id), [&] { ensure_loaded(); });
  }

  void expose(const hal::Frame& frame) override {
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "net driver: no reel loaded");
    hal::check_frame(caps_, frame);
    const std::string sha = frame.sha256.empty() ? sha256_hex(frame.pixels) : frame.sha256;
    const nlohmann::json head = {{"type", "frame"},
                                 {"reel", reel_.reel_id},
                                 {"frame", frame.frame_number},
                                 {"width", frame.width},
                                 {"height", frame.height},
                                 {"channels", frame.channels},
                                 {"pitch_um", frame.pixel_pitch_um},
                                 {"reel_number", frame.reel_number},
                                 {"blip", hal::to_string(frame.blip)},
                                 {"address", frame.address},
                                 {"description", frame.description},
                                 {"sha256", sha}};
    with_retries(fmt::format("reel {} frame {}", reel_.reel_id, frame.frame_number), [&] {
      ensure_loaded();
      send_frame(head, frame.pixels);
    });
    acked_ = frame.frame_number;
    if (on_film_ < acked_) {
      unconfirmed_.push_back(
          {head, std::vector<std::uint8_t>(frame.pixels.begin(), frame.pixels.end())});
    }
    forget_confirmed();
  }

  hal::ReelReport unload() override {
    if (!loaded_) throw DeviceError(DeviceErrorKind::fault, "net driver: no reel loaded");
    hal::ReelReport report;
    // What the device wrote stays with the device; its checksums come here, in the format of
    // `sha256sum -c` (run it in the daemon's reel folder), and the manifest covers this list.
    std::string list;
    with_retries(fmt::format("unload reel {}", reel_.reel_id), [&] {
      ensure_loaded();
      connection_.send({{"type", "unload"}}, {}, timeout_ms_);
      const auto reply = expect(connection_.receive(timeout_ms_), "unloaded");
      report.frames = net::field(reply.head, "frames", 0u);
      report.film_used_m = net::field(reply.head, "film_used_m", 0.0);
      list.clear();
      if (reply.head.contains("files")) {
        if (!reply.head.at("files").is_array()) {
          throw NetError(NetError::Kind::protocol, "malformed unloaded: files is not a list");
        }
        for (const auto& file : reply.head.at("files")) {
          list += net::field<std::string>(file, "sha256") + "  " +
                  net::field<std::string>(file, "path") + "\n";
        }
      }
      state_ = state_from(reply.head);
    });
    loaded_ = false;
    device_has_reel_ = false;
    std::filesystem::create_directories(work_dir_);
    const auto path = work_dir_ / "recorder.sha256";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << list;
    report.files.emplace_back("recorder.sha256");
    return report;
  }

  std::optional<std::uint32_t> frames_on_film(const hal::ReelSpec& reel) override {
    std::optional<std::uint32_t> frames;
    with_retries("asking what reel " + reel.reel_id + " holds", [&] {
      ensure_connected();
      connection_.send({{"type", "film"}, {"reel", reel_json(reel)}}, {}, timeout_ms_);
      const auto reply = expect(connection_.receive(timeout_ms_), "film");
      // null when the daemon does not know
      if (reply.head.contains("frames") && !reply.head.at("frames").is_null()) {
        frames = net::field<std::uint32_t>(reply.head, "frames");
      }
    });
    return frames;
  }

  hal::Status status() const override {
    hal::Status s;
    s.loaded = loaded_;
    s.frames_exposed = acked_;
    s.state = connection_.open() ? "connected to " + where_ : "not connected to " + where_;
    return s;
  }

 private:
  // Runs `step`; transport failures reconnect with backoff and run it again, up to `retries`
  // times. Device errors and refusals reported by the daemon are final.
  template <typename Step>
  void with_retries(const std::string& what, Step&& step) {
    int delay = backoff_ms_;
    for (int attempt = 0;; ++attempt) {
      try {
        step();
        return;
      } catch (const NetError& e) {
        connection_.close();
        device_has_reel_ = false;
        if (attempt >= retries_) {
          throw DeviceError(DeviceErrorKind::disconnected,
                            fmt::format("net driver: {}: {}: {}; gave up after {} reconnect "
                                        "attempt(s)",
                                        where_, what, e.what(), retries_));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        delay = std::min(max_backoff_ms_, delay * 2);
      }
    }
  }

  struct KeptFrame {
    nlohmann::json head;
    std::vector<std::uint8_t> pixels;
  };

  // Sends one frame and waits for its acknowledgement.
  void send_frame(const nlohmann::json& head, std::span<const std::uint8_t> pixels) {
    const std::uint32_t number = json_get<std::uint32_t>(head, "frame");
    connection_.send(head, pixels, timeout_ms_);
    const auto reply = expect(connection_.receive(timeout_ms_), "accepted");
    const auto acknowledged = net::field(reply.head, "frame", 0u);
    if (acknowledged != number) {
      throw NetError(
          NetError::Kind::protocol,
          fmt::format("acknowledgement for frame {}, expected {}", acknowledged, number));
    }
    // A daemon without on_film: every acknowledged frame is safe.
    on_film_ = std::max(on_film_, net::field(reply.head, "on_film", number));
  }

  void forget_confirmed() {
    while (!unconfirmed_.empty() &&
           json_get<std::uint32_t>(unconfirmed_.front().head, "frame") <= on_film_) {
      unconfirmed_.pop_front();
    }
  }

  // A reply of type `type`, or the daemon's error as a typed DeviceError.
  net::Message expect(net::Message reply, const char* type) {
    if (reply.type() == type) return reply;
    if (reply.type() == "error") {
      const std::string kind = net::field(reply.head, "kind", std::string("fault"));
      const std::string message = net::field(reply.head, "message", std::string());
      // Damaged in transit: send it again.
      if (kind == "checksum") throw NetError(NetError::Kind::protocol, message);
      DeviceErrorKind device_kind = DeviceErrorKind::fault;
      if (net::error_kind(kind, device_kind)) {
        throw DeviceError(device_kind, fmt::format("{}: {}", where_, message));
      }
      // busy, auth, protocol: the daemon refuses this client.
      throw DeviceError(DeviceErrorKind::fault,
                        fmt::format("{} refused the connection ({}): {}", where_, kind, message));
    }
    throw NetError(NetError::Kind::protocol,
                   fmt::format("expected {}, got {}", type, reply.head.dump()));
  }

  void ensure_connected() {
    if (connection_.open()) return;
    connection_ = net::Connection::dial(host_, port_, connect_timeout_ms_);
    nlohmann::json hello = {{"type", "hello"},
                            {"version", net::kProtocolVersion},
                            {"token", token_},
                            {"client", fmt::format("filmwriter pid {}", getpid())}};
    if (!session_.empty()) hello["session"] = session_;
    connection_.send(hello, {}, timeout_ms_);
    const auto welcome = expect(connection_.receive(timeout_ms_), "welcome");
    const nlohmann::json capabilities =
        welcome.head.contains("capabilities") ? welcome.head.at("capabilities") : nlohmann::json();
    caps_ = net::capabilities_from(capabilities);
    device_supports_ = net::supports_from(capabilities);
    session_ = net::field(welcome.head, "session", std::string());
    state_ = state_from(welcome.head);
  }

  // A reply's device state: an object, or the daemon broke the protocol.
  static nlohmann::json state_from(const nlohmann::json& head) {
    if (!head.contains("state")) return nlohmann::json::object();
    if (!head.at("state").is_object()) {
      throw NetError(NetError::Kind::protocol, "malformed reply: state is not an object");
    }
    return head.at("state");
  }

  static nlohmann::json reel_json(const hal::ReelSpec& reel) {
    return {{"reel_id", reel.reel_id},
            {"reel_number", reel.reel_number},
            {"job_id", reel.job_id},
            {"film_format", reel.film_format},
            {"stock", reel.stock},
            {"film_length_m", reel.film_length_m},
            {"geometry", net::to_json(reel.geometry)}};
  }

  // Connected, and the device holds our reel with every acknowledged frame.
  void ensure_loaded() {
    ensure_connected();
    if (!loaded_ || device_has_reel_) return;
    // The daemon keeps a reel loaded across connections: a load continues it. After a daemon
    // restart the device loads the reel anew with what its film holds (keep_film). Either way
    // the load starts at the first frame this driver could still send (the first one not
    // known to be on film), and the device's answer says how many frames it holds.
    nlohmann::json spec = reel_json(reel_);
    spec["first_frame"] = on_film_ + 1;
    spec["keep_film"] = reel_started_;
    connection_.send({{"type", "load"}, {"reel", spec}}, {}, timeout_ms_);
    const auto loaded = expect(connection_.receive(timeout_ms_), "loaded");
    state_ = state_from(loaded.head);
    reel_started_ = true;
    const std::uint32_t on_device = net::field(state_, "frames_exposed", 0u);
    if (on_device < on_film_) {
      throw DeviceError(DeviceErrorKind::fault,
                        fmt::format("net driver: {}: reel {} holds {} frame(s) but reported {} "
                                    "on film: the device lost frames",
                                    where_, reel_.reel_id, on_device, on_film_));
    }
    // Acknowledged frames the device lost with its buffer: send the kept copies again.
    for (const auto& kept : unconfirmed_) {
      const std::uint32_t number = json_get<std::uint32_t>(kept.head, "frame");
      if (number > on_device && number <= acked_) send_frame(kept.head, kept.pixels);
    }
    forget_confirmed();
    device_has_reel_ = true;
  }

  std::string host_, token_, where_, session_;
  std::uint16_t port_ = net::kDefaultPort;
  int timeout_ms_ = 30000, connect_timeout_ms_ = 5000, retries_ = 5, backoff_ms_ = 250,
      max_backoff_ms_ = 10000;
  net::Connection connection_;
  hal::Capabilities caps_;
  std::optional<std::vector<std::string>> device_supports_;  // nullopt: an older daemon
  nlohmann::json state_ = nlohmann::json::object();
  hal::ReelSpec reel_;
  std::filesystem::path work_dir_;
  bool loaded_ = false;
  bool device_has_reel_ = false;
  bool reel_started_ = false;  // the device loaded this reel once: later loads keep its film
  std::uint32_t acked_ = 0;
  std::uint32_t on_film_ = 0;          // frames of the reel the device reported on film
  std::deque<KeptFrame> unconfirmed_;  // acknowledged frames after on_film_, in order
};

}  // namespace

void register_net_driver(hal::Registry& registry) {
  registry.add(
      {"net",
       "a recorder on the network, served by recorderd (TCP, framed messages, acknowledged "
       "frames, reconnect with backoff); the device's files stay with the daemon, "
       "R0001/recorder.sha256 lists them",
       {{"host", "recorderd host name or address (required)"},
        {"port", fmt::format("recorderd TCP port (default {})", net::kDefaultPort)},
        {"token", "shared token the daemon was started with (default none)"},
        {"token_file", "file whose first line is the token"},
        {"timeout_ms",
         "longest wait for any reply, e.g. a frame's acknowledgement (default 30000)"},
        {"connect_timeout_ms", "longest wait for a connection (default 5000)"},
        {"retries", "reconnect attempts after a dropped connection (default 5)"},
        {"backoff_ms", "first wait before reconnecting, doubled each time (default 250)"},
        {"max_backoff_ms", "longest wait between reconnects (default 10000)"}},
       [](const hal::DriverOptions& options, const hal::OpenContext&)
           -> std::unique_ptr<hal::Recorder> { return std::make_unique<NetRecorder>(options); }});
}

}  // namespace fw::drivers
