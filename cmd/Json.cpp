// The JSON string escaper.
#include "cmd/Json.h"

#include <fmt/format.h>

#include <cstdint>

namespace vvm::cmd {

namespace {

/// The length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one (RFC 3629:
/// no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8Length(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  uint8_t b = byte(0);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return continuation(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (b == 0xED && byte(1) >= 0xA0) return 0; // a surrogate
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (b == 0xF4 && byte(1) >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

} // namespace

std::string jsonString(std::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    char c = text[0];
    size_t n = utf8Length(text);
    if (n == 0) {
      out += "\\ufffd";
      n = 1;
    } else if (n > 1) {
      out.append(text.substr(0, n));
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<uint8_t>(c) < 0x20 || c == 0x7F) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<uint8_t>(c)));
    } else {
      out += c;
    }
    text.remove_prefix(n);
  }
  out += '"';
  return out;
}

} // namespace vvm::cmd
