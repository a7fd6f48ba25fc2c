// Numbers (R7RS 6.2). The console has exact 64-bit integers (Int) and IEEE doubles (Float),
// no bignums, rationals or complex numbers, so R7RS's numeric tower shrinks to these rules:
// - an operation on Ints whose exact result does not fit in 64 bits raises "WHO: integer
//   overflow" rather than wrapping or silently turning into a real;
// - any Float argument makes the result a Float (R7RS's inexact contagion);
// - where R7RS would answer with a rational ((/ 7 2), (expt 2 -1)) the answer is a Float;
//   where it would answer with a complex ((sqrt -4)) the procedure raises;
// - comparisons between an Int and a Float are exact (no rounding of large Ints).
#include "console/builtins/Support.h"

#include <charconv>
#include <cmath>
#include <compare>
#include <limits>
#include <optional>

namespace vvm::console::builtins {
namespace {

constexpr double kTwo63 = 9223372036854775808.0; // 2^63, exactly representable

/// A number argument, read once.
struct Num {
  bool exact = true;
  int64_t i = 0; ///< when exact
  double f = 0;  ///< when not
  double real() const { return exact ? static_cast<double>(i) : f; }
  bool isInteger() const { return exact || (std::isfinite(f) && f == std::trunc(f)); }
  static Num ofInt(int64_t i) { return {true, i, 0}; }
  static Num ofReal(double f) { return {false, 0, f}; }
};

bool numArg(Thread& t, std::string_view who, const Object* o, Num& n) {
  Values& v = Values::of(t);
  if (v.isInt(o)) {
    n = Num::ofInt(Values::intValue(o));
    return true;
  }
  if (v.isFloat(o)) {
    n = Num::ofReal(Values::floatValue(o));
    return true;
  }
  return v.typeError(t, who, "a number", o);
}

/// An integer argument: an Int or a Float with no fraction (R7RS integer?).
bool integerArg(Thread& t, std::string_view who, const Object* o, Num& n) {
  if (!numArg(t, who, o, n)) return false;
  return n.isInteger() || Values::of(t).typeError(t, who, "an integer", o);
}

bool numResult(Thread& t, Value* args, const Num& n) {
  Values& v = Values::of(t);
  return result(t, args, n.exact ? v.makeInt(n.i) : v.makeFloat(n.f));
}

bool overflow(Thread& t, std::string_view who) {
  return Values::of(t).raise(t, std::string(who) + ": integer overflow");
}
bool divisionByZero(Thread& t, std::string_view who) {
  return Values::of(t).raise(t, std::string(who) + ": division by zero");
}

/// Orders an Int against a Float exactly: converting the Int to a double would round
/// integers beyond 2^53 and could make different numbers compare equal.
std::partial_ordering compareIntReal(int64_t i, double d) {
  if (std::isnan(d)) return std::partial_ordering::unordered;
  if (d >= kTwo63) return std::partial_ordering::less;
  if (d < -kTwo63) return std::partial_ordering::greater;
  double whole = std::trunc(d); // in [-2^63, 2^63): converts exactly
  auto w = static_cast<int64_t>(whole);
  if (i != w) return i <=> w;
  double fraction = d - whole;
  return 0.0 <=> fraction;
}

std::partial_ordering compare(const Num& a, const Num& b) {
  if (a.exact && b.exact) return a.i <=> b.i;
  if (!a.exact && !b.exact) return a.f <=> b.f;
  if (a.exact) return compareIntReal(a.i, b.f);
  return 0 <=> compareIntReal(b.i, a.f);
}

// ---- + - * /

/// Folds `intOp` (with overflow detection) or `realOp` over the arguments from `acc`.
template <typename IntOp, typename RealOp>
bool foldArith(Thread& t, std::string_view who, std::span<Object* const> items, Num& acc, IntOp intOp, RealOp realOp) {
  for (Object* o : items) {
    Num n;
    if (!numArg(t, who, o, n)) return false;
    if (acc.exact && n.exact) {
      int64_t r = 0;
      if (intOp(acc.i, n.i, &r)) return overflow(t, who);
      acc.i = r;
    } else {
      acc = Num::ofReal(realOp(acc.real(), n.real()));
    }
  }
  return true;
}

bool addOverflow(int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); }
bool subOverflow(int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); }
bool mulOverflow(int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); }

