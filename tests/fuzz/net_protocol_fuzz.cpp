// libFuzzer target: the recorder network protocol (drivers/net/protocol.hpp) as recorderd and
// the net driver read it from a peer. The bytes after byte 0 arrive on a socket in pieces
// (byte 0 sets their size) and are read as messages by MessageReader, as recorderd greets a
// client, and by Connection::receive, as the daemon serves one and the driver reads replies;
// each message's head is then decoded as they do (type, capabilities, film geometry, error
// kind). Anything a peer sends is a message or a NetError; never a crash, an allocation of
// what a header claims, or another exception (tools/fuzz net_protocol 3600).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <span>

#include "net/protocol.hpp"

namespace {

using fw::net::Message;
using fw::net::NetError;

constexpr std::uint32_t kMaxHead = 64 * 1024;  // recorderd's limit for a greeting
constexpr std::uint64_t kMaxData = 1 << 20;

// What the daemon and the driver read from a message's head, with the functions they use.
void decode(const Message& message) {
  using fw::net::field;
  const std::string type = message.type();
  const nlohmann::json& head = message.head;
  (void)fw::net::hello_from(message);  // recorderd, of a new connection's first message
  if (head.contains("capabilities")) (void)fw::net::capabilities_from(head.at("capabilities"));
  if (head.contains("reel")) {
    if (head.at("reel").is_object()) {
      (void)fw::net::reel_from(head.at("reel"));  // load, film
    } else {
      (void)field<std::string>(head, "reel");  // frame
    }
  }
  if (type == "frame") {
    (void)field<std::uint32_t>(head, "frame");
    (void)field<std::uint32_t>(head, "width");
    (void)field<std::uint32_t>(head, "height");
    (void)field<std::uint32_t>(head, "channels");
    (void)field<double>(head, "pitch_um");
    (void)field<std::string>(head, "sha256");
    (void)field(head, "reel_number", 1u);
    (void)field(head, "blip", std::string("none"));
  }
  (void)field(head, "frame", 0u);  // accepted
  (void)field(head, "on_film", 0u);
  (void)field(head, "film_used_m", 0.0);  // unloaded
  if (head.contains("state") && head.at("state").is_object()) {
    (void)field(head.at("state"), "frames_exposed", 0u);
  }
  fw::hal::DeviceErrorKind device_kind{};
  (void)fw::net::error_kind(field(head, "kind", std::string("fault")), device_kind);
}

struct Pair {
  int fd[2] = {-1, -1};
  Pair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd); }
  ~Pair() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  void finish_writing() {
    ::close(fd[1]);
    fd[1] = -1;
  }
};

void send_bytes(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

// MessageReader, fed piece by piece; then the next message, until the peer has closed.
void read_with_message_reader(std::span<const std::uint8_t> bytes, std::size_t piece) {
  Pair pair;
  fw::net::MessageReader reader(kMaxHead, kMaxData);
  try {
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      send_bytes(pair.fd[1], bytes.subspan(at, std::min(piece, bytes.size() - at)));
      while (reader.read_from(pair.fd[0])) {
        decode(reader.take());
        reader = fw::net::MessageReader(kMaxHead, kMaxData);
      }
    }
    pair.finish_writing();
    for (;;) {
      if (reader.read_from(pair.fd[0])) {
        decode(reader.take());
        reader = fw::net::MessageReader(kMaxHead, kMaxData);
      }
    }
  } catch (const NetError&) {
  }
}

// Connection::receive on everything at once: messages until the closed connection's NetError.
void read_with_connection(std::span<const std::uint8_t> bytes) {
  Pair pair;
  send_bytes(pair.fd[1], bytes);
  pair.finish_writing();
  fw::net::Connection connection(pair.fd[0]);
  pair.fd[0] = -1;
  try {
    for (;;) decode(connection.receive(1000, kMaxData, 5000));
  } catch (const NetError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  // The socket buffer holds the largest input libFuzzer makes (-max_len, 4096 by default).
  if (bytes.size() > 64 * 1024) return 0;
  read_with_message_reader(bytes, 1 + data[0] % 32);
  read_with_connection(bytes);
  return 0;
}
