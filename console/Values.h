// The console language's values on the VP heap (DESIGN §8). Every console value is a VP
// reference, so console data lives in the one Boehm heap beside every other language's and
// compiled console code is ordinary VP IR:
//
//   integer      Int {value: i64}           exact, 64-bit two's complement; + - * raise an error
//                                           on overflow rather than wrap; -512..1023 are cached
//   real         Float {value: f64}
//   character    Char {code: i32}           a Unicode code point
//   #t #f        Boolean {}                 two singletons; only #f is false
//   ()           Nil {}                     one singleton (VP null is never a console value:
//                                           it marks a global that has no value yet)
//   pair         Pair {car, cdr}
//   symbol       Symbol {name: String}      interned, never collected
//   string       the VP String (immutable UTF-8 bytes)
//   vector       a VP ref[] array           byte vector: a VP i8[] array
//   procedure    a shape derived from Procedure (below)
//   record       a shape made by define-record-type, derived from Record
//   hash table   HashTable {buckets: ref[] of Entry chains, count: i64, kind: i64 (0 eqv?, 1 equal?)},
//                Entry {key, value, next}
//   error        ConsoleError, derived from the VP's Error {message} with {irritants}
//   others       Unspecified (what set!, display... return), Eof, Box (a mutable cell the
//                compiler makes for assigned captured variables).
//
// Procedures: the shape Procedure has the dispatch slots call0 .. call6 (fixed argument
// counts) and callv (any count, the arguments in a ref[] vector). Each lambda is a shape
// derived from Procedure whose fields are its captured variables; the compiler overrides the
// slot of its argument count with its code and callv with an adapter. Procedure's own call0..6
// pack their arguments and go to callv, whose default raises the arity error: so a call with
// the wrong count always ends in a clear error, and calls with the right count are one
// `callvirt` (which the JIT serves with an inline cache).
#pragma once

#include "console/Reader.h"
#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/ir/Module.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vvm::console {

using core::Array;
using core::Object;
using core::Shape;
using core::Thread;
using core::Value;

/// Most arguments a call passes in registers-worth slots (call0 .. call6); more go by callv.
constexpr uint32_t kMaxDirectArgs = 6;

/// What a procedure shape is, for messages, printing and introspection.
struct ProcInfo {
  std::string name;             ///< "fact", or "lambda" for anonymous ones
  uint32_t required = 0;        ///< parameters before the rest parameter
  bool rest = false;            ///< takes any number beyond `required`
  std::string where;            ///< "file:line" of the lambda ("built in" for builtins)
  core::Method* body = nullptr; ///< the method with the procedure's code
  Object* closure = nullptr;    ///< the one instance, for procedures that capture nothing
};

/// The console's shapes, singletons and tables, one per core::Runtime (see Runtime::consoleState).
class Values {
public:
  explicit Values(core::Runtime& rt);
  ~Values();
  Values(const Values&) = delete;
  Values& operator=(const Values&) = delete;

  /// The console state of the runtime a primitive runs in.
  static Values& of(Thread& t) { return *static_cast<Values*>(t.rt.consoleState); }
  static Values& of(core::Runtime& rt) { return *static_cast<Values*>(rt.consoleState); }

  core::Runtime& rt;
  /// The module that owns the console's built-in shapes, methods and pinned objects.
  core::Module& module() { return module_; }
  /// What VMlet builtins act on while a VMlet loads an application (vmlets/Vmlet.h).
  void* vmletContext = nullptr;
  /// The environment of the console session (REPL or script), for introspection.
  void* consoleEnvironment = nullptr;

  // ---- shapes
  Shape* intShape = nullptr;
  Shape* floatShape = nullptr;
  Shape* charShape = nullptr;
  Shape* booleanShape = nullptr;
  Shape* nilShape = nullptr;
  Shape* unspecifiedShape = nullptr;
  Shape* eofShape = nullptr;
  Shape* pairShape = nullptr;
  Shape* symbolShape = nullptr;
  Shape* boxShape = nullptr;
  Shape* procedureShape = nullptr;
  Shape* recordShape = nullptr;
  Shape* hashTableShape = nullptr;
  Shape* entryShape = nullptr; ///< hash table chain entry {key, value, next}
  Shape* errorShape = nullptr; ///< ConsoleError: message (String), irritants (list)
  Shape* stringShape() const { return rt.stringShape(); }
  Shape* vectorShape() const { return rt.arrayShape(core::Elem::Ref); }
  Shape* bytevectorShape() const { return rt.arrayShape(core::Elem::I8); }

  // ---- singletons (also in module statics, for compiled code: see cells below)
  Object* trueObj = nullptr;
  Object* falseObj = nullptr;
  Object* nil = nullptr;
  Object* unspecified = nullptr;
  Object* eof = nullptr;
  const core::StaticInfo* trueCell = nullptr;
  const core::StaticInfo* falseCell = nullptr;
  const core::StaticInfo* nilCell = nullptr;
  const core::StaticInfo* unspecifiedCell = nullptr;

  // ---- making values: nullptr only when the heap is exhausted (the caller raises)
  Object* makeInt(int64_t v);
  Object* makeFloat(double v);
  Object* makeChar(uint32_t code);
  Object* makeBool(bool b) { return b ? trueObj : falseObj; }
  Object* cons(Object* car, Object* cdr);
  Object* makeString(std::string_view utf8) { return rt.newString(utf8); }
  /// The one symbol with this name (interned; symbols are never collected).
  Object* intern(std::string_view name);
  /// A list of `items` (which the caller keeps reachable: the collector does not see a
  /// std::vector's storage; see ListBuilder).
  Object* list(std::span<Object* const> items);
  Object* makeError(std::string_view message, Object* irritants);

