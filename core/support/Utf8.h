// UTF-8 well-formedness (RFC 3629), shared by the .vp assembler (which rejects malformed text
// outside string literals) and the disassembler (which escapes it inside them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vvm {

/// The length of the well-formed UTF-8 sequence starting at s[i] (1 for ASCII), or 0 if it is
/// malformed: a stray continuation byte, a truncated sequence, an overlong form, a surrogate,
/// or a code point past U+10FFFF.
inline size_t utf8Length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (d & 0x3f);
  }
  if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return 0;
  if (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) return 0;
  return len;
}

} // namespace vvm
