// A full disk for tests, without root: an LD_PRELOAD library that makes writes to the files
// under one folder fail with ENOSPC once a byte budget is spent.
//
//   FW_ENOSPC_DIR=/tmp/x/out   the folder (a path prefix; resolved with realpath when it exists)
//   FW_ENOSPC_BUDGET=123456    bytes the files under it may still take in this process
//   FW_ENOSPC_COUNT=1          at exit, say on stderr how many bytes were written there
//                              ("enospc_shim: 123 bytes written under <folder>"), so that a
//                              test can draw its budgets from what an uninterrupted run writes
//
// Counted: write, pwrite, pwrite64, writev, pwritev, pwritev64, copy_file_range and sendfile
// into a file under the folder. The write that crosses the budget is cut short (as on a real
// filesystem: the bytes that fit, then ENOSPC on the next call); from then on every such write,
// and every fsync, fdatasync, fallocate and posix_fallocate of a file or folder under it, fails
// with ENOSPC. A FILE* opened there (fopen, fopen64, fdopen) writes through the same check:
// glibc's stdio calls its internal write, which no preload sees, so such a stream's writes go
// through fopencookie over the file's descriptor. Reads, creating files and folders, renames and
// unlinks are untouched (a full filesystem allows them); writes through mmap are not seen.
// Without FW_ENOSPC_DIR the library does nothing. When the budget is spent it says so once on
// stderr ("enospc_shim: budget spent at <file>"), so a test log shows where the disk filled.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static char dir[PATH_MAX];
static size_t dir_len;
static long long budget;  // bytes left; negative once spent (atomics: any thread writes)
static long long initial_budget;

__attribute__((constructor)) static void init(void) {
  const char* d = getenv("FW_ENOSPC_DIR");
  const char* b = getenv("FW_ENOSPC_BUDGET");
  if (!d || !*d) return;
  if (!realpath(d, dir)) snprintf(dir, sizeof dir, "%s", d);
  dir_len = strlen(dir);
  while (dir_len > 1 && dir[dir_len - 1] == '/') dir[--dir_len] = '\0';
  budget = b && *b ? atoll(b) : 0;
  initial_budget = budget;
}

// The next definition of `name` (libc's): static, looked up on first use.
#define REAL(name)                      \
  static __typeof__(&name) real_##name; \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

// Whether `fd` is a file (or folder) under the folder.
static int watched(int fd) {
  if (dir_len == 0 || fd < 0) return 0;
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  return strncmp(target, dir, dir_len) == 0 && (target[dir_len] == '/' || target[dir_len] == '\0');
}

static void say_spent(int fd) {
  static int said;
  if (__atomic_exchange_n(&said, 1, __ATOMIC_SEQ_CST)) return;
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 0) n = 0;
  target[n] = '\0';
  char msg[PATH_MAX + 64];
  const int len = snprintf(msg, sizeof msg, "enospc_shim: budget spent at %s\n", target);
  REAL(write);
  if (len > 0) (void)!real_write(2, msg, (size_t)len);
}

__attribute__((destructor)) static void count(void) {
  const char* c = getenv("FW_ENOSPC_COUNT");
  if (dir_len == 0 || !c || !*c) return;
  const long long left = __atomic_load_n(&budget, __ATOMIC_SEQ_CST);
  char msg[PATH_MAX + 64];
  const int len = snprintf(msg, sizeof msg, "enospc_shim: %lld bytes written under %s\n",
                           initial_budget - (left > 0 ? left : 0), dir);
  REAL(write);
  if (len > 0) (void)!real_write(2, msg, (size_t)len);
}

