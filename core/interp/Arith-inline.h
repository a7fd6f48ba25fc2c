// Arithmetic with the VP's exact (JVM) semantics, shared by the interpreter and, through its
// runtime helpers, by the JIT: wrapping integer operations, saturating float->int conversion,
// NaN-aware comparisons (JVMS §6.5 idiv, irem, f2i, d2l, fcmpl, fcmpg).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace vvm::core::arith {

inline int32_t add32(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t sub32(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t mul32(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}
inline int32_t neg32(int32_t a) { return static_cast<int32_t>(0u - static_cast<uint32_t>(a)); }
/// b != 0 is the caller's check; MIN / -1 wraps to MIN.
inline int32_t div32(int32_t a, int32_t b) { return b == -1 ? neg32(a) : a / b; }
inline int32_t rem32(int32_t a, int32_t b) { return b == -1 ? 0 : a % b; }
inline int32_t shl32(int32_t a, int32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) << (b & 31)); }
inline int32_t shr32(int32_t a, int32_t b) { return a >> (b & 31); }
inline int32_t ushr32(int32_t a, int32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) >> (b & 31)); }

inline int64_t add64(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t sub64(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t mul64(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
inline int64_t neg64(int64_t a) { return static_cast<int64_t>(0u - static_cast<uint64_t>(a)); }
inline int64_t div64(int64_t a, int64_t b) { return b == -1 ? neg64(a) : a / b; }
inline int64_t rem64(int64_t a, int64_t b) { return b == -1 ? 0 : a % b; }
inline int64_t shl64(int64_t a, int32_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) << (b & 63)); }
inline int64_t shr64(int64_t a, int32_t b) { return a >> (b & 63); }
inline int64_t ushr64(int64_t a, int32_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) >> (b & 63)); }

/// JVM lcmp.
inline int32_t cmp64(int64_t a, int64_t b) { return (a > b) - (a < b); }
/// JVM fcmpl/dcmpl (nanResult -1) and fcmpg/dcmpg (nanResult 1).
template <typename F> inline int32_t cmpFloat(F a, F b, int32_t nanResult) {
  if (a > b) return 1;
  if (a < b) return -1;
  if (a == b) return 0;
  return nanResult;
}

/// Float -> integer: round toward zero, saturate, NaN -> 0 (JVMS §2.8.3).
template <typename I, typename F> inline I toInt(F f) {
  if (f != f) return 0;
  // Comparing against the limits as F is exact for the lower limit (a power of two) and rounds
  // the upper limit up to a power of two, which is exactly where saturation starts.
  constexpr F hi = static_cast<F>(std::numeric_limits<I>::max());
  constexpr F lo = static_cast<F>(std::numeric_limits<I>::min());
  if (f >= hi) return std::numeric_limits<I>::max();
  if (f <= lo) return std::numeric_limits<I>::min();
  return static_cast<I>(f);
}

} // namespace vvm::core::arith