/// acc / d: exact when both are Ints and d divides acc, else a Float. Division by an exact
/// zero raises even when acc is a Float: R7RS calls it an error, and a real zero gives inf.
bool divideInto(Thread& t, Num& acc, const Num& d) {
  if (d.exact && d.i == 0) return divisionByZero(t, "/");
  if (acc.exact && d.exact) {
    if (d.i == -1) { // INT64_MIN % -1 is undefined in C++
      if (acc.i == std::numeric_limits<int64_t>::min()) return overflow(t, "/");
      acc.i = -acc.i;
    } else if (acc.i % d.i == 0) {
      acc.i /= d.i;
    } else { // long double keeps all 64 bits of each operand, so only the quotient rounds
      acc = Num::ofReal(static_cast<double>(static_cast<long double>(acc.i) / static_cast<long double>(d.i)));
    }
    return true;
  }
  acc = Num::ofReal(acc.real() / d.real());
  return true;
}

// ---- comparison chains

template <typename Test> bool compareChain(Thread& t, Value* args, std::string_view who, Test test) {
  auto items = restArgs(args);
  bool holds = true;
  Num prev;
  for (size_t k = 0; k < items.size(); ++k) { // every argument must be a number, even after a false
    Num n;
    if (!numArg(t, who, items[k], n)) return false;
    if (k > 0 && !test(compare(prev, n))) holds = false;
    prev = n;
  }
  return boolResult(t, args, holds);
}

bool extreme(Thread& t, Value* args, std::string_view who, bool wantMax) {
  auto items = restArgs(args);
  Num best;
  bool inexact = false, nan = false;
  for (size_t k = 0; k < items.size(); ++k) {
    Num n;
    if (!numArg(t, who, items[k], n)) return false;
    if (!n.exact) inexact = true;
    if (!n.exact && std::isnan(n.f)) nan = true;
    auto c = k == 0 ? std::partial_ordering::unordered : compare(n, best);
    if (k == 0 || (wantMax ? c > 0 : c < 0)) best = n;
  }
  if (nan) return numResult(t, args, Num::ofReal(std::numeric_limits<double>::quiet_NaN()));
  if (inexact) best = Num::ofReal(best.real());
  return numResult(t, args, best);
}

template <typename Test> bool signTest(Thread& t, Value* args, std::string_view who, Test test) {
  Num n;
  if (!numArg(t, who, args[0].ref, n)) return false;
  return boolResult(t, args, test(compare(n, Num::ofInt(0))));
}

// ---- integer division

enum class IntDivision { Quotient, Remainder, Modulo };

bool integerDivision(Thread& t, Value* args, std::string_view who, IntDivision op) {
  Num a, b;
  if (!integerArg(t, who, args[0].ref, a) || !integerArg(t, who, args[1].ref, b)) return false;
  if (a.exact && b.exact) {
    if (b.i == 0) return divisionByZero(t, who);
    if (b.i == -1) { // INT64_MIN / -1 overflows and INT64_MIN % -1 is undefined in C++
      if (op != IntDivision::Quotient) return numResult(t, args, Num::ofInt(0));
      if (a.i == std::numeric_limits<int64_t>::min()) return overflow(t, who);
      return numResult(t, args, Num::ofInt(-a.i));
    }
    if (op == IntDivision::Quotient) return numResult(t, args, Num::ofInt(a.i / b.i));
    int64_t r = a.i % b.i;
    if (op == IntDivision::Modulo && r != 0 && (r < 0) != (b.i < 0)) r += b.i;
    return numResult(t, args, Num::ofInt(r));
  }
  double x = a.real(), y = b.real();
  if (y == 0) return divisionByZero(t, who);
  double r = std::fmod(x, y); // exact, with the sign of x
  if (op == IntDivision::Quotient) return numResult(t, args, Num::ofReal((x - r) / y));
  if (op == IntDivision::Modulo && r != 0 && (r < 0) != (y < 0)) r += y;
  return numResult(t, args, Num::ofReal(r));
}

// ---- rounding (Ints are already integers and come back unchanged)

template <typename Round> bool rounding(Thread& t, Value* args, std::string_view who, Round round) {
  Num n;
  if (!numArg(t, who, args[0].ref, n)) return false;
  if (n.exact) return true; // args[0] already holds the argument
  return numResult(t, args, Num::ofReal(round(n.f)));
}

/// Rounds to the nearest integer, halves to even (R7RS round), whatever the FPU mode.
double roundHalfEven(double x) {
  double r = std::round(x); // halves away from zero
  if (std::fabs(x - std::trunc(x)) == 0.5) r = 2.0 * std::round(x / 2.0);
  return r;
}

