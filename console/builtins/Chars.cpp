// Characters (R7RS 6.6): Unicode code points. Comparisons are by code point. Letter case and
// the alphabetic class cover ASCII and Latin-1 (U+0000-U+00FF, and U+0178, the capital of
// U+00FF); char-numeric? and digit-value know the ASCII digits only; char-whitespace? knows
// every Unicode White_Space character.
#include "console/builtins/Support.h"

namespace vvm::console::builtins {
namespace {

template <typename Test> bool charChain(Thread& t, Value* args, std::string_view who, Test test) {
  auto items = restArgs(args);
  bool holds = true;
  uint32_t prev = 0;
  for (size_t k = 0; k < items.size(); ++k) { // every argument must be a character, even after a false
    uint32_t c = 0;
    if (!charArg(t, who, items[k], c)) return false;
    if (k > 0 && !test(prev, c)) holds = false;
    prev = c;
  }
  return boolResult(t, args, holds);
}

bool isAlphabetic(uint32_t c) {
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  if (c == 0xAA || c == 0xB5 || c == 0xBA || c == 0x178) return true;
  return c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7;
}

/// Unicode's White_Space property.
bool isWhitespace(uint32_t c) {
  if ((c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680) return true;
  return (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

template <typename Map> bool mapChar(Thread& t, Value* args, std::string_view who, Map map) {
  uint32_t c = 0;
  return charArg(t, who, args[0].ref, c) && result(t, args, Values::of(t).makeChar(map(c)));
}

template <typename Test> bool testChar(Thread& t, Value* args, std::string_view who, Test test) {
  uint32_t c = 0;
  return charArg(t, who, args[0].ref, c) && boolResult(t, args, test(c));
}

} // namespace

bool charToInteger(Thread& t, Value* args) {
  uint32_t c = 0;
  return charArg(t, "char->integer", args[0].ref, c) && result(t, args, Values::of(t).makeInt(c));
}

bool integerToChar(Thread& t, Value* args) {
  Values& v = Values::of(t);
  int64_t n = 0;
  if (!intArg(t, "integer->char", args[0].ref, n)) return false;
  if (n < 0 || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF))
    return v.raise(t, "integer->char: no character has code point " + std::to_string(n));
  return result(t, args, v.makeChar(static_cast<uint32_t>(n)));
}

bool charEqP(Thread& t, Value* args) {
  return charChain(t, args, "char=?", [](uint32_t a, uint32_t b) { return a == b; });
}
bool charLtP(Thread& t, Value* args) {
  return charChain(t, args, "char<?", [](uint32_t a, uint32_t b) { return a < b; });
}
bool charGtP(Thread& t, Value* args) {
  return charChain(t, args, "char>?", [](uint32_t a, uint32_t b) { return a > b; });
}
bool charLeP(Thread& t, Value* args) {
  return charChain(t, args, "char<=?", [](uint32_t a, uint32_t b) { return a <= b; });
}
bool charGeP(Thread& t, Value* args) {
  return charChain(t, args, "char>=?", [](uint32_t a, uint32_t b) { return a >= b; });
}

bool charAlphabeticP(Thread& t, Value* args) { return testChar(t, args, "char-alphabetic?", isAlphabetic); }
bool charNumericP(Thread& t, Value* args) {
  return testChar(t, args, "char-numeric?", [](uint32_t c) { return c >= '0' && c <= '9'; });
}
bool charWhitespaceP(Thread& t, Value* args) { return testChar(t, args, "char-whitespace?", isWhitespace); }
bool charUpcase(Thread& t, Value* args) { return mapChar(t, args, "char-upcase", upcaseCodePoint); }
bool charDowncase(Thread& t, Value* args) { return mapChar(t, args, "char-downcase", downcaseCodePoint); }

bool digitValue(Thread& t, Value* args) {
  uint32_t c = 0;
  if (!charArg(t, "digit-value", args[0].ref, c)) return false;
  if (c < '0' || c > '9') return boolResult(t, args, false);
  return result(t, args, Values::of(t).makeInt(c - '0'));
}

} // namespace vvm::console::builtins
