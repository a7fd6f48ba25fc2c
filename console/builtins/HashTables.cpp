// Hash tables (the SRFI-69 names, with R7RS-large's contains?/count). A table lives on the VP
// heap in the shapes Values.h describes:
//   HashTable {buckets: ref[] of Entry chains (VP null ends a chain), count: i64, kind: i64}
//   Entry {key, value, next}
// The bucket count is a power of two and doubles when the table would pass 3/4 full. Keys
// compare with eqv? (kind 0) or equal? (kind 1), and hash to match:
// - eqv? hashing takes numbers and characters by value (an integral Float hashes as the Int
//   of the same value, and every NaN alike, so the hash never separates keys that eqv? might
//   join), empty strings alike (Values::eqv makes them all eqv?) and every other object by
//   address, which is stable because the heap never moves
//   objects (gc/Heap.h) and a key stays alive as long as its table does;
// - equal? hashing takes strings and byte vectors by content, pairs and vectors by a
//   bounded walk of their elements (depth and node budget, so cycles and huge structures
//   cost a constant) and everything else as eqv? does. The walk only depends on the
//   structure, so keys that are equal? hash alike.
// Entries are mutable in place: a key that is mutated after it was added (a string cannot
// be; a pair or vector can) may no longer be found, as in every Scheme.
#include "console/builtins/Support.h"

#include <cmath>
#include <cstring>

namespace vvm::console::builtins {
namespace {

// Slots of the HashTable and Entry shapes.
constexpr size_t kBuckets = 0, kCount = 1, kKind = 2;
constexpr size_t kKey = 0, kValue = 1, kNext = 2;
constexpr int64_t kEqvKind = 0, kEqualKind = 1;
constexpr int64_t kInitialBuckets = 8;
constexpr int kHashDepth = 8;   ///< how deep equal? hashing looks into pairs and vectors
constexpr int kHashBudget = 64; ///< how many nodes it looks at in all

Value* slots(Object* o) { return core::slotsOf(o); }
Array* bucketsOf(Object* ht) { return static_cast<Array*>(slots(ht)[kBuckets].ref); }
int64_t countOf(Object* ht) { return slots(ht)[kCount].i64; }
bool comparesEqual(Object* ht) { return slots(ht)[kKind].i64 == kEqualKind; }

/// A 64-bit finaliser (from SplitMix64's output function): every input bit affects every
/// output bit, so addresses and small integers spread over the buckets.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hashBytes(std::string_view s, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed; // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return mix(h);
}

uint64_t eqvHash(const Values& v, const Object* o) {
  if (v.isInt(o)) return mix(static_cast<uint64_t>(Values::intValue(o)));
  if (v.isFloat(o)) {
    double d = Values::floatValue(o);
    if (d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      return mix(static_cast<uint64_t>(static_cast<int64_t>(d))); // 0.0 and -0.0 too
    if (std::isnan(d)) return mix(0x7ff8000000000000ULL);
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return mix(bits);
  }
  if (v.isChar(o)) return mix(Values::charValue(o) | uint64_t{1} << 40);
  if (v.isString(o) && Values::stringBytes(o).empty()) return mix(5); // all empty strings are eqv?
  return mix(reinterpret_cast<uintptr_t>(o));
}

uint64_t equalHash(const Values& v, const Object* o, int depth, int& budget) {
  if (--budget < 0 || depth > kHashDepth) return 0x2545f4914f6cdd1dULL;
  if (v.isString(o)) return hashBytes(Values::stringBytes(o), 1);
  if (v.isBytevector(o)) return hashBytes(*core::bytesOf(o), 2);
  if (v.isPair(o)) {
    uint64_t h = 3;
    for (; v.isPair(o) && budget > 0; o = Values::cdr(o), --budget)
      h = mix(h ^ equalHash(v, Values::car(o), depth + 1, budget));
    return v.isPair(o) ? h : mix(h ^ equalHash(v, o, depth + 1, budget));
  }
  if (v.isVector(o)) {
    auto* a = static_cast<const Array*>(o);
    uint64_t h = mix(static_cast<uint64_t>(a->length) ^ 4);
    for (int64_t i = 0; i < a->length && budget > 0; ++i)
      h = mix(h ^ equalHash(v, const_cast<Array*>(a)->data<Object*>()[i], depth + 1, budget));
    return h;
  }
  return eqvHash(v, o);
}

uint64_t hashKey(const Values& v, Object* ht, const Object* key) {
  int budget = kHashBudget;
  return comparesEqual(ht) ? equalHash(v, key, 0, budget) : eqvHash(v, key);
}

bool sameKey(const Values& v, Object* ht, const Object* a, const Object* b) {
  return comparesEqual(ht) ? v.equal(a, b) : v.eqv(a, b);
}

Object*& bucketFor(Object* ht, uint64_t h) {
  Array* b = bucketsOf(ht);
  return b->data<Object*>()[h & static_cast<uint64_t>(b->length - 1)];
}

/// The entry for `key` (whose hash is `h`), or null.
Object* findEntry(const Values& v, Object* ht, const Object* key, uint64_t h) {
  for (Object* e = bucketFor(ht, h); e; e = slots(e)[kNext].ref)
    if (sameKey(v, ht, slots(e)[kKey].ref, key)) return e;
  return nullptr;
}

Object* newTable(Values& v, int64_t kind, int64_t buckets) {
  Object* ht = v.rt.newObject(v.hashTableShape);
  Array* b = ht ? v.rt.newArray(core::Elem::Ref, buckets) : nullptr; // null: empty chains
  if (!b) return nullptr;
  slots(ht)[kBuckets].ref = b;
  slots(ht)[kCount].i64 = 0;
  slots(ht)[kKind].i64 = kind;
  return ht;
}

/// Doubles the buckets, moving the entries over (no entry is allocated).
bool grow(Thread& t, Values& v, Object* ht) {
  Array* old = bucketsOf(ht);
  Array* b = v.rt.newArray(core::Elem::Ref, old->length * 2);
  if (!b) return v.outOfMemory(t);
  slots(ht)[kBuckets].ref = b;
  for (int64_t i = 0; i < old->length; ++i) {
    for (Object* e = old->data<Object*>()[i]; e;) {
      Object* next = slots(e)[kNext].ref;
      Object*& head = bucketFor(ht, hashKey(v, ht, slots(e)[kKey].ref));
      slots(e)[kNext].ref = head;
      head = e;
      e = next;
    }
  }
  return true;
}

/// Adds or replaces key's value.
bool put(Thread& t, Object* ht, Object* key, Object* value) {
  Values& v = Values::of(t);
  uint64_t h = hashKey(v, ht, key);
  if (Object* e = findEntry(v, ht, key, h)) {
    slots(e)[kValue].ref = value;
    return true;
  }
  if ((countOf(ht) + 1) * 4 > bucketsOf(ht)->length * 3 && !grow(t, v, ht)) return false;
  Object* e = v.rt.newObject(v.entryShape);
  if (!e) return v.outOfMemory(t);
  Object*& head = bucketFor(ht, h);
  slots(e)[kKey].ref = key;
  slots(e)[kValue].ref = value;
  slots(e)[kNext].ref = head;
  head = e;
  slots(ht)[kCount].i64 += 1;
  return true;
}

bool tableArg(Thread& t, std::string_view who, Object* o) {
  Values& v = Values::of(t);
  return v.isHashTable(o) || v.typeError(t, who, "a hash table", o);
}

/// Calls each(entry) for every entry, bucket by bucket; stops early when `each` returns false.
template <typename Each> bool forEntries(Object* ht, Each each) {
  Array* b = bucketsOf(ht);
  for (int64_t i = 0; i < b->length; ++i)
    for (Object* e = b->data<Object*>()[i]; e; e = slots(e)[kNext].ref)
      if (!each(e)) return false;
  return true;
}

/// A list of something of every entry (keys, values or pairs).
template <typename Item> bool listOfEntries(Thread& t, Value* args, std::string_view who, Item item) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  if (!tableArg(t, who, ht)) return false;
  ListBuilder out(v);
  if (!forEntries(ht, [&](Object* e) {
        Object* x = item(v, e);
        return x && out.add(x);
      }))
    return v.outOfMemory(t);
  return result(t, args, out.finish());
}

} // namespace

