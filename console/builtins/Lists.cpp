// Pairs and lists (R7RS 6.4) and the list procedures of SRFI-1 that VMlets use most (iota,
// filter, reduce, delete, list-index, any, every), fold-left/fold-right as R6RS names them,
// and a stable sort (SRFI-95 argument order) for lists and vectors.
//
// Procedures that walk a list measure it first (which rejects improper and circular lists in
// linear time) and then take at most that many steps, each checking it still has a pair: a
// procedure argument that mutates the list can make the walk stop early, never loop or crash.
#include "console/builtins/Support.h"

#include <algorithm>
#include <optional>

namespace vvm::console::builtins {
namespace {

/// Follows a c[ad]+r path, read right to left as its name is ("ad" for cadr: cdr, then car).
bool cxr(Thread& t, Value* args, std::string_view who, std::string_view path, std::string_view what) {
  Values& v = Values::of(t);
  Object* o = args[0].ref;
  for (size_t i = path.size(); i-- > 0;) {
    if (!v.isPair(o)) return v.typeError(t, who, what, args[0].ref);
    o = path[i] == 'a' ? Values::car(o) : Values::cdr(o);
  }
  args[0].ref = o;
  return true;
}

/// The number of pairs chained from `o` through cdrs, or -1 when the chain is circular.
int64_t pairCount(const Values& v, const Object* o) {
  const Object* slow = o;
  int64_t n = 0;
  for (;;) {
    if (!v.isPair(o)) return n;
    o = Values::cdr(o), ++n;
    if (!v.isPair(o)) return n;
    o = Values::cdr(o), ++n;
    slow = Values::cdr(slow);
    if (o == slow) return -1;
  }
}

/// The first pair of `list` whose car matches `x` by `same` (which returns nullopt when it
/// raised), as memq, memv and member answer; or #f.
template <typename Same>
bool memberBy(Thread& t, Value* args, std::string_view who, Object* x, Object* list, Same same) {
  Values& v = Values::of(t);
  int64_t n = 0;
  if (!listArg(t, who, list, n)) return false;
  for (Object* p = list; n-- > 0 && v.isPair(p); p = Values::cdr(p)) {
    std::optional<bool> match = same(x, Values::car(p));
    if (!match) return false;
    if (*match) return result(t, args, p);
  }
  return boolResult(t, args, false);
}

/// The first pair of the association list `alist` whose car matches `x` by `same`; or #f.
template <typename Same>
bool assocBy(Thread& t, Value* args, std::string_view who, Object* x, Object* alist, Same same) {
  Values& v = Values::of(t);
  int64_t n = 0;
  if (!listArg(t, who, alist, n)) return false;
  for (Object* p = alist; n-- > 0 && v.isPair(p); p = Values::cdr(p)) {
    Object* entry = Values::car(p);
    if (!v.isPair(entry)) return v.typeError(t, who, "an association list (a list of pairs)", alist);
    std::optional<bool> match = same(x, Values::car(entry));
    if (!match) return false;
    if (*match) return result(t, args, entry);
  }
  return boolResult(t, args, false);
}

/// Calls a console procedure as the comparison of member and assoc.
auto procedureTest(Thread& t, Object* proc) {
  return [&t, proc](Object* x, Object* y) -> std::optional<bool> {
    Values& v = Values::of(t);
    Object* call[2] = {x, y};
    Object* r = nullptr;
    if (!v.apply(t, proc, call, r)) return std::nullopt;
    return v.isTrue(r);
  };
}

/// Walks one or more lists in step, as map, for-each, fold-left, any and every do: each
/// step's elements go into a VP array (where they stay reachable during the call they are
/// passed to), after `offset` slots the caller fills, and the walk ends with the shortest list.
class Lockstep {
public:
  explicit Lockstep(Values& v) : v_(v) {}