// How many of `want` bytes to `fd` may be written: all of them for a file elsewhere, what is
// left of the budget here; -1 with errno ENOSPC when nothing is.
static ssize_t allow(int fd, size_t want) {
  if (want == 0 || !watched(fd)) return (ssize_t)want;
  long long left = __atomic_load_n(&budget, __ATOMIC_SEQ_CST);
  for (;;) {
    if (left <= 0) {
      __atomic_store_n(&budget, -1, __ATOMIC_SEQ_CST);
      say_spent(fd);
      errno = ENOSPC;
      return -1;
    }
    const long long take = (long long)want < left ? (long long)want : left;
    if (__atomic_compare_exchange_n(&budget, &left, left - take, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) {
      return (ssize_t)take;
    }
  }
}

// Syncing and reserving space fail once the budget is spent (delayed allocation finds no room).
static int spent_for(int fd) {
  if (!watched(fd) || __atomic_load_n(&budget, __ATOMIC_SEQ_CST) > 0) return 0;
  say_spent(fd);
  errno = ENOSPC;
  return 1;
}

ssize_t write(int fd, const void* buf, size_t count) {
  REAL(write);
  const ssize_t n = allow(fd, count);
  if (n < 0) return -1;
  return real_write(fd, buf, (size_t)n);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  REAL(pwrite);
  const ssize_t n = allow(fd, count);
  if (n < 0) return -1;
  return real_pwrite(fd, buf, (size_t)n, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  REAL(pwrite64);
  const ssize_t n = allow(fd, count);
  if (n < 0) return -1;
  return real_pwrite64(fd, buf, (size_t)n, offset);
}

// The iovecs cut to `n` bytes: how many of them are left (the last one shortened in `last`).
static int cut(const struct iovec* iov, int iovcnt, size_t n, struct iovec* last) {
  int i = 0;
  for (; i < iovcnt && n > 0; ++i) {
    if (iov[i].iov_len >= n) {
      *last = iov[i];
      last->iov_len = n;
      return i + 1;
    }
    n -= iov[i].iov_len;
  }
  if (i > 0) *last = iov[i - 1];  // more than the first 64 iovecs hold: those, whole
  return i;
}

static size_t total(const struct iovec* iov, int iovcnt) {
  size_t sum = 0;
  for (int i = 0; i < iovcnt; ++i) sum += iov[i].iov_len;
  return sum;
}

#define VECTORED(name, off_type, call)                                               \
  ssize_t name(int fd, const struct iovec* iov, int iovcnt OFFSET_PARAM(off_type)) { \
    REAL(name);                                                                      \
    const size_t want = total(iov, iovcnt);                                          \
    const ssize_t n = allow(fd, want);                                               \
    if (n < 0) return -1;                                                            \
    if ((size_t)n == want) return call(iov, iovcnt);                                 \
    struct iovec copy[64];                                                           \
    struct iovec last;                                                               \
    const int count = cut(iov, iovcnt < 64 ? iovcnt : 64, (size_t)n, &last);         \
    memcpy(copy, iov, sizeof(struct iovec) * (size_t)count);                         \
    if (count > 0) copy[count - 1] = last;                                           \
    return call(copy, count);                                                        \
  }

#define OFFSET_PARAM(t) , t offset
#define CALL_PWRITEV(v, c) real_pwritev(fd, v, c, offset)
#define CALL_PWRITEV64(v, c) real_pwritev64(fd, v, c, offset)
VECTORED(pwritev, off_t, CALL_PWRITEV)
VECTORED(pwritev64, off64_t, CALL_PWRITEV64)
#undef OFFSET_PARAM
#define OFFSET_PARAM(t)
#define CALL_WRITEV(v, c) real_writev(fd, v, c)
VECTORED(writev, int, CALL_WRITEV)

ssize_t copy_file_range(int fd_in, off64_t* off_in, int fd_out, off64_t* off_out, size_t len,
                        unsigned int flags) {
  REAL(copy_file_range);
  const ssize_t n = allow(fd_out, len);
  if (n < 0) return -1;
  return real_copy_file_range(fd_in, off_in, fd_out, off_out, (size_t)n, flags);
}

ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
  REAL(sendfile);
  const ssize_t n = allow(out_fd, count);
  if (n < 0) return -1;
  return real_sendfile(out_fd, in_fd, offset, (size_t)n);
}

ssize_t sendfile64(int out_fd, int in_fd, off64_t* offset, size_t count) {
  REAL(sendfile64);
  const ssize_t n = allow(out_fd, count);
  if (n < 0) return -1;
  return real_sendfile64(out_fd, in_fd, offset, (size_t)n);
}

int fsync(int fd) {
  REAL(fsync);
  if (spent_for(fd)) return -1;
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  if (spent_for(fd)) return -1;
  return real_fdatasync(fd);
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
  REAL(fallocate);
  if (spent_for(fd)) return -1;
  return real_fallocate(fd, mode, offset, len);
}

int fallocate64(int fd, int mode, off64_t offset, off64_t len) {
  REAL(fallocate64);
  if (spent_for(fd)) return -1;
  return real_fallocate64(fd, mode, offset, len);
}

int posix_fallocate(int fd, off_t offset, off_t len) {
  REAL(posix_fallocate);
  if (watched(fd) && __atomic_load_n(&budget, __ATOMIC_SEQ_CST) <= 0) return ENOSPC;
  return real_posix_fallocate(fd, offset, len);
}

int posix_fallocate64(int fd, off64_t offset, off64_t len) {
  REAL(posix_fallocate64);
  if (watched(fd) && __atomic_load_n(&budget, __ATOMIC_SEQ_CST) <= 0) return ENOSPC;
  return real_posix_fallocate64(fd, offset, len);
}

// stdio: a stream on a watched file writes through write() above.
static ssize_t cookie_read(void* cookie, char* buf, size_t size) {
  return read((int)(long)cookie, buf, size);
}

static ssize_t cookie_write(void* cookie, const char* buf, size_t size) {
  const ssize_t n = write((int)(long)cookie, buf, size);
  // fopencookie: 0 reports an error, and errno stays ENOSPC.
  return n < 0 ? 0 : n;
}

static int cookie_seek(void* cookie, off64_t* offset, int whence) {
  const off64_t at = lseek64((int)(long)cookie, *offset, whence);
  if (at < 0) return -1;
  *offset = at;
  return 0;
}

static int cookie_close(void* cookie) {
  return close((int)(long)cookie);
}

// `stream` again, writing through the check when its file is watched and it can write.
static FILE* checked(FILE* stream, const char* mode) {
  if (!stream || dir_len == 0 || !strpbrk(mode, "wa+")) return stream;
  const int fd = fileno(stream);
  if (!watched(fd)) return stream;
  const int own = dup(fd);
  if (own < 0) return stream;
  cookie_io_functions_t io = {cookie_read, cookie_write, cookie_seek, cookie_close};
  FILE* wrapped = fopencookie((void*)(long)own, mode, io);
  if (!wrapped) {
    close(own);
    return stream;
  }
  REAL(fclose);
  real_fclose(stream);
  return wrapped;
}

FILE* fopen(const char* path, const char* mode) {
  REAL(fopen);
  return checked(real_fopen(path, mode), mode);
}

FILE* fopen64(const char* path, const char* mode) {
  REAL(fopen64);
  return checked(real_fopen64(path, mode), mode);
}

FILE* fdopen(int fd, const char* mode) {
  REAL(fdopen);
  if (dir_len == 0 || !watched(fd) || !strpbrk(mode, "wa+")) return real_fdopen(fd, mode);
  cookie_io_functions_t io = {cookie_read, cookie_write, cookie_seek, cookie_close};
  return fopencookie((void*)(long)fd, mode, io);
}