bool toExact(Thread& t, Value* args, std::string_view who) {
  Values& v = Values::of(t);
  Num n;
  if (!numArg(t, who, args[0].ref, n)) return false;
  if (n.exact) return true;
  if (!std::isfinite(n.f) || n.f != std::trunc(n.f))
    return v.raise(t, std::string(who) + ": no exact integer for " + v.describe(args[0].ref));
  if (n.f >= kTwo63 || n.f < -kTwo63)
    return v.raise(t, std::string(who) + ": " + v.describe(args[0].ref) + " does not fit in 64 bits");
  return numResult(t, args, Num::ofInt(static_cast<int64_t>(n.f)));
}

/// base^e for e >= 0 by repeated squaring; false on overflow. A square is only taken when
/// bits of e remain, and then the result is at least that large, so overflow of the square
/// means overflow of the result.
bool intPower(int64_t base, int64_t e, int64_t& out) {
  int64_t r = 1;
  while (e > 0) {
    if ((e & 1) && __builtin_mul_overflow(r, base, &r)) return false;
    e >>= 1;
    if (e && __builtin_mul_overflow(base, base, &base)) return false;
  }
  out = r;
  return true;
}

// ---- text

/// An optionally signed integer in `base` spelled by all of `s`; nullopt if it is not one.
/// `tooBig` is set when it is one but does not fit in 64 bits.
std::optional<int64_t> parseInteger(std::string_view s, int base, bool& tooBig) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (end != s.data() + s.size()) return std::nullopt;
  uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (ec == std::errc::result_out_of_range || magnitude > limit) {
    tooBig = true;
    return std::nullopt;
  }
  return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

/// A decimal real in the reader's syntax (Reader.h): digits with at most one '.', at least
/// one digit, an optional exponent; or +inf.0 -inf.0 +nan.0 -nan.0.
std::optional<double> parseReal(std::string_view s) {
  if (s == "+inf.0") return std::numeric_limits<double>::infinity();
  if (s == "-inf.0") return -std::numeric_limits<double>::infinity();
  if (s == "+nan.0" || s == "-nan.0") return std::numeric_limits<double>::quiet_NaN();
  size_t i = 0, n = s.size();
  auto digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  bool dot = false;
  for (; digit(i) || (i < n && s[i] == '.' && !dot); ++i) {
    if (s[i] == '.')
      dot = true;
    else
      ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return std::nullopt;
    while (digit(i)) ++i;
  }
  if (i != n) return std::nullopt;
  std::string text(s[0] == '+' ? s.substr(1) : s); // from_chars takes no '+'
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) v = std::strtod(text.c_str(), nullptr); // inf or 0, as IEEE rounds
  return v;
}

bool radixArg(Thread& t, std::string_view who, std::span<Object* const> items, int& radix) {
  radix = 10;
  if (items.size() < 2) return true;
  int64_t r = 0;
  if (!intArg(t, who, items[1], r)) return false;
  if (r != 2 && r != 8 && r != 10 && r != 16)
    return Values::of(t).raise(t, std::string(who) + ": radix must be 2, 8, 10 or 16, got " + std::to_string(r));
  radix = static_cast<int>(r);
  return true;
}

template <typename Op> bool bitwiseFold(Thread& t, Value* args, std::string_view who, int64_t acc, Op op) {
  for (Object* o : restArgs(args)) {
    int64_t n = 0;
    if (!intArg(t, who, o, n)) return false;
    acc = op(acc, n);
  }
  return numResult(t, args, Num::ofInt(acc));
}

} // namespace

bool add(Thread& t, Value* args) {
  Num acc = Num::ofInt(0);
  return foldArith(t, "+", restArgs(args), acc, addOverflow, [](double a, double b) { return a + b; }) &&
         numResult(t, args, acc);
}

bool mul(Thread& t, Value* args) {
  Num acc = Num::ofInt(1);
  return foldArith(t, "*", restArgs(args), acc, mulOverflow, [](double a, double b) { return a * b; }) &&
         numResult(t, args, acc);
}

bool sub(Thread& t, Value* args) {
  auto items = restArgs(args);
  Num acc;
  if (!numArg(t, "-", items[0], acc)) return false;
  if (items.size() == 1) {
    if (!acc.exact) return numResult(t, args, Num::ofReal(-acc.f));
    if (acc.i == std::numeric_limits<int64_t>::min()) return overflow(t, "-");
    return numResult(t, args, Num::ofInt(-acc.i));
  }
  return foldArith(t, "-", items.subspan(1), acc, subOverflow, [](double a, double b) { return a - b; }) &&
         numResult(t, args, acc);
}