  /// Checks that every list is proper; false with the exception pending.
  bool start(Thread& t, std::string_view who, std::span<Object* const> lists, size_t offset = 0) {
    offset_ = offset;
    remaining_ = INT64_MAX;
    for (Object* l : lists) {
      int64_t n = 0;
      if (!listArg(t, who, l, n)) return false;
      remaining_ = std::min(remaining_, n);
    }
    cursors_ = newVector(v_, static_cast<int64_t>(lists.size()), v_.nil);
    items_ = cursors_ ? newVector(v_, static_cast<int64_t>(offset + lists.size()), v_.nil) : nullptr;
    if (!items_) return v_.outOfMemory(t);
    std::copy(lists.begin(), lists.end(), cursors_->data<Object*>());
    return true;
  }
  /// Moves to the next step's elements; false at the end.
  bool next() {
    if (remaining_-- <= 0) return false;
    Object** cursors = cursors_->data<Object*>();
    for (int64_t j = 0; j < cursors_->length; ++j) {
      if (!v_.isPair(cursors[j])) return false; // shortened by a mutation
      items_->data<Object*>()[offset_ + j] = Values::car(cursors[j]);
      cursors[j] = Values::cdr(cursors[j]);
    }
    return true;
  }
  /// The call's arguments: the caller's slots, then this step's elements.
  std::span<Object* const> args() const { return elements(items_); }
  Object*& slot(size_t i) { return items_->data<Object*>()[i]; }

private:
  Values& v_;
  Array* cursors_ = nullptr;
  Array* items_ = nullptr;
  size_t offset_ = 0;
  int64_t remaining_ = 0;
};

/// The list's elements in a new vector (the list must be proper).
Array* listToArray(Values& v, Object* list, int64_t n) {
  Array* a = newVector(v, n, v.nil);
  if (!a) return nullptr;
  for (int64_t i = 0; i < n && v.isPair(list); ++i, list = Values::cdr(list)) a->data<Object*>()[i] = Values::car(list);
  return a;
}

/// Merges the sorted runs a[lo, mid) and a[mid, hi) into b[lo, hi), taking from the left run
/// unless the right element is strictly less, which keeps the sort stable.
bool mergeRuns(Thread& t, Object* less, Array* a, Array* b, int64_t lo, int64_t mid, int64_t hi) {
  Values& v = Values::of(t);
  Object** from = a->data<Object*>();
  Object** to = b->data<Object*>();
  int64_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    Object* call[2] = {from[j], from[i]};
    Object* r = nullptr;
    if (!v.apply(t, less, call, r)) return false;
    to[k++] = v.isTrue(r) ? from[j++] : from[i++];
  }
  while (i < mid) to[k++] = from[i++];
  while (j < hi) to[k++] = from[j++];
  return true;
}

} // namespace

bool cons(Thread& t, Value* args) { return result(t, args, Values::of(t).cons(args[0].ref, args[1].ref)); }
bool car(Thread& t, Value* args) { return cxr(t, args, "car", "a", "a pair"); }
bool cdr(Thread& t, Value* args) { return cxr(t, args, "cdr", "d", "a pair"); }
bool caar(Thread& t, Value* args) { return cxr(t, args, "caar", "aa", "a pair whose car is a pair"); }
bool cadr(Thread& t, Value* args) { return cxr(t, args, "cadr", "ad", "a list of 2 or more elements"); }
bool cdar(Thread& t, Value* args) { return cxr(t, args, "cdar", "da", "a pair whose car is a pair"); }
bool cddr(Thread& t, Value* args) { return cxr(t, args, "cddr", "dd", "a pair whose cdr is a pair"); }
bool caddr(Thread& t, Value* args) { return cxr(t, args, "caddr", "add", "a list of 3 or more elements"); }
bool cdddr(Thread& t, Value* args) { return cxr(t, args, "cdddr", "ddd", "a chain of 3 or more pairs"); }
bool cadddr(Thread& t, Value* args) { return cxr(t, args, "cadddr", "addd", "a list of 4 or more elements"); }

bool setCar(Thread& t, Value* args) {
  Values& v = Values::of(t);
  if (!v.isPair(args[0].ref)) return v.typeError(t, "set-car!", "a pair", args[0].ref);
  Values::setCar(args[0].ref, args[1].ref);
  return unspecifiedResult(t, args);
}
bool setCdr(Thread& t, Value* args) {
  Values& v = Values::of(t);
  if (!v.isPair(args[0].ref)) return v.typeError(t, "set-cdr!", "a pair", args[0].ref);
  Values::setCdr(args[0].ref, args[1].ref);
  return unspecifiedResult(t, args);
}

bool list(Thread& t, Value* args) { return result(t, args, Values::of(t).list(restArgs(args))); }

bool length(Thread& t, Value* args) {
  int64_t n = 0;
  return listArg(t, "length", args[0].ref, n) && result(t, args, Values::of(t).makeInt(n));
}

