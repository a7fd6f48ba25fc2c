// Remote VMlet repositories (DESIGN §5, "Where VMlets come from"): the last place vvm looks for
// a VMlet, after its install tree, VVM_VMLET_PATH and the user's data directory (Catalog.h). A
// repository is a base URL (http or https) with an index, BASE/index.vc, that lists the VMlets
// it serves, each by its file name and its manifest:
//
//   ;; index.vc: console-language data, read and never evaluated
//   (entry "stack.vml"
//     (vmlet stack (version "0.1.0") (type "application/x-vvm-stack" (suffix ".stk"))))
//
// The index is what lets a repository's types take part in typing without fetching a single
// VMlet; it is not signed and is trusted for nothing else. A VMlet it names (BASE/stack.vml) is
// fetched only when a file of its type is run or inspected, and is used only if it carries a
// valid signature by a trusted key and its own manifest agrees with the index (RemoteVmlet.h).
//
// Repositories come from VVM_VMLET_REPOS (URLs separated by white space or commas), then the
// config file $XDG_CONFIG_HOME/vvm/repositories (else ~/.config/vvm/repositories: one URL a line,
// '#' starts a comment). Indexes and verified VMlets are kept in the fetch cache
// (vos/FetchCache.h, $XDG_CACHE_HOME/vvm/vmlets); an index is fetched again once its cached copy
// is older than RepositoryConfig::indexMaxAge, and never in offline mode (VVM_OFFLINE=1 or
// `vvm --offline`), where only what is cached is used.
#pragma once

#include "vmlets/Manifest.h"
#include "vos/Fetch.h"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::vmlets {

/// The name of a repository's index, under its base URL.
inline constexpr std::string_view kIndexFile = "index.vc";
/// Largest index read (about 5,000 entries of a few types each).
constexpr size_t kMaxIndexBytes = size_t{1} << 20;
/// How long a cached index is used before it is fetched again (when online).
inline constexpr std::chrono::minutes kIndexMaxAge{10};

/// One configured repository.
struct Repository {
  std::string url;  ///< the base URL, without a trailing '/'
  std::string from; ///< where it was configured: "VVM_VMLET_REPOS", or the config file and line
};

/// Which repositories vvm uses and how it reaches them.
struct RepositoryConfig {
  std::vector<Repository> repositories;
  std::string cacheDir;    ///< the fetch cache; "" when there is none (no HOME)
  vos::FetchOptions fetch; ///< timeouts; fetch.offline is offline mode
  std::chrono::seconds indexMaxAge{kIndexMaxAge};

  bool offline() const { return fetch.offline; }
};

/// Turns offline mode on for the rest of the process (`vvm --offline`), whatever VVM_OFFLINE says.
void forceOffline();

/// $XDG_CONFIG_HOME/vvm/repositories, else $HOME/.config/vvm/repositories; "" when neither is set.
std::string repositoriesFile();

/// The configuration from the environment (VVM_VMLET_REPOS, VVM_OFFLINE, VVM_FETCH_TIMEOUT) and
/// the config file. What cannot be used (a URL that is not http or https, a bad timeout) is
/// left out and described in `warnings`; a missing config file is no repository at all.
RepositoryConfig loadRepositoryConfig(std::vector<std::string>& warnings);

/// A VMlet that a repository's index lists.
struct RemoteVmlet {
  std::string repository; ///< the repository's base URL
  std::string file;       ///< its file name in the repository: "stack.vml"
  std::string url;        ///< repository + "/" + file
  Manifest manifest;      ///< as the index states it: trusted only once the file itself is verified
};

/// A repository's index, as read.
struct RepositoryIndex {
  Repository repository;
  std::string url; ///< BASE/index.vc
  std::vector<RemoteVmlet> vmlets;
  bool fromCache = false; ///< read from the cache rather than fetched just now
};

/// Reads an index's text (fetched from `indexUrl`, which names it in diagnostics) for the
/// repository at `base`. Returns false with located diagnostics on the first malformed entry:
/// a datum that is not (entry "FILE.vml" (vmlet ...)), a file name that is not a plain name
/// ending in .vml, a file listed twice, or a manifest that readManifestForm refuses.
bool parseIndex(std::string_view text, const std::string& indexUrl, const std::string& base,
                std::vector<RemoteVmlet>& out, Diagnostics& diags);

/// The index of every configured repository, in order: the cached copy while it is younger than
/// config.indexMaxAge (or in offline mode, whatever its age), else fetched, and cached once it
/// reads well. A repository whose index cannot be had or is malformed is left out, with a
/// warning naming the URL (and the line); the others are still used. A failed fetch falls back
/// on an older cached copy, with a warning.
std::vector<RepositoryIndex> readIndexes(const RepositoryConfig& config, std::vector<std::string>& warnings);

} // namespace vvm::vmlets