  // ---- looking at values
  bool isInt(const Object* o) const { return o->shape == intShape; }
  bool isFloat(const Object* o) const { return o->shape == floatShape; }
  bool isNumber(const Object* o) const { return isInt(o) || isFloat(o); }
  bool isChar(const Object* o) const { return o->shape == charShape; }
  bool isPair(const Object* o) const { return o->shape == pairShape; }
  bool isSymbol(const Object* o) const { return o->shape == symbolShape; }
  bool isString(const Object* o) const { return o->shape == rt.stringShape(); }
  bool isVector(const Object* o) const { return o->shape == vectorShape(); }
  bool isBytevector(const Object* o) const { return o->shape == bytevectorShape(); }
  bool isHashTable(const Object* o) const { return o->shape == hashTableShape; }
  bool isProcedure(const Object* o) const { return o->shape->isSubshapeOf(procedureShape); }
  bool isRecord(const Object* o) const { return o->shape->isSubshapeOf(recordShape); }
  bool isError(const Object* o) const { return o->shape->isSubshapeOf(rt.errorShape()); }
  bool isTrue(const Object* o) const { return o != falseObj; }

  static int64_t intValue(const Object* o) { return core::slotsOf(const_cast<Object*>(o))[0].i64; }
  static double floatValue(const Object* o) { return core::slotsOf(const_cast<Object*>(o))[0].f64; }
  static uint32_t charValue(const Object* o) {
    return static_cast<uint32_t>(core::slotsOf(const_cast<Object*>(o))[0].i32);
  }
  static Object* car(const Object* p) { return core::slotsOf(const_cast<Object*>(p))[0].ref; }
  static Object* cdr(const Object* p) { return core::slotsOf(const_cast<Object*>(p))[1].ref; }
  static void setCar(Object* p, Object* v) { core::slotsOf(p)[0].ref = v; }
  static void setCdr(Object* p, Object* v) { core::slotsOf(p)[1].ref = v; }
  /// A symbol's name.
  static std::string_view symbolName(const Object* sym);
  /// A string's bytes (the object must be a string).
  static std::string_view stringBytes(const Object* s) { return *core::bytesOf(s); }

  // ---- equality (R7RS eq? eqv? equal?); equal? is bounded against cycles and depth
  static bool eq(const Object* a, const Object* b) { return a == b; }
  bool eqv(const Object* a, const Object* b) const;
  bool equal(const Object* a, const Object* b) const;

  // ---- text
  /// The printed form: `write` (strings quoted, chars as #\x) or `display`. Output is capped
  /// (very long or cyclic structures end in "...").
  std::string write(const Object* o, bool display = false) const;
  /// A short description for error messages: the written form, cut at ~60 bytes.
  std::string describe(const Object* o) const;

  // ---- data <-> values (quote, macros)
  /// The value of a datum (quoted data). Nullptr if the heap is exhausted.
  Object* fromDatum(const Datum& d);
  /// The datum of a value (macro expansion results), positioned at `pos`. Nullopt with `error`
  /// set if the value is not data (a procedure, a cycle, too deep).
  std::optional<Datum> toDatum(const Object* o, SourcePos pos, std::string& error) const;

  // ---- procedures
  /// Procedure info for a procedure shape (null for shapes that are not procedures).
  const ProcInfo* procInfo(const Shape* s) const;
  void setProcInfo(const Shape* s, ProcInfo info);
  /// Index of dispatch slot call<n> (n <= kMaxDirectArgs), or of callv.
  static uint32_t callSlot(uint32_t n) { return n; }
  static constexpr uint32_t kCallvSlot = kMaxDirectArgs + 1;
  /// Calls a console procedure from C++ (sorting, hash-table walks, macro expansion). Returns
  /// false with the thread's exception pending if it raised (or `proc` is not a procedure).
  bool apply(Thread& t, Object* proc, std::span<Object* const> args, Object*& result);

  // ---- errors raised by primitives (set the thread's pending exception; return false)
  /// Raises a ConsoleError with `message` and irritants (a list, or nil).
  bool raise(Thread& t, std::string_view message, Object* irritants = nullptr);
  /// "WHO: expected WHAT, got VALUE".
  bool typeError(Thread& t, std::string_view who, std::string_view what, const Object* got);
  /// Heap exhausted: raises the VP's OutOfMemoryError.
  bool outOfMemory(Thread& t);

private:
  Object* pinned(Object* o);
  core::Module module_;
  Object** smallInts_ = nullptr; ///< root block: Int objects for kSmallMin .. kSmallMax
  std::unordered_map<std::string, Object*> symbols_;
  std::unordered_map<const Shape*, ProcInfo> procs_;
};

/// Builds a list front to back. Keep it on the stack: the collector finds its head there and,
/// through it, every element added so far. (A std::vector<Object*> lives on the C++ heap, which
/// the collector does not scan: objects only it holds may be freed at the next allocation.)
class ListBuilder {
public:
  explicit ListBuilder(Values& v) : v_(v), head_(v.nil) {}
  /// Appends `item`; false when `item` is null or the heap is exhausted.
  bool add(Object* item) {
    Object* cell = item ? v_.cons(item, v_.nil) : nullptr;
    if (!cell) return false;
    if (tail_)
      Values::setCdr(tail_, cell);
    else
      head_ = cell;
    tail_ = cell;
    return true;
  }
  Object* list() const { return head_; }

private:
  Values& v_;
  Object* head_;
  Object* tail_ = nullptr;
};

/// Registers the console's primitives (console/Builtins.def) with `rt` and makes its Values,
/// owned by the runtime's consoleState until releaseConsole. Idempotent per runtime.
Values& installConsole(core::Runtime& rt);
/// Destroys the runtime's console state (before the runtime itself goes).
void releaseConsole(core::Runtime& rt);

} // namespace vvm::console