bool append(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  if (items.empty()) return result(t, args, v.nil);
  ListBuilder out(v);
  for (size_t k = 0; k + 1 < items.size(); ++k) {
    int64_t n = 0;
    if (!listArg(t, "append", items[k], n)) return false;
    for (Object* p = items[k]; n-- > 0 && v.isPair(p); p = Values::cdr(p))
      if (!out.add(Values::car(p))) return v.outOfMemory(t);
  }
  return result(t, args, out.finish(items.back()));
}

bool reverse(Thread& t, Value* args) {
  Values& v = Values::of(t);
  int64_t n = 0;
  if (!listArg(t, "reverse", args[0].ref, n)) return false;
  Object* out = v.nil;
  for (Object* p = args[0].ref; n-- > 0 && v.isPair(p); p = Values::cdr(p))
    if (!(out = v.cons(Values::car(p), out))) return v.outOfMemory(t);
  return result(t, args, out);
}

bool listTail(Thread& t, Value* args) {
  Values& v = Values::of(t);
  int64_t k = 0;
  if (!intArg(t, "list-tail", args[1].ref, k)) return false;
  Object* p = args[0].ref;
  int64_t i = 0;
  for (; i < k && v.isPair(p); ++i) p = Values::cdr(p);
  if (k < 0 || i < k)
    return v.raise(t, "list-tail: index " + std::to_string(k) + " out of range for " + v.describe(args[0].ref));
  return result(t, args, p);
}

bool listRef(Thread& t, Value* args) {
  Values& v = Values::of(t);
  int64_t k = 0;
  if (!intArg(t, "list-ref", args[1].ref, k)) return false;
  Object* p = args[0].ref;
  for (int64_t i = 0; i < k && v.isPair(p); ++i) p = Values::cdr(p);
  if (k < 0 || !v.isPair(p))
    return v.raise(t, "list-ref: index " + std::to_string(k) + " out of range for " + v.describe(args[0].ref));
  return result(t, args, Values::car(p));
}

bool listCopy(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* list = args[0].ref;
  int64_t n = pairCount(v, list);
  if (n < 0) return v.typeError(t, "list-copy", "a list that is not circular", list);
  ListBuilder out(v);
  Object* p = list;
  for (; n-- > 0 && v.isPair(p); p = Values::cdr(p))
    if (!out.add(Values::car(p))) return v.outOfMemory(t);
  return result(t, args, out.finish(p));
}

bool memq(Thread& t, Value* args) {
  return memberBy(t, args, "memq", args[0].ref, args[1].ref,
                  [](Object* x, Object* y) -> std::optional<bool> { return x == y; });
}
bool memv(Thread& t, Value* args) {
  Values& v = Values::of(t);
  return memberBy(t, args, "memv", args[0].ref, args[1].ref,
                  [&v](Object* x, Object* y) -> std::optional<bool> { return v.eqv(x, y); });
}
bool member(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  if (items.size() == 3) {
    if (!procedureArg(t, "member", items[2])) return false;
    return memberBy(t, args, "member", items[0], items[1], procedureTest(t, items[2]));
  }
  return memberBy(t, args, "member", items[0], items[1],
                  [&v](Object* x, Object* y) -> std::optional<bool> { return v.equal(x, y); });
}

bool assq(Thread& t, Value* args) {
  return assocBy(t, args, "assq", args[0].ref, args[1].ref,
                 [](Object* x, Object* y) -> std::optional<bool> { return x == y; });
}
bool assv(Thread& t, Value* args) {
  Values& v = Values::of(t);
  return assocBy(t, args, "assv", args[0].ref, args[1].ref,
                 [&v](Object* x, Object* y) -> std::optional<bool> { return v.eqv(x, y); });
}
bool assoc(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  if (items.size() == 3) {
    if (!procedureArg(t, "assoc", items[2])) return false;
    return assocBy(t, args, "assoc", items[0], items[1], procedureTest(t, items[2]));
  }
  return assocBy(t, args, "assoc", items[0], items[1],
                 [&v](Object* x, Object* y) -> std::optional<bool> { return v.equal(x, y); });
}

