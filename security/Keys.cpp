// Ed25519 keys over libsodium: start-up, key ids, generation.
#include "security/Keys.h"

#include <sodium.h>

#include <cstring>

namespace vvm::security {

static_assert(kPublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kSecretKeyBytes == crypto_sign_SECRETKEYBYTES);
static_assert(kKeyIdBytes <= crypto_generichash_BYTES);

bool sodiumReady() {
  // A function-local static is initialised exactly once, even when threads race to it.
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string KeyId::hex() const {
  char text[2 * kKeyIdBytes + 1];
  sodium_bin2hex(text, sizeof text, bytes.data(), bytes.size());
  return text;
}

std::optional<KeyId> KeyId::fromHex(std::string_view text) {
  if (text.size() != 2 * kKeyIdBytes) return std::nullopt;
  KeyId id;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (v < 0) return std::nullopt;
    id.bytes[i / 2] = static_cast<uint8_t>(id.bytes[i / 2] << 4 | v);
  }
  return id;
}

KeyId PublicKey::id() const {
  // BLAKE2b needs no libsodium initialisation; it is pure computation.
  uint8_t hash[crypto_generichash_BYTES];
  crypto_generichash(hash, sizeof hash, bytes.data(), bytes.size(), nullptr, 0);
  KeyId id;
  std::memcpy(id.bytes.data(), hash, kKeyIdBytes);
  return id;
}

SecretKey::~SecretKey() { sodium_memzero(bytes.data(), bytes.size()); }

PublicKey SecretKey::publicKey() const {
  PublicKey pk;
  std::memcpy(pk.bytes.data(), bytes.data() + (kSecretKeyBytes - kPublicKeyBytes), kPublicKeyBytes);
  return pk;
}

Result<KeyPair> generateKeyPair() {
  if (!sodiumReady()) return fail(SecurityError::SodiumUnavailable, "", 0);
  KeyPair pair;
  crypto_sign_keypair(pair.publicKey.bytes.data(), pair.secretKey.bytes.data());
  return pair;
}

} // namespace vvm::security
