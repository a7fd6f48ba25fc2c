// UTF-8 well-formedness (RFC 3629), shared by the .vp assembler (which rejects malformed text
// outside string literals) and the disassembler (which escapes it inside them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
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

/// The code point of the well-formed sequence at s[i] and its length, or length 0 if malformed.
inline size_t utf8Decode(std::string_view s, size_t i, uint32_t& cp) {
  size_t len = utf8Length(s, i);
  if (len == 0) return 0;
  auto c = static_cast<unsigned char>(s[i]);
  cp = len == 1 ? c : c & (0xff >> (len + 1));
  for (size_t k = 1; k < len; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return len;
}

/// Appends code point cp (at most U+10FFFF, not a surrogate) as UTF-8.
inline void utf8Append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

} // namespace vvm
