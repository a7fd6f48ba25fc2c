// Vectors (R7RS 6.8): a console vector is a VP ref[] array, fixed in length once made.
#include "console/builtins/Support.h"

#include <algorithm>

namespace vvm::console::builtins {
namespace {

/// Calls f on element i of every vector, for i below the shortest length; `each` gets each
/// result (and returns false when the heap is exhausted).
template <typename Each>
bool mapVectors(Thread& t, std::string_view who, std::span<Object* const> items, int64_t& n, Each each) {
  Values& v = Values::of(t);
  Object* f = items[0];
  auto vectors = items.subspan(1);
  if (!procedureArg(t, who, f)) return false;
  n = INT64_MAX;
  for (Object* o : vectors) {
    Array* a = nullptr;
    if (!vectorArg(t, who, o, a)) return false;
    n = std::min(n, a->length);
  }
  Array* call = newVector(v, static_cast<int64_t>(vectors.size()), v.nil);
  if (!call) return v.outOfMemory(t);
  for (int64_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < vectors.size(); ++j)
      call->data<Object*>()[j] = static_cast<Array*>(vectors[j])->data<Object*>()[i];
    Object* r = nullptr;
    if (!v.apply(t, f, elements(call), r)) return false;
    if (!each(i, r)) return v.outOfMemory(t);
  }
  return true;
}

} // namespace

bool vector(Thread& t, Value* args) {
  auto items = restArgs(args);
  Array* a = newVector(Values::of(t), static_cast<int64_t>(items.size()), nullptr);
  if (a) std::copy(items.begin(), items.end(), a->data<Object*>());
  return result(t, args, a);
}

bool makeVector(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  int64_t k = 0;
  if (!intArg(t, "make-vector", items[0], k)) return false;
  if (k < 0) return v.raise(t, "make-vector: length " + std::to_string(k) + " is negative");
  return result(t, args, newVector(v, k, items.size() > 1 ? items[1] : v.falseObj));
}

bool vectorRef(Thread& t, Value* args) {
  Array* a = nullptr;
  int64_t i = 0;
  if (!vectorArg(t, "vector-ref", args[0].ref, a) || !indexArg(t, "vector-ref", args[1].ref, a->length, i))
    return false;
  return result(t, args, a->data<Object*>()[i]);
}

bool vectorSet(Thread& t, Value* args) {
  Array* a = nullptr;
  int64_t i = 0;
  if (!vectorArg(t, "vector-set!", args[0].ref, a) || !indexArg(t, "vector-set!", args[1].ref, a->length, i))
    return false;
  a->data<Object*>()[i] = args[2].ref;
  return unspecifiedResult(t, args);
}

bool vectorLength(Thread& t, Value* args) {
  Array* a = nullptr;
  return vectorArg(t, "vector-length", args[0].ref, a) && result(t, args, Values::of(t).makeInt(a->length));
}

bool vectorToList(Thread& t, Value* args) {
  auto items = restArgs(args);
  Array* a = nullptr;
  int64_t start = 0, end = 0;
  if (!vectorArg(t, "vector->list", items[0], a) || !rangeArgs(t, "vector->list", items, 1, a->length, start, end))
    return false;
  return result(t, args, Values::of(t).list(elements(a).subspan(start, end - start)));
}

bool listToVector(Thread& t, Value* args) {
  Values& v = Values::of(t);
  int64_t n = 0;
  if (!listArg(t, "list->vector", args[0].ref, n)) return false;
  Array* a = newVector(v, n, v.nil);
  if (!a) return v.outOfMemory(t);
  Object* p = args[0].ref;
  for (int64_t i = 0; i < n; ++i, p = Values::cdr(p)) a->data<Object*>()[i] = Values::car(p);
  return result(t, args, a);
}

bool vectorFill(Thread& t, Value* args) {
  auto items = restArgs(args);
  Array* a = nullptr;
  int64_t start = 0, end = 0;
  if (!vectorArg(t, "vector-fill!", items[0], a) || !rangeArgs(t, "vector-fill!", items, 2, a->length, start, end))
    return false;
  std::fill(a->data<Object*>() + start, a->data<Object*>() + end, items[1]);
  return unspecifiedResult(t, args);
}

bool vectorCopy(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Array* a = nullptr;
  int64_t start = 0, end = 0;
  if (!vectorArg(t, "vector-copy", items[0], a) || !rangeArgs(t, "vector-copy", items, 1, a->length, start, end))
    return false;
  Array* out = newVector(v, end - start, nullptr);
  if (out) std::copy(a->data<Object*>() + start, a->data<Object*>() + end, out->data<Object*>());
  return result(t, args, out);
}

bool vectorMap(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  // The results go into a list first: the result vector's length is only known once the
  // vectors are checked, and a list keeps them reachable while f runs.
  ListBuilder out(v);
  int64_t n = 0;
  if (!mapVectors(t, "vector-map", items, n, [&](int64_t, Object* r) { return out.add(r); })) return false;
  Array* a = newVector(v, n, v.nil);
  if (!a) return v.outOfMemory(t);
  Object* p = out.finish();
  for (int64_t i = 0; i < n; ++i, p = Values::cdr(p)) a->data<Object*>()[i] = Values::car(p);
  return result(t, args, a);
}

bool vectorForEach(Thread& t, Value* args) {
  int64_t n = 0;
  return mapVectors(t, "vector-for-each", restArgs(args), n, [](int64_t, Object*) { return true; }) &&
         unspecifiedResult(t, args);
}

} // namespace vvm::console::builtins
