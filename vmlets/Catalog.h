// Finding VMlets (DESIGN §5, "Where VMlets come from"): every `.vml` in the search
// directories, with its manifest (or what is wrong with it) and the state of its signature.
// The search order is vvm's install tree (share/vvm/vmlets beside the executable's bin/), then
// each directory of VVM_VMLET_PATH (colon-separated), then the user's data directory
// ($XDG_DATA_HOME/vvm/vmlets, else ~/.local/share/vvm/vmlets). Remote repositories come last,
// and are consulted only for types none of these claims (Repository.h).
#pragma once

#include "security/TrustStore.h"
#include "vmlets/Manifest.h"
#include "vmlets/Trust.h"

#include <optional>
#include <string>
#include <vector>

namespace vvm::vmlets {

/// Where a VMlet was found.
enum class Origin : uint8_t { InstallTree, SearchPath, UserData, Repository };
std::string_view originName(Origin o); ///< "install tree", "VVM_VMLET_PATH", "user data", "repository"

struct SearchDir {
  std::string path;
  Origin origin;
};

/// The standard search directories, in order (missing ones included: they hold nothing).
std::vector<SearchDir> standardSearchDirs();

struct Found {
  std::string path;
  Origin origin;
  std::optional<Manifest> manifest;                  ///< unset when the file cannot be read or is malformed
  std::string problem;                               ///< why not: located diagnostics
  std::optional<security::SignatureCheck> signature; ///< when a trust store was given
  /// When a trust store was given: the verdict on the file, by its signature or, in the install
  /// tree, by the hash list (Trust.h; what vvm verify's signature check decides too).
  std::optional<VmletTrust> trust;
};

/// How a found VMlet's signature stands, for people: who vouches for it (a trusted key, or the
/// install tree's hash list) or why nobody does; "not checked" when no trust store was given.
std::string describeSignature(const Found& f);

/// Largest .vml file read (a VMlet is a language description, not a payload).
constexpr size_t kMaxVmletBytes = 1u << 20;

/// Every *.vml file directly in the directories, in directory order then name order. Their
/// signatures are checked against `trust` when one is given (typing a file needs none).
std::vector<Found> findVmlets(const std::vector<SearchDir>& dirs, const security::TrustStore* trust);

/// The trust store of the user's trusted-keys directory plus `extraKeys` (public key files).
/// Unusable keys in the directory are described in `warnings`; an unusable extra key fails.
security::Result<security::TrustStore> userTrustStore(const std::vector<std::string>& extraKeys,
                                                      std::vector<security::Failure>& warnings);

} // namespace vvm::vmlets
