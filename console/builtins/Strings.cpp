// Strings (R7RS 6.7) and symbols (6.5), with the string searching and splitting procedures
// VMlets need (SRFI-13 argument orders). A console string is the VP's String: immutable
// UTF-8 bytes, so there is no string-set! or string-fill!. Indexes count code points, which
// makes string-ref and substring walk the string from its start (O(n)); a malformed byte
// (possible in a string another language made) counts as one code point, U+FFFD. Ordering
// compares bytes, which for UTF-8 is code point order.
#include "console/builtins/Support.h"

#include <atomic>
#include <cstring>

namespace vvm::console::builtins {
namespace {

template <typename Test> bool stringChain(Thread& t, Value* args, std::string_view who, Test test) {
  auto items = restArgs(args);
  bool holds = true;
  std::string_view prev;
  for (size_t k = 0; k < items.size(); ++k) { // every argument must be a string, even after a false
    std::string_view s;
    if (!stringArg(t, who, items[k], s)) return false;
    if (k > 0 && !test(prev.compare(s))) holds = false;
    prev = s;
  }
  return boolResult(t, args, holds);
}

/// `s` with every code point mapped by `map` (malformed bytes are kept as they are).
template <typename Map> std::string mapCodePoints(std::string_view s, Map map) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = utf8Decode(s, i, cp);
    if (n == 0) {
      out += s[i++];
      continue;
    }
    utf8Append(out, map(cp));
    i += n;
  }
  return out;
}

/// A string made of the characters in `chars`.
bool stringOfChars(Thread& t, Value* args, std::string_view who, std::span<Object* const> chars) {
  std::string text;
  for (Object* c : chars) {
    uint32_t cp = 0;
    if (!charArg(t, who, c, cp)) return false;
    utf8Append(text, cp);
  }
  return result(t, args, Values::of(t).makeString(text));
}

/// The string of code points [start, end) of `s`, after checking them.
bool substringOf(Thread& t, Value* args, std::string_view who, std::span<Object* const> items) {
  std::string_view s;
  if (!stringArg(t, who, items[0], s)) return false;
  int64_t start = 0, end = 0;
  if (!rangeArgs(t, who, items, 1, codePointCount(s), start, end)) return false;
  size_t from = byteOffset(s, start);
  size_t to = from + byteOffset(s.substr(from), end - start);
  return result(t, args, Values::of(t).makeString(s.substr(from, to - from)));
}

/// The UTF-8 bytes of a character argument.
bool charBytes(Thread& t, std::string_view who, const Object* o, std::string& out) {
  uint32_t c = 0;
  if (!charArg(t, who, o, c)) return false;
  out.clear();
  utf8Append(out, c);
  return true;
}

} // namespace

bool stringLength(Thread& t, Value* args) {
  std::string_view s;
  return stringArg(t, "string-length", args[0].ref, s) && result(t, args, Values::of(t).makeInt(codePointCount(s)));
}

bool stringRef(Thread& t, Value* args) {
  Values& v = Values::of(t);
  std::string_view s;
  int64_t k = 0;
  if (!stringArg(t, "string-ref", args[0].ref, s) || !intArg(t, "string-ref", args[1].ref, k)) return false;
  size_t at = k < 0 ? s.size() : byteOffset(s, k);
  if (at >= s.size())
    return v.raise(t, "string-ref: index " + std::to_string(k) + " out of range for length " +
                          std::to_string(codePointCount(s)));
  uint32_t cp = 0;
  decodeAt(s, at, cp);
  return result(t, args, v.makeChar(cp));
}

bool substring(Thread& t, Value* args) { return substringOf(t, args, "substring", restArgs(args)); }
bool stringCopy(Thread& t, Value* args) { return substringOf(t, args, "string-copy", restArgs(args)); }

