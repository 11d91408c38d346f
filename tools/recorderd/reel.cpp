// recorderd: the device's reel: load (or continue) a reel, expose its frames exactly once,
// unload it, and say what its film holds (tools/recorderd/daemon.hpp).
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX kill(), not in <csignal>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "base/error.hpp"
#include "base/sha256.hpp"
#include "daemon.hpp"

namespace fw::recorderd {

std::uint32_t Daemon::on_film() const {
  if (!loaded_) return 0;
  return std::min(exposed_, recorder_->status().frames_on_film.value_or(exposed_));
}

fs::path Daemon::reel_dir(const fw::hal::ReelSpec& spec) const {
  return fs::path(s_.root) / spec.job_id / spec.reel_id;
}

void Daemon::close_reel(const char* why) {
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

bool Daemon::plain_name(const std::string& id) {
  return !id.empty() && id.size() <= kMaxIdBytes && !id.starts_with(".") &&
         std::none_of(id.begin(), id.end(), [](char c) {
           return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
         });
}

bool Daemon::plain_names(const fw::hal::ReelSpec& spec) {
  return plain_name(spec.reel_id) && plain_name(spec.job_id);
}

std::string Daemon::names_refused() {
  return fmt::format(
      "reel and job ids must be plain names: 1 to {} bytes, no '/', '\\', control "
      "characters or leading '.'",
      kMaxIdBytes);
}

void Daemon::film(const nlohmann::json& r) {
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

void Daemon::load(const nlohmann::json& r) {
  fw::hal::ReelSpec spec = fw::net::reel_from(r);
  if (!plain_names(spec)) {
    return reply_error(client_, "protocol", names_refused());
  }
  const bool same = loaded_ && spec.job_id == spec_.job_id && spec.reel_id == spec_.reel_id;
  const bool continues = spec.first_frame > 1 || spec.keep_film;
  if (same && continues && spec.first_frame - 1 <= exposed_) {
    // A reconnect or a resumed job: the reel is still in the device. Frames first_frame ..
    // exposed are already on it and are recognised when they come again.
    log("reel {} continues at frame {} ({} on the reel)", spec.reel_id, spec.first_frame, exposed_);
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
  log("reel {} of job {} loaded: {} frame(s) on it, the client continues at frame {}", spec.reel_id,
      spec.job_id, exposed_, spec.first_frame);
  client_.send({{"type", "loaded"}, {"state", state()}});
}

void Daemon::frame(const Message& m) {
  const auto number = fw::net::field<std::uint32_t>(m.head, "frame");
  if (!loaded_) return reply_error(client_, "fault", "no reel loaded");
  const std::string reel = fw::net::field<std::string>(m.head, "reel");
  if (reel != spec_.reel_id) {
    return reply_error(client_, "invalid_frame",
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

void Daemon::accepted(std::uint32_t number, bool duplicate) {
  client_.send(
      {{"type", "accepted"}, {"frame", number}, {"duplicate", duplicate}, {"on_film", on_film()}});
}

void Daemon::unload() {
  if (!loaded_) return reply_error(client_, "fault", "no reel loaded");
  const fw::hal::ReelReport report = recorder_->unload();
  loaded_ = false;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& file : report.files) {
    files.push_back({{"path", file.generic_string()},
                     {"sha256", fw::sha256_file((spec_.work_dir / file).string())}});
  }
  log("reel {} of job {} unloaded: {} frames, {:.3f} m", spec_.reel_id, spec_.job_id, report.frames,
      report.film_used_m);
  client_.send({{"type", "unloaded"},
                {"frames", report.frames},
                {"film_used_m", report.film_used_m},
                {"files", files},
                {"state", state()}});
}

}  // namespace fw::recorderd
