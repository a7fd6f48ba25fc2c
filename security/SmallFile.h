// Reading and writing the small text files of the security layer (key files, signature files)
// with the care they need: a size cap, no blocking on a FIFO, the permission bits reported to
// the caller, and writes that never clobber a file by accident or leave one half-written.
#pragma once

#include "security/Result.h"

#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>

namespace vvm::security {

/// A file's bytes and permission bits.
struct SmallFile {
  std::string data;
  mode_t mode = 0; ///< permission bits (st_mode & 07777)
};

/// Reads the regular file at `path` if it holds at most `maxBytes` bytes. Fails with
/// FileNotFound, FileUnreadable, NotAFile or FileTooBig, naming `path`.
Result<SmallFile> readSmallFile(const std::string& path, size_t maxBytes);

/// Writes `data` to a new file at `path` created with `mode` (less the umask). Without
/// `overwrite`, an existing file (or symbolic link) is left alone and the result is FileExists;
/// with it, the data goes to a temporary file beside `path` that then replaces it in one rename,
/// so readers see the old file or the new one, never a mixture. Fails with FileUnwritable.
Status writeSmallFile(const std::string& path, std::string_view data, mode_t mode, bool overwrite);

/// A file written in full under a temporary name beside its destination, and not yet in place.
/// commit() renames it over the destination in one step; if it is destroyed uncommitted, the
/// temporary file is removed. Staging several files before committing any of them lets a caller
/// replace them together (a key pair's two files): every write that can fail is done first.
class StagedFile {
public:
  StagedFile(StagedFile&& other) noexcept : path_(std::move(other.path_)), temp_(std::move(other.temp_)) {
    other.temp_.clear();
  }
  StagedFile& operator=(StagedFile&&) = delete;
  StagedFile(const StagedFile&) = delete;
  ~StagedFile();

  /// The destination.
  const std::string& path() const { return path_; }
  /// Renames the file over its destination (replacing a file or symbolic link there, never
  /// writing through one). Fails with FileUnwritable, leaving the destination as it was.
  Status commit();

private:
  friend Result<StagedFile> stageSmallFile(const std::string&, std::string_view, mode_t);
  StagedFile(std::string path, std::string temp) : path_(std::move(path)), temp_(std::move(temp)) {}

  std::string path_;
  std::string temp_; ///< "" once committed or moved from
};

/// Writes `data` to a new temporary file beside `path` (same directory, so the rename stays
/// within one file system), created with `mode` less the umask. Fails with FileUnwritable naming
/// `path`, or SodiumUnavailable (the temporary name is random).
Result<StagedFile> stageSmallFile(const std::string& path, std::string_view data, mode_t mode);

} // namespace vvm::security
