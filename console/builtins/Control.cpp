// Calling, raising and ending (R7RS 6.10, 6.11, 6.14): apply, error objects, exit and the
// clock. Errors are VP objects: `error` makes a ConsoleError (a VP Error {message} with
// irritants), `raise` throws any value, and the error-object accessors read both console
// errors and the VP's own (whose slot 0 is the message; they have no irritants).
#include "console/builtins/Support.h"
#include "vos/Host.h"

#include <algorithm>

namespace vvm::console::builtins {
namespace {

constexpr size_t kMessageSlot = 0;   ///< of every VP Error
constexpr size_t kIrritantsSlot = 1; ///< of a ConsoleError

} // namespace

// (apply f a b '(c d)) calls (f a b c d).
bool apply(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* f = items[0];
  Object* last = items.back();
  int64_t n = 0;
  if (!procedureArg(t, "apply", f) || !listArg(t, "apply", last, n)) return false;
  auto leading = items.subspan(1, items.size() - 2);
  Array* call = newVector(v, static_cast<int64_t>(leading.size()) + n, v.nil);
  if (!call) return v.outOfMemory(t);
  Object** at = std::copy(leading.begin(), leading.end(), call->data<Object*>());
  for (Object* p = last; v.isPair(p); p = Values::cdr(p)) *at++ = Values::car(p);
  Object* r = nullptr;
  return v.apply(t, f, elements(call), r) && result(t, args, r);
}

// (error message irritant ...). R7RS wants a string message; another value is shown as
// display would show it, so (error 'parse "bad input") still says something useful.
bool raiseError(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* irritants = v.list(items.subspan(1));
  if (!irritants) return v.outOfMemory(t);
  if (v.isString(items[0])) return v.raise(t, Values::stringBytes(items[0]), irritants);
  return v.raise(t, v.write(items[0], true), irritants);
}

bool raiseObject(Thread& t, Value* args) {
  t.throwObject(args[0].ref);
  return false;
}

bool errorObjectP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isError(args[0].ref)); }

bool errorObjectMessage(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* e = args[0].ref;
  if (!v.isError(e)) return v.typeError(t, "error-object-message", "an error object", e);
  Object* message = core::slotsOf(e)[kMessageSlot].ref;
  return result(t, args, message && v.isString(message) ? message : v.makeString(""));
}

bool errorObjectIrritants(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* e = args[0].ref;
  if (!v.isError(e)) return v.typeError(t, "error-object-irritants", "an error object", e);
  Object* irritants = e->shape->isSubshapeOf(v.errorShape) ? core::slotsOf(e)[kIrritantsSlot].ref : nullptr;
  return result(t, args, irritants ? irritants : v.nil);
}

// As the VP's exit primitive does (vos/Host.cpp): mark the thread as exiting and unwind with
// the runtime's exit token, which no handler catches.
bool exitProgram(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  int status = 0;
  if (!items.empty()) {
    Object* o = items[0];
    if (o == v.trueObj || o == v.falseObj)
      status = o == v.trueObj ? 0 : 1;
    else if (v.isInt(o) && Values::intValue(o) >= 0 && Values::intValue(o) <= 255)
      status = static_cast<int>(Values::intValue(o));
    else
      return v.typeError(t, "exit", "an exit status (0-255, #t or #f)", o);
  }
  t.exiting = true;
  t.exitStatus = status;
  t.throwObject(t.rt.exitToken());
  return false;
}

bool currentMilliseconds(Thread& t, Value* args) {
  return result(t, args, Values::of(t).makeInt(vos::monotonicNanos() / 1000000));
}

bool voidValue(Thread& t, Value* args) { return unspecifiedResult(t, args); }
bool eofObject(Thread& t, Value* args) { return result(t, args, Values::of(t).eof); }

} // namespace vvm::console::builtins
