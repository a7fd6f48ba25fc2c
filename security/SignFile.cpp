// Signing files on disk: reading the file to sign, deciding what happens to a signature already
// there, writing the embedded or detached result.
#include "security/SignFile.h"

#include "security/SmallFile.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vvm::security {

namespace {

/// `f` as a failure about `path` (the name the caller gave), keeping its line.
Failure about(Failure f, const std::string& path) {
  uint32_t line = f.where.line;
  return locate(std::move(f), path, line);
}

/// Reads the file to sign; `name` is how failures call it.
Result<SmallFile> readFileToSign(const std::string& path, const std::string& name) {
  auto file = readSmallFile(path, kMaxSignedFileBytes);
  if (file) return file;
  // readSmallFile's own message speaks of key files, "a few lines of text".
  if (file.failure().code == SecurityError::FileTooBig)
    return fail(SecurityError::TooBigToSign, name, 0, kMaxSignedFileBytes);
  return about(file.failure(), name);
}

/// The failure for an old signature that is kept because it cannot be read.
Failure kept(const Failure& unreadable) {
  return fail(SecurityError::UnreadableSignatureKept, unreadable.where.file, unreadable.where.line,
              unreadable.message());
}

Result<SignedFile> signEmbedded(const SecretKey& key, const std::string& path, const SignFileOptions& options) {
  // The file is replaced by a rename, which would turn a symbolic link into a plain copy: sign
  // the file the link names instead, so the link (and the file's other names) stay as they were
  // meant.
  std::string target = path;
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    target = real;
    std::free(real);
  } else if (errno == ENOENT) {
    return fail(SecurityError::FileNotFound, path, 0);
  }
  auto file = readFileToSign(target, path);
  if (!file) return file.failure();
  const std::string& text = file->data;
  if (size_t nul = text.find('\0'); nul != std::string::npos) return fail(SecurityError::NotText, path, 0, nul);

  auto split = splitSignedText(text);
  if (!split) return about(split.failure(), path);
  SignedFile result;
  result.written = path;
  if (split->signatureLine) {
    result.replaced = true;
    auto old = parseSignatureLine(*split->signatureLine);
    if (old)
      result.replacedKey = old->keyId;
    else if (!options.replaceUnreadable)
      return kept(locate(old.failure(), path, split->line));
  }
  // As signedContent(): the signed bytes end with a '\n' so that the signature starts a line.
  std::string content(split->content);
  if (!content.empty() && content.back() != '\n') content += '\n';
  auto sig = sign(key, content);
  if (!sig) return sig.failure();
  result.signature = *sig;
  result.line = static_cast<uint32_t>(std::count(content.begin(), content.end(), '\n')) + 1;
  Status written = writeSmallFile(target, attachSignature(std::move(content), *sig), file->mode & 0777, true);
  if (!written) return about(written.failure(), path);
  return result;
}

Result<SignedFile> signDetached(const SecretKey& key, const std::string& path, const SignFileOptions& options) {
  auto file = readFileToSign(path, path);
  if (!file) return file.failure();
  auto sig = sign(key, file->data);
  if (!sig) return sig.failure();
  SignedFile result;
  result.written = signatureFileFor(path);
  result.signature = *sig;
  auto old = readSignatureFile(result.written);
  if (old) {
    result.replaced = true;
    result.replacedKey = old->keyId;
  } else if (old.failure().code == SecurityError::NotAFile) {
    return old.failure(); // a directory is in the way: nothing to replace, whatever was asked
  } else if (old.failure().code != SecurityError::FileNotFound) {
    if (!options.replaceUnreadable) return kept(old.failure());
    result.replaced = true;
  }
  // Without a file there before, a new one is created exclusively: if one appeared meanwhile,
  // FileExists, rather than replacing what nobody looked at.
  Status written = writeSignatureFile(result.written, *sig, result.replaced);
  if (!written) return written.failure();
  return result;
}

} // namespace

Result<SignedFile> signFile(const SecretKey& key, const std::string& path, const SignFileOptions& options) {
  return options.detached ? signDetached(key, path, options) : signEmbedded(key, path, options);
}

} // namespace vvm::security
