// recorderd: serves one local recorder driver (tiff, sim, ...) to the network with the
// protocol of drivers/net/protocol.hpp, for the `net` driver. One client holds the device at a
// time; the device state (the loaded reel and the sha256 of every frame on it) outlives client
// connections, so a client that reconnects, or a resumed job, continues the reel exactly once.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <vips/vips8>

#include "base/error.hpp"
#include "base/sha256.hpp"
#include "base/utc.hpp"
#include "builtin.hpp"
#include "hal/registry.hpp"
#include "net/protocol.hpp"

namespace {

namespace fs = std::filesystem;
using fw::net::Connection;
using fw::net::Message;
using fw::net::NetError;

std::atomic<bool> stop{false};
extern "C" void on_signal(int) {
  stop.store(true);
}

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
  explicit Daemon(Settings settings) : s_(std::move(settings)) {
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
    const int channels = caps_.channels.empty()
                             ? 3
                             : *std::max_element(caps_.channels.begin(), caps_.channels.end());
    max_frame_bytes_ = std::uint64_t{caps_.max_width_px} * caps_.max_height_px *
                       static_cast<std::uint64_t>(channels) *
                       static_cast<std::uint64_t>((bits + 7) / 8);
    if (!s_.token_file.empty()) {
      std::ifstream in(s_.token_file);
      if (!in) throw std::runtime_error("--token-file: cannot read " + s_.token_file);
      std::getline(in, s_.token);
    }
  }

