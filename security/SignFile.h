// Signing a file on disk, as `vvm sign` does: the signature embedded in a text file, on its
// last line, or written beside any file in FILE.sig (Signature.h has the formats, and which
// bytes each signs). An existing signature is replaced; anything in its place that is not a
// signature vvm can read (a damaged line, a GPG "FILE.sig") is kept unless the caller asks for
// it to be replaced. Every file is written beside its destination and renamed over it, so a
// failure never leaves a half-written file.
#pragma once

#include "security/Signature.h"

#include <optional>
#include <string>

namespace vvm::security {

/// The largest file vvm signs: the whole file is read into memory to be signed.
inline constexpr size_t kMaxSignedFileBytes = size_t{256} << 20;

/// How a file is signed.
struct SignFileOptions {
  bool detached = false;          ///< write FILE.sig instead of embedding the signature in FILE
  bool replaceUnreadable = false; ///< replace what holds the old signature even when it cannot be read
};

/// What signing a file did.
struct SignedFile {
  std::string written; ///< the file written: FILE itself (embedded) or FILE.sig (detached)
  Signature signature;
  uint32_t line = 0;                ///< embedded: the signature's line number in FILE
  bool replaced = false;            ///< a signature (or what stood in its place) was replaced
  std::optional<KeyId> replacedKey; ///< the key that made the replaced signature, if it could be read
};

/// Signs the file at `path` with `key`.
///
/// Embedded: FILE must be text (NotText at its first NUL byte). Its signed content is what
/// signedContent() returns (MisplacedSignature, located, when a signature line is not last); the
/// file is rewritten with the new signature as its last line, keeping its permission bits (less
/// the umask). When `path` is a symbolic link, the file it names is rewritten and the link kept.
/// Detached: every byte of FILE is signed and the signature written to signatureFileFor(path).
///
/// A signature already there that cannot be read fails with UnreadableSignatureKept (naming
/// where it is and why it cannot be read), unless `options.replaceUnreadable`. Other failures:
/// those of readSmallFile and writeSmallFile (naming `path` as given), TooBigToSign beyond
/// kMaxSignedFileBytes, SodiumUnavailable.
Result<SignedFile> signFile(const SecretKey& key, const std::string& path, const SignFileOptions& options);

} // namespace vvm::security
