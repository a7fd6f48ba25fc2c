// The trust store: loading trusted keys from files and directories, and checking signatures
// against them.
#include "security/TrustStore.h"

#include "security/KeyFile.h"
#include "security/SmallFile.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

namespace vvm::security {

namespace {
constexpr std::string_view kVerdictNames[] = {
#define VVM_VERDICT(Name, Text, Doc) Text,
#include "security/Verdicts.def"
};
constexpr std::string_view kVerdictMeanings[] = {
#define VVM_VERDICT(Name, Text, Doc) Doc,
#include "security/Verdicts.def"
};

SignatureCheck malformed(Failure problem) {
  SignatureCheck c;
  c.verdict = Verdict::Malformed;
  c.problem = std::move(problem);
  return c;
}
} // namespace

std::string_view verdictName(Verdict v) { return kVerdictNames[static_cast<size_t>(v)]; }
std::string_view verdictMeaning(Verdict v) { return kVerdictMeanings[static_cast<size_t>(v)]; }

std::string SignatureCheck::describe() const {
  std::string id = keyId ? keyId->hex() : "?";
  switch (verdict) {
  case Verdict::Trusted: return fmt::format("signed by trusted key {} ({})", id, signer);
  case Verdict::UnknownKey: return fmt::format("signed by key {}, which is not in the trust store", id);
  case Verdict::BadSignature:
    return fmt::format("the signature by key {} does not match the content (changed after signing, or forged)", id);
  case Verdict::Unsigned: return "not signed";
  case Verdict::Malformed: return "malformed signature: " + (problem ? problem->message() : std::string("?"));
  }
  VVM_UNREACHABLE("verdict");
}

std::string TrustStore::defaultDirectory() {
  const char* config = std::getenv("XDG_CONFIG_HOME");
  if (config && config[0] == '/') return std::string(config) + "/vvm/trusted";
  const char* home = std::getenv("HOME");
  if (home && home[0]) return std::string(home) + "/.config/vvm/trusted";
  return {};
}

Status TrustStore::addDirectory(const std::string& dir, std::vector<Failure>& skipped) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(SecurityError::TrustDirUnreadable, dir, 0, std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return fail(SecurityError::TrustDirUnreadable, dir, 0, "not a directory");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fail(SecurityError::TrustDirExposed, dir, 0, static_cast<unsigned>(st.st_mode & 07777), dir);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail(SecurityError::TrustDirUnreadable, dir, 0, std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with('.') && name.ends_with(".pub")) names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::string path = dir;
    path += '/';
    path += name;
    auto file = readSmallFile(path, kMaxKeyFileBytes);
    if (file.ok() && (file->mode & (S_IWGRP | S_IWOTH)))
      file = fail(SecurityError::TrustedKeyExposed, path, 0, static_cast<unsigned>(file->mode), path);
    if (!file) {
      // A sub-directory named *.pub is not a key file and not worth a warning.
      if (file.failure().code != SecurityError::NotAFile) skipped.push_back(file.failure());
      continue;
    }
    auto key = parsePublicKeyFile(file->data, path);
    if (!key) {
      skipped.push_back(key.failure());
      continue;
    }
    addKey(*key, path);
  }
  return {};
}

Status TrustStore::addKeyFile(const std::string& path) {
  auto key = loadPublicKey(path);
  if (!key) return key.failure();
  addKey(*key, path);
  return {};
}

bool TrustStore::addKey(const PublicKey& key, std::string source) {
  for (const auto& k : keys_)
    if (k.key == key) return false;
  keys_.push_back({key, key.id(), std::move(source)});
  return true;
}

const TrustedKey* TrustStore::find(const KeyId& id) const {
  for (const auto& k : keys_)
    if (k.id == id) return &k;
  return nullptr;
}

SignatureCheck TrustStore::check(std::string_view bytes, const Signature& sig) const {
  SignatureCheck c;
  c.keyId = sig.keyId;
  c.verdict = Verdict::UnknownKey;
  for (const auto& k : keys_) {
    if (!(k.id == sig.keyId)) continue;
    if (verify(k.key, bytes, sig)) {
      c.verdict = Verdict::Trusted;
      c.signer = k.source;
      return c;
    }
    c.verdict = Verdict::BadSignature;
  }
  return c;
}

SignatureCheck TrustStore::checkEmbedded(std::string_view text, const std::string& file) const {
  auto split = splitSignedText(text);
  if (!split) return malformed(locate(split.failure(), file, split.failure().where.line));
  if (!split->signatureLine) return {};
  auto sig = parseSignatureLine(*split->signatureLine);
  if (!sig) return malformed(locate(sig.failure(), file, split->line));
  return check(split->content, *sig);
}

SignatureCheck TrustStore::checkDetached(std::string_view bytes, const std::string& signatureFile) const {
  auto sig = readSignatureFile(signatureFile);
  if (!sig) {
    if (sig.failure().code == SecurityError::FileNotFound) return {};
    return malformed(sig.failure());
  }
  return check(bytes, *sig);
}

} // namespace vvm::security
