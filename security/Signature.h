// Detached Ed25519 signatures over byte strings, and the one line of text that carries one:
//
//   vvm-signature v1 ed25519 <key-id> <base64 signature>
//
// (key id as in Keys.h; the 64 signature bytes in base64 with padding, 88 characters; fields
// separated by spaces or tabs, trailing white space ignored). A file carries its signature in
// one of two ways:
//
// - Embedded, for text files such as VMlets: the file's last line is ";; " followed by the
//   signature line (a console-language comment). The signed bytes are every byte of the file
//   before that line: everything up to and including the '\n' that ends the line before it
//   (nothing if the signature is the only line). The signature line and its own line ending are
//   not signed. "Last line" means what follows the last '\n' that is not the file's final byte:
//   one final '\n' after the signature line is allowed, an empty line after it is not.
// - Detached: the signature line alone in FILE.sig beside FILE (one final '\n' allowed). The
//   signed bytes are all of FILE's bytes, exactly as they are.
//
// Embedding needs the signed bytes to end with '\n', so signing a text that lacks one signs
// (and writes) the text with a '\n' added; signedContent() says exactly which bytes those are.
// docs/security.md describes the formats for people.
#pragma once

#include "security/Keys.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace vvm::security {

inline constexpr size_t kSignatureBytes = 64;
/// What starts an embedded signature line.
inline constexpr std::string_view kEmbeddedSignaturePrefix = ";; vvm-signature ";
/// No signature file is this long.
inline constexpr size_t kMaxSignatureFileBytes = 4096;

/// An Ed25519 signature and the id of the key that made it.
struct Signature {
  KeyId keyId;
  std::array<uint8_t, kSignatureBytes> bytes{};
};

/// Signs `bytes` with `key`. Fails only with SodiumUnavailable.
Result<Signature> sign(const SecretKey& key, std::string_view bytes);

/// True when `sig` is `key`'s signature over exactly `bytes`. The signature's key id is not
/// consulted: the signature check alone decides.
bool verify(const PublicKey& key, std::string_view bytes, const Signature& sig);

/// "vvm-signature v1 ed25519 <key-id> <base64>", without a line ending.
std::string formatSignatureLine(const Signature& sig);

/// Reads a signature line (without the ";; " of an embedded one; a trailing '\r' or '\n' is
/// ignored). Failures, with no file or line set (the caller knows them): NotASignature,
/// SignatureFields, UnsupportedVersion, UnsupportedAlgorithm, BadKeyId, BadBase64, WrongLength.
Result<Signature> parseSignatureLine(std::string_view line);

/// A text file split at its embedded signature.
struct SignedText {
  std::string_view content;                      ///< the signed bytes: everything before the signature line
  std::optional<std::string_view> signatureLine; ///< the line without ";; " and line ending; none if unsigned
  uint32_t line = 0;                             ///< the signature's 1-based line number (0 if none)
};

/// Splits `text` at an embedded signature on its last line. A line starting with ";; vvm-signature "
/// anywhere else is MisplacedSignature (line set; the caller sets the file): text added after
/// signing must not pass as unsigned.
Result<SignedText> splitSignedText(std::string_view text);

/// The bytes that a signature embedded in `text` must cover: `text` without its embedded
/// signature line if it has one, with a '\n' added if it is neither empty nor ends in one.
/// Fails with MisplacedSignature as splitSignedText does.
Result<std::string> signedContent(std::string_view text);

/// `content` (as signedContent returns it) followed by ";; " and the signature line and '\n'.
std::string attachSignature(std::string content, const Signature& sig);

/// Signs a text file's content and returns the text with the signature embedded on its last
/// line, replacing the signature it had.
Result<std::string> signText(const SecretKey& key, std::string_view text);

/// The detached signature file of `path`: "<path>.sig".
std::string signatureFileFor(const std::string& path);

/// Reads a detached signature file: the failures of readSmallFile (FileNotFound when there is
/// none) and of parseSignatureLine (with file and line 1), or SignatureFileExtra when the file
/// holds more than the one line.
Result<Signature> readSignatureFile(const std::string& path);

/// Writes a detached signature file (the line and '\n', mode 0644).
Status writeSignatureFile(const std::string& path, const Signature& sig, bool overwrite);

} // namespace vvm::security