bool makeHashTable(Thread& t, Value* args) {
  return result(t, args, newTable(Values::of(t), kEqualKind, kInitialBuckets));
}
bool makeEqvHashTable(Thread& t, Value* args) {
  return result(t, args, newTable(Values::of(t), kEqvKind, kInitialBuckets));
}

// The default is a value, not a thunk (SRFI-69 takes a thunk): (hash-table-ref ht k 0).
bool hashTableRef(Thread& t, Value* args) {
  Values& v = Values::of(t);
  auto items = restArgs(args);
  Object* ht = items[0];
  if (!tableArg(t, "hash-table-ref", ht)) return false;
  if (Object* e = findEntry(v, ht, items[1], hashKey(v, ht, items[1]))) return result(t, args, slots(e)[kValue].ref);
  if (items.size() > 2) return result(t, args, items[2]);
  return v.raise(t, "hash-table-ref: no key " + v.describe(items[1]));
}

bool hashTableRefDefault(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  if (!tableArg(t, "hash-table-ref/default", ht)) return false;
  Object* e = findEntry(v, ht, args[1].ref, hashKey(v, ht, args[1].ref));
  return result(t, args, e ? slots(e)[kValue].ref : args[2].ref);
}

bool hashTableSet(Thread& t, Value* args) {
  return tableArg(t, "hash-table-set!", args[0].ref) && put(t, args[0].ref, args[1].ref, args[2].ref) &&
         unspecifiedResult(t, args);
}

