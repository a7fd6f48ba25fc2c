// Equivalence and type predicates (R7RS 6.1 and the type predicates of 6.2-6.10). Each one
// looks at its arguments' shapes only: none allocates or raises.
#include "console/builtins/Support.h"

#include <cmath>

namespace vvm::console::builtins {

bool eqP(Thread& t, Value* args) { return boolResult(t, args, Values::eq(args[0].ref, args[1].ref)); }
bool eqvP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).eqv(args[0].ref, args[1].ref)); }
bool equalP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).equal(args[0].ref, args[1].ref)); }
bool notP(Thread& t, Value* args) { return boolResult(t, args, !Values::of(t).isTrue(args[0].ref)); }

bool booleanP(Thread& t, Value* args) {
  Values& v = Values::of(t);
  return boolResult(t, args, args[0].ref == v.trueObj || args[0].ref == v.falseObj);
}
bool symbolP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isSymbol(args[0].ref)); }
bool stringP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isString(args[0].ref)); }
bool charP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isChar(args[0].ref)); }
bool numberP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isNumber(args[0].ref)); }
bool realP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isNumber(args[0].ref)); }

// R7RS 6.2.6: (integer? 3.0) is #t; infinities and NaN are not integers.
bool integerP(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* o = args[0].ref;
  if (v.isInt(o)) return boolResult(t, args, true);
  if (!v.isFloat(o)) return boolResult(t, args, false);
  double d = Values::floatValue(o);
  return boolResult(t, args, std::isfinite(d) && d == std::trunc(d));
}

bool exactP(Thread& t, Value* args) {
  Values& v = Values::of(t);
  if (!v.isNumber(args[0].ref)) return v.typeError(t, "exact?", "a number", args[0].ref);
  return boolResult(t, args, v.isInt(args[0].ref));
}
bool inexactP(Thread& t, Value* args) {
  Values& v = Values::of(t);
  if (!v.isNumber(args[0].ref)) return v.typeError(t, "inexact?", "a number", args[0].ref);
  return boolResult(t, args, v.isFloat(args[0].ref));
}

bool pairP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isPair(args[0].ref)); }
bool nullP(Thread& t, Value* args) { return boolResult(t, args, args[0].ref == Values::of(t).nil); }
bool listP(Thread& t, Value* args) { return boolResult(t, args, listLength(Values::of(t), args[0].ref) >= 0); }
bool vectorP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isVector(args[0].ref)); }
bool bytevectorP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isBytevector(args[0].ref)); }
bool procedureP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isProcedure(args[0].ref)); }
bool hashTableP(Thread& t, Value* args) { return boolResult(t, args, Values::of(t).isHashTable(args[0].ref)); }
bool eofObjectP(Thread& t, Value* args) { return boolResult(t, args, args[0].ref == Values::of(t).eof); }

} // namespace vvm::console::builtins
