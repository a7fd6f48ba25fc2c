// The trust store: the public keys whose signatures vvm accepts (DESIGN §5). It holds the key
// files of a directory, by default $XDG_CONFIG_HOME/vvm/trusted (~/.config/vvm/trusted when
// XDG_CONFIG_HOME is unset), plus keys given one by one (the future `--trust KEYFILE`). Keys are
// found by key id; a check of a signed file ends in one Verdict (Verdicts.def).
//
// A directory writable by other users could be made to trust anything, so such a directory is
// refused, and so is a key file in it that others may write. A key file that does not load is
// skipped and reported: it cannot make anything trusted, and the other keys still count.
#pragma once

#include "security/Keys.h"
#include "security/Signature.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::security {

/// What a signature check concludes.
enum class Verdict : uint8_t {
#define VVM_VERDICT(Name, Text, Doc) Name,
#include "security/Verdicts.def"
};

/// "trusted", "unknown-key", ... (for output and --json).
std::string_view verdictName(Verdict v);
/// What the verdict means, in a sentence fragment.
std::string_view verdictMeaning(Verdict v);

/// A key the store trusts, and where it came from.
struct TrustedKey {
  PublicKey key;
  KeyId id;
  std::string source; ///< the key file's path, or what the caller named it
};

/// The outcome of checking one file's signature.
struct SignatureCheck {
  Verdict verdict = Verdict::Unsigned;
  std::optional<KeyId> keyId;     ///< the key the signature names, when it could be read
  std::string signer;             ///< Trusted: the source of the key that verified it
  std::optional<Failure> problem; ///< Malformed: what is wrong, and where

  /// One line for people: "signed by trusted key 3f1c9a0b7d2e4c58 (alice.pub)", ...
  std::string describe() const;
};

class TrustStore {
public:
  /// $XDG_CONFIG_HOME/vvm/trusted if XDG_CONFIG_HOME is an absolute path, else
  /// $HOME/.config/vvm/trusted; "" when neither variable is usable.
  static std::string defaultDirectory();

  /// Adds the keys of every "*.pub" file in `dir` (not hidden files, not sub-directories), in
  /// name order. A missing directory adds nothing and is not a failure. Fails, adding nothing,
  /// with TrustDirUnreadable or TrustDirExposed. Key files that do not load (any failure of
  /// loadPublicKey, or TrustedKeyExposed) are left out and described in `skipped`.
  Status addDirectory(const std::string& dir, std::vector<Failure>& skipped);
  /// Adds the key in a public key file (the failures of loadPublicKey).
  Status addKeyFile(const std::string& path);
  /// Adds `key`, described by `source`; false if the store already held it.
  bool addKey(const PublicKey& key, std::string source);

  /// The first trusted key with this id, or null.
  const TrustedKey* find(const KeyId& id) const;
  const std::vector<TrustedKey>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }

  /// Checks `sig` over `bytes`: Trusted, UnknownKey or BadSignature. Every trusted key with the
  /// signature's id is tried, so two keys whose ids collide both still work.
  SignatureCheck check(std::string_view bytes, const Signature& sig) const;
  /// Checks a text file with an embedded signature (Signature.h); `file` names it in problems.
  SignatureCheck checkEmbedded(std::string_view text, const std::string& file) const;
  /// Checks `bytes` against the detached signature file `signatureFile`; Unsigned if there is
  /// no such file, Malformed if it cannot be read or parsed.
  SignatureCheck checkDetached(std::string_view bytes, const std::string& signatureFile) const;

private:
  std::vector<TrustedKey> keys_;
};

} // namespace vvm::security
