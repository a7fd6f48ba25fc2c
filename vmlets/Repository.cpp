// Configured repositories and their indexes: where the URLs come from, how an index reads, and
// when a cached index is used instead of a fresh one.
#include "vmlets/Repository.h"

#include "security/Result.h"
#include "vos/FetchCache.h"
#include "vos/Host.h"

#include <fmt/format.h>

#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <set>

namespace vvm::vmlets {
namespace {

using console::Datum;

std::atomic<bool> offlineForced{false};

/// A config file is a few lines; anything bigger is not one.
constexpr size_t kMaxConfigBytes = 64 * 1024;
/// VVM_FETCH_TIMEOUT's range, in seconds.
constexpr int kMaxTimeoutSeconds = 3600;

/// True when the environment variable `name` says yes: set, and not "", "0", "false", "no" or "off".
bool envFlag(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return false;
  for (const char* no : {"", "0", "false", "no", "off"})
    if (strcasecmp(v, no) == 0) return false;
  return true;
}

/// `word` as a repository's base URL (trailing '/'s dropped), or nullopt with `why` set. Only the
/// shape is checked here; fetch() judges the rest when the index is fetched.
std::optional<std::string> baseUrl(std::string_view word, std::string& why) {
  size_t schemeEnd = word.find("://");
  std::string scheme(word.substr(0, schemeEnd));
  if (schemeEnd == std::string_view::npos ||
      (strcasecmp(scheme.c_str(), "http") != 0 && strcasecmp(scheme.c_str(), "https") != 0)) {
    why = "a repository is an http:// or https:// URL";
    return std::nullopt;
  }
  for (unsigned char c : word)
    if (c <= ' ' || c == 0x7f) {
      why = "a URL has no spaces or control characters";
      return std::nullopt;
    }
  while (word.ends_with('/')) word.remove_suffix(1);
  if (word.size() <= schemeEnd + 3) {
    why = "the URL names no host";
    return std::nullopt;
  }
  return std::string(word);
}

/// Adds `word` (from `from`) to the repositories unless it is malformed or already there.
void addRepository(RepositoryConfig& config, std::string_view word, std::string from,
                   std::vector<std::string>& warnings) {
  std::string why;
  auto url = baseUrl(word, why);
  if (!url) {
    warnings.push_back(fmt::format("{}: repository \"{}\" left out: {}", from, security::excerpt(word), why));
    return;
  }
  for (const Repository& r : config.repositories)
    if (r.url == *url) return;
  config.repositories.push_back({std::move(*url), std::move(from)});
}

/// VVM_VMLET_REPOS: URLs separated by white space or commas.
void addFromEnvironment(RepositoryConfig& config, std::vector<std::string>& warnings) {
  const char* repos = std::getenv("VVM_VMLET_REPOS");
  std::string_view rest = repos ? repos : "";
  constexpr std::string_view kSeparators = " \t\r\n,";
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(kSeparators);
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(kSeparators);
    addRepository(config, rest.substr(0, end), "VVM_VMLET_REPOS", warnings);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
}

/// The config file: one URL a line; '#' at the start of a line or after white space begins a
/// comment (a base URL has no use for a fragment).
void addFromFile(RepositoryConfig& config, const std::string& path, std::vector<std::string>& warnings) {
  std::string error;
  bool notFound = false;
  auto text = vos::readFile(path, kMaxConfigBytes, error, notFound);
  if (!text) {
    if (!notFound) warnings.push_back(fmt::format("{}: not read: {}", path, error));
    return;
  }
  std::string_view rest = *text;
  for (uint32_t line = 1; !rest.empty(); ++line) {
    size_t eol = rest.find('\n');
    std::string_view l = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    for (size_t hash = l.find('#'); hash != std::string_view::npos; hash = l.find('#', hash + 1))
      if (hash == 0 || std::isspace(static_cast<unsigned char>(l[hash - 1]))) {
        l = l.substr(0, hash);
        break;
      }
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.front()))) l.remove_prefix(1);
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.remove_suffix(1);
    if (!l.empty()) addRepository(config, l, fmt::format("{}:{}", path, line), warnings);
  }
}

/// VVM_FETCH_TIMEOUT: whole seconds for a whole transfer; the connect timeout is no longer.
void applyTimeout(vos::FetchOptions& fetch, std::vector<std::string>& warnings) {
  const char* v = std::getenv("VVM_FETCH_TIMEOUT");
  if (!v || !*v) return;
  std::string_view text(v);
  int seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 1 || seconds > kMaxTimeoutSeconds) {
    warnings.push_back(fmt::format("VVM_FETCH_TIMEOUT=\"{}\" ignored: it is a number of seconds from 1 to {}",
                                   security::excerpt(text), kMaxTimeoutSeconds));
    return;
  }
  fetch.totalTimeout = std::chrono::seconds(seconds);
  fetch.connectTimeout = std::min(fetch.connectTimeout, fetch.totalTimeout);
}

/// A file name an index may list: a plain name (no directories, not hidden) ending in .vml.
bool plainVmletName(std::string_view file) {
  if (file.size() <= 4 || file.size() > 255 || !file.ends_with(".vml") ||
      !std::isalnum(static_cast<unsigned char>(file[0])))
    return false;
  for (char c : file)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
  return true;
}

/// How long ago the file at `path` was last written, if it can be told (a time in the future,
/// after a clock was set back, cannot).
std::optional<std::chrono::seconds> ageOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  std::time_t now = std::time(nullptr);
  if (now < st.st_mtime) return std::nullopt;
  return std::chrono::seconds(now - st.st_mtime);
}

