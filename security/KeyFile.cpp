// Key files: formatting, parsing with located errors, loading and saving with the right modes.
#include "security/KeyFile.h"

#include "security/Base64.h"
#include "security/SmallFile.h"

#include <sodium.h>

#include <cstring>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace vvm::security {

namespace {

enum class KeyKind { Public, Secret };

constexpr std::string_view kHeaderPrefixes[] = {"vvm-ed25519-public-key ", "vvm-ed25519-secret-key "};
constexpr std::string_view kKindNames[] = {"public", "secret"};
constexpr std::string_view kKeyNames[] = {"public key", "secret key"};
constexpr size_t kKeyLengths[] = {kPublicKeyBytes, kSecretKeyBytes};

std::string_view headerOf(KeyKind kind) { return kind == KeyKind::Public ? kPublicKeyHeader : kSecretKeyHeader; }

/// Wipes a buffer that held secret bytes before it is freed.
struct Wiper {
  std::vector<uint8_t>& bytes;
  ~Wiper() { sodium_memzero(bytes.data(), bytes.size()); }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Reads a key file of `kind` into `key`, checked against its header and key id.
Status parseKeyFile(std::string_view text, const std::string& file, KeyKind kind, std::vector<uint8_t>& key) {
  auto k = static_cast<size_t>(kind);
  uint32_t lineNo = 0;
  std::optional<KeyId> id;
  uint32_t idLine = 0, keyLine = 0;
  size_t pos = 0;
  while (pos < text.size() || lineNo == 0) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineNo;
    std::string_view line = trim(raw);
    if (lineNo == 1) {
      if (line == headerOf(kind)) continue;
      for (size_t other = 0; other < 2; ++other) {
        if (!line.starts_with(kHeaderPrefixes[other])) continue;
        if (other != k) return fail(SecurityError::WrongKeyKind, file, 1, kKindNames[other], kKindNames[k]);
        return fail(SecurityError::UnsupportedVersion, file, 1, "key file",
                    excerpt(line.substr(kHeaderPrefixes[other].size())));
      }
      return fail(SecurityError::WrongHeader, file, 1, headerOf(kind));
    }
    if (line.empty() || line.front() == '#') continue;
    size_t colon = line.find(':');
    std::string_view name = colon == std::string_view::npos ? line : trim(line.substr(0, colon));
    std::string_view value = colon == std::string_view::npos ? std::string_view() : trim(line.substr(colon + 1));
    if (colon == std::string_view::npos || (name != "key-id" && name != "key")) {
      // Name what was found by its first word only, and in a secret key file not at all: the
      // line may be a mangled "key:" line, and its key must not end up in a log.
      std::string found = fmt::format(", found \"{}\"", excerpt(name.substr(0, name.find_first_of(" \t="))));
      return fail(SecurityError::UnknownField, file, lineNo, kind == KeyKind::Secret ? "" : found);
    }
    if (name == "key-id") {
      if (idLine) return fail(SecurityError::DuplicateField, file, lineNo, name);
      idLine = lineNo;
      id = KeyId::fromHex(value);
      if (!id) return fail(SecurityError::BadKeyId, file, lineNo, excerpt(value));
    } else {
      if (keyLine) return fail(SecurityError::DuplicateField, file, lineNo, name);
      keyLine = lineNo;
      if (!fromBase64(value, key)) return fail(SecurityError::BadBase64, file, lineNo, kKeyNames[k]);
      if (key.size() != kKeyLengths[k])
        return fail(SecurityError::WrongLength, file, lineNo, kKeyNames[k], key.size(), kKeyNames[k], kKeyLengths[k]);
    }
  }
  if (!idLine) return fail(SecurityError::MissingField, file, 0, "key-id");
  if (!keyLine) return fail(SecurityError::MissingField, file, 0, "key");
  PublicKey pk;
  std::memcpy(pk.bytes.data(), key.data() + (key.size() - kPublicKeyBytes), kPublicKeyBytes);
  if (!(pk.id() == *id)) return fail(SecurityError::KeyIdMismatch, file, idLine, id->hex(), pk.id().hex());
  if (kind == KeyKind::Secret) {
    // The public half is stored beside the seed; both must belong together.
    uint8_t seed[crypto_sign_SEEDBYTES], pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
    crypto_sign_ed25519_sk_to_seed(seed, key.data());
    crypto_sign_seed_keypair(pk2, sk2, seed);
    bool same = sodium_memcmp(sk2, key.data(), sizeof sk2) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
    if (!same) return fail(SecurityError::CorruptSecretKey, file, keyLine);
  }
  return {};
}

std::string formatKeyFile(KeyKind kind, std::string_view comment, const KeyId& id, const uint8_t* key, size_t size) {
  std::string encoded = toBase64(key, size);
  std::string text;
  text.reserve(200 + encoded.size()); // no reallocation leaves a copy of a secret key behind
  text += headerOf(kind);
  text += "\n# ";
  text += comment;
  text += "\nkey-id: ";
  text += id.hex();
  text += "\nkey: ";
  text += encoded;
  text += '\n';
  sodium_memzero(encoded.data(), encoded.size());
  return text;
}

} // namespace