  int serve() {
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

 private:
  // Frames of the loaded reel that outlive a restart of this daemon (on the device's disk).
  std::uint32_t on_film() const {
    if (!loaded_) return 0;
    return std::min(exposed_, recorder_->status().frames_on_film.value_or(exposed_));
  }

  nlohmann::json state() const {
    return {{"loaded", loaded_},
            {"job", loaded_ ? spec_.job_id : ""},
            {"reel", loaded_ ? spec_.reel_id : ""},
            {"frames_exposed", exposed_},
            {"frames_on_film", on_film()},
            {"text", loaded_ ? fmt::format("reel {} of job {}: {} frames", spec_.reel_id,
                                           spec_.job_id, exposed_)
                             : std::string("no reel loaded")}};
  }

  static void reply_error(Connection& c, const std::string& kind, const std::string& message) {
    c.send({{"type", "error"}, {"kind", kind}, {"message", message}});
  }

  void accept_one(fw::net::Listener& listener) {
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

  void greet(Connection incoming, const Message& hello) {
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

  void device_error(const fw::hal::DeviceError& e) {
    log("device error: {}: {}", fw::hal::to_string(e.kind()), e.what());
    reply_error(client_, fw::net::error_name(e.kind()), e.what());
  }

  void handle(const Message& m) {
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

  fs::path reel_dir(const fw::hal::ReelSpec& spec) const {
    return fs::path(s_.root) / spec.job_id / spec.reel_id;
  }

  void close_reel(const char* why) {
    if (!loaded_) return;
    try {
      recorder_->unload();
    } catch (const fw::hal::DeviceError& e) {
      log("unloading reel {}: {}", spec_.reel_id, e.what());
    } catch (const fw::Error& e) {
      log("unloading reel {}: {}", spec_.reel_id, e.what());
    }
    log("reel {} of job {} unloaded ({}) after {} frames", spec_.reel_id, spec_.job_id, why,
        exposed_);
    loaded_ = false;
  }

  // Reel and job ids become folder names under --root: one path component each, short
  // enough for any file system, without control characters.
  static constexpr std::size_t kMaxIdBytes = 128;
  static bool plain_name(const std::string& id) {
    return !id.empty() && id.size() <= kMaxIdBytes && !id.starts_with(".") &&
           std::none_of(id.begin(), id.end(), [](char c) {
             return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
           });
  }
  static bool plain_names(const fw::hal::ReelSpec& spec) {
    return plain_name(spec.reel_id) && plain_name(spec.job_id);
  }
  static std::string names_refused() {
    return fmt::format(
        "reel and job ids must be plain names: 1 to {} bytes, no '/', '\\', control "
        "characters or leading '.'",
        kMaxIdBytes);
  }

  // What the film holds of a reel, for a client that resumes: the loaded reel holds every frame
  // the daemon accepted (its buffer develops while the daemon lives); another reel, what the
  // device's own record says.
  void film(const nlohmann::json& r) {
    fw::hal::ReelSpec spec = fw::net::reel_from(r);
    if (!plain_names(spec)) {
      return reply_error(client_, "protocol", names_refused());
    }
    nlohmann::json frames = nullptr;
    if (loaded_ && spec.job_id == spec_.job_id && spec.reel_id == spec_.reel_id) {
      frames = exposed_;
    } else {
      spec.work_dir = reel_dir(spec);
      if (recorder_->supports(fw::hal::capability::film_record)) {
        if (const auto on_film = recorder_->frames_on_film(spec)) frames = *on_film;
      }
    }
    client_.send({{"type", "film"}, {"frames", frames}});
  }

  void load(const nlohmann::json& r) {
    fw::hal::ReelSpec spec = fw::net::reel_from(r);
    if (!plain_names(spec)) {
      return reply_error(client_, "protocol", names_refused());
    }
    const bool same = loaded_ && spec.job_id == spec_.job_id && spec.reel_id == spec_.reel_id;
    const bool continues = spec.first_frame > 1 || spec.keep_film;
    if (same && continues && spec.first_frame - 1 <= exposed_) {
      // A reconnect or a resumed job: the reel is still in the device. Frames first_frame ..
      // exposed are already on it and are recognised when they come again.
      log("reel {} continues at frame {} ({} on the reel)", spec.reel_id, spec.first_frame,
          exposed_);
      return client_.send({{"type", "loaded"}, {"state", state()}});
    }
    if (same && continues) {
      return reply_error(client_, "fault",
                         fmt::format("reel {} holds {} frame(s); cannot continue at frame {}",
                                     spec.reel_id, exposed_, spec.first_frame));
    }
    close_reel(same ? "spoiled: loaded again from frame 1" : "another reel was asked for");
    spec.work_dir = reel_dir(spec);
    if (!continues && fs::exists(spec.work_dir) && !fs::is_empty(spec.work_dir)) {
      // Fresh film for a reel that had frames: keep the old attempt's files aside.
      for (int n = 1;; ++n) {
        const fs::path aside = fs::path(s_.root) / spec.job_id / "spoiled" /
                               fmt::format("{}-attempt{}", spec.reel_id, n);
        if (fs::exists(aside)) continue;
        fs::create_directories(aside.parent_path());
        fs::rename(spec.work_dir, aside);
        log("reel {}: earlier files moved to {}", spec.reel_id, aside.string());
        break;
      }
    }
    fs::create_directories(spec.work_dir);
    recorder_->load(spec);
    spec_ = spec;
    loaded_ = true;
    // The device says what its film holds: after a restart of this daemon that can be more
    // than the client knows of (frames exposed before their acknowledgement got out).
    exposed_ = std::max(spec.first_frame - 1, recorder_->status().frames_exposed);
    shas_.assign(exposed_, "");
    log("reel {} of job {} loaded: {} frame(s) on it, the client continues at frame {}",
        spec.reel_id, spec.job_id, exposed_, spec.first_frame);
    client_.send({{"type", "loaded"}, {"state", state()}});
  }

  void frame(const Message& m) {
    const auto number = fw::net::field<std::uint32_t>(m.head, "frame");
    if (!loaded_) return reply_error(client_, "fault", "no reel loaded");
    const std::string reel = fw::net::field<std::string>(m.head, "reel");
    if (reel != spec_.reel_id) {
      return reply_error(
          client_, "invalid_frame",
          fmt::format("frame for reel {} but reel {} is loaded", reel, spec_.reel_id));
    }
    const std::string sha = fw::net::field<std::string>(m.head, "sha256");
    if (fw::sha256_hex(m.data) != sha) {
      return reply_error(client_, "checksum",
                         fmt::format("frame {}: data does not match its sha256", number));
    }
    if (number == 0) return reply_error(client_, "invalid_frame", "frame numbers start at 1");
    if (number <= exposed_ && !shas_[number - 1].empty()) {
      if (shas_[number - 1] == sha) {
        log("reel {} frame {} is already on the reel: acknowledged again", spec_.reel_id, number);
        return accepted(number, true);
      }
      return reply_error(client_, "fault",
                         fmt::format("reel {} frame {} is already exposed with different content",
                                     spec_.reel_id, number));
    }
    if (number > exposed_ + 1) {
      return reply_error(client_, "invalid_frame",
                         fmt::format("reel {}: expected frame {}, got frame {}", spec_.reel_id,
                                     exposed_ + 1, number));
    }
    const bool on_reel = number <= exposed_;  // from before a restart: the device checks it
    const std::string key = fmt::format("{}/{}/{}", spec_.job_id, spec_.reel_id, number);
    if (!on_reel && number == s_.drop_mid_frame && fired_.insert("mid " + key).second) {
      log("injected: frame {} arrived, connection dropped before exposing it", number);
      client_.close();
      return;
    }
    fw::hal::Frame frame;
    frame.width = fw::net::field<std::uint32_t>(m.head, "width");
    frame.height = fw::net::field<std::uint32_t>(m.head, "height");
    frame.channels = fw::net::field<std::uint32_t>(m.head, "channels");
    frame.pixels = m.data;
    frame.pixel_pitch_um = fw::net::field<double>(m.head, "pitch_um");
    frame.reel_number = fw::net::field(m.head, "reel_number", spec_.reel_number);
    frame.frame_number = number;
    const std::string blip = fw::net::field(m.head, "blip", std::string("none"));
    frame.blip = blip == "batch"      ? fw::hal::BlipLevel::batch
                 : blip == "document" ? fw::hal::BlipLevel::document
                 : blip == "page"     ? fw::hal::BlipLevel::page
                                      : fw::hal::BlipLevel::none;
    frame.address = fw::net::field(m.head, "address", std::string());
    frame.description = fw::net::field(m.head, "description", std::string());
    if (s_.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(s_.delay_ms));
    recorder_->expose(frame);  // blocks while the device buffer is full: back-pressure
    if (on_reel) {
      // The device recognised the frame on its film (it throws otherwise).
      shas_[number - 1] = sha;
      log("reel {} frame {} was on the film before the restart: acknowledged again", spec_.reel_id,
          number);
      return accepted(number, true);
    }
    ++exposed_;
    shas_.push_back(sha);
    if (number == s_.drop_before_ack && fired_.insert("ack " + key).second) {
      log("injected: frame {} exposed, connection dropped before its acknowledgement", number);
      client_.close();
      return;
    }
    if (s_.exit_after > 0 && ++exposed_total_ >= s_.exit_after) {
      log("injected: killed after {} exposed frames, the last one unacknowledged", exposed_total_);
      ::kill(::getpid(), SIGKILL);
    }
    accepted(number, false);
  }

  // on_film: the client may forget its copies of frames up to it; later ones it keeps, to send
  // again if this daemon dies with them in the device's buffer.
  void accepted(std::uint32_t number, bool duplicate) {
    client_.send({{"type", "accepted"},
                  {"frame", number},
                  {"duplicate", duplicate},
                  {"on_film", on_film()}});
  }

  void unload() {
    if (!loaded_) return reply_error(client_, "fault", "no reel loaded");
    const fw::hal::ReelReport report = recorder_->unload();
    loaded_ = false;
    nlohmann::json files = nlohmann::json::array();
    for (const auto& file : report.files) {
      files.push_back({{"path", file.generic_string()},
                       {"sha256", fw::sha256_file((spec_.work_dir / file).string())}});
    }
    log("reel {} of job {} unloaded: {} frames, {:.3f} m", spec_.reel_id, spec_.job_id,
        report.frames, report.film_used_m);
    client_.send({{"type", "unloaded"},
                  {"frames", report.frames},
                  {"film_used_m", report.film_used_m},
                  {"files", files},
                  {"state", state()}});
  }

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