std::string describeAge(std::optional<std::chrono::seconds> age) {
  if (!age) return "at an unknown time";
  long long s = age->count();
  if (s < 120) return fmt::format("{} s ago", s);
  if (s < 2 * 3600) return fmt::format("{} min ago", s / 60);
  if (s < 2 * 86400) return fmt::format("{} h ago", s / 3600);
  return fmt::format("{} days ago", s / 86400);
}

/// A malformed index's warning: the URL, then its located diagnostics.
std::string malformedIndex(const RepositoryIndex& index, const Diagnostics& diags) {
  std::string details = diags.format();
  while (details.ends_with('\n')) details.pop_back();
  return fmt::format("{} is not a valid repository index, so repository {} is skipped:\n{}", index.url,
                     index.repository.url, details);
}

/// One repository's index, or nullopt (with a warning) when there is none to use.
std::optional<RepositoryIndex> readIndex(const Repository& repo, const RepositoryConfig& config,
                                         const vos::FetchCache& cache, std::vector<std::string>& warnings) {
  RepositoryIndex index{repo, repo.url + "/" + std::string(kIndexFile), {}, false};
  auto parse = [&](const std::string& text, Diagnostics& diags) {
    index.vmlets.clear();
    return parseIndex(text, index.url, repo.url, index.vmlets, diags);
  };
  std::optional<std::string> cached = cache.lookup(index.url);
  std::optional<std::chrono::seconds> age = cached ? ageOf(cache.entryPath(index.url)) : std::nullopt;
  bool fresh = cached && (config.offline() || (age && *age < config.indexMaxAge));
  if (!fresh) {
    vos::FetchOptions options = config.fetch;
    options.maxBytes = kMaxIndexBytes;
    vos::FetchResult fetched = vos::fetch(index.url, options); // refused at once in offline mode
    if (fetched) {
      Diagnostics diags;
      if (!parse(fetched.body(), diags)) {
        warnings.push_back(malformedIndex(index, diags));
        return std::nullopt;
      }
      // Cached as fetched: an index is never trusted, only read, so there is nothing to verify.
      if (std::string error; !cache.store(index.url, fetched.body(), &error))
        warnings.push_back(fmt::format("{}: not cached: {}", index.url, error));
      return index;
    }
    if (!cached) {
      warnings.push_back(fmt::format("repository {} skipped: {}{}", repo.url, fetched.message(),
                                     config.offline() ? ", and its index is not in the cache" : ""));
      return std::nullopt;
    }
    warnings.push_back(fmt::format("{}; using the copy of the index cached {}", fetched.message(), describeAge(age)));
  }
  Diagnostics diags;
  if (!parse(*cached, diags)) {
    // It read well when it was stored; only an edit (or an older vvm's format) gets here.
    warnings.push_back(malformedIndex(index, diags));
    return std::nullopt;
  }
  index.fromCache = true;
  return index;
}

} // namespace

void forceOffline() { offlineForced = true; }

std::string repositoriesFile() {
  // As for the trust directory: a relative XDG_CONFIG_HOME is invalid and ignored.
  const char* config = std::getenv("XDG_CONFIG_HOME");
  if (config && config[0] == '/') return std::string(config) + "/vvm/repositories";
  const char* home = std::getenv("HOME");
  if (home && home[0]) return std::string(home) + "/.config/vvm/repositories";
  return {};
}

RepositoryConfig loadRepositoryConfig(std::vector<std::string>& warnings) {
  RepositoryConfig config;
  addFromEnvironment(config, warnings);
  if (std::string file = repositoriesFile(); !file.empty()) addFromFile(config, file, warnings);
  config.cacheDir = vos::FetchCache::defaultDirectory();
  config.fetch.offline = offlineForced || envFlag("VVM_OFFLINE");
  applyTimeout(config.fetch, warnings);
  return config;
}

bool parseIndex(std::string_view text, const std::string& indexUrl, const std::string& base,
                std::vector<RemoteVmlet>& out, Diagnostics& diags) {
  std::vector<Datum> data = console::readAll(text, indexUrl, diags);
  if (diags.hasErrors()) return false;
  auto fail = [&](const Datum& at, std::string message) {
    diags.error(indexUrl, at.pos.line, at.pos.col, std::move(message));
    return false;
  };
  std::set<std::string> files;
  for (const Datum& d : data) {
    if (!d.isList() || d.items.size() != 3 || !d.items[0].isSymbol("entry") || d.items[1].kind != Datum::Kind::String ||
        !d.items[2].isList() || d.items[2].items.empty() || !d.items[2].items[0].isSymbol("vmlet"))
      return fail(d, "expected (entry \"FILE.vml\" (vmlet NAME ...)), not " + security::excerpt(d.write()));
    const std::string& file = d.items[1].text;
    if (!plainVmletName(file))
      return fail(d.items[1], fmt::format("\"{}\" is not a VMlet file name: letters, digits and - _ . starting "
                                          "with a letter or digit, ending in .vml, no directories",
                                          security::excerpt(file)));
    if (!files.insert(file).second) return fail(d.items[1], fmt::format("\"{}\" is listed twice", file));
    RemoteVmlet v{base, file, base + "/" + file, {}};
    if (!readManifestForm(d.items[2], indexUrl, v.manifest, diags)) return false;
    out.push_back(std::move(v));
  }
  return true;
}

std::vector<RepositoryIndex> readIndexes(const RepositoryConfig& config, std::vector<std::string>& warnings) {
  std::vector<RepositoryIndex> indexes;
  vos::FetchCache cache(config.cacheDir, kMaxIndexBytes);
  for (const Repository& repo : config.repositories)
    if (auto index = readIndex(repo, config, cache, warnings)) indexes.push_back(std::move(*index));
  return indexes;
}

} // namespace vvm::vmlets