bool lastPair(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* p = args[0].ref;
  int64_t n = pairCount(v, p);
  if (n <= 0) return v.typeError(t, "last-pair", n == 0 ? "a pair" : "a list that is not circular", p);
  while (--n > 0) p = Values::cdr(p);
  return result(t, args, p);
}

// SRFI-1 iota: exact when start and step are, computing start + i*step (not repeated
// addition, so reals do not accumulate rounding).
bool iota(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  int64_t count = 0;
  if (!intArg(t, "iota", items[0], count)) return false;
  if (count < 0) return v.raise(t, "iota: count " + std::to_string(count) + " is negative");
  Object* start = items.size() > 1 ? items[1] : nullptr;
  Object* step = items.size() > 2 ? items[2] : nullptr;
  for (Object* o : {start, step})
    if (o && !v.isNumber(o)) return v.typeError(t, "iota", "a number", o);
  bool exact = (!start || v.isInt(start)) && (!step || v.isInt(step));
  auto real = [&](Object* o, double dflt) {
    return !o ? dflt : v.isInt(o) ? static_cast<double>(Values::intValue(o)) : Values::floatValue(o);
  };
  int64_t i0 = start ? (exact ? Values::intValue(start) : 0) : 0;
  int64_t di = step ? (exact ? Values::intValue(step) : 0) : 1;
  double f0 = real(start, 0), df = real(step, 1);
  ListBuilder out(v);
  for (int64_t i = 0; i < count; ++i) {
    Object* x = nullptr;
    if (exact) {
      int64_t offset = 0, value = 0;
      if (__builtin_mul_overflow(i, di, &offset) || __builtin_add_overflow(i0, offset, &value))
        return v.raise(t, "iota: integer overflow");
      x = v.makeInt(value);
    } else {
      x = v.makeFloat(f0 + static_cast<double>(i) * df);
    }
    if (!x || !out.add(x)) return v.outOfMemory(t);
  }
  return result(t, args, out.finish());
}

// ---- higher-order procedures

bool map(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* f = items[0];
  Lockstep walk(v);
  if (!procedureArg(t, "map", f) || !walk.start(t, "map", items.subspan(1))) return false;
  ListBuilder out(v);
  while (walk.next()) {
    Object* r = nullptr;
    if (!v.apply(t, f, walk.args(), r)) return false;
    if (!out.add(r)) return v.outOfMemory(t);
  }
  return result(t, args, out.finish());
}

bool forEach(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* f = items[0];
  Lockstep walk(v);
  if (!procedureArg(t, "for-each", f) || !walk.start(t, "for-each", items.subspan(1))) return false;
  while (walk.next()) {
    Object* r = nullptr;
    if (!v.apply(t, f, walk.args(), r)) return false;
  }
  return unspecifiedResult(t, args);
}

bool filter(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* pred = args[0].ref;
  Object* list = args[1].ref;
  int64_t n = 0;
  if (!procedureArg(t, "filter", pred) || !listArg(t, "filter", list, n)) return false;
  ListBuilder out(v);
  for (Object* p = list; n-- > 0 && v.isPair(p); p = Values::cdr(p)) {
    Object* item = Values::car(p);
    Object* r = nullptr;
    if (!v.apply(t, pred, {&item, 1}, r)) return false;
    if (v.isTrue(r) && !out.add(item)) return v.outOfMemory(t);
  }
  return result(t, args, out.finish());
}

// SRFI-1: (reduce f ridentity '(e1 e2 e3)) is (f e3 (f e2 e1)).
bool reduce(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* f = args[0].ref;
  Object* acc = args[1].ref;
  Object* list = args[2].ref;
  int64_t n = 0;
  if (!procedureArg(t, "reduce", f) || !listArg(t, "reduce", list, n)) return false;
  if (n == 0) return result(t, args, acc);
  acc = Values::car(list);
  for (Object* p = Values::cdr(list); --n > 0 && v.isPair(p); p = Values::cdr(p)) {
    Object* call[2] = {Values::car(p), acc};
    if (!v.apply(t, f, call, acc)) return false;
  }
  return result(t, args, acc);
}

bool foldLeft(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* f = items[0];
  Object* acc = items[1];
  Lockstep walk(v);
  if (!procedureArg(t, "fold-left", f) || !walk.start(t, "fold-left", items.subspan(2), 1)) return false;
  while (walk.next()) {
    walk.slot(0) = acc;
    if (!v.apply(t, f, walk.args(), acc)) return false;
  }
  return result(t, args, acc);
}

