// Signatures: signing and checking with libsodium, the signature line, embedded and detached
// signatures.
#include "security/Signature.h"

#include "security/Base64.h"
#include "security/SmallFile.h"

#include <sodium.h>

#include <algorithm>

namespace vvm::security {

static_assert(kSignatureBytes == crypto_sign_BYTES);

namespace {

constexpr std::string_view kTag = "vvm-signature";
constexpr std::string_view kVersion = "v1";
constexpr std::string_view kAlgorithm = "ed25519";
constexpr size_t kFields = 5;

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

} // namespace

Result<Signature> sign(const SecretKey& key, std::string_view bytes) {
  if (!sodiumReady()) return fail(SecurityError::SodiumUnavailable, "", 0);
  Signature sig;
  sig.keyId = key.id();
  crypto_sign_detached(sig.bytes.data(), nullptr, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       key.bytes.data());
  return sig;
}

bool verify(const PublicKey& key, std::string_view bytes, const Signature& sig) {
  if (!sodiumReady()) return false;
  return crypto_sign_verify_detached(sig.bytes.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                     bytes.size(), key.bytes.data()) == 0;
}

std::string formatSignatureLine(const Signature& sig) {
  return fmt::format("{} {} {} {} {}", kTag, kVersion, kAlgorithm, sig.keyId.hex(),
                     toBase64(sig.bytes.data(), sig.bytes.size()));
}

Result<Signature> parseSignatureLine(std::string_view line) {
  std::string_view fields[kFields + 1];
  size_t count = 0;
  for (size_t i = 0; i < line.size();) {
    if (isBlank(line[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < line.size() && !isBlank(line[end])) ++end;
    if (count < std::size(fields)) fields[count] = line.substr(i, end - i);
    ++count;
    i = end;
  }
  if (count == 0 || fields[0] != kTag) return fail(SecurityError::NotASignature, "", 0);
  // Name an unknown version or algorithm before counting fields: a later format may have more.
  if (count > 1 && fields[1] != kVersion)
    return fail(SecurityError::UnsupportedVersion, "", 0, "signature", excerpt(fields[1]));
  if (count > 2 && fields[2] != kAlgorithm) return fail(SecurityError::UnsupportedAlgorithm, "", 0, excerpt(fields[2]));
  if (count != kFields) return fail(SecurityError::SignatureFields, "", 0, count);
  Signature sig;
  auto id = KeyId::fromHex(fields[3]);
  if (!id) return fail(SecurityError::BadKeyId, "", 0, excerpt(fields[3]));
  sig.keyId = *id;
  std::vector<uint8_t> bytes;
  if (!fromBase64(fields[4], bytes)) return fail(SecurityError::BadBase64, "", 0, "signature");
  if (bytes.size() != kSignatureBytes)
    return fail(SecurityError::WrongLength, "", 0, "signature", bytes.size(), "signature", kSignatureBytes);
  std::copy(bytes.begin(), bytes.end(), sig.bytes.begin());
  return sig;
}

Result<SignedText> splitSignedText(std::string_view text) {
  SignedText split;
  split.content = text;
  // The last line runs from after the last '\n' that is not the final byte to the end.
  size_t end = text.size();
  if (end && text[end - 1] == '\n') --end;
  size_t start = 0;
  if (end) {
    size_t nl = text.rfind('\n', end - 1);
    start = nl == std::string_view::npos ? 0 : nl + 1;
  }
  std::string_view last = text.substr(start, end - start);
  if (last.starts_with(kEmbeddedSignaturePrefix)) {
    split.content = text.substr(0, start);
    std::string_view sig = last.substr(3); // drop ";; "
    if (sig.ends_with('\r')) sig.remove_suffix(1);
    split.signatureLine = sig;
    split.line = static_cast<uint32_t>(std::count(split.content.begin(), split.content.end(), '\n')) + 1;
    return split;
  }
  // No signature at the end; one anywhere else means the file was changed after signing.
  uint32_t lines = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n')) +
                   (!text.empty() && text.back() != '\n' ? 1 : 0);
  uint32_t lineNo = 1;
  for (size_t pos = 0; pos < text.size(); ++lineNo) {
    if (text.substr(pos).starts_with(kEmbeddedSignaturePrefix))
      return fail(SecurityError::MisplacedSignature, "", lineNo, lineNo, lines);
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return split;
}

Result<std::string> signedContent(std::string_view text) {
  auto split = splitSignedText(text);
  if (!split) return split.failure();
  std::string content(split->content);
  if (!content.empty() && content.back() != '\n') content += '\n';
  return content;
}

std::string attachSignature(std::string content, const Signature& sig) {
  if (!content.empty() && content.back() != '\n') content += '\n';
  content += ";; ";
  content += formatSignatureLine(sig);
  content += '\n';
  return content;
}

Result<std::string> signText(const SecretKey& key, std::string_view text) {
  auto content = signedContent(text);
  if (!content) return content.failure();
  auto sig = sign(key, *content);
  if (!sig) return sig.failure();
  return attachSignature(std::move(*content), *sig);
}

std::string signatureFileFor(const std::string& path) { return path + ".sig"; }

Result<Signature> readSignatureFile(const std::string& path) {
  auto file = readSmallFile(path, kMaxSignatureFileBytes);
  if (!file) return file.failure();
  std::string_view text = file->data;
  if (text.ends_with('\n')) text.remove_suffix(1);
  if (text.find('\n') != std::string_view::npos) return fail(SecurityError::SignatureFileExtra, path, 2);
  auto sig = parseSignatureLine(text);
  if (!sig) return locate(sig.failure(), path, 1);
  return sig;
}

Status writeSignatureFile(const std::string& path, const Signature& sig, bool overwrite) {
  return writeSmallFile(path, formatSignatureLine(sig) + "\n", 0644, overwrite);
}

} // namespace vvm::security
