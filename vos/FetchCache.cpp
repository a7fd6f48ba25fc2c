// The fetch cache's entry files: plain POSIX calls, so each failure keeps its own reason.
#include "vos/FetchCache.h"

#include "vos/Host.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vvm::vos {

namespace {

constexpr std::string_view kMagic = "vvm-fetch-cache v1";
constexpr std::string_view kEntrySuffix = ".entry";
/// Longer URLs are not cached; it also bounds the header, so lookup() can cap its read.
constexpr size_t kMaxUrl = 8192;
constexpr size_t kMaxHeader = kMaxUrl + 128;

/// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a 64-bit offset basis and prime (draft-eastlake-fnv)
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex64(uint64_t v) { return fmt::format("{:016x}", v); }

/// A URL the header can hold on its one line.
bool cacheableUrl(std::string_view url) {
  return !url.empty() && url.size() <= kMaxUrl && url.find_first_of(std::string_view("\r\n\0", 3)) == url.npos;
}

/// Creates `dir` and its missing parents, private to the user (the XDG base directory
/// specification asks for 0700). Returns 0 or an errno value.
int makeDirectories(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i < dir.size() && dir[i] != '/') continue;
    std::string prefix = dir.substr(0, i);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return errno;
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

enum class ReadOutcome { Read, Missing, Bad };

/// Reads the regular file at `path` if it holds at most `maxBytes` bytes; Bad when it is
/// something else or bigger.
ReadOutcome readCapped(const std::string& path, size_t maxBytes, std::string& out) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below then rejects it.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0) return errno == ENOENT ? ReadOutcome::Missing : ReadOutcome::Bad;
  struct stat st;
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > maxBytes)
    return ReadOutcome::Bad;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadOutcome::Bad;
    }
    if (n == 0) return ReadOutcome::Read;
    if (out.size() + static_cast<size_t>(n) > maxBytes) return ReadOutcome::Bad;
    out.append(buf, static_cast<size_t>(n));
  }
}

/// The next line of `text` from `pos` (without its '\n'), or nullopt when there is no '\n'.
std::optional<std::string_view> nextLine(std::string_view text, size_t& pos) {
  size_t end = text.find('\n', pos);
  if (end == text.npos) return std::nullopt;
  std::string_view line = text.substr(pos, end - pos);
  pos = end + 1;
  return line;
}

/// A well-formed entry's URL and bytes.
struct Entry {
  std::string_view url;
  std::string_view bytes;
};

/// Parses an entry file; nullopt when it is not a well-formed, intact entry.
std::optional<Entry> parseEntry(std::string_view file) {
  size_t pos = 0;
  auto field = [&](std::string_view name) -> std::optional<std::string_view> {
    auto line = nextLine(file, pos);
    if (!line || line->substr(0, name.size()) != name) return std::nullopt;
    return line->substr(name.size());
  };
  auto magic = nextLine(file, pos);
  auto url = field("url: ");
  auto size = field("size: ");
  auto sum = field("fnv1a64: ");
  auto blank = nextLine(file, pos);
  if (!magic || *magic != kMagic || !url || !size || !sum || !blank || !blank->empty()) return std::nullopt;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(size->data(), size->data() + size->size(), n);
  if (ec != std::errc() || end != size->data() + size->size() || n != file.size() - pos) return std::nullopt;
  Entry e{*url, file.substr(pos)};
  if (*sum != hex64(fnv1a64(e.bytes))) return std::nullopt;
  return e;
}

/// A name for a temporary file beside `path` that no other writer uses: this process's id and
/// a counter (O_EXCL catches a leftover of an earlier process that had the same id).
std::string tempPath(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter.fetch_add(1));
}

} // namespace

FetchCache::FetchCache() : FetchCache(defaultDirectory()) {}

FetchCache::FetchCache(std::string directory, size_t maxBytes)
    : directory_(std::move(directory)), maxBytes_(maxBytes) {}

std::string FetchCache::defaultDirectory() {
  // The XDG base directory specification: a relative XDG_CACHE_HOME is invalid and ignored.
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/vvm/vmlets";
  const char* home = std::getenv("HOME");
  if (home && home[0]) return std::string(home) + "/.cache/vvm/vmlets";
  return {};
}

std::string FetchCache::keyOf(std::string_view url) { return hex64(fnv1a64(url)); }

std::string FetchCache::entryPath(std::string_view url) const {
  return directory_ + "/" + keyOf(url) + std::string(kEntrySuffix);
}

std::optional<std::string> FetchCache::lookup(const std::string& url) const {
  if (directory_.empty() || !cacheableUrl(url)) return std::nullopt;
  std::string path = entryPath(url);
  std::string file;
  ReadOutcome read = readCapped(path, kMaxHeader + maxBytes_, file);
  if (read == ReadOutcome::Missing) return std::nullopt;
  auto entry = read == ReadOutcome::Read ? parseEntry(file) : std::nullopt;
  if (!entry) {
    // Corrupt, or not a file at all: never trusted, so discarded. (A store() racing with this
    // may lose its fresh entry too; that costs a fetch, nothing more.)
    ::unlink(path.c_str());
    return std::nullopt;
  }
  if (entry->url != url) return std::nullopt; // another URL with the same digest
  return std::string(entry->bytes);
}

bool FetchCache::store(const std::string& url, std::string_view bytes, std::string* error) const {
  auto failed = [&](std::string reason) {
    if (error) *error = std::move(reason);
    return false;
  };
  if (directory_.empty()) return failed("no cache directory: neither XDG_CACHE_HOME nor HOME is set");
  if (!cacheableUrl(url)) return failed(fmt::format("the URL is empty, has line breaks or is over {} bytes", kMaxUrl));
  if (bytes.size() > maxBytes_)
    return failed(fmt::format("{} bytes is more than the cache's limit of {} bytes", bytes.size(), maxBytes_));
  if (int err = makeDirectories(directory_))
    return failed(fmt::format("{}: cannot create the cache directory: {}", directory_, std::strerror(err)));

  std::string path = entryPath(url);
  std::string data =
      fmt::format("{}\nurl: {}\nsize: {}\nfnv1a64: {}\n\n", kMagic, url, bytes.size(), hex64(fnv1a64(bytes)));
  data += bytes;
  std::string temp;
  int fd = -1, openErr = 0;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp = tempPath(path);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    openErr = fd < 0 ? errno : 0;
    if (openErr && openErr != EEXIST) break;
  }
  if (fd < 0) return failed(fmt::format("{}: cannot write: {}", temp, std::strerror(openErr)));
  int err = writeAll(fd, data);
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(temp.c_str());
    return failed(fmt::format("{}: cannot write: {}", path, std::strerror(err)));
  }
  return true;
}

bool FetchCache::remove(const std::string& url) const {
  if (directory_.empty() || !cacheableUrl(url)) return false;
  std::string path = entryPath(url);
  std::string file;
  ReadOutcome read = readCapped(path, kMaxHeader + maxBytes_, file);
  if (read == ReadOutcome::Missing) return false;
  auto entry = read == ReadOutcome::Read ? parseEntry(file) : std::nullopt;
  if (entry && entry->url != url) return false; // another URL's entry
  // This URL's entry, or a corrupt one that lookup() would discard anyway.
  return ::unlink(path.c_str()) == 0 && entry;
}

} // namespace vvm::vos
