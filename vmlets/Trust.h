// How far vvm trusts a VMlet file (DESIGN §5, §7). A VMlet from vvm's install tree is trusted
// when the install tree's hash list pins its exact bytes; any other VMlet when it carries a
// valid signature by a key in the trust store, embedded in its last line or in FILE.sig beside
// it. Nothing else makes a VMlet trusted: not its name, not where else it was found.
//
// The install tree is judged by its hash list alone, even for a file that is also signed: the
// tree is vvm's own, so a file there that the list does not pin (a user's VMlet copied in, a
// shipped one edited) is refused with that reason; VMlets of one's own belong in
// VVM_VMLET_PATH or the user data directory, signed.
#pragma once

#include "security/TrustStore.h"
#include "vmlets/InstallTree.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vvm::vmlets {

/// Trust levels (TrustLevels.def), in order: each admits the VMlets of the levels after it.
enum class TrustLevel : uint8_t {
#define VVM_TRUST_LEVEL(Name, Text, Doc) Name,
#include "vmlets/TrustLevels.def"
};

/// "any", "trusted", "shipped".
std::string_view trustLevelName(TrustLevel level);
/// Which VMlets the level admits, for people.
std::string_view trustLevelDoc(TrustLevel level);
/// The level named `name`, if there is one.
std::optional<TrustLevel> trustLevelFromName(std::string_view name);
/// True when a VMlet of level `has` may have what the rules allow to `required`.
inline bool admits(TrustLevel required, TrustLevel has) { return has >= required; }

/// The verdict on one VMlet file.
struct VmletTrust {
  TrustLevel level = TrustLevel::Any; ///< Any: not trusted
  /// For people: who vouches for the file ("signed by trusted key ...", "shipped with vvm ...")
  /// or why nobody does ("not signed", "install tree file does not match the hash list", ...).
  std::string reason;
  /// What would make an untrusted file trusted, when there is something to say ("" otherwise).
  std::string advice;
  /// The signature checked (files outside the install tree).
  std::optional<security::SignatureCheck> signature;
  uint32_t line = 0; ///< where in the file the signature's problem is (0: not in one line)

  bool trusted() const { return level != TrustLevel::Any; }
};

/// Judges a VMlet outside the install tree, whose bytes are `bytes`, by its embedded signature
/// or else by `path`.sig. A file with both is trusted when either signature is.
VmletTrust judgeSigned(const std::string& path, std::string_view bytes, const security::TrustStore& trust);

/// Judges the VMlet `path` of the install tree by the hash list of its directory; `hashes` is
/// null when the list could not be read, and `hashError` then says why.
VmletTrust judgeShipped(const std::string& path, std::string_view bytes, const HashList* hashes,
                        const std::string& hashError);

/// True when `path` is a file directly in the directory `dir` (symbolic links of the
/// directories resolved; the file itself may be a link: its bytes are what is judged).
bool isDirectlyIn(const std::string& path, const std::string& dir);

} // namespace vvm::vmlets
