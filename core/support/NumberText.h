// Shortest round-trip text for floating-point numbers, shared by the disassembler and the
// print primitives so that what vvm prints reads back as the same number.
#pragma once

#include <charconv>
#include <cmath>
#include <string>

namespace vvm {

/// "nan" (whatever its sign), "inf", "-inf", or the shortest decimal that reads back exactly (always with a '.'
/// or an exponent, so it is recognisably a float).
template <typename F> std::string floatText(F f) {
  if (std::isnan(f)) return "nan"; // a NaN's sign means nothing (x86 makes 0/0 negative)
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

} // namespace vvm
