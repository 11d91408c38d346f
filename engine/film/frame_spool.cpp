#include "film/frame_spool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <type_traits>

#include "base/files.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

constexpr std::size_t kCheckpoint = 256;      // frames between two remembered offsets
constexpr std::size_t kWindow = 256 * 1024;   // bytes read at once
constexpr std::size_t kWriteChunk = 1 << 20;  // bytes written at once

// A new field of PlannedFrame must be written and read below too; this stops the build
// until it is (and the round-trip test in film_plan_targets_test compares every field plan.json
// shows).
static_assert(sizeof(PlannedFrame) == 496, "PlannedFrame changed: update FrameSpool's record");
static_assert(std::is_trivially_copyable_v<Placement> && std::is_trivially_copyable_v<PageInfo>);

struct RecordWriter {
  std::string& out;
  template <typename T>
  void pod(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void text(const std::string& value) {
    pod(static_cast<std::uint32_t>(value.size()));
    out.append(value);
  }
};

struct RecordReader {
  const char* at;
  const char* end;
  template <typename T>
  T pod() {
    T value;
    take(&value, sizeof value);
    return value;
  }
  std::string text() {
    const auto size = pod<std::uint32_t>();
    std::string value(size, '\0');
    take(value.data(), size);
    return value;
  }
  void take(void* to, std::size_t bytes) {
    if (static_cast<std::size_t>(end - at) < bytes) {
      throw Error(ErrorKind::internal, "frame spool: a frame record is cut short");
    }
    std::memcpy(to, at, bytes);
    at += bytes;
  }
};

void write_record(std::string& out, const PlannedFrame& f) {
  const std::size_t start = out.size();
  RecordWriter w{out};
  w.pod(std::uint32_t{0});  // the record's length, set below
  w.pod(f.sequence);
  w.pod(f.reel);
  w.pod(f.number);
  w.pod(f.kind);
  w.pod(f.document);
  w.pod(f.page);
  w.text(f.source.ref.file);
  w.pod(f.source.ref.page_in_file);
  w.pod(f.source.ref.pages_in_file);
  w.pod(f.source.ref.format);
  w.pod(f.source.ref.checked_sha256);
  w.pod(f.source.info);
  w.text(f.reason);
  w.text(f.target);
  w.text(f.note);
  w.pod(f.placement);
  w.pod(f.film_position_mm);
  w.pod(f.blip);
  w.text(f.address);
  w.pod(f.reduction);
  w.pod(f.other_reel);
  w.pod(f.grid_row);
  w.pod(f.grid_column);
  w.pod(f.pixel_pitch_um);
  w.pod(f.separation);
  w.pod(f.data_file);
  w.pod(f.data_frame);
  w.pod(f.data_unit);
  w.pod(f.toc_first);
  w.pod(f.toc_count);
  w.pod(f.announced_reduction);
  w.pod(f.section);
  w.pod(f.sections);
  w.pod(f.section_columns);
  const auto length = static_cast<std::uint32_t>(out.size() - start - sizeof(std::uint32_t));
  std::memcpy(out.data() + start, &length, sizeof length);
}

PlannedFrame read_record(RecordReader r) {
  PlannedFrame f;
  f.sequence = r.pod<std::uint64_t>();
  f.reel = r.pod<std::uint32_t>();
  f.number = r.pod<std::uint32_t>();
  f.kind = r.pod<FrameKind>();
  f.document = r.pod<std::size_t>();
  f.page = r.pod<std::uint32_t>();
  f.source.ref.file = r.text();
  f.source.ref.page_in_file = r.pod<std::uint32_t>();
  f.source.ref.pages_in_file = r.pod<std::uint32_t>();
  f.source.ref.format = r.pod<SourceFormat>();
  f.source.ref.checked_sha256 = r.pod<std::array<std::uint8_t, 32>>();
  f.source.info = r.pod<PageInfo>();
  f.reason = r.text();
  f.target = r.text();
  f.note = r.text();
  f.placement = r.pod<Placement>();
  f.film_position_mm = r.pod<double>();
  f.blip = r.pod<hal::BlipLevel>();
  f.address = r.text();
  f.reduction = r.pod<double>();
  f.other_reel = r.pod<std::uint32_t>();
  f.grid_row = r.pod<std::uint32_t>();
  f.grid_column = r.pod<std::uint32_t>();
  f.pixel_pitch_um = r.pod<double>();
  f.separation = r.pod<Separation>();
  f.data_file = r.pod<std::uint32_t>();
  f.data_frame = r.pod<std::uint32_t>();
  f.data_unit = r.pod<std::uint32_t>();
  f.toc_first = r.pod<std::uint32_t>();
  f.toc_count = r.pod<std::uint32_t>();
  f.announced_reduction = r.pod<double>();
  f.section = r.pod<std::uint32_t>();
  f.sections = r.pod<std::uint32_t>();
  f.section_columns = r.pod<std::uint32_t>();
  return f;
}

}  // namespace

