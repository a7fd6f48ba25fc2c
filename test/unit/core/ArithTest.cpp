// The VP's arithmetic follows the JVM exactly (JVMS §6.5): wrap-around, MIN / -1, masked
// shifts, saturating float->int conversion with NaN -> 0, cmpl/cmpg on NaN.
#include "core/interp/Arith-inline.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace vvm::core::arith;
constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();

TEST_CASE("i32 arithmetic wraps") {
  CHECK(add32(kMax32, 1) == kMin32);
  CHECK(sub32(kMin32, 1) == kMax32);
  CHECK(mul32(65536, 65536) == 0);
  CHECK(neg32(kMin32) == kMin32);
  CHECK(div32(kMin32, -1) == kMin32);
  CHECK(rem32(kMin32, -1) == 0);
  CHECK(div32(-7, 2) == -3);
  CHECK(rem32(-7, 2) == -1);
  CHECK(rem32(7, -2) == 1);
}

TEST_CASE("shift counts are masked to the width") {
  CHECK(shl32(1, 32) == 1);
  CHECK(shl32(1, 33) == 2);
  CHECK(shl32(1, -1) == kMin32);
  CHECK(shr32(-8, 1) == -4);
  CHECK(ushr32(-8, 28) == 15);
  CHECK(shl64(1, 64) == 1);
  CHECK(shl64(1, 63) == kMin64);
  CHECK(ushr64(-1, 60) == 15);
  CHECK(shr64(kMin64, 63) == -1);
}

TEST_CASE("i64 arithmetic wraps") {
  CHECK(add64(kMax64, 1) == kMin64);
  CHECK(div64(kMin64, -1) == kMin64);
  CHECK(rem64(kMin64, -1) == 0);
  CHECK(mul64(kMax64, 2) == -2);
  CHECK(cmp64(kMin64, kMax64) == -1);
  CHECK(cmp64(5, 5) == 0);
}

TEST_CASE("float to int conversion saturates and maps NaN to 0") {
  double nan = std::nan("");
  CHECK(toInt<int32_t>(nan) == 0);
  CHECK(toInt<int64_t>(nan) == 0);
  CHECK(toInt<int32_t>(1e100) == kMax32);
  CHECK(toInt<int32_t>(-1e100) == kMin32);
  CHECK(toInt<int32_t>(2147483647.0) == kMax32);
  CHECK(toInt<int32_t>(2147483648.0) == kMax32);
  CHECK(toInt<int32_t>(-2147483649.0) == kMin32);
  CHECK(toInt<int32_t>(-2.9) == -2);
  CHECK(toInt<int32_t>(2.9) == 2);
  CHECK(toInt<int64_t>(9.3e18) == kMax64);
  CHECK(toInt<int64_t>(-9.3e18) == kMin64);
  CHECK(toInt<int64_t>(HUGE_VAL) == kMax64);
  CHECK(toInt<int32_t, float>(3.0e9f) == kMax32);
  CHECK(toInt<int32_t, float>(-3.0e9f) == kMin32);
  CHECK(toInt<int64_t, float>(std::nanf("")) == 0);
  CHECK(toInt<int64_t, float>(1e19f) == kMax64);
}

TEST_CASE("cmpl and cmpg differ only on NaN") {
  double nan = std::nan("");
  CHECK(cmpFloat(nan, 1.0, -1) == -1);
  CHECK(cmpFloat(nan, 1.0, 1) == 1);
  CHECK(cmpFloat(1.0, nan, -1) == -1);
  CHECK(cmpFloat(0.0, -0.0, -1) == 0);
  CHECK(cmpFloat(1.0f, 2.0f, 1) == -1);
  CHECK(cmpFloat(HUGE_VAL, 1.0, 1) == 1);
}
