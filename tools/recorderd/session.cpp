// recorderd: connections, the hello and its token, the client's session, and dispatching its
// messages (tools/recorderd/daemon.hpp).
#include <poll.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "base/error.hpp"
#include "builtin.hpp"
#include "daemon.hpp"

namespace fw::recorderd {

Daemon::Daemon(Settings settings) : s_(std::move(settings)) {
  for (const auto& text : s_.options) {
    auto kv = fw::hal::split_key_value(text);
    if (!kv) throw std::runtime_error("-O: expected KEY=VALUE, got \"" + text + "\"");
    options_[kv->first] = std::move(kv->second);
  }
  // -O profiles=DIR is the older spelling of --profiles: the folder is no driver option.
  if (auto dir = fw::hal::take_option(options_, "profiles")) {
    if (!s_.profiles.empty() && fs::path(*dir) != fs::path(s_.profiles)) {
      throw std::runtime_error("--profiles " + s_.profiles + " and -O profiles=" + *dir +
                               " both name the profiles folder; keep only --profiles");
    }
    s_.profiles = *dir;
  }
  fw::drivers::register_builtin_drivers(registry_);
  if (s_.driver == "net") throw std::runtime_error("--driver net would serve itself");
  recorder_ = registry_.open(s_.driver, options_, {s_.profiles});
  caps_ = recorder_->capabilities();
  // The largest frame the device takes; a longer message is refused before it is read.
  const int bits = caps_.bit_depths.empty()
                       ? 16
                       : *std::max_element(caps_.bit_depths.begin(), caps_.bit_depths.end());
  const int channels =
      caps_.channels.empty() ? 3 : *std::max_element(caps_.channels.begin(), caps_.channels.end());
  max_frame_bytes_ = std::uint64_t{caps_.max_width_px} * caps_.max_height_px *
                     static_cast<std::uint64_t>(channels) *
                     static_cast<std::uint64_t>((bits + 7) / 8);
  if (!s_.token_file.empty()) {
    std::ifstream in(s_.token_file);
    if (!in) throw std::runtime_error("--token-file: cannot read " + s_.token_file);
    std::getline(in, s_.token);
  }
}

int Daemon::serve() {
  fw::net::Listener listener(s_.listen, s_.port);
  if (!s_.port_file.empty()) {
    const fs::path tmp = s_.port_file + ".tmp";
    std::ofstream(tmp) << listener.port() << "\n";
    fs::rename(tmp, s_.port_file);
  }
  log("serving the {} driver on {}:{}, files under {}{}; frames of at most {} bytes", s_.driver,
      s_.listen, listener.port(), fs::absolute(s_.root).string(),
      s_.token.empty() ? " (no token: any client may drive the device)" : "", max_frame_bytes_);
  while (!stop.load()) {
    // The listener, the client, then the connections still saying hello: no peer is ever
    // waited on while another is ready.
    std::vector<pollfd> fds{{listener.fd(), POLLIN, 0}, {client_.fd(), POLLIN, 0}};
    for (const Greeting& g : greetings_) fds.push_back({g.connection.fd(), POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), 200);
    if (ready < 0) continue;  // EINTR: check `stop`
    const auto now = Clock::now();
    for (std::size_t i = greetings_.size(); i-- > 0;) {
      Greeting& g = greetings_[i];
      bool done = false;
      try {
        if (fds[2 + i].revents && g.reader.read_from(g.connection.fd())) {
          greet(std::move(g.connection), g.reader.take());
          done = true;
        } else if (now > g.deadline) {
          log("a connection sent no hello within {} s: closed", kHelloSeconds);
          done = true;
        }
      } catch (const NetError& e) {
        log("a connection failed during hello: {}", e.what());
        done = true;
      }
      if (done) greetings_.erase(greetings_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (fds[0].revents & POLLIN) accept_one(listener);
    if (client_.open() && fds[1].revents) {
      try {
        // An authenticated client's message: a frame at most as large as the device takes,
        // all of it within the deadline.
        handle(client_.receive(30000, max_frame_bytes_, kMessageSeconds * 1000));
        last_message_ = Clock::now();
      } catch (const NetError& e) {
        log("client {}: {}; the device keeps reel {} ({} frames)", holder_, e.what(),
            loaded_ ? spec_.reel_id : "-", exposed_);
        client_.close();
      } catch (const std::exception& e) {
        // Never the daemon's end: the device and its reel outlive a bad request.
        log("client {}: {}: released", holder_, e.what());
        client_.close();
      }
    } else if (client_.open() &&
               std::chrono::duration<double>(Clock::now() - last_message_).count() >
                   s_.idle_timeout_s) {
      log("client {} idle for {} s: released", holder_, s_.idle_timeout_s);
      client_.close();
    }
  }
  log("stopping");
  return 0;
}

void Daemon::accept_one(fw::net::Listener& listener) {
  try {
    Connection incoming = listener.accept();
    if (greetings_.size() >= kMaxGreetings) {
      log("{} connections are saying hello already: one more closed", kMaxGreetings);
      return;
    }
    // A hello carries no data: nothing large is read before the token is checked.
    greetings_.push_back({std::move(incoming), fw::net::MessageReader(64 * 1024, 0),
                          Clock::now() + std::chrono::seconds(kHelloSeconds)});
  } catch (const NetError& e) {
    log("{}", e.what());
  }
}

void Daemon::greet(Connection incoming, const Message& hello) {
  try {
    fw::net::Hello fields;
    try {
      fields = fw::net::hello_from(hello);
    } catch (const NetError& e) {  // a field of the wrong type
      reply_error(incoming, "protocol", e.what());
      return;
    }
    if (hello.type() != "hello" || fields.version != fw::net::kProtocolVersion) {
      reply_error(incoming, "protocol",
                  fmt::format("expected hello version {}", fw::net::kProtocolVersion));
      return;
    }
    if (!s_.token.empty() && fields.token != s_.token) {
      log("refused a client: wrong token");
      reply_error(incoming, "auth", "wrong token");
      return;
    }
    const std::string& session = fields.session;
    const std::string& who = fields.client;
    if (client_.open() && (session.empty() || session != session_)) {
      log("refused {}: the device is held by {}", who, holder_);
      reply_error(incoming, "busy",
                  fmt::format("the device is held by {} since {}", holder_, holder_since_));
      return;
    }
    if (client_.open()) log("{} reconnected: it takes over its session", who);
    if (session.empty() || session != session_) {
      std::random_device random;
      session_ = fmt::format("{:08x}{:08x}", random(), random());
    }
    incoming.send({{"type", "welcome"},
                   {"device", s_.driver},
                   {"capabilities", fw::net::to_json(caps_, *recorder_)},
                   {"session", session_},
                   {"state", state()}});
    client_ = std::move(incoming);
    last_message_ = Clock::now();  // the idle timeout counts from the new client's hello
    holder_ = who;
    holder_since_ = fw::utc_timestamp_now();
    log("client {} connected (session {})", holder_, session_);
  } catch (const NetError& e) {
    log("a connection failed during hello: {}", e.what());
  }
}

void Daemon::handle(const Message& m) {
  const std::string type = m.type();
  try {
    if (type == "frame") return frame(m);
    if (type == "load") return load(m.head.at("reel"));
    if (type == "film") return film(m.head.at("reel"));
    if (type == "unload") return unload();
    if (type == "status") return client_.send({{"type", "status"}, {"state", state()}});
    if (type == "bye") {
      log("client {} said bye", holder_);
      client_.close();
      return;
    }
    reply_error(client_, "protocol", "unknown message type \"" + type + "\"");
  } catch (const fw::hal::DeviceError& e) {
    device_error(e);
  } catch (const nlohmann::json::exception& e) {
    reply_error(client_, "protocol", std::string("malformed ") + type + ": " + e.what());
  } catch (const NetError& e) {
    // A field of the wrong type or out of range (fw::net::field): the request is refused,
    // the client stays.
    if (e.kind() != NetError::Kind::protocol) throw;
    reply_error(client_, "protocol", std::string("malformed ") + type + ": " + e.what());
  } catch (const fs::filesystem_error& e) {
    log("{}: {}", type, e.what());
    reply_error(client_, "fault", std::string("recorderd: ") + e.what());
  } catch (const fw::Error& e) {
    // The served driver's own files cannot be written (its disk is full): for the client
    // that is the device's fault; the daemon goes on serving.
    log("{}: {}", type, e.what());
    reply_error(client_, "fault", std::string("recorderd: ") + e.what());
  }
}

void Daemon::reply_error(Connection& c, const std::string& kind, const std::string& message) {
  c.send({{"type", "error"}, {"kind", kind}, {"message", message}});
}

void Daemon::device_error(const fw::hal::DeviceError& e) {
  log("device error: {}: {}", fw::hal::to_string(e.kind()), e.what());
  reply_error(client_, fw::net::error_name(e.kind()), e.what());
}

nlohmann::json Daemon::state() const {
  return {{"loaded", loaded_},
          {"job", loaded_ ? spec_.job_id : ""},
          {"reel", loaded_ ? spec_.reel_id : ""},
          {"frames_exposed", exposed_},
          {"frames_on_film", on_film()},
          {"text", loaded_ ? fmt::format("reel {} of job {}: {} frames", spec_.reel_id,
                                         spec_.job_id, exposed_)
                           : std::string("no reel loaded")}};
}

}  // namespace fw::recorderd