bool div(Thread& t, Value* args) {
  auto items = restArgs(args);
  Num acc, d;
  if (!numArg(t, "/", items[0], acc)) return false;
  if (items.size() == 1) {
    d = acc;
    acc = Num::ofInt(1);
    if (!divideInto(t, acc, d)) return false;
    return numResult(t, args, acc);
  }
  for (Object* o : items.subspan(1))
    if (!numArg(t, "/", o, d) || !divideInto(t, acc, d)) return false;
  return numResult(t, args, acc);
}

bool quotient(Thread& t, Value* args) { return integerDivision(t, args, "quotient", IntDivision::Quotient); }
bool remainder(Thread& t, Value* args) { return integerDivision(t, args, "remainder", IntDivision::Remainder); }
bool modulo(Thread& t, Value* args) { return integerDivision(t, args, "modulo", IntDivision::Modulo); }

bool numEq(Thread& t, Value* args) {
  return compareChain(t, args, "=", [](std::partial_ordering c) { return c == 0; });
}
bool numLt(Thread& t, Value* args) {
  return compareChain(t, args, "<", [](std::partial_ordering c) { return c < 0; });
}
bool numGt(Thread& t, Value* args) {
  return compareChain(t, args, ">", [](std::partial_ordering c) { return c > 0; });
}
bool numLe(Thread& t, Value* args) {
  return compareChain(t, args, "<=", [](std::partial_ordering c) { return c <= 0; });
}
bool numGe(Thread& t, Value* args) {
  return compareChain(t, args, ">=", [](std::partial_ordering c) { return c >= 0; });
}

bool numAbs(Thread& t, Value* args) {
  Num n;
  if (!numArg(t, "abs", args[0].ref, n)) return false;
  if (!n.exact) return numResult(t, args, Num::ofReal(std::fabs(n.f)));
  if (n.i == std::numeric_limits<int64_t>::min()) return overflow(t, "abs");
  return numResult(t, args, Num::ofInt(n.i < 0 ? -n.i : n.i));
}

bool numMin(Thread& t, Value* args) { return extreme(t, args, "min", false); }
bool numMax(Thread& t, Value* args) { return extreme(t, args, "max", true); }

bool zeroP(Thread& t, Value* args) {
  return signTest(t, args, "zero?", [](std::partial_ordering c) { return c == 0; });
}
bool positiveP(Thread& t, Value* args) {
  return signTest(t, args, "positive?", [](std::partial_ordering c) { return c > 0; });
}
bool negativeP(Thread& t, Value* args) {
  return signTest(t, args, "negative?", [](std::partial_ordering c) { return c < 0; });
}

bool oddP(Thread& t, Value* args) {
  Num n;
  if (!integerArg(t, "odd?", args[0].ref, n)) return false;
  return boolResult(t, args, n.exact ? n.i % 2 != 0 : std::fmod(n.f, 2.0) != 0);
}
bool evenP(Thread& t, Value* args) {
  Num n;
  if (!integerArg(t, "even?", args[0].ref, n)) return false;
  return boolResult(t, args, n.exact ? n.i % 2 == 0 : std::fmod(n.f, 2.0) == 0);
}

bool exactToInexact(Thread& t, Value* args) {
  Num n;
  return numArg(t, "exact->inexact", args[0].ref, n) && numResult(t, args, Num::ofReal(n.real()));
}
bool inexact(Thread& t, Value* args) {
  Num n;
  return numArg(t, "inexact", args[0].ref, n) && numResult(t, args, Num::ofReal(n.real()));
}
bool inexactToExact(Thread& t, Value* args) { return toExact(t, args, "inexact->exact"); }
bool exact(Thread& t, Value* args) { return toExact(t, args, "exact"); }

bool numFloor(Thread& t, Value* args) {
  return rounding(t, args, "floor", [](double x) { return std::floor(x); });
}
bool numCeiling(Thread& t, Value* args) {
  return rounding(t, args, "ceiling", [](double x) { return std::ceil(x); });
}
bool numRound(Thread& t, Value* args) { return rounding(t, args, "round", roundHalfEven); }
bool numTruncate(Thread& t, Value* args) {
  return rounding(t, args, "truncate", [](double x) { return std::trunc(x); });
}

// An exact perfect square has an exact root; other Ints give the nearest Float. Negative
// numbers raise: R7RS would answer with a complex number, which the console does not have.
bool numSqrt(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Num n;
  if (!numArg(t, "sqrt", args[0].ref, n)) return false;
  if (compare(n, Num::ofInt(0)) < 0) return v.raise(t, "sqrt: no real square root of " + v.describe(args[0].ref));
  if (!n.exact) return numResult(t, args, Num::ofReal(std::sqrt(n.f)));
  auto r = static_cast<int64_t>(std::sqrt(static_cast<double>(n.i))); // close: fix it up exactly
  while (static_cast<__int128>(r) * r > n.i) --r;
  while (static_cast<__int128>(r + 1) * (r + 1) <= n.i) ++r;
  if (static_cast<__int128>(r) * r == n.i) return numResult(t, args, Num::ofInt(r));
  return numResult(t, args, Num::ofReal(std::sqrt(static_cast<double>(n.i))));
}

