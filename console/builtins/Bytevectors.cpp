// Byte vectors (R7RS 6.9, with the typed accessors of R6RS 2.5-2.8 that VMlets parse binary
// formats with). A byte vector is a VP i8[] array. Multi-byte accessors take a byte index
// (any alignment) and an endianness, the symbol big or little, and assemble the bytes one by
// one, so the host's own byte order never shows.
//
// Every index and value is checked, and a failure names the procedure, the index or value,
// and the length or range. The console has no integers beyond 64 bits, so
// bytevector-u64-ref returns the 64 bits as a signed integer (values of 2^63 and above come
// out negative, exactly as s64-ref gives them) and bytevector-u64-set! accepts any exact
// integer as a bit pattern: the two round-trip every 64-bit value.
#include "console/builtins/Support.h"

#include <cstring>

namespace vvm::console::builtins {
namespace {

enum class Endian { Big, Little };

bool endianArg(Thread& t, std::string_view who, const Object* o, Endian& e) {
  Values& v = Values::of(t);
  if (v.isSymbol(o)) {
    std::string_view name = Values::symbolName(o);
    if (name == "big" || name == "little") {
      e = name == "big" ? Endian::Big : Endian::Little;
      return true;
    }
  }
  return v.typeError(t, who, "the symbol big or little", o);
}

/// An index at which `width` bytes lie inside `bv`.
bool byteIndexArg(Thread& t, std::string_view who, const Object* o, const Array* bv, int width, int64_t& k) {
  if (!intArg(t, who, o, k)) return false;
  if (k >= 0 && k <= bv->length - width) return true;
  std::string message =
      std::string(who) + ": index " + std::to_string(k) + " out of range for length " + std::to_string(bv->length);
  if (width > 1) message += " (" + std::to_string(width) + " bytes)";
  return Values::of(t).raise(t, message);
}

/// An exact integer in [lo, hi].
bool valueArg(Thread& t, std::string_view who, const Object* o, int64_t lo, int64_t hi, int64_t& n) {
  if (!intArg(t, who, o, n)) return false;
  if (n >= lo && n <= hi) return true;
  return Values::of(t).raise(t, std::string(who) + ": value " + std::to_string(n) + " out of range " +
                                    std::to_string(lo) + ".." + std::to_string(hi));
}

uint64_t loadBytes(const uint8_t* p, int width, Endian e) {
  uint64_t bits = 0;
  for (int i = 0; i < width; ++i) bits = bits << 8 | p[e == Endian::Big ? i : width - 1 - i];
  return bits;
}

void storeBytes(uint8_t* p, int width, Endian e, uint64_t bits) {
  for (int i = 0; i < width; ++i) p[e == Endian::Big ? width - 1 - i : i] = static_cast<uint8_t>(bits >> (8 * i));
}

/// (bytevector-[us]N-ref bv k endianness): N = 8 * Width bits, sign-extended when Signed.
template <int Width, bool Signed> bool intRef(Thread& t, Value* args, std::string_view who) {
  Array* bv = nullptr;
  int64_t k = 0;
  Endian e = Endian::Big;
  if (!bytevectorArg(t, who, args[0].ref, bv) || !byteIndexArg(t, who, args[1].ref, bv, Width, k) ||
      !endianArg(t, who, args[2].ref, e))
    return false;
  uint64_t bits = loadBytes(byteData(bv) + k, Width, e);
  int64_t n = 0;
  if constexpr (Signed && Width < 8) {
    constexpr int shift = 64 - 8 * Width;
    n = static_cast<int64_t>(bits << shift) >> shift;
  } else {
    n = static_cast<int64_t>(bits); // u64: the bit pattern (see the file comment)
  }
  return result(t, args, Values::of(t).makeInt(n));
}

/// (bytevector-[us]N-set! bv k n endianness).
template <int Width, bool Signed> bool intSet(Thread& t, Value* args, std::string_view who) {
  int64_t lo = INT64_MIN, hi = INT64_MAX; // 64 bits: any value (u64 takes the bit pattern)
  if constexpr (Width < 8) {
    lo = Signed ? -(int64_t{1} << (8 * Width - 1)) : 0;
    hi = Signed ? (int64_t{1} << (8 * Width - 1)) - 1 : (int64_t{1} << (8 * Width)) - 1;
  }
  Array* bv = nullptr;
  int64_t k = 0, n = 0;
  Endian e = Endian::Big;
  if (!bytevectorArg(t, who, args[0].ref, bv) || !byteIndexArg(t, who, args[1].ref, bv, Width, k) ||
      !valueArg(t, who, args[2].ref, lo, hi, n) || !endianArg(t, who, args[3].ref, e))
    return false;
  storeBytes(byteData(bv) + k, Width, e, static_cast<uint64_t>(n));
  return unspecifiedResult(t, args);
}

/// (bytevector-fN-ref bv k endianness): an IEEE binary32 or binary64.
template <typename F> bool floatRef(Thread& t, Value* args, std::string_view who) {
  constexpr int width = sizeof(F);
  Array* bv = nullptr;
  int64_t k = 0;
  Endian e = Endian::Big;
  if (!bytevectorArg(t, who, args[0].ref, bv) || !byteIndexArg(t, who, args[1].ref, bv, width, k) ||
      !endianArg(t, who, args[2].ref, e))
    return false;
  uint64_t bits = loadBytes(byteData(bv) + k, width, e);
  F f;
  if constexpr (width == 4) {
    auto b32 = static_cast<uint32_t>(bits);
    std::memcpy(&f, &b32, width);
  } else {
    std::memcpy(&f, &bits, width);
  }
  return result(t, args, Values::of(t).makeFloat(static_cast<double>(f)));
}

template <typename F> bool floatSet(Thread& t, Value* args, std::string_view who) {
  constexpr int width = sizeof(F);
  Values& v = Values::of(t);
  Array* bv = nullptr;
  int64_t k = 0;
  Endian e = Endian::Big;
  if (!bytevectorArg(t, who, args[0].ref, bv) || !byteIndexArg(t, who, args[1].ref, bv, width, k)) return false;
  Object* x = args[2].ref;
  if (!v.isNumber(x)) return v.typeError(t, who, "a number", x);
  if (!endianArg(t, who, args[3].ref, e)) return false;
  auto f = static_cast<F>(v.isInt(x) ? static_cast<double>(Values::intValue(x)) : Values::floatValue(x));
  uint64_t bits = 0;
  if constexpr (width == 4) {
    uint32_t b32 = 0;
    std::memcpy(&b32, &f, width);
    bits = b32;
  } else {
    std::memcpy(&bits, &f, width);
  }
  storeBytes(byteData(bv) + k, width, e, bits);
  return unspecifiedResult(t, args);
}

bool byteArg(Thread& t, std::string_view who, const Object* o, uint8_t& b) {
  Values& v = Values::of(t);
  if (!v.isInt(o) || Values::intValue(o) < 0 || Values::intValue(o) > 255)
    return v.typeError(t, who, "a byte (an exact integer 0-255)", o);
  b = static_cast<uint8_t>(Values::intValue(o));
  return true;
}

} // namespace

bool bytevector(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Array* bv = newBytevector(v, static_cast<int64_t>(items.size()));
  if (!bv) return v.outOfMemory(t);
  for (size_t i = 0; i < items.size(); ++i)
    if (!byteArg(t, "bytevector", items[i], byteData(bv)[i])) return false;
  return result(t, args, bv);
}

bool makeBytevector(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  int64_t k = 0;
  uint8_t fill = 0;
  if (!intArg(t, "make-bytevector", items[0], k)) return false;
  if (items.size() > 1 && !byteArg(t, "make-bytevector", items[1], fill)) return false;
  if (k < 0) return v.raise(t, "make-bytevector: length " + std::to_string(k) + " is negative");
  Array* bv = newBytevector(v, k);
  if (!bv) return v.outOfMemory(t);
  std::memset(byteData(bv), fill, static_cast<size_t>(k));
  return result(t, args, bv);
}

bool bytevectorLength(Thread& t, Value* args) {
  Array* bv = nullptr;
  return bytevectorArg(t, "bytevector-length", args[0].ref, bv) && result(t, args, Values::of(t).makeInt(bv->length));
}

bool bytevectorU8Ref(Thread& t, Value* args) {
  Array* bv = nullptr;
  int64_t k = 0;
  return bytevectorArg(t, "bytevector-u8-ref", args[0].ref, bv) &&
         byteIndexArg(t, "bytevector-u8-ref", args[1].ref, bv, 1, k) &&
         result(t, args, Values::of(t).makeInt(byteData(bv)[k]));
}
bool bytevectorS8Ref(Thread& t, Value* args) {
  Array* bv = nullptr;
  int64_t k = 0;
  return bytevectorArg(t, "bytevector-s8-ref", args[0].ref, bv) &&
         byteIndexArg(t, "bytevector-s8-ref", args[1].ref, bv, 1, k) &&
         result(t, args, Values::of(t).makeInt(static_cast<int8_t>(byteData(bv)[k])));
}
bool bytevectorU8Set(Thread& t, Value* args) {
  Array* bv = nullptr;
  int64_t k = 0, n = 0;
  if (!bytevectorArg(t, "bytevector-u8-set!", args[0].ref, bv) ||
      !byteIndexArg(t, "bytevector-u8-set!", args[1].ref, bv, 1, k) ||
      !valueArg(t, "bytevector-u8-set!", args[2].ref, 0, 255, n))
    return false;
  byteData(bv)[k] = static_cast<uint8_t>(n);
  return unspecifiedResult(t, args);
}
bool bytevectorS8Set(Thread& t, Value* args) {
  Array* bv = nullptr;
  int64_t k = 0, n = 0;
  if (!bytevectorArg(t, "bytevector-s8-set!", args[0].ref, bv) ||
      !byteIndexArg(t, "bytevector-s8-set!", args[1].ref, bv, 1, k) ||
      !valueArg(t, "bytevector-s8-set!", args[2].ref, -128, 127, n))
    return false;
  byteData(bv)[k] = static_cast<uint8_t>(n);
  return unspecifiedResult(t, args);
}

bool bytevectorCopy(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Array* bv = nullptr;
  int64_t start = 0, end = 0;
  if (!bytevectorArg(t, "bytevector-copy", items[0], bv) ||
      !rangeArgs(t, "bytevector-copy", items, 1, bv->length, start, end))
    return false;
  Array* out = newBytevector(v, end - start);
  if (!out) return v.outOfMemory(t);
  std::memcpy(byteData(out), byteData(bv) + start, static_cast<size_t>(end - start));
  return result(t, args, out);
}

// R7RS 6.9: (bytevector-copy! to at from [start [end]]); the ranges may overlap.
bool bytevectorCopyInto(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Array *to = nullptr, *from = nullptr;
  int64_t at = 0, start = 0, end = 0;
  if (!bytevectorArg(t, "bytevector-copy!", items[0], to) || !intArg(t, "bytevector-copy!", items[1], at) ||
      !bytevectorArg(t, "bytevector-copy!", items[2], from) ||
      !rangeArgs(t, "bytevector-copy!", items, 3, from->length, start, end))
    return false;
  if (at < 0 || at > to->length || end - start > to->length - at)
    return v.raise(t, "bytevector-copy!: " + std::to_string(end - start) + " bytes do not fit at index " +
                          std::to_string(at) + " of length " + std::to_string(to->length));
  std::memmove(byteData(to) + at, byteData(from) + start, static_cast<size_t>(end - start));
  return unspecifiedResult(t, args);
}

bool bytevectorAppend(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  int64_t total = 0;
  for (Object* o : items) {
    Array* bv = nullptr;
    if (!bytevectorArg(t, "bytevector-append", o, bv)) return false;
    total += bv->length;
  }
  Array* out = newBytevector(v, total);
  if (!out) return v.outOfMemory(t);
  uint8_t* p = byteData(out);
  for (Object* o : items) {
    auto* bv = static_cast<Array*>(o);
    std::memcpy(p, byteData(bv), static_cast<size_t>(bv->length));
    p += bv->length;
  }
  return result(t, args, out);
}

bool bytevectorU16Ref(Thread& t, Value* args) { return intRef<2, false>(t, args, "bytevector-u16-ref"); }
bool bytevectorS16Ref(Thread& t, Value* args) { return intRef<2, true>(t, args, "bytevector-s16-ref"); }
bool bytevectorU32Ref(Thread& t, Value* args) { return intRef<4, false>(t, args, "bytevector-u32-ref"); }
bool bytevectorS32Ref(Thread& t, Value* args) { return intRef<4, true>(t, args, "bytevector-s32-ref"); }
bool bytevectorU64Ref(Thread& t, Value* args) { return intRef<8, false>(t, args, "bytevector-u64-ref"); }
bool bytevectorS64Ref(Thread& t, Value* args) { return intRef<8, true>(t, args, "bytevector-s64-ref"); }
bool bytevectorU16Set(Thread& t, Value* args) { return intSet<2, false>(t, args, "bytevector-u16-set!"); }
bool bytevectorS16Set(Thread& t, Value* args) { return intSet<2, true>(t, args, "bytevector-s16-set!"); }
bool bytevectorU32Set(Thread& t, Value* args) { return intSet<4, false>(t, args, "bytevector-u32-set!"); }
bool bytevectorS32Set(Thread& t, Value* args) { return intSet<4, true>(t, args, "bytevector-s32-set!"); }
bool bytevectorU64Set(Thread& t, Value* args) { return intSet<8, false>(t, args, "bytevector-u64-set!"); }
bool bytevectorS64Set(Thread& t, Value* args) { return intSet<8, true>(t, args, "bytevector-s64-set!"); }
bool bytevectorF32Ref(Thread& t, Value* args) { return floatRef<float>(t, args, "bytevector-f32-ref"); }
bool bytevectorF64Ref(Thread& t, Value* args) { return floatRef<double>(t, args, "bytevector-f64-ref"); }
bool bytevectorF32Set(Thread& t, Value* args) { return floatSet<float>(t, args, "bytevector-f32-set!"); }
bool bytevectorF64Set(Thread& t, Value* args) { return floatSet<double>(t, args, "bytevector-f64-set!"); }

} // namespace vvm::console::builtins