bool hashTableDelete(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  if (!tableArg(t, "hash-table-delete!", ht)) return false;
  for (Object** link = &bucketFor(ht, hashKey(v, ht, args[1].ref)); *link; link = &slots(*link)[kNext].ref) {
    if (sameKey(v, ht, slots(*link)[kKey].ref, args[1].ref)) {
      *link = slots(*link)[kNext].ref;
      slots(ht)[kCount].i64 -= 1;
      break;
    }
  }
  return unspecifiedResult(t, args);
}

bool hashTableContainsP(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  return tableArg(t, "hash-table-contains?", ht) &&
         boolResult(t, args, findEntry(v, ht, args[1].ref, hashKey(v, ht, args[1].ref)) != nullptr);
}

bool hashTableCount(Thread& t, Value* args) {
  return tableArg(t, "hash-table-count", args[0].ref) && result(t, args, Values::of(t).makeInt(countOf(args[0].ref)));
}

bool hashTableKeys(Thread& t, Value* args) {
  return listOfEntries(t, args, "hash-table-keys", [](Values&, Object* e) { return slots(e)[kKey].ref; });
}
bool hashTableValues(Thread& t, Value* args) {
  return listOfEntries(t, args, "hash-table-values", [](Values&, Object* e) { return slots(e)[kValue].ref; });
}
bool hashTableToAlist(Thread& t, Value* args) {
  return listOfEntries(t, args, "hash-table->alist",
                       [](Values& v, Object* e) { return v.cons(slots(e)[kKey].ref, slots(e)[kValue].ref); });
}

// f may change the table (even delete or re-add the key): its result is stored afresh.
bool hashTableUpdateDefault(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  Object* key = args[1].ref;
  Object* f = args[2].ref;
  if (!tableArg(t, "hash-table-update!/default", ht) || !procedureArg(t, "hash-table-update!/default", f)) return false;
  Object* e = findEntry(v, ht, key, hashKey(v, ht, key));
  Object* current = e ? slots(e)[kValue].ref : args[3].ref;
  Object* updated = nullptr;
  if (!v.apply(t, f, {&current, 1}, updated)) return false;
  return put(t, ht, key, updated) && unspecifiedResult(t, args);
}

// The entries are copied to a vector first, so f may change the table as it likes: it sees
// each entry that was present when the walk started, once.
bool hashTableWalk(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  Object* f = args[1].ref;
  if (!tableArg(t, "hash-table-walk", ht) || !procedureArg(t, "hash-table-walk", f)) return false;
  Array* snapshot = newVector(v, 2 * countOf(ht), v.nil);
  if (!snapshot) return v.outOfMemory(t);
  Object** at = snapshot->data<Object*>();
  Object** end = at + snapshot->length;
  forEntries(ht, [&](Object* e) {
    if (at == end) return false; // the count is the number of entries: never taken
    *at++ = slots(e)[kKey].ref;
    *at++ = slots(e)[kValue].ref;
    return true;
  });
  for (int64_t i = 0; i < snapshot->length; i += 2) {
    Object* r = nullptr;
    if (!v.apply(t, f, elements(snapshot).subspan(static_cast<size_t>(i), 2), r)) return false;
  }
  return unspecifiedResult(t, args);
}

bool hashTableClear(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  if (!tableArg(t, "hash-table-clear!", ht)) return false;
  Array* b = v.rt.newArray(core::Elem::Ref, kInitialBuckets);
  if (!b) return v.outOfMemory(t);
  slots(ht)[kBuckets].ref = b;
  slots(ht)[kCount].i64 = 0;
  return unspecifiedResult(t, args);
}

// Same bucket count, so every entry's copy goes to the same bucket index: no rehashing.
bool hashTableCopy(Thread& t, Value* args) {
  Values& v = Values::of(t);
  Object* ht = args[0].ref;
  if (!tableArg(t, "hash-table-copy", ht)) return false;
  Array* from = bucketsOf(ht);
  Object* copy = newTable(v, slots(ht)[kKind].i64, from->length);
  if (!copy) return v.outOfMemory(t);
  Array* to = bucketsOf(copy);
  for (int64_t i = 0; i < from->length; ++i) {
    for (Object* e = from->data<Object*>()[i]; e; e = slots(e)[kNext].ref) {
      Object* c = v.rt.newObject(v.entryShape);
      if (!c) return v.outOfMemory(t);
      slots(c)[kKey].ref = slots(e)[kKey].ref;
      slots(c)[kValue].ref = slots(e)[kValue].ref;
      slots(c)[kNext].ref = to->data<Object*>()[i];
      to->data<Object*>()[i] = c;
    }
  }
  slots(copy)[kCount].i64 = countOf(ht);
  return result(t, args, copy);
}

} // namespace vvm::console::builtins
