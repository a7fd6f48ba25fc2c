// Getting a repository's VMlet for use (DESIGN §5, "Where VMlets come from"): from the fetch
// cache or over the network, and verified either way before anyone sees its bytes. A VMlet from a
// repository is used only when
//
// 1. it carries a signature by a key in the trust store: embedded (its last line, as `vvm sign`
//    writes it; docs/security.md), or, when it has none, detached in FILE.sig beside it in the
//    repository; and
// 2. its own manifest agrees with what the index said of it: the same name and version, and
//    every type the index gave it. (The index is not signed; without this a repository could
//    hand a trusted VMlet files it never claimed.)
//
// Only a VMlet that passes both is stored in the cache, so a tampered, unsigned or wrongly
// signed one leaves nothing behind. What the cache returns is checked again just the same (the
// cache is not a trust boundary, and the trust store may have changed since); a copy that no
// longer passes is removed and fetched anew, unless vvm is offline.
#pragma once

#include "security/TrustStore.h"
#include "vmlets/Repository.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vvm::vmlets {

/// A repository's VMlet, verified.
struct VerifiedVmlet {
  std::string url;
  /// The verified bytes: what a loader compiles (in memory: reading the cache file again would
  /// read what may have changed since it was checked).
  std::string text;
  /// The cache entry holding them (vos/FetchCache.h's format); "" if they could not be stored.
  std::string cachePath;
  bool fromCache = false;             ///< taken from the cache rather than fetched just now
  security::SignatureCheck signature; ///< Trusted
};

/// Why a repository's VMlet cannot be used.
enum class ObtainError : uint8_t {
  Unavailable, ///< neither cached nor fetched (offline, the network, an HTTP error)
  Rejected,    ///< fetched, but its signature or its manifest is refused
};

struct ObtainFailure {
  ObtainError code{};
  std::string message; ///< "URL: what is wrong", one line
};

/// The verified VMlet, or why there is none.
class [[nodiscard]] ObtainResult {
public:
  ObtainResult(VerifiedVmlet v) : v_(std::move(v)) {}
  ObtainResult(ObtainFailure f) : v_(std::move(f)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const VerifiedVmlet& value() const { return std::get<0>(v_); }
  const ObtainFailure& failure() const { return std::get<1>(v_); }

private:
  std::variant<VerifiedVmlet, ObtainFailure> v_;
};

/// The VMlet `v` from the cache or, failing that, fetched (never in offline mode), verified
/// against `trust` and the index's manifest, and cached once verified. A verified VMlet that
/// cannot be cached is still returned, with a warning.
ObtainResult obtainVmlet(const RemoteVmlet& v, const RepositoryConfig& config, const security::TrustStore& trust,
                         std::vector<std::string>& warnings);

/// How the signature of the cached copy of `v` stands against `trust`; nullopt when nothing is
/// cached. Never fetches (for `vvm vmlets`).
std::optional<security::SignatureCheck> cachedSignature(const RemoteVmlet& v, const RepositoryConfig& config,
                                                        const security::TrustStore& trust);

} // namespace vvm::vmlets
