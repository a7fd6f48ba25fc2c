// Key files: Ed25519 keys as small text files a person can read, mail and diff.
//
//   vvm-ed25519-public-key v1              vvm-ed25519-secret-key v1
//   # a comment                            # Keep this file private: ...
//   key-id: 3f1c9a0b7d2e4c58               key-id: 3f1c9a0b7d2e4c58
//   key: <base64 of 32 bytes>              key: <base64 of 64 bytes: seed, then public key>
//
// The first line names the kind and the format version. Then come exactly one "key-id:" and one
// "key:" line, in either order; blank lines and lines starting with '#' are ignored, and a '\r'
// before a line's '\n' is tolerated. Base64 is the standard alphabet with '=' padding
// (sodium_bin2base64, ORIGINAL variant). The key id (Keys.h) is checked against the key, and a
// secret key's public half against its seed, so a damaged file is refused rather than used.
// Files are capped at kMaxKeyFileBytes. Secret key files are written with mode 0600 and
// refused when other users may read them (as ssh refuses an unprotected private key); public
// key files are written with mode 0644. docs/security.md describes the format for people.
#pragma once

#include "security/Keys.h"

#include <string>
#include <string_view>

namespace vvm::security {

inline constexpr std::string_view kPublicKeyHeader = "vvm-ed25519-public-key v1";
inline constexpr std::string_view kSecretKeyHeader = "vvm-ed25519-secret-key v1";
/// No key file is this long; the cap keeps a wrong path (a log, a disk image) from being read.
inline constexpr size_t kMaxKeyFileBytes = 64 * 1024;

/// The text of a public or secret key file.
std::string formatPublicKeyFile(const PublicKey& key);
std::string formatSecretKeyFile(const SecretKey& key);

/// Reads key-file text; `file` names it in failures (each with the offending line where there
/// is one): WrongHeader, WrongKeyKind, UnsupportedVersion, UnknownField, DuplicateField,
/// MissingField, BadBase64, WrongLength, BadKeyId, KeyIdMismatch, CorruptSecretKey.
Result<PublicKey> parsePublicKeyFile(std::string_view text, const std::string& file);
Result<SecretKey> parseSecretKeyFile(std::string_view text, const std::string& file);

/// Reads a key file: the parse failures above, the file failures of readSmallFile, and for a
/// secret key SecretKeyExposed when its mode lets anyone but the owner in (unless the file is
/// not a secret key file at all: then WrongKeyKind or WrongHeader says so).
Result<PublicKey> loadPublicKey(const std::string& path);
Result<SecretKey> loadSecretKey(const std::string& path);

/// Writes a key file (public: mode 0644, secret: mode 0600). An existing file is replaced only
/// when `overwrite` is set; otherwise the result is FileExists.
Status savePublicKey(const std::string& path, const PublicKey& key, bool overwrite = false);
Status saveSecretKey(const std::string& path, const SecretKey& key, bool overwrite = false);

/// The two files of a key pair saved under one prefix: PREFIX.pub and PREFIX.key.
struct KeyPairFiles {
  std::string publicKey; ///< PREFIX.pub
  std::string secretKey; ///< PREFIX.key
};
KeyPairFiles keyPairFiles(const std::string& prefix);

/// Writes both files of `pair` (keyPairFiles(prefix)): both, or on failure neither. Without
/// `overwrite`, FileExists names the first that exists (the secret key file first) and nothing is
/// written. With it, both files are written beside their destinations before either is renamed
/// over its old file, so a failed write leaves the old pair as it was. NotAFile when a
/// destination is a directory; otherwise the failures of the writes (FileUnwritable).
Status saveKeyPair(const std::string& prefix, const KeyPair& pair, bool overwrite = false);

} // namespace vvm::security