bool stringAppend(Thread& t, Value* args) {
  auto items = restArgs(args);
  int64_t total = 0;
  for (Object* o : items) {
    std::string_view s;
    if (!stringArg(t, "string-append", o, s)) return false;
    total += static_cast<int64_t>(s.size());
  }
  Array* out = newStringOfSize(Values::of(t), total);
  if (!out) return Values::of(t).outOfMemory(t);
  uint8_t* p = byteData(out);
  for (Object* o : items) {
    std::string_view s = Values::stringBytes(o);
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  return result(t, args, out);
}

bool stringEqP(Thread& t, Value* args) {
  return stringChain(t, args, "string=?", [](int c) { return c == 0; });
}
bool stringLtP(Thread& t, Value* args) {
  return stringChain(t, args, "string<?", [](int c) { return c < 0; });
}
bool stringGtP(Thread& t, Value* args) {
  return stringChain(t, args, "string>?", [](int c) { return c > 0; });
}
bool stringLeP(Thread& t, Value* args) {
  return stringChain(t, args, "string<=?", [](int c) { return c <= 0; });
}
bool stringGeP(Thread& t, Value* args) {
  return stringChain(t, args, "string>=?", [](int c) { return c >= 0; });
}

bool stringCiEqP(Thread& t, Value* args) {
  auto items = restArgs(args);
  bool holds = true;
  std::string first;
  for (size_t k = 0; k < items.size(); ++k) {
    std::string_view s;
    if (!stringArg(t, "string-ci=?", items[k], s)) return false;
    std::string folded = mapCodePoints(s, downcaseCodePoint);
    if (k == 0)
      first = std::move(folded);
    else if (folded != first)
      holds = false;
  }
  return boolResult(t, args, holds);
}

bool stringToList(Thread& t, Value* args) {
  Values& v = Values::of(t);
  std::string_view s;
  if (!stringArg(t, "string->list", args[0].ref, s)) return false;
  ListBuilder out(v);
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    i += decodeAt(s, i, cp);
    Object* c = v.makeChar(cp);
    if (!c || !out.add(c)) return v.outOfMemory(t);
  }
  return result(t, args, out.finish());
}

bool listToString(Thread& t, Value* args) {
  Values& v = Values::of(t);
  int64_t n = 0;
  if (!listArg(t, "list->string", args[0].ref, n)) return false;
  std::string text;
  for (Object* p = args[0].ref; v.isPair(p); p = Values::cdr(p)) {
    uint32_t cp = 0;
    if (!charArg(t, "list->string", Values::car(p), cp)) return false;
    utf8Append(text, cp);
  }
  return result(t, args, v.makeString(text));
}

bool string(Thread& t, Value* args) { return stringOfChars(t, args, "string", restArgs(args)); }

bool makeString(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  int64_t k = 0;
  uint32_t c = ' ';
  if (!intArg(t, "make-string", items[0], k)) return false;
  if (items.size() > 1 && !charArg(t, "make-string", items[1], c)) return false;
  if (k < 0) return v.raise(t, "make-string: length " + std::to_string(k) + " is negative");
  std::string one;
  utf8Append(one, c);
  auto width = static_cast<int64_t>(one.size());
  if (k > (int64_t{1} << 40) / width) return v.outOfMemory(t);
  Array* out = newStringOfSize(v, k * width);
  if (!out) return v.outOfMemory(t);
  for (int64_t i = 0; i < k; ++i) std::memcpy(byteData(out) + i * width, one.data(), one.size());
  return result(t, args, out);
}

bool stringToSymbol(Thread& t, Value* args) {
  std::string_view s;
  return stringArg(t, "string->symbol", args[0].ref, s) && result(t, args, Values::of(t).intern(s));
}

bool symbolToString(Thread& t, Value* args) {
  Values& v = Values::of(t);
  if (!v.isSymbol(args[0].ref)) return v.typeError(t, "symbol->string", "a symbol", args[0].ref);
  return result(t, args, v.makeString(Values::symbolName(args[0].ref)));
}

bool stringToUtf8(Thread& t, Value* args) {
  Values& v = Values::of(t);
  std::string_view s;
  if (!stringArg(t, "string->utf8", args[0].ref, s)) return false;
  Array* out = newBytevector(v, static_cast<int64_t>(s.size()));
  if (!out) return v.outOfMemory(t);
  std::memcpy(byteData(out), s.data(), s.size());
  return result(t, args, out);
}

bool utf8ToString(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Array* bv = nullptr;
  if (!bytevectorArg(t, "utf8->string", args[0].ref, bv)) return false;
  std::string_view bytes = *core::bytesOf(bv);
  for (size_t i = 0; i < bytes.size();) {
    size_t n = utf8Length(bytes, i);
    if (n == 0) return v.raise(t, "utf8->string: malformed UTF-8 at byte " + std::to_string(i));
    i += n;
  }
  return result(t, args, v.makeString(bytes));
}

bool stringUpcase(Thread& t, Value* args) {
  std::string_view s;
  return stringArg(t, "string-upcase", args[0].ref, s) &&
         result(t, args, Values::of(t).makeString(mapCodePoints(s, upcaseCodePoint)));
}
bool stringDowncase(Thread& t, Value* args) {
  std::string_view s;
  return stringArg(t, "string-downcase", args[0].ref, s) &&
         result(t, args, Values::of(t).makeString(mapCodePoints(s, downcaseCodePoint)));
}

