// Base64 as key and signature files write it: the standard alphabet with '=' padding
// (RFC 4648 section 4; libsodium's ORIGINAL variant).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::security {

/// The base64 text of `size` bytes.
std::string toBase64(const uint8_t* data, size_t size);

/// Decodes base64 text into `out`; false when `text` holds anything but the alphabet with
/// correct padding (no spaces, no line breaks). The caller wipes `out` if it held a secret.
bool fromBase64(std::string_view text, std::vector<uint8_t>& out);

} // namespace vvm::security
