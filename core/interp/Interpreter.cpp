// The VP interpreter loop: direct-threaded dispatch over linked code (labels-as-values; a
// switch when VVM_COMPUTED_GOTO is off). VP calls push a frame and continue in this same loop;
// they never recurse in C. Slow paths (unwinding, linking, tier-up) live in
// InterpreterSlow.cpp. Every handler reads its operands from the words after its own.
#include "core/interp/Interpreter.h"
#include "core/interp/Arith-inline.h"
#include "core/interp/Handlers.h"
#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/prims/Primitive.h"
#include "core/support/Assert.h"

#include <cmath>
#include <cstring>

#ifdef VVM_TRACE
#include <cstdio>
#endif

namespace vvm::core {
namespace {

// Operand access for the instruction at ip.
#define OPND(n) ip[(n)].i
#define OPTR(n, T) static_cast<T>(const_cast<void*>(ip[(n)].ptr))
#define NEXT(words) ip += 1 + (words)

#ifdef VVM_TRACE
#define VVM_TRACE_HOOK()                                                                                               \
  std::fprintf(stderr, "[trace] %-16s %s @%u\n", method ? method->name.c_str() : "<exit>",                             \
               std::string(info(static_cast<Op>(opcodeAt(ip))).name).c_str(),                                          \
               method ? method->insnIndexAt(ip + 1) : 0u)
#else
#define VVM_TRACE_HOOK() ((void)0)
#endif

#if VVM_COMPUTED_GOTO
#define VVM_DISPATCH()                                                                                                 \
  do {                                                                                                                 \
    VVM_TRACE_HOOK();                                                                                                  \
    goto * ip->handler;                                                                                                \
  } while (0)
#define VVM_CASE(Name) op_##Name:
#else
#define VVM_DISPATCH() goto dispatch
#define VVM_CASE(Name) case HandlerId::Name:
#endif

// Raising a VP error at the current instruction: record where, then unwind.
#define VVM_RAISE(...)                                                                                                 \
  do {                                                                                                                 \
    fp->ip = ip + 1;                                                                                                   \
    t.fp = fp;                                                                                                         \
    rt.raise(t, __VA_ARGS__);                                                                                          \
    goto unwind;                                                                                                       \
  } while (0)

#define NULL_CHECK(o)                                                                                                  \
  if (!(o)) [[unlikely]]                                                                                               \
  VVM_RAISE(VpMessage::NullIn, handlerName(handlerAt(ip)))

#define INSTANCE_CHECK(o, s)                                                                                           \
  if ((o)->shape != (s) && !(o)->shape->isSubshapeOf(s)) [[unlikely]]                                                  \
  VVM_RAISE(VpMessage::NotInstanceOf, describe(o), (s)->name)

// Back edges count toward tier-up like invocations do. Past the threshold, every
// kOsrPollInterval-th back edge asks whether compiled code is ready and, if so, continues this
// frame in it at the branch target (on-stack replacement).
#define BRANCH_TO(target)                                                                                              \
  do {                                                                                                                 \
    const Code* dest_ = (target);                                                                                      \
    if (dest_ <= ip) {                                                                                                 \
      uint32_t h_ = method->hotness.load(std::memory_order_relaxed) + 1;                                               \
      method->hotness.store(h_, std::memory_order_relaxed);                                                            \
      if (h_ >= threshold && ((h_ - threshold) & (kOsrPollInterval - 1)) == 0) [[unlikely]] {                          \
        t.fp = fp;                                                                                                     \
        const NativeCode* nc_ = detail::tierUp(t, method);                                                             \
        uint32_t r_ = nc_ && nc_->osr ? nc_->osr(&t, method->insnIndexOfTarget(dest_)) : kOsrNotEntered;               \
        if (r_ != kOsrNotEntered) method->osrEntries.fetch_add(1, std::memory_order_relaxed);                          \
        if (r_ == kNativeException) goto unwind;                                                                       \
        if (r_ == kNativeOk) {                                                                                         \
          sp = locals + (method->sig.ret != Kind::Void);                                                               \
          RETURN_TO_CALLER();                                                                                          \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
    ip = dest_;                                                                                                        \
    VVM_DISPATCH();                                                                                                    \
  } while (0)

// Leaves the callee's frame (whose result, if any, is already in place) for its caller.
#define RETURN_TO_CALLER()                                                                                             \
  do {                                                                                                                 \
    --fp;                                                                                                              \
    t.fp = fp;                                                                                                         \
    ip = fp->ip;                                                                                                       \
    locals = fp->locals;                                                                                               \
    method = fp->method;                                                                                               \
    VVM_DISPATCH();                                                                                                    \
  } while (0)

std::string describe(Object* o) { return Runtime::describeObject(o); }

#define ARRAY_ACCESS(arrSlot, idxSlot, ok)                                                                             \
  Array* arr = static_cast<Array*>(sp[arrSlot].ref);                                                                   \
  int32_t idx = sp[idxSlot].i32;                                                                                       \
  NULL_CHECK(arr);                                                                                                     \
  if (!(ok)) [[unlikely]]                                                                                              \
    VVM_RAISE(VpMessage::NotArrayOf, describe(arr), elemName(opElem(handlerAt(ip))));                                  \
  if (static_cast<uint64_t>(static_cast<int64_t>(idx)) >= static_cast<uint64_t>(arr->length)) [[unlikely]]             \
  VVM_RAISE(VpMessage::IndexOutOfBounds, idx, arr->length)

#define ELEM_IS(e) (arr->shape->elem == Elem::e)

const void* const* gTable = nullptr;

/// How often (in back edges, a power of two) a hot loop checks for compiled code to enter.
constexpr uint32_t kOsrPollInterval = 1024;

/// Which handler the word at ip dispatches to (slow: only for messages and tracing).
HandlerId handlerAt(const Code* ip) {
#if VVM_COMPUTED_GOTO
  for (size_t i = 0; i < kHandlerCount; ++i)
    if (gTable[i] == ip->handler) return static_cast<HandlerId>(i);
  return HandlerId::Nop;
#else
  return static_cast<HandlerId>(ip->opcode);
#endif
}

// The element kind an array instruction works on (its mnemonic's suffix), for messages.
Elem opElem(HandlerId id) {
  auto op = static_cast<Op>(id);
  return static_cast<size_t>(id) < kOpCount ? elemFromName(mnemonicSuffix(op)).value_or(Elem::Ref) : Elem::Ref;
}

/// An immediate operand word read as the given C type (floats are stored as their bits).
template <typename T> inline T constant(Code c) {
  if constexpr (std::is_same_v<T, double>) {
    double d;
    std::memcpy(&d, &c.i, 8);
    return d;
  } else {
    return static_cast<T>(c.i);
  }
}

} // namespace

/// Runs `m` whose arguments are already at `base` on t's stack, above the activation's bottom
/// frame (which t.fp points at). A null method only exports the dispatch table.
static Status run(Thread* thread, Method* m, Value* base, Value* result) {
#if VVM_COMPUTED_GOTO
  static const void* const table[] = {
#define VVM_OP(Name, Text, Operands, Effect, Flags) &&op_##Name,
#include "core/ir/Instructions.def"
#define VVM_SUPER(Name, Text, ...) &&op_##Name,
#include "core/interp/Superinstructions.def"
  };
  static_assert(std::size(table) == kHandlerCount);
  if (!m) {
    gTable = table;
    return Status::Ok;
  }
#else
  if (!m) return Status::Ok;
#endif

  Thread& t = *thread;
  Runtime& rt = t.rt;
  // Counters wrap (unsigned); without a tier-up hook the threshold is one no count reaches
  // before 2^32 events, and reaching it then does nothing.
  const uint32_t threshold = rt.tierUpHook ? rt.config().tierThreshold : UINT32_MAX;
  const bool entryReturns = m->sig.ret != Kind::Void;
  Frame* fp = t.fp;
  Method* method = nullptr;
  Value* locals = nullptr;
  Value* sp = base + m->paramCount();
  const Code* ip = nullptr;
  Method* callee = m;
  Value* args = base;
  goto enter;

  // The handlers are a long run of macro-made labels that clang-format does not lay out the
  // same way twice; this region is formatted by hand.
  // clang-format off

#if !VVM_COMPUTED_GOTO
dispatch:
  VVM_TRACE_HOOK();
  switch (static_cast<HandlerId>(ip->opcode)) {
#endif

    VVM_CASE(Nop) {
      NEXT(0);
      VVM_DISPATCH();
    }

    // ---- constants
    VVM_CASE(ConstI32) {
      (sp++)->setI32(static_cast<int32_t>(OPND(1)));
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(ConstI64) {
      (sp++)->i64 = OPND(1);
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(ConstF32) {
      (sp++)->word = static_cast<uint32_t>(OPND(1)); // the f32's bits, zero-extended
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(ConstF64) {
      (sp++)->i64 = OPND(1);
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(ConstNull) {
      (sp++)->ref = nullptr;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(ConstStr) {
      (sp++)->ref = OPTR(1, Object*);
      NEXT(1);
      VVM_DISPATCH();
    }

    // ---- locals (each kind is one 64-bit slot; the typed forms exist for the verifier and JIT)
    VVM_CASE(LoadI32) VVM_CASE(LoadI64) VVM_CASE(LoadF32) VVM_CASE(LoadF64) VVM_CASE(LoadRef) {
      *sp++ = locals[OPND(1)];
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(StoreI32) VVM_CASE(StoreI64) VVM_CASE(StoreF32) VVM_CASE(StoreF64) VVM_CASE(StoreRef) {
      locals[OPND(1)] = *--sp;
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(IncI32) {
      Value& v = locals[OPND(1)];
      v.setI32(arith::add32(v.i32, static_cast<int32_t>(OPND(2))));
      NEXT(2);
      VVM_DISPATCH();
    }

    // ---- shuffles
    VVM_CASE(Pop) {
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(Pop2) {
      sp -= 2;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(Dup) {
      sp[0] = sp[-1];
      ++sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(DupX1) { // b a -> a b a
      Value a = sp[-1], b = sp[-2];
      sp[-2] = a;
      sp[-1] = b;
      sp[0] = a;
      ++sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(DupX2) { // c b a -> a c b a
      Value a = sp[-1], b = sp[-2], c = sp[-3];
      sp[-3] = a;
      sp[-2] = c;
      sp[-1] = b;
      sp[0] = a;
      ++sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(Dup2) {
      sp[0] = sp[-2];
      sp[1] = sp[-1];
      sp += 2;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(Dup2X1) { // c b a -> b a c b a
      Value a = sp[-1], b = sp[-2], c = sp[-3];
      sp[-3] = b;
      sp[-2] = a;
      sp[-1] = c;
      sp[0] = b;
      sp[1] = a;
      sp += 2;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(Dup2X2) { // d c b a -> b a d c b a
      Value a = sp[-1], b = sp[-2], c = sp[-3], d = sp[-4];
      sp[-4] = b;
      sp[-3] = a;
      sp[-2] = d;
      sp[-1] = c;
      sp[0] = b;
      sp[1] = a;
      sp += 2;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(Swap) {
      Value a = sp[-1];
      sp[-1] = sp[-2];
      sp[-2] = a;
      NEXT(0);
      VVM_DISPATCH();
    }

#define BINOP(Name, field, expr)                                                                                       \
  VVM_CASE(Name) {                                                                                                     \
    auto a = sp[-2].field;                                                                                             \
    auto b = sp[-1].field;                                                                                             \
    --sp;                                                                                                              \
    sp[-1].set(expr);                                                                                                  \
    NEXT(0);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
#define UNOP(Name, from, to, expr)                                                                                     \
  VVM_CASE(Name) {                                                                                                     \
    auto a = sp[-1].from;                                                                                              \
    sp[-1].set(expr);                                                                                                  \
    NEXT(0);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }

    // ---- i32
    BINOP(AddI32, i32, arith::add32(a, b))
    BINOP(SubI32, i32, arith::sub32(a, b))
    BINOP(MulI32, i32, arith::mul32(a, b))
    VVM_CASE(DivI32) {
      int32_t b = sp[-1].i32;
      if (b == 0) [[unlikely]]
        VVM_RAISE(VpMessage::DivideByZero);
      sp[-2].setI32(arith::div32(sp[-2].i32, b));
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(RemI32) {
      int32_t b = sp[-1].i32;
      if (b == 0) [[unlikely]]
        VVM_RAISE(VpMessage::DivideByZero);
      sp[-2].setI32(arith::rem32(sp[-2].i32, b));
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    UNOP(NegI32, i32, i32, arith::neg32(a))
    BINOP(AndI32, i32, a & b)
    BINOP(OrI32, i32, a | b)
    BINOP(XorI32, i32, a ^ b)
    BINOP(ShlI32, i32, arith::shl32(a, b))
    BINOP(ShrI32, i32, arith::shr32(a, b))
    BINOP(UshrI32, i32, arith::ushr32(a, b))

    // ---- i64
    BINOP(AddI64, i64, arith::add64(a, b))
    BINOP(SubI64, i64, arith::sub64(a, b))
    BINOP(MulI64, i64, arith::mul64(a, b))
    VVM_CASE(DivI64) {
      int64_t b = sp[-1].i64;
      if (b == 0) [[unlikely]]
        VVM_RAISE(VpMessage::DivideByZero);
      sp[-2].i64 = arith::div64(sp[-2].i64, b);
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(RemI64) {
      int64_t b = sp[-1].i64;
      if (b == 0) [[unlikely]]
        VVM_RAISE(VpMessage::DivideByZero);
      sp[-2].i64 = arith::rem64(sp[-2].i64, b);
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    UNOP(NegI64, i64, i64, arith::neg64(a))
    BINOP(AndI64, i64, a & b)
    BINOP(OrI64, i64, a | b)
    BINOP(XorI64, i64, a ^ b)
    VVM_CASE(ShlI64) {
      sp[-2].i64 = arith::shl64(sp[-2].i64, sp[-1].i32);
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(ShrI64) {
      sp[-2].i64 = arith::shr64(sp[-2].i64, sp[-1].i32);
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(UshrI64) {
      sp[-2].i64 = arith::ushr64(sp[-2].i64, sp[-1].i32);
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }

    // ---- floating point
    BINOP(AddF32, f32, a + b)
    BINOP(SubF32, f32, a - b)
    BINOP(MulF32, f32, a * b)
    BINOP(DivF32, f32, a / b)
    BINOP(RemF32, f32, std::fmod(a, b))
    UNOP(NegF32, f32, f32, -a)
    BINOP(AddF64, f64, a + b)
    BINOP(SubF64, f64, a - b)
    BINOP(MulF64, f64, a * b)
    BINOP(DivF64, f64, a / b)
    BINOP(RemF64, f64, std::fmod(a, b))
    UNOP(NegF64, f64, f64, -a)

    // ---- comparisons
    VVM_CASE(CmpI64) {
      sp[-2].setI32(arith::cmp64(sp[-2].i64, sp[-1].i64));
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(CmplF32) {
      sp[-2].setI32(arith::cmpFloat(sp[-2].f32, sp[-1].f32, -1));
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(CmpgF32) {
      sp[-2].setI32(arith::cmpFloat(sp[-2].f32, sp[-1].f32, 1));
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(CmplF64) {
      sp[-2].setI32(arith::cmpFloat(sp[-2].f64, sp[-1].f64, -1));
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }
    VVM_CASE(CmpgF64) {
      sp[-2].setI32(arith::cmpFloat(sp[-2].f64, sp[-1].f64, 1));
      --sp;
      NEXT(0);
      VVM_DISPATCH();
    }

    // ---- conversions
    UNOP(I2L, i32, i64, static_cast<int64_t>(a))
    UNOP(I2F, i32, f32, static_cast<float>(a))
    UNOP(I2D, i32, f64, static_cast<double>(a))
    UNOP(L2I, i64, i32, static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(a))))
    UNOP(L2F, i64, f32, static_cast<float>(a))
    UNOP(L2D, i64, f64, static_cast<double>(a))
    UNOP(F2I, f32, i32, (arith::toInt<int32_t, float>(a)))
    UNOP(F2L, f32, i64, (arith::toInt<int64_t, float>(a)))
    UNOP(F2D, f32, f64, static_cast<double>(a))
    UNOP(D2I, f64, i32, (arith::toInt<int32_t, double>(a)))
    UNOP(D2L, f64, i64, (arith::toInt<int64_t, double>(a)))
    UNOP(D2F, f64, f32, static_cast<float>(a))
    UNOP(I2B, i32, i32, static_cast<int32_t>(static_cast<int8_t>(a)))
    UNOP(I2C, i32, i32, static_cast<int32_t>(static_cast<uint16_t>(a)))
    UNOP(I2S, i32, i32, static_cast<int32_t>(static_cast<int16_t>(a)))

    // ---- control flow
    VVM_CASE(Jmp) { BRANCH_TO(ip[1].target); }
#define IFZ(Name, cond)                                                                                                \
  VVM_CASE(Name) {                                                                                                     \
    int32_t a = (--sp)->i32;                                                                                           \
    if (cond) BRANCH_TO(ip[1].target);                                                                                 \
    NEXT(1);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    IFZ(IfzEq, a == 0)
    IFZ(IfzNe, a != 0)
    IFZ(IfzLt, a < 0)
    IFZ(IfzGe, a >= 0)
    IFZ(IfzGt, a > 0)
    IFZ(IfzLe, a <= 0)
#define IF2(Name, field, cond)                                                                                         \
  VVM_CASE(Name) {                                                                                                     \
    auto b = (--sp)->field;                                                                                            \
    auto a = (--sp)->field;                                                                                            \
    if (cond) BRANCH_TO(ip[1].target);                                                                                 \
    NEXT(1);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    IF2(IfEqI32, i32, a == b)
    IF2(IfNeI32, i32, a != b)
    IF2(IfLtI32, i32, a < b)
    IF2(IfGeI32, i32, a >= b)
    IF2(IfGtI32, i32, a > b)
    IF2(IfLeI32, i32, a <= b)
    IF2(IfEqRef, ref, a == b)
    IF2(IfNeRef, ref, a != b)
#define IFREF(Name, cond)                                                                                              \
  VVM_CASE(Name) {                                                                                                     \
    Object* a = (--sp)->ref;                                                                                           \
    if (cond) BRANCH_TO(ip[1].target);                                                                                 \
    NEXT(1);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    IFREF(IfNull, a == nullptr)
    IFREF(IfNonNull, a != nullptr)
    VVM_CASE(TableSwitch) {
      // Linked table: [low][count][default][targets...]
      const Code* tab = static_cast<const Code*>(ip[1].ptr);
      int64_t k = static_cast<int64_t>((--sp)->i32) - tab[0].i;
      BRANCH_TO(static_cast<uint64_t>(k) < static_cast<uint64_t>(tab[1].i) ? tab[3 + k].target : tab[2].target);
    }
    VVM_CASE(LookupSwitch) {
      // Linked table: [count][default][key0][target0][key1][target1]... keys ascending.
      const Code* tab = static_cast<const Code*>(ip[1].ptr);
      int32_t key = (--sp)->i32;
      int64_t lo = 0, hi = tab[0].i - 1;
      const Code* dest = tab[1].target;
      while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        int32_t k = static_cast<int32_t>(tab[2 + 2 * mid].i);
        if (k == key) {
          dest = tab[3 + 2 * mid].target;
          break;
        }
        if (k < key)
          lo = mid + 1;
        else
          hi = mid - 1;
      }
      BRANCH_TO(dest);
    }

    // ---- objects
    VVM_CASE(New) {
      Object* o = rt.newObject(OPTR(1, const Shape*));
      if (!o) [[unlikely]]
        VVM_RAISE(VpMessage::HeapLimit, OPTR(1, const Shape*)->instanceBytes());
      (sp++)->ref = o;
      NEXT(1);
      VVM_DISPATCH();
    }
#define GETFIELD(Name)                                                                                                 \
  VVM_CASE(Name) {                                                                                                     \
    Object* o = sp[-1].ref;                                                                                            \
    NULL_CHECK(o);                                                                                                     \
    INSTANCE_CHECK(o, OPTR(1, const Shape*));                                                                          \
    sp[-1] = slotsOf(o)[OPND(2)];                                                                                      \
    NEXT(2);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
#define PUTFIELD(Name)                                                                                                 \
  VVM_CASE(Name) {                                                                                                     \
    Object* o = sp[-2].ref;                                                                                            \
    NULL_CHECK(o);                                                                                                     \
    INSTANCE_CHECK(o, OPTR(1, const Shape*));                                                                          \
    slotsOf(o)[OPND(2)] = sp[-1];                                                                                      \
    sp -= 2;                                                                                                           \
    NEXT(2);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    GETFIELD(GetFieldI32)
    GETFIELD(GetFieldI64)
    GETFIELD(GetFieldF32)
    GETFIELD(GetFieldF64)
    GETFIELD(GetFieldRef)
    PUTFIELD(PutFieldI32)
    PUTFIELD(PutFieldI64)
    PUTFIELD(PutFieldF32)
    PUTFIELD(PutFieldF64) PUTFIELD(PutFieldRef) VVM_CASE(GetStaticI32) VVM_CASE(GetStaticI64) VVM_CASE(GetStaticF32)
        VVM_CASE(GetStaticF64) VVM_CASE(GetStaticRef) {
      *sp++ = *OPTR(1, const Value*);
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(PutStaticI32) VVM_CASE(PutStaticI64) VVM_CASE(PutStaticF32) VVM_CASE(PutStaticF64) VVM_CASE(PutStaticRef) {
      *OPTR(1, Value*) = *--sp;
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(InstanceOf) {
      Object* o = sp[-1].ref;
      const Shape* s = OPTR(1, const Shape*);
      sp[-1].setI32(o && (o->shape == s || o->shape->isSubshapeOf(s)) ? 1 : 0);
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(CheckCast) {
      Object* o = sp[-1].ref;
      if (o) INSTANCE_CHECK(o, OPTR(1, const Shape*));
      NEXT(1);
      VVM_DISPATCH();
    }

    // ---- arrays
    VVM_CASE(NewArray) {
      int32_t n = sp[-1].i32;
      if (n < 0) [[unlikely]]
        VVM_RAISE(VpMessage::NegativeSize, n);
      Elem e = static_cast<Elem>(OPND(1));
      Array* a = rt.newArray(e, n);
      if (!a) [[unlikely]]
        VVM_RAISE(VpMessage::HeapLimit, int64_t{n} * elemSize(e) + 16);
      sp[-1].ref = a;
      NEXT(1);
      VVM_DISPATCH();
    }
    VVM_CASE(ArrayLength) {
      Object* o = sp[-1].ref;
      NULL_CHECK(o);
      if (!o->shape->isArray()) [[unlikely]]
        VVM_RAISE(VpMessage::NotInstanceOf, describe(o), "an array");
      sp[-1].setI32(static_cast<int32_t>(static_cast<Array*>(o)->length));
      NEXT(0);
      VVM_DISPATCH();
    }
#define ALOAD(Name, E, CType, StackT)                                                                                  \
  VVM_CASE(Name) {                                                                                                     \
    ARRAY_ACCESS(-2, -1, ELEM_IS(E));                                                                                  \
    sp[-2].set(static_cast<StackT>(arr->data<CType>()[idx]));                                                          \
    --sp;                                                                                                              \
    NEXT(0);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    ALOAD(ALoadI8, I8, int8_t, int32_t)
    ALOAD(ALoadU16, U16, uint16_t, int32_t)
    ALOAD(ALoadI16, I16, int16_t, int32_t)
    ALOAD(ALoadI32, I32, int32_t, int32_t)
    ALOAD(ALoadI64, I64, int64_t, int64_t)
    ALOAD(ALoadF32, F32, float, float)
    ALOAD(ALoadF64, F64, double, double)
    ALOAD(ALoadRef, Ref, Object*, Object*)
#define ASTORE(Name, ok, CType, field)                                                                                 \
  VVM_CASE(Name) {                                                                                                     \
    ARRAY_ACCESS(-3, -2, ok);                                                                                          \
    arr->data<CType>()[idx] = static_cast<CType>(sp[-1].field);                                                        \
    sp -= 3;                                                                                                           \
    NEXT(0);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    ASTORE(AStoreI8, ELEM_IS(I8), int8_t, i32)
    ASTORE(AStoreI16, ELEM_IS(I16) || ELEM_IS(U16), int16_t, i32)
    ASTORE(AStoreI32, ELEM_IS(I32), int32_t, i32)
    ASTORE(AStoreI64, ELEM_IS(I64), int64_t, i64)
    ASTORE(AStoreF32, ELEM_IS(F32), float, f32)
    ASTORE(AStoreF64, ELEM_IS(F64), double, f64)
    ASTORE(AStoreRef, ELEM_IS(Ref), Object*, ref)

    // ---- calls
    VVM_CASE(Call) {
      callee = OPTR(1, Method*);
      fp->ip = ip + 2;
      args = sp - callee->paramCount();
      goto enter;
    }
// The target of a dispatch-slot call (operands: shape, slot), after checking the receiver.
#define VIRTUAL_CALLEE()                                                                                               \
  const Shape* s = OPTR(1, const Shape*);                                                                              \
  size_t slot = static_cast<size_t>(OPND(2));                                                                          \
  uint32_t n = s->vtable[slot]->paramCount();                                                                          \
  Object* recv = sp[-static_cast<ptrdiff_t>(n)].ref;                                                                   \
  NULL_CHECK(recv);                                                                                                    \
  INSTANCE_CHECK(recv, s);                                                                                             \
  callee = recv->shape->vtable[slot]
    VVM_CASE(CallVirt) {
      VIRTUAL_CALLEE();
      fp->ip = ip + 3;
      args = sp - n;
      goto enter;
    }
    // Tail calls: the callee's arguments move down to this frame's locals, the frame is popped,
    // and the callee is entered in its place (`enter` pushes it at the same depth).
    VVM_CASE(TailCall) {
      callee = OPTR(1, Method*);
      goto tail_call;
    }
    VVM_CASE(TailCallVirt) {
      VIRTUAL_CALLEE();
      goto tail_call;
    }
    tail_call : {
      uint32_t n = callee->paramCount();
      std::memmove(locals, sp - n, n * sizeof(Value));
      args = locals;
      --fp;
      goto enter;
    }
    VVM_CASE(CallPrim) {
      const Primitive* p = OPTR(1, const Primitive*);
      Value* pargs = sp - p->paramCount;
      fp->ip = ip + 2;
      t.fp = fp;
      if (!p->fn(t, pargs)) [[unlikely]]
        goto unwind;
      sp = pargs + p->returnsValue;
      NEXT(1);
      VVM_DISPATCH();
    }

    // ---- returns: the callee's frame started where its arguments were
    // The callee's frame started where its arguments were: the result goes there.
    VVM_CASE(Ret) {
      sp = locals;
      RETURN_TO_CALLER();
    }
    VVM_CASE(RetI32) VVM_CASE(RetI64) VVM_CASE(RetF32) VVM_CASE(RetF64) VVM_CASE(RetRef) {
      locals[0] = sp[-1];
      sp = locals + 1;
      RETURN_TO_CALLER();
    }

    // ---- exceptions
    // `resume` re-raises the token its cleanup handler received; the trace table keeps the
    // walkback of where the exception was first raised.
    VVM_CASE(Throw) VVM_CASE(Resume) {
      Object* exc = sp[-1].ref;
      if (!exc) VVM_RAISE(VpMessage::ThrowNull);
      fp->ip = ip + 1;
      t.fp = fp;
      t.throwObject(exc);
      goto unwind;
    }

    // ---- superinstructions (Superinstructions.def): operands are the components', in order
#define SUPER_BINOP(Op, field, CType, expr)                                                                            \
  VVM_CASE(Op##_lls) {                                                                                                 \
    auto a = locals[OPND(1)].field;                                                                                    \
    auto b = locals[OPND(2)].field;                                                                                    \
    locals[OPND(3)].set(expr);                                                                                         \
    NEXT(3);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }                                                                                                                    \
  VVM_CASE(Op##_lks) {                                                                                                 \
    auto a = locals[OPND(1)].field;                                                                                    \
    auto b = constant<CType>(ip[2]);                                                                                   \
    locals[OPND(3)].set(expr);                                                                                         \
    NEXT(3);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }                                                                                                                    \
  VVM_CASE(Op##_ll) {                                                                                                  \
    auto a = locals[OPND(1)].field;                                                                                    \
    auto b = locals[OPND(2)].field;                                                                                    \
    (sp++)->set(expr);                                                                                                 \
    NEXT(2);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }                                                                                                                    \
  VVM_CASE(Op##_lk) {                                                                                                  \
    auto a = locals[OPND(1)].field;                                                                                    \
    auto b = constant<CType>(ip[2]);                                                                                   \
    (sp++)->set(expr);                                                                                                 \
    NEXT(2);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }                                                                                                                    \
  VVM_CASE(Op##_s) {                                                                                                   \
    auto a = sp[-2].field;                                                                                             \
    auto b = sp[-1].field;                                                                                             \
    sp -= 2;                                                                                                           \
    locals[OPND(1)].set(expr);                                                                                         \
    NEXT(1);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    SUPER_BINOP(AddI32, i32, int32_t, arith::add32(a, b))
    SUPER_BINOP(SubI32, i32, int32_t, arith::sub32(a, b))
    SUPER_BINOP(MulI32, i32, int32_t, arith::mul32(a, b))
    SUPER_BINOP(AndI32, i32, int32_t, a & b)
    SUPER_BINOP(OrI32, i32, int32_t, a | b)
    SUPER_BINOP(XorI32, i32, int32_t, a ^ b)
    SUPER_BINOP(ShlI32, i32, int32_t, arith::shl32(a, b))
    SUPER_BINOP(ShrI32, i32, int32_t, arith::shr32(a, b))
    SUPER_BINOP(UshrI32, i32, int32_t, arith::ushr32(a, b))
    SUPER_BINOP(AddI64, i64, int64_t, arith::add64(a, b))
    SUPER_BINOP(SubI64, i64, int64_t, arith::sub64(a, b))
    SUPER_BINOP(MulI64, i64, int64_t, arith::mul64(a, b))
    SUPER_BINOP(AddF64, f64, double, a + b)
    SUPER_BINOP(SubF64, f64, double, a - b)
    SUPER_BINOP(MulF64, f64, double, a* b)
    SUPER_BINOP(DivF64, f64, double, a / b)

#define SUPER_IF(Cc, cond)                                                                                             \
  VVM_CASE(If##Cc##I32_ll) {                                                                                           \
    int32_t a = locals[OPND(1)].i32;                                                                                   \
    int32_t b = locals[OPND(2)].i32;                                                                                   \
    if (cond) BRANCH_TO(ip[3].target);                                                                                 \
    NEXT(3);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }                                                                                                                    \
  VVM_CASE(If##Cc##I32_lk) {                                                                                           \
    int32_t a = locals[OPND(1)].i32;                                                                                   \
    int32_t b = static_cast<int32_t>(OPND(2));                                                                         \
    if (cond) BRANCH_TO(ip[3].target);                                                                                 \
    NEXT(3);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }                                                                                                                    \
  VVM_CASE(Ifz##Cc##_l) {                                                                                              \
    int32_t a = locals[OPND(1)].i32;                                                                                   \
    int32_t b = 0;                                                                                                     \
    if (cond) BRANCH_TO(ip[2].target);                                                                                 \
    NEXT(2);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    SUPER_IF(Eq, a == b)
    SUPER_IF(Ne, a != b)
    SUPER_IF(Lt, a < b)
    SUPER_IF(Ge, a >= b)
    SUPER_IF(Gt, a > b)
    SUPER_IF(Le, a <= b)

#define SUPER_GETFIELD(Name)                                                                                           \
  VVM_CASE(Name##_l) {                                                                                                 \
    Object* o = locals[OPND(1)].ref;                                                                                   \
    NULL_CHECK(o);                                                                                                     \
    INSTANCE_CHECK(o, OPTR(2, const Shape*));                                                                          \
    *sp++ = slotsOf(o)[OPND(3)];                                                                                       \
    NEXT(3);                                                                                                           \
    VVM_DISPATCH();                                                                                                    \
  }
    SUPER_GETFIELD(GetFieldI32)
    SUPER_GETFIELD(GetFieldI64)
    SUPER_GETFIELD(GetFieldF64)
    SUPER_GETFIELD(GetFieldRef)

    VVM_CASE(Load2) {
      sp[0] = locals[OPND(1)];
      sp[1] = locals[OPND(2)];
      sp += 2;
      NEXT(2);
      VVM_DISPATCH();
    }
    VVM_CASE(IncJmp) {
      Value& v = locals[OPND(1)];
      v.setI32(arith::add32(v.i32, static_cast<int32_t>(OPND(2))));
      BRANCH_TO(ip[3].target);
    }
    VVM_CASE(LoadRet) {
      locals[0] = locals[OPND(1)];
      sp = locals + 1;
      RETURN_TO_CALLER();
    }

    // ---- internal
    VVM_CASE(LinkStub) {
      ip = detail::linkOnEntry(method);
      VVM_DISPATCH();
    }
    VVM_CASE(EnterNative) {
      // `enter` pushed a frame for a compiled method; its native code pushes its own, so pop
      // this one and run the native code on the arguments where they are.
      --fp;
      t.fp = fp;
      if (method->native.load(std::memory_order_acquire)->boxed(&t, locals) != kNativeOk) goto unwind;
      sp = locals + (method->sig.ret != Kind::Void);
      ip = fp->ip;
      locals = fp->locals;
      method = fp->method;
      VVM_DISPATCH();
    }
    VVM_CASE(ExitInterp) {
      // fp is this activation's bottom frame; the value returned sits just below sp.
      if (entryReturns && result) *result = sp[-1];
      t.fp = fp - 1;
      return Status::Ok;
    }

#if !VVM_COMPUTED_GOTO
  case HandlerId::Count: break;
  }
  VVM_UNREACHABLE("bad opcode in threaded code");
#endif

  // clang-format on

enter : {
  // Push a frame for `callee` whose arguments start at `args`.
  if (fp + 1 >= t.frameEnd) [[unlikely]] {
    t.fp = fp;
    rt.raise(t, VpMessage::StackDepth, rt.config().maxFrames);
    goto unwind;
  }
  if (args + callee->frameSize > t.stackEnd) [[unlikely]] {
    t.fp = fp;
    rt.raise(t, VpMessage::StackSpace, rt.config().stackSlots);
    goto unwind;
  }
  ++fp;
  fp->method = callee;
  fp->locals = args;
  t.fp = fp;
  locals = args;
  method = callee;
  uint32_t nlocals = static_cast<uint32_t>(callee->locals.size());
  for (uint32_t i = callee->paramCount(); i < nlocals; ++i) locals[i].i64 = 0;
  sp = locals + nlocals;
  uint32_t h = callee->hotness.load(std::memory_order_relaxed) + 1;
  callee->hotness.store(h, std::memory_order_relaxed);
  if (h == threshold) [[unlikely]]
    detail::tierUp(t, callee); // an eager JIT installs the compiled entry before we read it
  ip = callee->entry.load(std::memory_order_acquire);
  VVM_DISPATCH();
}

unwind : {
  detail::Unwound u = detail::unwind(t);
  if (!u.ip) {
    // The exception leaves this activation: t.fp is back below its bottom frame.
    return Status::Exception;
  }
  fp = u.fp;
  sp = u.sp;
  ip = u.ip;
  method = fp->method;
  locals = fp->locals;
  VVM_DISPATCH();
}
}

const void* handlerFor(HandlerId id) {
#if VVM_COMPUTED_GOTO
  return detail::handlerTable()[static_cast<size_t>(id)];
#else
  return reinterpret_cast<const void*>(static_cast<uintptr_t>(id));
#endif
}

std::string_view handlerName(HandlerId id) {
  static constexpr std::string_view kNames[] = {
#define VVM_OP(Name, Text, Operands, Effect, Flags) Text,
#include "core/ir/Instructions.def"
#define VVM_SUPER(Name, Text, ...) Text,
#include "core/interp/Superinstructions.def"
  };
  return kNames[static_cast<size_t>(id)];
}

const void* const* detail::handlerTable() {
  if (!gTable) run(nullptr, nullptr, nullptr, nullptr);
  return gTable;
}

Status invoke(Thread& t, Method* m, const Value* args, Value* result) {
  Value* base = t.top();
  if (base + m->paramCount() <= t.stackEnd)
    for (uint32_t i = 0; i < m->paramCount(); ++i) base[i] = args[i];
  return invokeAt(t, m, base, result);
}

Status invokeAt(Thread& t, Method* m, Value* base, Value* result) {
  if (t.fp + 2 >= t.frameEnd || t.nativeStackLow()) {
    t.rt.raise(t, VpMessage::StackDepth, t.rt.config().maxFrames);
    return Status::Exception;
  }
  if (base + m->frameSize + 1 > t.stackEnd) {
    t.rt.raise(t, VpMessage::StackSpace, t.rt.config().stackSlots);
    return Status::Exception;
  }
  // The activation's bottom frame: returning into it runs ExitInterp.
  Frame* bottom = t.fp + 1;
  bottom->method = nullptr;
  bottom->ip = detail::exitCode();
  bottom->locals = base;
  t.fp = bottom;
  return run(&t, m, base, result);
}

} // namespace vvm::core
