#include "qc/thumbnails.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/files.hpp"
#include "core/error.hpp"

namespace fw::qc {

ThumbnailStore::ThumbnailStore(const std::filesystem::path& dir) {
  std::string name = (dir / ".verify-thumbnails-XXXXXX").string();
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) {
    throw Error(ErrorKind::storage,
                dir.string() + ": cannot create verify's thumbnail file: " + std::strerror(errno));
  }
  ::unlink(name.c_str());
  file_ = name + " (verify's thumbnails, deleted)";
}

ThumbnailStore::~ThumbnailStore() {
  if (fd_ >= 0) ::close(fd_);
}

ThumbnailStore::Ref ThumbnailStore::add(std::string_view jpeg) {
  const std::lock_guard lock(append_);
  const Ref ref{end_, static_cast<std::uint32_t>(jpeg.size())};
  write_all(fd_, jpeg, file_);
  end_ += jpeg.size();
  return ref;
}

std::string ThumbnailStore::read(Ref ref) const {
  std::string jpeg(ref.size, '\0');
  std::size_t done = 0;
  while (done < jpeg.size()) {
    const ssize_t n =
        ::pread(fd_, jpeg.data() + done, jpeg.size() - done, static_cast<off_t>(ref.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw Error(ErrorKind::storage,
                  file_.string() + ": cannot read a thumbnail back: " +
                      (n < 0 ? std::strerror(errno) : "the file is shorter than written"));
    }
    done += static_cast<std::size_t>(n);
  }
  return jpeg;
}

}  // namespace fw::qc
