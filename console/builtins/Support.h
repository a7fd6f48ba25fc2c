// Helpers shared by the builtin files (console/builtins/*.cpp): reading arguments with messages
// that name the procedure, writing results, walking lists, building lists and vectors, and
// UTF-8 code point indexing.
//
// GC rule for every builtin: heap objects held in C++ locals are safe (the native stack is
// scanned conservatively), but C++ heap containers are not scanned, so temporaries that must
// survive an allocation or a call into console code live in locals or in VP arrays.
#pragma once

#include "console/Builtins.h"
#include "core/support/Utf8.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vvm::console::builtins {

// ---- results

/// Writes `o` as the builtin's result; a null `o` (the heap is exhausted) raises instead.
inline bool result(Thread& t, Value* args, Object* o) {
  if (!o) return Values::of(t).outOfMemory(t);
  args[0].ref = o;
  return true;
}
inline bool boolResult(Thread& t, Value* args, bool b) {
  args[0].ref = Values::of(t).makeBool(b);
  return true;
}
inline bool unspecifiedResult(Thread& t, Value* args) {
  args[0].ref = Values::of(t).unspecified;
  return true;
}

// ---- arguments (each raises "WHO: expected WHAT, got VALUE" on a mismatch)

inline bool intArg(Thread& t, std::string_view who, const Object* o, int64_t& out) {
  Values& v = Values::of(t);
  if (!v.isInt(o)) return v.typeError(t, who, "an exact integer", o);
  out = Values::intValue(o);
  return true;
}
inline bool stringArg(Thread& t, std::string_view who, const Object* o, std::string_view& out) {
  Values& v = Values::of(t);
  if (!v.isString(o)) return v.typeError(t, who, "a string", o);
  out = Values::stringBytes(o);
  return true;
}
inline bool charArg(Thread& t, std::string_view who, const Object* o, uint32_t& out) {
  Values& v = Values::of(t);
  if (!v.isChar(o)) return v.typeError(t, who, "a character", o);
  out = Values::charValue(o);
  return true;
}
inline bool vectorArg(Thread& t, std::string_view who, Object* o, Array*& out) {
  Values& v = Values::of(t);
  if (!v.isVector(o)) return v.typeError(t, who, "a vector", o);
  out = static_cast<Array*>(o);
  return true;
}
inline bool bytevectorArg(Thread& t, std::string_view who, Object* o, Array*& out) {
  Values& v = Values::of(t);
  if (!v.isBytevector(o)) return v.typeError(t, who, "a byte vector", o);
  out = static_cast<Array*>(o);
  return true;
}
inline bool procedureArg(Thread& t, std::string_view who, const Object* o) {
  Values& v = Values::of(t);
  return v.isProcedure(o) || v.typeError(t, who, "a procedure", o);
}

/// An element index: an exact integer with 0 <= index < length.
inline bool indexArg(Thread& t, std::string_view who, const Object* o, int64_t length, int64_t& out) {
  if (!intArg(t, who, o, out)) return false;
  if (out >= 0 && out < length) return true;
  return Values::of(t).raise(t, std::string(who) + ": index " + std::to_string(out) + " out of range for length " +
                                    std::to_string(length));
}

/// The optional [start [end]] arguments at args[first..] of something of `length` elements
/// (R7RS: 0 <= start <= end <= length); missing ones default to 0 and length.
inline bool rangeArgs(Thread& t, std::string_view who, std::span<Object* const> args, size_t first, int64_t length,
                      int64_t& start, int64_t& end) {
  start = 0;
  end = length;
  if (args.size() > first && !intArg(t, who, args[first], start)) return false;
  if (args.size() > first + 1 && !intArg(t, who, args[first + 1], end)) return false;
  if (start >= 0 && start <= end && end <= length) return true;
  return Values::of(t).raise(t, std::string(who) + ": range " + std::to_string(start) + ".." + std::to_string(end) +
                                    " out of range for length " + std::to_string(length));
}

// ---- lists