std::string formatPublicKeyFile(const PublicKey& key) {
  return formatKeyFile(KeyKind::Public, "Give this file to whoever should trust what you sign (their vvm trust store).",
                       key.id(), key.bytes.data(), key.bytes.size());
}

std::string formatSecretKeyFile(const SecretKey& key) {
  return formatKeyFile(KeyKind::Secret, "Keep this file private: anyone who has it can sign as you.", key.id(),
                       key.bytes.data(), key.bytes.size());
}

Result<PublicKey> parsePublicKeyFile(std::string_view text, const std::string& file) {
  std::vector<uint8_t> key;
  auto parsed = parseKeyFile(text, file, KeyKind::Public, key);
  if (!parsed) return parsed.failure();
  PublicKey pk;
  std::memcpy(pk.bytes.data(), key.data(), pk.bytes.size());
  return pk;
}

Result<SecretKey> parseSecretKeyFile(std::string_view text, const std::string& file) {
  std::vector<uint8_t> key;
  Wiper wipe{key};
  auto parsed = parseKeyFile(text, file, KeyKind::Secret, key);
  if (!parsed) return parsed.failure();
  SecretKey sk;
  std::memcpy(sk.bytes.data(), key.data(), sk.bytes.size());
  return sk;
}

Result<PublicKey> loadPublicKey(const std::string& path) {
  auto file = readSmallFile(path, kMaxKeyFileBytes);
  if (!file) return file.failure();
  return parsePublicKeyFile(file->data, path);
}

Result<SecretKey> loadSecretKey(const std::string& path) {
  auto file = readSmallFile(path, kMaxKeyFileBytes);
  if (!file) return file.failure();
  std::string& text = file->data;
  auto key = parseSecretKeyFile(text, path);
  sodium_memzero(text.data(), text.size());
  // An exposed secret key is refused even when it is sound. A file that is no secret key file at
  // all (a public key given by mistake) is named as such: "chmod 600" would not help with it.
  bool notSecretKeyFile =
      !key && (key.failure().code == SecurityError::WrongKeyKind || key.failure().code == SecurityError::WrongHeader);
  if ((file->mode & 077) && !notSecretKeyFile) return fail(SecurityError::SecretKeyExposed, path, 0, file->mode, path);
  return key;
}

Status savePublicKey(const std::string& path, const PublicKey& key, bool overwrite) {
  return writeSmallFile(path, formatPublicKeyFile(key), 0644, overwrite);
}

Status saveSecretKey(const std::string& path, const SecretKey& key, bool overwrite) {
  std::string text = formatSecretKeyFile(key);
  Status written = writeSmallFile(path, text, 0600, overwrite);
  sodium_memzero(text.data(), text.size());
  return written;
}

KeyPairFiles keyPairFiles(const std::string& prefix) { return {prefix + ".pub", prefix + ".key"}; }

Status saveKeyPair(const std::string& prefix, const KeyPair& pair, bool overwrite) {
  KeyPairFiles files = keyPairFiles(prefix);
  // The secret key file is checked (and named) first: it is the one whose loss would matter.
  const std::string* paths[] = {&files.secretKey, &files.publicKey};
  for (const std::string* path : paths) {
    struct stat st;
    if (::lstat(path->c_str(), &st) != 0) continue; // absent (or unreachable: the write says why)
    if (!overwrite) return fail(SecurityError::FileExists, *path, 0);
    if (S_ISDIR(st.st_mode)) return fail(SecurityError::NotAFile, *path, 0, "a directory");
  }
  if (!overwrite) {
    Status secret = saveSecretKey(files.secretKey, pair.secretKey, false);
    if (!secret) return secret;
    Status pub = savePublicKey(files.publicKey, pair.publicKey, false);
    // The secret key file is new and ours: without its public half it is of no use.
    if (!pub) ::unlink(files.secretKey.c_str());
    return pub;
  }
  std::string text = formatSecretKeyFile(pair.secretKey);
  auto secret = stageSmallFile(files.secretKey, text, 0600);
  sodium_memzero(text.data(), text.size());
  if (!secret) return secret.failure();
  auto pub = stageSmallFile(files.publicKey, formatPublicKeyFile(pair.publicKey), 0644);
  if (!pub) return pub.failure(); // the staged secret key is removed with `secret`
  // Both are written; what remains is two renames in one directory, over files checked above
  // not to be directories. Should the second fail all the same, the failure names the public
  // key file, and the new secret key (which holds its public half) is in place.
  Status secretIn = secret->commit();
  if (!secretIn) return secretIn;
  return pub->commit();
}

} // namespace vvm::security