// The elements are gathered first (k lists of n: an n*k vector), then f runs from the right.
bool foldRight(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* f = items[0];
  Object* acc = items[1];
  auto lists = items.subspan(2);
  auto k = static_cast<int64_t>(lists.size());
  Lockstep walk(v);
  if (!procedureArg(t, "fold-right", f) || !walk.start(t, "fold-right", lists)) return false;
  int64_t n = INT64_MAX;
  for (Object* l : lists) n = std::min(n, listLength(v, l));
  Array* all = newVector(v, n * k, v.nil);
  Array* call = all ? newVector(v, k + 1, v.nil) : nullptr;
  if (!call) return v.outOfMemory(t);
  int64_t steps = 0;
  for (; walk.next(); ++steps) std::copy_n(walk.args().begin(), k, all->data<Object*>() + steps * k);
  for (int64_t i = steps; i-- > 0;) {
    std::copy_n(all->data<Object*>() + i * k, k, call->data<Object*>());
    call->data<Object*>()[k] = acc;
    if (!v.apply(t, f, elements(call), acc)) return false;
  }
  return result(t, args, acc);
}

bool listDelete(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* x = args[0].ref;
  Object* list = args[1].ref;
  int64_t n = 0;
  if (!listArg(t, "delete", list, n)) return false;
  ListBuilder out(v);
  for (Object* p = list; n-- > 0 && v.isPair(p); p = Values::cdr(p))
    if (!v.equal(x, Values::car(p)) && !out.add(Values::car(p))) return v.outOfMemory(t);
  return result(t, args, out.finish());
}

bool listIndex(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* pred = args[0].ref;
  Object* list = args[1].ref;
  int64_t n = 0;
  if (!procedureArg(t, "list-index", pred) || !listArg(t, "list-index", list, n)) return false;
  int64_t index = 0;
  for (Object* p = list; n-- > 0 && v.isPair(p); p = Values::cdr(p), ++index) {
    Object* item = Values::car(p);
    Object* r = nullptr;
    if (!v.apply(t, pred, {&item, 1}, r)) return false;
    if (v.isTrue(r)) return result(t, args, v.makeInt(index));
  }
  return boolResult(t, args, false);
}

bool any(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* pred = items[0];
  Lockstep walk(v);
  if (!procedureArg(t, "any", pred) || !walk.start(t, "any", items.subspan(1))) return false;
  while (walk.next()) {
    Object* r = nullptr;
    if (!v.apply(t, pred, walk.args(), r)) return false;
    if (v.isTrue(r)) return result(t, args, r);
  }
  return boolResult(t, args, false);
}

bool every(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* pred = items[0];
  Lockstep walk(v);
  if (!procedureArg(t, "every", pred) || !walk.start(t, "every", items.subspan(1))) return false;
  Object* last = v.trueObj;
  while (walk.next()) {
    if (!v.apply(t, pred, walk.args(), last)) return false;
    if (!v.isTrue(last)) return boolResult(t, args, false);
  }
  return result(t, args, last);
}

// A bottom-up merge sort over a copy in a VP array: stable, n log n calls of less?, no
// recursion, and the input is left alone (a vector gives a new vector, a list a new list).
bool sort(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* seq = args[0].ref;
  Object* less = args[1].ref;
  if (!procedureArg(t, "sort", less)) return false;
  Array* a = nullptr;
  int64_t n = 0;
  if (v.isVector(seq)) {
    n = static_cast<Array*>(seq)->length;
    a = newVector(v, n, v.nil);
    if (a) std::copy_n(static_cast<Array*>(seq)->data<Object*>(), n, a->data<Object*>());
  } else {
    n = listLength(v, seq);
    if (n < 0) return v.typeError(t, "sort", "a proper list or a vector", seq);
    a = listToArray(v, seq, n);
  }
  Array* b = a ? newVector(v, n, v.nil) : nullptr;
  if (!b) return v.outOfMemory(t);
  for (int64_t width = 1; width < n; width *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * width) {
      int64_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      if (!mergeRuns(t, less, a, b, lo, mid, hi)) return false;
    }
    std::swap(a, b);
  }
  if (v.isVector(seq)) return result(t, args, a);
  return result(t, args, v.list(elements(a)));
}

} // namespace vvm::console::builtins