bool expt(Thread& t, Value* args) {
  Num base, e;
  if (!numArg(t, "expt", args[0].ref, base) || !numArg(t, "expt", args[1].ref, e)) return false;
  if (base.exact && e.exact) {
    if (e.i >= 0) {
      int64_t r = 0;
      if (!intPower(base.i, e.i, r)) return overflow(t, "expt");
      return numResult(t, args, Num::ofInt(r));
    }
    if (base.i == 0) return divisionByZero(t, "expt");
  }
  return numResult(t, args, Num::ofReal(std::pow(base.real(), e.real())));
}

bool numberToString(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Num n;
  int radix = 0;
  if (!numArg(t, "number->string", items[0], n) || !radixArg(t, "number->string", items, radix)) return false;
  if (n.exact) {
    char buf[72]; // 64 binary digits and a sign
    auto r = std::to_chars(buf, buf + sizeof buf, n.i, radix);
    return result(t, args, v.makeString(std::string_view(buf, static_cast<size_t>(r.ptr - buf))));
  }
  if (radix != 10) return v.raise(t, "number->string: a real is only written in radix 10");
  return result(t, args, v.makeString(v.write(items[0])));
}

// The reader's number syntax: an optional #x #b #o #d prefix (then an integer in that radix,
// overriding the radix argument), else an integer in the radix, else (in radix 10) a real.
// An integer beyond 64 bits raises rather than answering #f: the text is a number, just not
// one the console can hold, and #f would read as "not a number".
bool stringToNumber(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  std::string_view s;
  int radix = 0;
  if (!stringArg(t, "string->number", items[0], s) || !radixArg(t, "string->number", items, radix)) return false;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '#') {
    switch (s[1] | 0x20) {
    case 'x': radix = 16; break;
    case 'b': radix = 2; break;
    case 'o': radix = 8; break;
    case 'd': radix = 10; break;
    default: return boolResult(t, args, false);
    }
    prefixed = true;
    s.remove_prefix(2);
  }
  bool tooBig = false;
  if (auto i = parseInteger(s, radix, tooBig)) return numResult(t, args, Num::ofInt(*i));
  if (tooBig) return v.raise(t, "string->number: integer " + v.describe(items[0]) + " does not fit in 64 bits");
  if (!prefixed && radix == 10)
    if (auto r = parseReal(s)) return numResult(t, args, Num::ofReal(*r));
  return boolResult(t, args, false);
}

bool bitwiseAnd(Thread& t, Value* args) {
  return bitwiseFold(t, args, "bitwise-and", -1, [](int64_t a, int64_t b) { return a & b; });
}
bool bitwiseOr(Thread& t, Value* args) {
  return bitwiseFold(t, args, "bitwise-or", 0, [](int64_t a, int64_t b) { return a | b; });
}
bool bitwiseXor(Thread& t, Value* args) {
  return bitwiseFold(t, args, "bitwise-xor", 0, [](int64_t a, int64_t b) { return a ^ b; });
}
bool bitwiseNot(Thread& t, Value* args) {
  int64_t n = 0;
  return intArg(t, "bitwise-not", args[0].ref, n) && numResult(t, args, Num::ofInt(~n));
}

// Left shifts must keep every bit: shifting back must give n again. Right shifts are
// arithmetic (toward negative infinity), so they never overflow.
bool arithmeticShift(Thread& t, Value* args) {
  int64_t n = 0, k = 0;
  if (!intArg(t, "arithmetic-shift", args[0].ref, n) || !intArg(t, "arithmetic-shift", args[1].ref, k)) return false;
  if (k < 0) return numResult(t, args, Num::ofInt(k <= -64 ? (n < 0 ? -1 : 0) : n >> -k));
  if (n == 0) return numResult(t, args, Num::ofInt(0));
  if (k >= 64) return overflow(t, "arithmetic-shift");
  auto r = static_cast<int64_t>(static_cast<uint64_t>(n) << k);
  if (r >> k != n) return overflow(t, "arithmetic-shift");
  return numResult(t, args, Num::ofInt(r));
}

} // namespace vvm::console::builtins