/// The length of a proper list, or -1 for an improper or circular one (Floyd's tortoise and
/// hare, so a circular list is found in linear time without marking it).
inline int64_t listLength(const Values& v, const Object* o) {
  const Object* slow = o;
  int64_t n = 0;
  for (;;) {
    if (!v.isPair(o)) return o == v.nil ? n : -1;
    o = Values::cdr(o);
    ++n;
    if (!v.isPair(o)) return o == v.nil ? n : -1;
    o = Values::cdr(o);
    ++n;
    slow = Values::cdr(slow);
    if (o == slow) return -1;
  }
}

/// A proper list argument and its length.
inline bool listArg(Thread& t, std::string_view who, const Object* o, int64_t& length) {
  length = listLength(Values::of(t), o);
  return length >= 0 || Values::of(t).typeError(t, who, "a proper list", o);
}

/// Builds a list front to back. Lives on the C++ stack, so the list it holds stays reachable.
class ListBuilder {
public:
  explicit ListBuilder(Values& v) : v_(v), head_(v.nil) {}
  /// Appends `item`; false when the heap is exhausted.
  bool add(Object* item) {
    Object* p = v_.cons(item, v_.nil);
    if (!p) return false;
    if (tail_)
      Values::setCdr(tail_, p);
    else
      head_ = p;
    tail_ = p;
    return true;
  }
  /// The list, ending in `rest` (nil unless an improper tail is wanted).
  Object* finish(Object* rest = nullptr) {
    if (rest && tail_) Values::setCdr(tail_, rest);
    return tail_ || !rest ? head_ : rest;
  }

private:
  Values& v_;
  Object* head_ = nullptr;
  Object* tail_ = nullptr;
};

/// A new vector (VP ref[] array) of `n` elements all set to `fill`; null if the heap is full.
inline Array* newVector(Values& v, int64_t n, Object* fill) {
  Array* a = v.rt.newArray(core::Elem::Ref, n);
  if (a)
    for (int64_t i = 0; i < n; ++i) a->data<Object*>()[i] = fill;
  return a;
}

/// The elements of a VP ref[] array.
inline std::span<Object*> elements(Array* a) { return {a->data<Object*>(), static_cast<size_t>(a->length)}; }

// ---- case (ASCII and Latin-1, plus the one Latin-1 letter whose capital lies outside it:
// y with diaeresis, U+00FF <-> U+0178; other code points have no case here)

inline uint32_t upcaseCodePoint(uint32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
  return c == 0xFF ? 0x178 : c;
}
inline uint32_t downcaseCodePoint(uint32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
  return c == 0x178 ? 0xFF : c;
}

// ---- strings: indexes count code points; a malformed byte counts as one code point, U+FFFD

/// The code point at byte `i` of `s` and the bytes it takes (1 for a malformed byte).
inline size_t decodeAt(std::string_view s, size_t i, uint32_t& cp) {
  size_t n = utf8Decode(s, i, cp);
  if (n) return n;
  cp = 0xFFFD;
  return 1;
}
/// A new string of `bytes` bytes for the caller to fill (made in place, so that no C++ buffer
/// of a size the program chose is ever allocated); null if the heap is exhausted.
inline Array* newStringOfSize(Values& v, int64_t bytes) {
  Array* s = v.rt.newArray(core::Elem::I8, bytes);
  if (s) s->shape = v.stringShape();
  return s;
}
/// A new byte vector of `n` bytes, all zero; null if the heap is exhausted.
inline Array* newBytevector(Values& v, int64_t n) { return v.rt.newArray(core::Elem::I8, n); }
/// The bytes of a string or byte vector.
inline uint8_t* byteData(Array* a) { return a->data<uint8_t>(); }

/// The number of code points in `s`.
inline int64_t codePointCount(std::string_view s) {
  int64_t n = 0;
  uint32_t cp = 0;
  for (size_t i = 0; i < s.size(); i += decodeAt(s, i, cp)) ++n;
  return n;
}
/// The byte offset of code point `index` (index <= codePointCount(s); the count gives s.size()).
inline size_t byteOffset(std::string_view s, int64_t index) {
  size_t i = 0;
  uint32_t cp = 0;
  for (; index > 0 && i < s.size(); --index) i += decodeAt(s, i, cp);
  return i;
}

} // namespace vvm::console::builtins
