// Ed25519 keys (libsodium's crypto_sign): the public and secret halves of a signer's key pair,
// the short key id that signatures and trust stores name keys by, and key-pair generation.
// Their text form on disk is KeyFile.h's business.
#pragma once

#include "security/Result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vvm::security {

inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSecretKeyBytes = 64; ///< libsodium's form: the 32-byte seed, then the public key
inline constexpr size_t kKeyIdBytes = 8;

/// Initialises libsodium on the first call (thread-safe, once per process); true when it is
/// ready. It fails only when the system has no usable random source; every operation that
/// needs libsodium then returns SodiumUnavailable.
bool sodiumReady();

/// A key's short name: the first 8 bytes of BLAKE2b-256 (libsodium crypto_generichash, no key)
/// of the 32 public-key bytes, written as 16 lower-case hexadecimal digits. It names the key in
/// signature lines and trust-store look-ups; it is a hint, never a proof: only the signature
/// check decides.
struct KeyId {
  std::array<uint8_t, kKeyIdBytes> bytes{};

  /// 16 lower-case hexadecimal digits.
  std::string hex() const;
  /// Reads exactly 16 hexadecimal digits (either case).
  static std::optional<KeyId> fromHex(std::string_view text);
  bool operator==(const KeyId&) const = default;
};

/// The public half of a key pair: what verifiers hold.
struct PublicKey {
  std::array<uint8_t, kPublicKeyBytes> bytes{};

  KeyId id() const;
  bool operator==(const PublicKey&) const = default;
};

/// The secret half of a key pair: what the signer alone holds. Its bytes are wiped when it is
/// destroyed.
class SecretKey {
public:
  SecretKey() = default;
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();

  std::array<uint8_t, kSecretKeyBytes> bytes{};

  /// The public half (libsodium keeps it in the last 32 bytes).
  PublicKey publicKey() const;
  KeyId id() const { return publicKey().id(); }
};

/// A freshly generated signer's key.
struct KeyPair {
  PublicKey publicKey;
  SecretKey secretKey;
};

/// Makes a new key pair from the system's random source.
Result<KeyPair> generateKeyPair();

} // namespace vvm::security
