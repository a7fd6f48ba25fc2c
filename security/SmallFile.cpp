// Small files: bounded reads, exclusive or atomic writes, all through plain POSIX calls so that
// each failure is reported with its own reason.
#include "security/SmallFile.h"

#include "security/Keys.h"
#include "vos/Host.h"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vvm::security {

namespace {

/// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/// Writes all of `data`, then flushes it to the disk. Returns 0 or an errno value.
int writeAllSynced(int fd, std::string_view data) {
  if (int err = vos::writeAll(fd, data)) return err;
  return ::fsync(fd) == 0 ? 0 : errno;
}

// O_EXCL also refuses a dangling symbolic link, so nothing is written through one.
constexpr int kCreateFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY;

} // namespace

Result<SmallFile> readSmallFile(const std::string& path, size_t maxBytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below then rejects it.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0) {
    if (errno == ENOENT) return fail(SecurityError::FileNotFound, path, 0);
    return fail(SecurityError::FileUnreadable, path, 0, std::strerror(errno));
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0) return fail(SecurityError::FileUnreadable, path, 0, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(SecurityError::NotAFile, path, 0, S_ISDIR(st.st_mode) ? "a directory" : "a device, socket or pipe");
  if (static_cast<uint64_t>(st.st_size) > maxBytes) return fail(SecurityError::FileTooBig, path, 0, maxBytes);
  SmallFile file;
  file.mode = st.st_mode & 07777;
  // The file may grow after the fstat, so the cap holds while reading too.
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(SecurityError::FileUnreadable, path, 0, std::strerror(errno));
    }
    if (n == 0) break;
    if (file.data.size() + static_cast<size_t>(n) > maxBytes) return fail(SecurityError::FileTooBig, path, 0, maxBytes);
    file.data.append(buf, static_cast<size_t>(n));
  }
  return file;
}

Status writeSmallFile(const std::string& path, std::string_view data, mode_t mode, bool overwrite) {
  if (!overwrite) {
    int fd = ::open(path.c_str(), kCreateFlags, mode);
    if (fd < 0) {
      if (errno == EEXIST) return fail(SecurityError::FileExists, path, 0);
      return fail(SecurityError::FileUnwritable, path, 0, std::strerror(errno));
    }
    int err = writeAllSynced(fd, data);
    if (::close(fd) != 0 && !err) err = errno;
    if (err) {
      ::unlink(path.c_str());
      return fail(SecurityError::FileUnwritable, path, 0, std::strerror(err));
    }
    return {};
  }
  auto staged = stageSmallFile(path, data, mode);
  if (!staged) return staged.failure();
  return staged->commit();
}

StagedFile::~StagedFile() {
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Status StagedFile::commit() {
  VVM_ASSERT(!temp_.empty());
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    return fail(SecurityError::FileUnwritable, path_, 0, std::strerror(err));
  }
  temp_.clear();
  return {};
}

Result<StagedFile> stageSmallFile(const std::string& path, std::string_view data, mode_t mode) {
  // A random name beside the target: the rename stays within one file system, and O_EXCL
  // guarantees the temporary is ours.
  if (!sodiumReady()) return fail(SecurityError::SodiumUnavailable, path, 0);
  uint8_t salt[8];
  randombytes_buf(salt, sizeof salt);
  char hex[2 * sizeof salt + 1];
  sodium_bin2hex(hex, sizeof hex, salt, sizeof salt);
  std::string temp = path + ".tmp-" + hex;
  int fd = ::open(temp.c_str(), kCreateFlags, mode);
  if (fd < 0) return fail(SecurityError::FileUnwritable, path, 0, std::strerror(errno));
  int err = writeAllSynced(fd, data);
  if (::close(fd) != 0 && !err) err = errno;
  if (err) {
    ::unlink(temp.c_str());
    return fail(SecurityError::FileUnwritable, path, 0, std::strerror(err));
  }
  return StagedFile(path, std::move(temp));
}

} // namespace vvm::security
