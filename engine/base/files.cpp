#include "base/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/error.hpp"

namespace fw {
namespace {

std::atomic<DurabilityObserver*> installed_observer{nullptr};

[[noreturn]] void fail_io(const std::filesystem::path& path, const char* what) {
  throw Error(ErrorKind::storage, path.string() + ": cannot " + what + ": " + std::strerror(errno));
}

std::filesystem::path folder_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

void sync_fd(int fd, const std::filesystem::path& path, bool data_only) {
  if ((data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0) fail_io(path, "fsync");
  if (DurabilityObserver* o = installed_observer.load()) o->synced(path);
}

void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_io(folder, "open for fsync");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail_io(folder, "fsync");
  if (DurabilityObserver* o = installed_observer.load()) o->synced_folder(folder);
}

void rename_into_place(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) fail_io(to, "rename into place");
  if (DurabilityObserver* o = installed_observer.load()) o->renamed(from, to);
}

// Frame files (17 MB for an A4 frame at 24x) are written past the page cache. Through it, the
// kernel's copy into freshly allocated cache pages and the writeback threads cost more CPU than
// rendering the frame's pixels (bench/README.md, "The engine against its decode floor"), and the
// cache fills with pages nobody reads again. Below this size the page cache is the cheaper way.
constexpr std::size_t kDirectMinBytes = std::size_t{1} << 20;
constexpr std::size_t kDirectAlign = 4096;  // O_DIRECT: buffer, offset and length aligned
constexpr std::size_t kDirectChunk = std::size_t{4} << 20;

struct FreeAligned {
  void operator()(char* p) const { std::free(p); }
};

// Writes `data` to a new file `tmp` with O_DIRECT through an aligned buffer, then cuts the
// last block's padding off. False (nothing left behind) when the filesystem refuses direct
// I/O (tmpfs, some network filesystems): the caller writes through the page cache instead.
bool write_direct(const std::filesystem::path& tmp, std::string_view data) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
  if (fd < 0) {
    if (errno == EINVAL) return false;
    fail_io(tmp, "create");
  }
  thread_local std::unique_ptr<char, FreeAligned> bounce(
      static_cast<char*>(std::aligned_alloc(kDirectAlign, kDirectChunk)));
  const auto give_up = [&] {
    ::close(fd);
    ::unlink(tmp.c_str());
  };
  try {
    if (!bounce) fail_io(tmp, "allocate a buffer for");
    for (std::size_t done = 0; done < data.size();) {
      const std::size_t n = std::min(kDirectChunk, data.size() - done);
      const std::size_t padded = (n + kDirectAlign - 1) / kDirectAlign * kDirectAlign;
      std::memcpy(bounce.get(), data.data() + done, n);
      std::memset(bounce.get() + n, 0, padded - n);
      // The first write says whether this filesystem takes direct I/O at all.
      const ssize_t written = ::write(fd, bounce.get(), padded);
      if (written < 0 && errno == EINVAL && done == 0) {
        give_up();
        return false;
      }
      if (written < 0 && errno != EINTR) fail_io(tmp, "write");
      const std::size_t sent = written < 0 ? 0 : static_cast<std::size_t>(written);
      write_all(fd, std::string_view(bounce.get() + sent, padded - sent), tmp);
      done += n;
    }
    if (data.size() % kDirectAlign != 0 && ::ftruncate(fd, static_cast<off_t>(data.size())) != 0) {
      fail_io(tmp, "truncate");
    }
    sync_fd(fd, tmp, false);
  } catch (...) {
    give_up();
    throw;
  }
  ::close(fd);
  return true;
}

}  // namespace

DurabilityObserver* set_durability_observer(DurabilityObserver* observer) {
  return installed_observer.exchange(observer);
}

void write_file_atomic(const std::filesystem::path& path, std::string_view data) {
  if (data.size() >= kDirectMinBytes) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    if (write_direct(tmp, data)) {
      rename_into_place(tmp, path);
      sync_folder(folder_of(path));
      return;
    }
  }
  AtomicFile file(path);
  file.write(data);
  file.commit();
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> data) {
  write_file_atomic(path,
                    std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

AtomicFile::AtomicFile(std::filesystem::path path)
    : path_(std::move(path)), tmp_(path_.string() + ".tmp") {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_io(tmp_, "create");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::write(std::string_view data) {
  write_all(fd_, data, tmp_);
}

void AtomicFile::commit() {
  sync_fd(fd_, tmp_, false);
  ::close(fd_);
  fd_ = -1;
  rename_into_place(tmp_, path_);
  sync_folder(folder_of(path_));
}

void publish_file(const std::filesystem::path& written, const std::filesystem::path& path) {
  const int fd = ::open(written.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_io(written, "open for fsync");
  try {
    sync_fd(fd, written, false);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  rename_into_place(written, path);
  sync_folder(folder_of(path));
}

std::filesystem::path keep_aside(const std::filesystem::path& file) {
  for (unsigned n = 1;; ++n) {
    std::filesystem::path kept = file;
    kept.replace_filename(file.stem().string() + "." + std::to_string(n) +
                          file.extension().string());
    std::error_code error;
    if (std::filesystem::exists(kept, error)) continue;
    std::filesystem::rename(file, kept, error);
    if (error) {
      throw Error(ErrorKind::storage,
                  file.string() + ": cannot keep it as " + kept.string() + ": " + error.message());
    }
    return kept;
  }
}

AppendFile::AppendFile(std::filesystem::path path, Open mode) : path_(std::move(path)) {
  std::error_code ignored;
  const bool existed = std::filesystem::exists(path_, ignored);
  const int flags =
      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (mode == Open::truncate ? O_TRUNC : 0);
  fd_ = ::open(path_.c_str(), flags, 0644);
  if (fd_ < 0) fail_io(path_, "open for appending");
  if (!existed || mode == Open::truncate) {
    try {
      sync_fd(fd_, path_, false);  // an empty file: its inode, then its name in the folder
      sync_folder(folder_of(path_));
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::append(std::string_view data) {
  // O_APPEND and one write() in the usual case: a crash leaves whole records or a torn tail.
  // A write that fails part way (a full disk) is cut off again, so that a later append, once
  // there is room, does not follow half a record.
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  try {
    write_all(fd_, data, path_);
    sync_fd(fd_, path_, true);
  } catch (...) {
    if (before >= 0) {
      const int saved = errno;
      [[maybe_unused]] const int rc = ::ftruncate(fd_, before);
      errno = saved;
    }
    throw;
  }
}

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_io(path, "write");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace fw