bool stringIndex(Thread& t, Value* args) {
  std::string_view s;
  std::string c;
  if (!stringArg(t, "string-index", args[0].ref, s) || !charBytes(t, "string-index", args[1].ref, c)) return false;
  size_t at = s.find(c);
  if (at == std::string_view::npos) return boolResult(t, args, false);
  return result(t, args, Values::of(t).makeInt(codePointCount(s.substr(0, at))));
}

bool stringContains(Thread& t, Value* args) {
  std::string_view s, part;
  if (!stringArg(t, "string-contains", args[0].ref, s) || !stringArg(t, "string-contains", args[1].ref, part))
    return false;
  size_t at = s.find(part);
  if (at == std::string_view::npos) return boolResult(t, args, false);
  return result(t, args, Values::of(t).makeInt(codePointCount(s.substr(0, at))));
}

// n separators make n+1 pieces, empty ones included: "a,,b" gives ("a" "" "b"), "" gives ("").
bool stringSplit(Thread& t, Value* args) {
  Values& v = Values::of(t);
  std::string_view s;
  std::string sep;
  if (!stringArg(t, "string-split", args[0].ref, s) || !charBytes(t, "string-split", args[1].ref, sep)) return false;
  ListBuilder out(v);
  for (size_t from = 0;;) {
    size_t at = s.find(sep, from);
    Object* piece = v.makeString(s.substr(from, at == std::string_view::npos ? std::string_view::npos : at - from));
    if (!piece || !out.add(piece)) return v.outOfMemory(t);
    if (at == std::string_view::npos) break;
    from = at + sep.size();
  }
  return result(t, args, out.finish());
}

bool stringJoin(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  std::string_view sep = " ";
  int64_t n = 0;
  if (!listArg(t, "string-join", items[0], n)) return false;
  if (items.size() > 1 && !stringArg(t, "string-join", items[1], sep)) return false;
  int64_t total = 0;
  for (Object* p = items[0]; v.isPair(p); p = Values::cdr(p)) {
    std::string_view s;
    if (!stringArg(t, "string-join", Values::car(p), s)) return false;
    total += static_cast<int64_t>(s.size() + (p == items[0] ? 0 : sep.size()));
  }
  Array* out = newStringOfSize(v, total);
  if (!out) return v.outOfMemory(t);
  uint8_t* at = byteData(out);
  for (Object* p = items[0]; v.isPair(p); p = Values::cdr(p)) {
    if (p != items[0]) at = static_cast<uint8_t*>(std::memcpy(at, sep.data(), sep.size())) + sep.size();
    std::string_view s = Values::stringBytes(Values::car(p));
    at = static_cast<uint8_t*>(std::memcpy(at, s.data(), s.size())) + s.size();
  }
  return result(t, args, out);
}

bool stringPrefixP(Thread& t, Value* args) {
  std::string_view prefix, s;
  return stringArg(t, "string-prefix?", args[0].ref, prefix) && stringArg(t, "string-prefix?", args[1].ref, s) &&
         boolResult(t, args, s.starts_with(prefix));
}
bool stringSuffixP(Thread& t, Value* args) {
  std::string_view suffix, s;
  return stringArg(t, "string-suffix?", args[0].ref, suffix) && stringArg(t, "string-suffix?", args[1].ref, s) &&
         boolResult(t, args, s.ends_with(suffix));
}

// A fresh interned symbol "#:PREFIXn". The reader rejects "#:" in a bare symbol, so no program
// can write one of these names except as |#:...|: symbols a macro makes this way cannot
// capture a program's own variables. The counter is process-wide.
bool gensym(Thread& t, Value* args) {
  static std::atomic<uint64_t> counter{0};
  Values& v = Values::of(t);
  auto items = restArgs(args);
  std::string_view prefix = "g";
  if (!items.empty()) {
    if (v.isSymbol(items[0]))
      prefix = Values::symbolName(items[0]);
    else if (!v.isString(items[0]))
      return v.typeError(t, "gensym", "a string or a symbol", items[0]);
    else
      prefix = Values::stringBytes(items[0]);
  }
  std::string name = "#:" + std::string(prefix) + std::to_string(++counter);
  return result(t, args, v.intern(name));
}

} // namespace vvm::console::builtins
