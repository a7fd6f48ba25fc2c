// Reading and writing the small text files of the security layer (key files, signature files)
// with the care they need: a size cap, no blocking on a FIFO, the permission bits reported to
// the caller, and writes that never clobber a file by accident or leave one half-written.
#pragma once

#include "security/Result.h"

#include <string>
#include <string_view>
#include <sys/types.h>

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

} // namespace vvm::security
