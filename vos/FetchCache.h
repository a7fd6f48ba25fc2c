// The cache of fetched files (DESIGN §12): one file per URL in a directory, by default
// $XDG_CACHE_HOME/vvm/vmlets, or ~/.cache/vvm/vmlets when XDG_CACHE_HOME is unset or not an
// absolute path. fetch() (vos/Fetch.h) never uses it: the caller decides what is kept (vvm keeps
// a VMlet only once it has verified it) and looks entries up before fetching.
//
// An entry's file is named after a digest of its URL, exactly as given (no normalisation):
// "<16 hex digits of the URL's 64-bit FNV-1a>.entry". It holds a small header, then the bytes:
//
//   vvm-fetch-cache v1
//   url: https://example.org/java.vml
//   size: 5123
//   fnv1a64: 0123456789abcdef          (of the bytes)
//   <an empty line, then exactly `size` bytes>
//
// The header's URL tells two URLs with the same digest apart: lookup() of the one that is not
// stored is a miss, and store() of it replaces the other. A file that is not a well-formed
// entry (wrong header, size or checksum: a crash, a full disk, an edit) is discarded (deleted)
// on lookup and reported as a miss, never returned. store() writes a temporary file in the
// same directory and renames it over the entry, so a reader sees the old entry or the new one,
// never a mixture; the checksum covers the rest (the rename is not preceded by an fsync).
//
// The cache is not a trust boundary: anyone who can write the directory can change an entry
// consistently. What lookup() returns must be verified before it is used, as if just fetched.
#pragma once

#include "vos/Fetch.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vvm::vos {

class FetchCache {
public:
  /// The cache in defaultDirectory().
  FetchCache();
  /// The cache in `directory` (created on the first store()). Entries larger than `maxBytes`
  /// are neither stored nor read.
  explicit FetchCache(std::string directory, size_t maxBytes = kDefaultMaxFetchBytes);

  /// $XDG_CACHE_HOME/vvm/vmlets, else $HOME/.cache/vvm/vmlets; "" when neither is set.
  static std::string defaultDirectory();
  /// The 64-bit FNV-1a digest of `url` in 16 lower-case hex digits, the entry's file name stem.
  static std::string keyOf(std::string_view url);

  const std::string& directory() const { return directory_; }
  /// The path of `url`'s entry file (which may not exist).
  std::string entryPath(std::string_view url) const;

  /// The bytes stored for `url`, or nullopt when there are none (a corrupt entry is deleted).
  std::optional<std::string> lookup(const std::string& url) const;
  /// Stores `bytes` for `url`, replacing what was there, atomically. On failure returns false
  /// and, if `error` is given, sets it to a reason naming the file.
  bool store(const std::string& url, std::string_view bytes, std::string* error = nullptr) const;
  /// Deletes `url`'s entry; true if there was one. Another URL's entry with the same digest
  /// is left alone.
  bool remove(const std::string& url) const;

private:
  std::string directory_;
  size_t maxBytes_;
};

} // namespace vvm::vos
