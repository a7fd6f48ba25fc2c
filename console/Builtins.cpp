// The builtin table, registration of builtins as VP primitives, and the compiler's own helpers
// (the "%" builtins: the rare paths of compiled code).
#include "console/Builtins.h"

#include <fmt/format.h>

#include <map>

namespace vvm::console {
namespace {

constexpr Builtin kBuiltins[] = {
#define VVM_BUILTIN(Name, Fn, Min, Max, Capability, Doc) {Name, builtins::Fn, Min, Max, Capability, Doc},
#include "console/Builtins.def"
};

std::string arityText(const ProcInfo& p) {
  if (p.rest) return fmt::format("at least {} argument{}", p.required, p.required == 1 ? "" : "s");
  return fmt::format("{} argument{}", p.required, p.required == 1 ? "" : "s");
}

} // namespace

std::span<const Builtin> allBuiltins() { return kBuiltins; }

const Builtin* findBuiltin(std::string_view name) {
  static const auto* byName = [] {
    auto* m = new std::map<std::string_view, const Builtin*>;
    for (const Builtin& b : kBuiltins) (*m)[b.name] = &b;
    return m;
  }();
  auto it = byName->find(name);
  return it == byName->end() ? nullptr : it->second;
}

std::string primitiveName(const Builtin& b) { return "console/" + std::string(b.name); }

namespace {

// ---- typed values to console values and back: what VMlet primitives (VP methods whose code
// is a console procedure) convert their arguments and results with.

bool boxI32(Thread& t, Value* args) {
  Object* o = Values::of(t).makeInt(args[0].i32);
  if (!o) return Values::of(t).outOfMemory(t);
  args[0].ref = o;
  return true;
}
bool boxI64(Thread& t, Value* args) {
  Object* o = Values::of(t).makeInt(args[0].i64);
  if (!o) return Values::of(t).outOfMemory(t);
  args[0].ref = o;
  return true;
}
bool boxF32(Thread& t, Value* args) {
  Object* o = Values::of(t).makeFloat(args[0].f32);
  if (!o) return Values::of(t).outOfMemory(t);
  args[0].ref = o;
  return true;
}
bool boxF64(Thread& t, Value* args) {
  Object* o = Values::of(t).makeFloat(args[0].f64);
  if (!o) return Values::of(t).outOfMemory(t);
  args[0].ref = o;
  return true;
}

/// The integer in args[0] (an Int within [lo, hi]), or a type error naming the primitive
/// (args[1], a string).
bool integerResult(Thread& t, Value* args, int64_t lo, int64_t hi, int64_t& out) {
  Values& v = Values::of(t);
  Object* o = args[0].ref;
  std::string_view who = Values::stringBytes(args[1].ref);
  if (!o || !v.isInt(o)) return v.typeError(t, who, "an integer result", o);
  out = Values::intValue(o);
  if (out < lo || out > hi) return v.raise(t, fmt::format("{}: result {} does not fit in its kind", who, out));
  return true;
}
bool unboxI32(Thread& t, Value* args) {
  int64_t n;
  if (!integerResult(t, args, INT32_MIN, INT32_MAX, n)) return false;
  args[0].setI32(static_cast<int32_t>(n));
  return true;
}
bool unboxI64(Thread& t, Value* args) {
  int64_t n;
  if (!integerResult(t, args, INT64_MIN, INT64_MAX, n)) return false;
  args[0].i64 = n;
  return true;
}
bool realResult(Thread& t, Value* args, double& out) {
  Values& v = Values::of(t);
  Object* o = args[0].ref;
  if (o && v.isFloat(o))
    out = Values::floatValue(o);
  else if (o && v.isInt(o))
    out = static_cast<double>(Values::intValue(o));
  else
    return v.typeError(t, Values::stringBytes(args[1].ref), "a number result", o);
  return true;
}
bool unboxF32(Thread& t, Value* args) {
  double d;
  if (!realResult(t, args, d)) return false;
  args[0].setF32(static_cast<float>(d));
  return true;
}
bool unboxF64(Thread& t, Value* args) {
  double d;
  if (!realResult(t, args, d)) return false;
  args[0].f64 = d;
  return true;
}

struct Conversion {
  const char* name;
  const char* param;
  const char* second; ///< "" or "ref" (the primitive's name, for messages)
  const char* result;
  core::PrimFn fn;
};
constexpr Conversion kConversions[] = {
    {"console/%box.i32", "i32", "", "ref", boxI32},        {"console/%box.i64", "i64", "", "ref", boxI64},
    {"console/%box.f32", "f32", "", "ref", boxF32},        {"console/%box.f64", "f64", "", "ref", boxF64},
    {"console/%unbox.i32", "ref", "ref", "i32", unboxI32}, {"console/%unbox.i64", "ref", "ref", "i64", unboxI64},
    {"console/%unbox.f32", "ref", "ref", "f32", unboxF32}, {"console/%unbox.f64", "ref", "ref", "f64", unboxF64},
};

} // namespace

Values& installConsole(core::Runtime& rt) {
  if (rt.consoleState) return Values::of(rt);
  if (!rt.primitives().find(primitiveName(kBuiltins[0]))) {
    for (const Builtin& b : kBuiltins) {
      core::Signature sig;
      sig.params.assign(b.fixed() ? static_cast<size_t>(b.min) : 1, core::Kind::Ref);
      sig.ret = core::Kind::Ref;
      rt.primitives().add(primitiveName(b), std::move(sig), b.fn, std::string(b.doc));
    }
    for (const Conversion& c : kConversions) {
      core::Signature sig;
      sig.params.push_back(*core::kindFromName(c.param));
      if (*c.second) sig.params.push_back(*core::kindFromName(c.second));
      sig.ret = *core::kindFromName(c.result);
      rt.primitives().add(c.name, std::move(sig), c.fn, "converts between a typed VP value and a console value");
    }
  }
  auto* v = new Values(rt); // owned through rt.consoleState; see releaseConsole
  rt.consoleState = v;
  return *v;
}

void releaseConsole(core::Runtime& rt) { delete static_cast<Values*>(rt.consoleState); }

namespace builtins {

bool unbound(Thread& t, Value* args) {
  Values& v = Values::of(t);
  return v.raise(t, fmt::format("unbound variable: {}", Values::symbolName(args[0].ref)));
}

bool arityError(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* proc = args[0].ref;
  auto* given = static_cast<Array*>(args[1].ref);
  const ProcInfo* p = v.procInfo(proc->shape);
  std::string name = p ? p->name : proc->shape->name;
  std::string wants = p ? arityText(*p) : "another number of arguments";
  return v.raise(t,
                 fmt::format("{} takes {}, given {}{}", name, wants, given->length,
                             p && !p->where.empty() && p->where != "built in" ? " (defined at " + p->where + ")" : ""));
}

bool notProcedure(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* value = args[0].ref;
  Object* name = args[1].ref;
  if (!value && v.isSymbol(name)) return unbound(t, args + 1);
  std::string what = value ? v.describe(value) : "#<null>";
  if (v.isSymbol(name))
    return v.raise(t, fmt::format("{} is not a procedure: it is {}", Values::symbolName(name), what));
  return v.raise(t, "not a procedure: " + what);
}

bool typeError(Thread& t, Value* args) {
  Values& v = Values::of(t);
  return v.typeError(t, Values::symbolName(args[1].ref), Values::stringBytes(args[2].ref), args[0].ref);
}

bool stringToData(Thread& t, Value* args) {
  Values& v = Values::of(t);
  if (!v.isString(args[0].ref)) return v.typeError(t, "string->data", "a string", args[0].ref);
  Diagnostics diags;
  std::vector<Datum> data = readAll(Values::stringBytes(args[0].ref), "string", diags);
  if (diags.hasErrors()) {
    const Diagnostic& d = diags.all().front();
    return v.raise(t, fmt::format("string->data: line {}, column {}: {}", d.line, d.col, d.message));
  }
  Object* out = v.nil;
  for (size_t i = data.size(); i-- > 0;) {
    Object* item = v.fromDatum(data[i]);
    if (!item || !(out = v.cons(item, out))) return v.outOfMemory(t);
  }
  args[0].ref = out;
  return true;
}

namespace {

/// Calls a variable-count builtin with the two arguments in args[0..1] (the rare cases of the
/// binary arithmetic helpers: floats, mixed kinds, overflow, errors).
bool viaGeneral(Thread& t, Value* args, core::PrimFn general) {
  Values& v = Values::of(t);
  Array* vec = v.rt.newArray(core::Elem::Ref, 2);
  if (!vec) return v.outOfMemory(t);
  vec->data<Object*>()[0] = args[0].ref;
  vec->data<Object*>()[1] = args[1].ref;
  args[0].ref = vec;
  return general(t, args);
}

template <typename Op> bool intArith(Thread& t, Value* args, core::PrimFn general, Op op) {
  Values& v = Values::of(t);
  Object* a = args[0].ref;
  Object* b = args[1].ref;
  int64_t r;
  if (v.isInt(a) && v.isInt(b) && !op(Values::intValue(a), Values::intValue(b), &r)) {
    Object* n = v.makeInt(r);
    if (!n) return v.outOfMemory(t);
    args[0].ref = n;
    return true;
  }
  return viaGeneral(t, args, general);
}

template <typename Cmp> bool intCompare(Thread& t, Value* args, core::PrimFn general, Cmp cmp) {
  Values& v = Values::of(t);
  Object* a = args[0].ref;
  Object* b = args[1].ref;
  if (v.isInt(a) && v.isInt(b)) {
    args[0].ref = v.makeBool(cmp(Values::intValue(a), Values::intValue(b)));
    return true;
  }
  return viaGeneral(t, args, general);
}

} // namespace

bool add2(Thread& t, Value* args) {
  return intArith(t, args, add, [](int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); });
}
bool sub2(Thread& t, Value* args) {
  return intArith(t, args, sub, [](int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); });
}
bool mul2(Thread& t, Value* args) {
  return intArith(t, args, mul, [](int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); });
}
bool numEq2(Thread& t, Value* args) {
  return intCompare(t, args, numEq, [](int64_t a, int64_t b) { return a == b; });
}
bool numLt2(Thread& t, Value* args) {
  return intCompare(t, args, numLt, [](int64_t a, int64_t b) { return a < b; });
}
bool numGt2(Thread& t, Value* args) {
  return intCompare(t, args, numGt, [](int64_t a, int64_t b) { return a > b; });
}
bool numLe2(Thread& t, Value* args) {
  return intCompare(t, args, numLe, [](int64_t a, int64_t b) { return a <= b; });
}
bool numGe2(Thread& t, Value* args) {
  return intCompare(t, args, numGe, [](int64_t a, int64_t b) { return a >= b; });
}

bool restList(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto* vec = static_cast<Array*>(args[0].ref);
  int64_t from = Values::intValue(args[1].ref);
  Object* out = v.nil;
  for (int64_t i = vec->length; i-- > from;)
    if (!(out = v.cons(vec->data<Object*>()[i], out))) return v.outOfMemory(t);
  args[0].ref = out;
  return true;
}

} // namespace builtins
} // namespace vvm::console
