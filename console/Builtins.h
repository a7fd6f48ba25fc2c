// The console language's built-in procedures: one table (Builtins.def) names them all, with
// their argument counts and documentation; the functions are in console/builtins/*.cpp.
//
// Calling convention (a core::PrimFn): a builtin with a fixed argument count n (min == max)
// gets its arguments in args[0..n) as refs; any other builtin gets one argument, args[0].ref,
// a ref[] array holding the arguments (the compiler has checked the count against min/max for
// direct calls; `apply` and procedure values check it at run time). Either kind writes its
// result to args[0].ref (console values only: never VP null; unspecified results are
// Values::unspecified) and returns true, or sets the thread's pending exception (through
// Values::raise / typeError / outOfMemory) and returns false.
#pragma once

#include "console/Values.h"

#include <cstdint>
#include <span>
#include <string_view>

namespace vvm::console {

/// Any number of arguments (max).
constexpr int32_t kAnyCount = -1;

struct Builtin {
  std::string_view name;
  core::PrimFn fn;
  int32_t min;
  int32_t max; ///< kAnyCount: no limit
  /// The capability a VMlet must ask for to call it ("" for none); see Builtins.def.
  std::string_view capability;
  std::string_view doc;
  bool fixed() const { return min == max; }
};

/// Every builtin, in table order.
std::span<const Builtin> allBuiltins();
/// The builtin called `name`, or null.
const Builtin* findBuiltin(std::string_view name);

/// The arguments of a builtin that takes a variable count (args[0] is their vector).
inline std::span<Object*> restArgs(Value* args) {
  auto* v = static_cast<Array*>(args[0].ref);
  return {v->data<Object*>(), static_cast<size_t>(v->length)};
}

namespace builtins {
#define VVM_BUILTIN(Name, Fn, Min, Max, Capability, Doc) bool Fn(Thread& t, Value* args);
#include "console/Builtins.def"
} // namespace builtins

} // namespace vvm::console
