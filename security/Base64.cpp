// Base64 over libsodium's constant-time codec (it also decodes secret keys).
#include "security/Base64.h"

#include <sodium.h>

namespace vvm::security {

std::string toBase64(const uint8_t* data, size_t size) {
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
  std::string text(sodium_base64_encoded_len(size, kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), data, size, kVariant);
  text.pop_back(); // the terminating NUL that sodium_bin2base64 writes
  return text;
}

bool fromBase64(std::string_view text, std::vector<uint8_t>& out) {
  out.assign(text.size() / 4 * 3 + 3, 0);
  size_t length = 0;
  // No `ignore` characters and no end pointer: any byte outside the alphabet is an error.
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    sodium_memzero(out.data(), out.size()); // it may have been part of a secret key
    out.clear();
    return false;
  }
  out.resize(length);
  return true;
}

} // namespace vvm::security