FrameSpool::FrameSpool(std::vector<PlannedFrame>&& frames, const std::filesystem::path& dir)
    : count_(frames.size()), dir_(dir) {
  std::string name = (dir / ".frames-XXXXXX").string();
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) {
    throw Error(ErrorKind::storage, fmt::format("{}: cannot create the plan's frame spool: {}",
                                                dir.string(), std::strerror(errno)));
  }
  ::unlink(name.c_str());
  std::string chunk;
  const auto flush = [&] {
    try {
      write_all(fd_, chunk, name);  // named as it was created: it has no name now
    } catch (...) {
      ::close(fd_);
      throw;
    }
    file_size_ += chunk.size();
    chunk.clear();
  };
  checkpoints_.reserve(count_ / kCheckpoint + 1);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i % kCheckpoint == 0) checkpoints_.push_back(file_size_ + chunk.size());
    write_record(chunk, frames[i]);
    if (chunk.size() >= kWriteChunk) flush();
  }
  flush();
  std::vector<PlannedFrame>().swap(frames);
}

FrameSpool::~FrameSpool() {
  if (fd_ >= 0) ::close(fd_);
}

void FrameSpool::fill(std::uint64_t offset, std::size_t at_least) {
  window_offset_ = offset;
  cursor_ = 0;
  window_.resize(static_cast<std::size_t>(
      std::min<std::uint64_t>(std::max(kWindow, at_least), file_size_ - offset)));
  for (std::size_t done = 0; done < window_.size();) {
    const ssize_t n = ::pread(fd_, window_.data() + done, window_.size() - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw Error(ErrorKind::storage,
                  fmt::format("{}: cannot read the plan's frame spool: {}", dir_.string(),
                              n < 0 ? std::strerror(errno) : "the file is shorter than written"));
    }
    done += static_cast<std::size_t>(n);
  }
}

PlannedFrame FrameSpool::read(std::size_t index) {
  if (index >= count_) {
    throw Error(ErrorKind::internal,
                fmt::format("frame spool: frame {} of a plan of {} frames", index, count_));
  }
  // Backwards, or past the current stretch of frames: start at the nearest checkpoint.
  const bool behind = index < next_;
  const bool beyond = index != next_ && index / kCheckpoint > next_ / kCheckpoint;
  if (window_.empty() || behind || beyond) {
    fill(checkpoints_[index / kCheckpoint], 0);
    next_ = index / kCheckpoint * kCheckpoint;
  }
  for (;;) {
    std::uint32_t length = 0;
    const std::size_t left = window_.size() - cursor_;
    if (left >= sizeof length) std::memcpy(&length, window_.data() + cursor_, sizeof length);
    if (left < sizeof length || left - sizeof length < length) {
      // The record runs past the window: read on from where it starts.
      const std::uint64_t at = window_offset_ + cursor_;
      const std::size_t need = sizeof length + (left < sizeof length ? 0 : length);
      if (at + need > file_size_) {
        throw Error(ErrorKind::internal, "frame spool: the file ends inside a frame record");
      }
      fill(at, need);
      continue;
    }
    const char* record = window_.data() + cursor_ + sizeof length;
    cursor_ += sizeof length + length;
    if (next_++ == index) return read_record({record, record + length});
  }
}

}  // namespace fw
