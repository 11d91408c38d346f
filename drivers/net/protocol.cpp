#include "net/protocol.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>

namespace fw::net {
namespace {

constexpr char kMagic[4] = {'F', 'W', 'R', '1'};
constexpr std::uint32_t kMaxHead = 1u << 20;
using Clock = std::chrono::steady_clock;

void wait_for(int fd, short events, int timeout_ms, const char* what) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready > 0) return;
    if (ready == 0) {
      throw NetError(NetError::Kind::timeout, fmt::format("no {} within {} ms", what, timeout_ms));
    }
    if (errno != EINTR) throw NetError(NetError::Kind::io, std::strerror(errno));
  }
}

void write_all(int fd, const void* bytes, std::size_t size, int timeout_ms) {
  const auto* p = static_cast<const std::uint8_t*>(bytes);
  while (size > 0) {
    wait_for(fd, POLLOUT, timeout_ms, "room to send");
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw NetError(
          errno == EPIPE || errno == ECONNRESET ? NetError::Kind::closed : NetError::Kind::io,
          std::string("send: ") + std::strerror(errno));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

// `deadline`: when the whole message must be in (Clock::time_point::max(): no bound).
void read_exact(int fd, void* bytes, std::size_t size, int timeout_ms, Clock::time_point deadline) {
  auto* p = static_cast<std::uint8_t*>(bytes);
  while (size > 0) {
    int wait_ms = timeout_ms;
    if (deadline != Clock::time_point::max()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        throw NetError(NetError::Kind::timeout, "the message did not arrive in time");
      }
      wait_ms = static_cast<int>(std::min<std::int64_t>(wait_ms, left.count()));
    }
    wait_for(fd, POLLIN, wait_ms, "reply");
    const ssize_t n = ::recv(fd, p, size, 0);
    if (n == 0) throw NetError(NetError::Kind::closed, "connection closed by the peer");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw NetError(errno == ECONNRESET ? NetError::Kind::closed : NetError::Kind::io,
                     std::string("recv: ") + std::strerror(errno));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void put_be(std::uint8_t* out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) out[i] = static_cast<std::uint8_t>(value);
}

std::uint64_t get_be(const std::uint8_t* in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | in[i];
  return value;
}

void tune(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

}  // namespace

Connection::Connection(int fd) : fd_(fd) {}
Connection::~Connection() {
  close();
}
Connection::Connection(Connection&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Connection Connection::dial(const std::string& host, std::uint16_t port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw NetError(NetError::Kind::io,
                   fmt::format("cannot resolve {}: {}", host, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    Connection connection(fd);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = std::strerror(errno);
      continue;
    }
    try {
      wait_for(fd, POLLOUT, timeout_ms, "connection");
    } catch (const NetError& e) {
      last = e.what();
      continue;
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      last = std::strerror(error);
      continue;
    }
    tune(fd);
    return connection;
  }
  throw NetError(NetError::Kind::io, fmt::format("cannot connect to {}:{}: {}", host, port, last));
}

void Connection::send(  // NOLINT(readability-make-member-function-const): writes the socket
    const nlohmann::json& head, std::span<const std::uint8_t> data, int timeout_ms) {
  if (fd_ < 0) throw NetError(NetError::Kind::closed, "not connected");
  const std::string text = head.dump();
  std::uint8_t header[16];
  std::memcpy(header, kMagic, 4);
  put_be(header + 4, text.size(), 4);
  put_be(header + 8, data.size(), 8);
  write_all(fd_, header, sizeof header, timeout_ms);
  write_all(fd_, text.data(), text.size(), timeout_ms);
  if (!data.empty()) write_all(fd_, data.data(), data.size(), timeout_ms);
}

namespace {

// The 16-byte frame header: the sizes of head and data, checked before anything is allocated.
std::pair<std::uint64_t, std::uint64_t> message_sizes(const std::uint8_t* header,
                                                      std::uint64_t max_head,
                                                      std::uint64_t max_data) {
  if (std::memcmp(header, kMagic, 4) != 0) {
    throw NetError(NetError::Kind::protocol, "not a filmwriter recorder message (bad magic)");
  }
  const std::uint64_t head_size = get_be(header + 4, 4);
  const std::uint64_t data_size = get_be(header + 8, 8);
  if (head_size == 0 || head_size > max_head || data_size > max_data) {
    throw NetError(NetError::Kind::protocol,
                   fmt::format("message sizes out of range (head {} of at most {}, data {} of at "
                               "most {})",
                               head_size, max_head, data_size, max_data));
  }
  return {head_size, data_size};
}

nlohmann::json parse_head(const std::uint8_t* text, std::size_t size) {
  nlohmann::json head;
  try {
    head = nlohmann::json::parse(text, text + size);
  } catch (const nlohmann::json::exception& e) {
    throw NetError(NetError::Kind::protocol, std::string("bad message head: ") + e.what());
  }
  // Message::type() reads it as a string: a type of another kind is no message.
  if (!head.is_object() || !head.contains("type") || !head.at("type").is_string()) {
    throw NetError(NetError::Kind::protocol, "message head without a type");
  }
  return head;
}

}  // namespace

Message Connection::receive(  // NOLINT(readability-make-member-function-const): reads the socket
    int timeout_ms, std::uint64_t max_data, int total_ms) {
  if (fd_ < 0) throw NetError(NetError::Kind::closed, "not connected");
  const Clock::time_point deadline =
      total_ms > 0 ? Clock::now() + std::chrono::milliseconds(total_ms) : Clock::time_point::max();
  std::uint8_t header[16];
  read_exact(fd_, header, sizeof header, timeout_ms, deadline);
  const auto [head_size, data_size] = message_sizes(header, kMaxHead, max_data);
  std::vector<std::uint8_t> text(head_size);
  read_exact(fd_, text.data(), text.size(), timeout_ms, deadline);
  Message message;
  message.head = parse_head(text.data(), text.size());
  message.data.resize(data_size);
  if (data_size) read_exact(fd_, message.data.data(), data_size, timeout_ms, deadline);
  return message;
}

bool MessageReader::read_from(int fd) {
  while (bytes_.size() < needed_) {
    const std::size_t have = bytes_.size();
    bytes_.resize(needed_);
    const ssize_t n = ::recv(fd, bytes_.data() + have, needed_ - have, MSG_DONTWAIT);
    if (n <= 0) bytes_.resize(have);
    if (n == 0) throw NetError(NetError::Kind::closed, "connection closed by the peer");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
      throw NetError(NetError::Kind::io, std::string("recv: ") + std::strerror(errno));
    }
    bytes_.resize(have + static_cast<std::size_t>(n));
    if (!sized_ && bytes_.size() == 16) {
      const auto [head_size, data_size] = message_sizes(bytes_.data(), max_head_, max_data_);
      needed_ = 16 + head_size + data_size;
      sized_ = true;
    }
  }
  return true;
}

Message MessageReader::take() {
  const std::uint64_t head_size = get_be(bytes_.data() + 4, 4);
  Message message;
  message.head = parse_head(bytes_.data() + 16, head_size);
  message.data.assign(bytes_.begin() + static_cast<std::ptrdiff_t>(16 + head_size), bytes_.end());
  return message;
}

Listener::Listener(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    throw NetError(NetError::Kind::io,
                   fmt::format("cannot resolve {}: {}", host, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 8) != 0) {
      last = std::strerror(errno);
      ::close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    fd_ = fd;
    return;
  }
  throw NetError(NetError::Kind::io, fmt::format("cannot listen on {}:{}: {}", host, port, last));
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

Connection Listener::accept() {  // NOLINT(readability-make-member-function-const): takes a
                                 // connection off the socket's queue
  const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) throw NetError(NetError::Kind::io, std::string("accept: ") + std::strerror(errno));
  tune(fd);
  return Connection(fd);
}

const char* error_name(hal::DeviceErrorKind kind) {
  switch (kind) {
    case hal::DeviceErrorKind::out_of_film:
      return "out_of_film";
    case hal::DeviceErrorKind::fault:
      return "fault";
    case hal::DeviceErrorKind::disconnected:
      return "disconnected";
    case hal::DeviceErrorKind::underrun:
      return "underrun";
    case hal::DeviceErrorKind::invalid_frame:
      return "invalid_frame";
    case hal::DeviceErrorKind::bad_option:
      return "bad_option";
  }
  return "fault";
}

bool error_kind(const std::string& name, hal::DeviceErrorKind& kind) {
  for (auto k : {hal::DeviceErrorKind::out_of_film, hal::DeviceErrorKind::fault,
                 hal::DeviceErrorKind::disconnected, hal::DeviceErrorKind::underrun,
                 hal::DeviceErrorKind::invalid_frame, hal::DeviceErrorKind::bad_option}) {
    if (name == error_name(k)) {
      kind = k;
      return true;
    }
  }
  return false;
}

nlohmann::json to_json(const hal::Capabilities& caps) {
  return {{"pixel_pitch_um", caps.pixel_pitch_um},
          {"max_width_px", caps.max_width_px},
          {"max_height_px", caps.max_height_px},
          {"bit_depths", caps.bit_depths},
          {"channels", caps.channels},
          {"film_formats", caps.film_formats},
          {"write_rate_lines_per_s", caps.write_rate_lines_per_s},
          {"buffer_frames", caps.buffer_frames},
          {"calibration", caps.calibration}};
}

nlohmann::json to_json(const hal::Capabilities& caps, const hal::Recorder& recorder) {
  nlohmann::json json = to_json(caps);
  std::vector<std::string> names;
  for (const std::string_view name : hal::capability_names()) {
    if (recorder.supports(name)) names.emplace_back(name);
  }
  json["supports"] = names;
  return json;
}

std::optional<std::vector<std::string>> supports_from(const nlohmann::json& capabilities) {
  if (!capabilities.is_object() || !capabilities.contains("supports")) return std::nullopt;
  const nlohmann::json& list = capabilities.at("supports");
  if (!list.is_array()) {
    throw NetError(NetError::Kind::protocol, "malformed message: supports is not a list");
  }
  std::vector<std::string> names;
  for (const auto& name : list) names.push_back(value_as<std::string>(name, "supports"));
  return names;
}

nlohmann::json to_json(const hal::FilmGeometry& g) {
  nlohmann::json json = {{"fiche", g.fiche},
                         {"comic", g.comic},
                         {"frame_gap_mm", g.frame_gap_mm},
                         {"leader_m", g.leader_m},
                         {"trailer_m", g.trailer_m}};
  if (g.fiche) {
    const hal::FicheSheet& s = g.sheet;
    json["sheet"] = {{"width_mm", s.width_mm},
                     {"height_mm", s.height_mm},
                     {"columns", s.columns},
                     {"rows", s.rows},
                     {"header_rows", s.header_rows},
                     {"cell_width_mm", s.cell_width_mm},
                     {"cell_height_mm", s.cell_height_mm},
                     {"by_rows", s.by_rows}};
  }
  return json;
}

namespace {

template <typename T>
std::vector<T> list(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_array()) {
    throw NetError(NetError::Kind::protocol, "malformed message: no list " + key);
  }
  std::vector<T> values;
  for (const auto& value : object.at(key)) values.push_back(value_as<T>(value, key));
  return values;
}

}  // namespace

hal::FilmGeometry geometry_from(const nlohmann::json& json) {
  hal::FilmGeometry g;
  if (!json.is_object()) throw NetError(NetError::Kind::protocol, "malformed film geometry");
  g.fiche = field(json, "fiche", false);
  g.comic = field(json, "comic", true);
  g.frame_gap_mm = field(json, "frame_gap_mm", 1.0);
  g.leader_m = field(json, "leader_m", 1.0);
  g.trailer_m = field(json, "trailer_m", 1.0);
  if (g.fiche) {
    const nlohmann::json& s = json.contains("sheet") ? json.at("sheet") : nlohmann::json();
    g.sheet.width_mm = field<double>(s, "width_mm");
    g.sheet.height_mm = field<double>(s, "height_mm");
    g.sheet.columns = field<std::uint32_t>(s, "columns");
    g.sheet.rows = field<std::uint32_t>(s, "rows");
    g.sheet.header_rows = field<std::uint32_t>(s, "header_rows");
    g.sheet.cell_width_mm = field<double>(s, "cell_width_mm");
    g.sheet.cell_height_mm = field<double>(s, "cell_height_mm");
    g.sheet.by_rows = field<bool>(s, "by_rows");
  }
  return g;
}

hal::Capabilities capabilities_from(const nlohmann::json& json) {
  hal::Capabilities caps;
  caps.pixel_pitch_um = field<double>(json, "pixel_pitch_um");
  caps.max_width_px = field<std::uint32_t>(json, "max_width_px");
  caps.max_height_px = field<std::uint32_t>(json, "max_height_px");
  caps.bit_depths = list<int>(json, "bit_depths");
  caps.channels = list<int>(json, "channels");
  caps.film_formats = list<std::string>(json, "film_formats");
  caps.write_rate_lines_per_s = field<double>(json, "write_rate_lines_per_s");
  caps.buffer_frames = field<std::uint32_t>(json, "buffer_frames");
  // A recorderd older than the field names no calibration.
  caps.calibration = field(json, "calibration", std::string());
  return caps;
}

hal::ReelSpec reel_from(const nlohmann::json& json) {
  hal::ReelSpec spec;
  spec.reel_id = field<std::string>(json, "reel_id");
  spec.reel_number = field<std::uint32_t>(json, "reel_number");
  spec.job_id = field<std::string>(json, "job_id");
  spec.film_format = field(json, "film_format", std::string());
  spec.stock = field(json, "stock", std::string());
  spec.film_length_m = field(json, "film_length_m", 0.0);
  spec.first_frame = field(json, "first_frame", 1u);
  spec.keep_film = field(json, "keep_film", false);
  spec.geometry =
      geometry_from(json.contains("geometry") ? json.at("geometry") : nlohmann::json::object());
  return spec;
}

Hello hello_from(const Message& message) {
  Hello hello;
  hello.version = field(message.head, "version", 0);
  hello.token = field(message.head, "token", std::string());
  hello.client = field(message.head, "client", std::string("?"));
  hello.session = field(message.head, "session", std::string());
  return hello;
}

}  // namespace fw::net
