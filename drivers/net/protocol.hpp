// The network recorder protocol (drivers/net <-> tools/recorderd), version 1, over TCP.
//
// Every message is framed:
//   magic   4 bytes  "FWR1"
//   head    4 bytes  length of the JSON head, big-endian (at most 1 MiB)
//   data    8 bytes  length of the binary data, big-endian (frame pixels; 0 for most messages)
//   the JSON head (UTF-8; its "type" names the message), then the data
//
// Client -> daemon, each answered by exactly one reply before the next is sent:
//   hello   {version, token, client, session?}  -> welcome {device, capabilities, session, state}
//                                                   (capabilities.supports: the device's named
//                                                   capabilities, absent from older daemons)
//   load    {reel: {reel_id, reel_number, job_id, film_format, stock, film_length_m,
//           first_frame, keep_film}}             -> loaded {state}
//   frame   {reel, frame, width, height, channels, pitch_um, blip, address, description,
//           sha256} + pixels                     -> accepted {frame, duplicate, on_film}
//   film    {reel: {reel_id, job_id, ...}}      -> film {frames}  (frames of that reel on
//                                                   film, null when unknown; for resume)
//   status  {}                                   -> status {state}
//   unload  {}                                   -> unloaded {frames, film_used_m,
//                                                   files: [{path, sha256}]}
//   bye     {}                                   (no reply)
// Any request may instead get  error {kind, message}: kind is a device error (out_of_film,
// fault, disconnected, underrun, invalid_frame, bad_option) or a refusal (busy, auth,
// protocol). `state` is {loaded, job, reel, frames_exposed, frames_on_film, text}.
//
// A load of the reel the daemon holds continues it. keep_film (the client loaded this reel
// before: the daemon restarted) asks the device to keep what its film holds of the reel even
// from first_frame 1; `frames_exposed` in the reply is what the device holds, which can be more
// than the client knows. `on_film` (and frames_on_film) counts the frames that survive a
// restart of the daemon and its device; the client keeps copies of later acknowledged frames
// and sends them again when a restarted device no longer has them.
//
// Back-pressure: a frame is acknowledged only after the device's own expose() returned (it
// blocks while the device buffer is full), and the client sends the next frame only after
// that acknowledgement. Exactly once: the daemon keeps each accepted frame's sha256 for the
// loaded reel, so a frame sent again after a lost acknowledgement is recognised and not
// exposed twice; after a daemon restart the device itself recognises the frames on its film
// (the sim by the sha256 in its reel.json).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/json_fields.hpp"
#include "hal/recorder.hpp"

namespace fw::net {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::uint16_t kDefaultPort = 7300;
inline constexpr std::uint64_t kMaxMessageData = 1ull << 32;

// Transport failures (not device errors): the connection is unusable afterwards.
class NetError : public std::runtime_error {
 public:
  enum class Kind { closed, timeout, io, protocol };
  NetError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Message {
  nlohmann::json head;
  std::vector<std::uint8_t> data;
  std::string type() const { return head.value("type", ""); }
};

// A connected TCP socket that sends and receives framed messages with timeouts.
class Connection {
 public:
  Connection() = default;
  explicit Connection(int fd);
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Resolves host and connects within timeout_ms; NetError(io) with the reason otherwise.
  static Connection dial(const std::string& host, std::uint16_t port, int timeout_ms);

  void send(const nlohmann::json& head, std::span<const std::uint8_t> data = {},
            int timeout_ms = 30000);
  // Waits at most timeout_ms for each part of the message, and at most total_ms (0: no bound)
  // for all of it; refuses, before allocating anything, a message whose data is longer than
  // max_data bytes.
  Message receive(int timeout_ms, std::uint64_t max_data = kMaxMessageData, int total_ms = 0);

  bool open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void close();

 private:
  int fd_ = -1;
};

// One message read from a non-blocking socket as its bytes arrive, for a server that must not
// wait on any one peer (recorderd greets new connections this way while it serves a client).
class MessageReader {
 public:
  MessageReader(std::uint32_t max_head, std::uint64_t max_data)
      : max_head_(max_head), max_data_(max_data) {}
  // Reads what the socket holds now; true once the whole message is in. NetError(closed) when
  // the peer closed, NetError(protocol) for a message that is not one or is too long (before
  // any of its data is read).
  bool read_from(int fd);
  Message take();

 private:
  std::uint32_t max_head_;
  std::uint64_t max_data_;
  std::vector<std::uint8_t> bytes_;
  std::size_t needed_ = 16;
  bool sized_ = false;
};

// Listens on host:port (port 0: any free port).
class Listener {
 public:
  Listener(const std::string& host, std::uint16_t port);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_; }
  Connection accept();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// One value of a peer's JSON as T, or NetError(protocol) naming `what`: of another type, or a
// number out of T's range (nlohmann's get<> would throw its own exceptions, and converts
// 1e300 to an integer or -1 to unsigned as C++ casts do, out of range: undefined).
template <typename T>
T value_as(const nlohmann::json& value, const std::string& what) {
  if (auto v = json_as<T>(value)) return *std::move(v);
  throw NetError(NetError::Kind::protocol,
                 "malformed " + what + ": " +
                     value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
}

// The field `key` of a message head (or other object) as T: NetError(protocol) when it is
// missing or not a T; with a fallback, the fallback when it is missing.
template <typename T>
T field(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) {
    throw NetError(NetError::Kind::protocol, "malformed message: no " + key);
  }
  return value_as<T>(object.at(key), key);
}
template <typename T>
T field(const nlohmann::json& object, const std::string& key, T fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return value_as<T>(object.at(key), key);
}

// A hello's fields (version 0, client "?" and the rest empty when absent).
struct Hello {
  int version = 0;
  std::string token;
  std::string client;
  std::string session;
};
Hello hello_from(const Message& message);

// DeviceErrorKind <-> its protocol name.
const char* error_name(hal::DeviceErrorKind kind);
bool error_kind(const std::string& name, hal::DeviceErrorKind& kind);

// Decoding a peer's JSON throws NetError(protocol) for a field missing or of the wrong type.
nlohmann::json to_json(const hal::Capabilities& caps);
hal::Capabilities capabilities_from(const nlohmann::json& json);
// The welcome's capabilities with the device's named capabilities (hal::capability) as the
// list `supports`: what `recorder.supports(name)` answers for every known name.
nlohmann::json to_json(const hal::Capabilities& caps, const hal::Recorder& recorder);
// The names in `capabilities.supports`; nullopt when the list is not there (a recorderd older
// than the list: the client then keeps the old behaviour, asking the device and taking its
// answer, as if it supported what the client can relay). Names this build does not know are
// kept (a newer daemon's), and mean nothing to it.
std::optional<std::vector<std::string>> supports_from(const nlohmann::json& capabilities);
// The reel's film geometry in a load message ({} from a client older than the field: the
// default 16 mm comic roll).
nlohmann::json to_json(const hal::FilmGeometry& geometry);
hal::FilmGeometry geometry_from(const nlohmann::json& json);
// The reel of a load or film request (reel_id, reel_number and job_id required).
hal::ReelSpec reel_from(const nlohmann::json& json);

}  // namespace fw::net
