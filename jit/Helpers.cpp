// The runtime helpers compiled code calls (Helpers.def). They do what the interpreter does in
// the same situation, with the same messages, so that a program behaves identically whichever
// tier runs it.
#include "jit/Helpers.h"

#include "core/interp/Interpreter.h"
#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/support/Assert.h"

#include <string>

using namespace vvm::core;

extern "C" {

void vvm_rt_raise(Thread* t, Method* m, uint32_t insn, uint32_t msg, int64_t a, int64_t b) {
  Runtime& rt = t->rt;
  auto message = static_cast<VpMessage>(msg);
  auto asObject = [](int64_t v) { return reinterpret_cast<Object*>(static_cast<uintptr_t>(v)); };
  switch (message) {
  case VpMessage::DivideByZero:
  case VpMessage::ThrowNull: rt.raise(*t, message); return;
  case VpMessage::NullIn: rt.raise(*t, message, info(m->code[insn].op).name); return;
  case VpMessage::IndexOutOfBounds: rt.raise(*t, message, static_cast<int32_t>(a), b); return;
  case VpMessage::NegativeSize: rt.raise(*t, message, static_cast<int32_t>(a)); return;
  case VpMessage::NotInstanceOf: {
    const auto* shape = reinterpret_cast<const Shape*>(static_cast<uintptr_t>(b));
    rt.raise(*t, message, Runtime::describeObject(asObject(a)), shape ? shape->name : std::string("an array"));
    return;
  }
  case VpMessage::NotArrayOf: {
    Elem e = elemFromName(mnemonicSuffix(m->code[insn].op)).value_or(Elem::Ref);
    rt.raise(*t, message, Runtime::describeObject(asObject(a)), elemName(e));
    return;
  }
  case VpMessage::StackDepth: rt.raise(*t, message, rt.config().maxFrames); return;
  case VpMessage::StackSpace: rt.raise(*t, message, rt.config().stackSlots); return;
  case VpMessage::HeapLimit: rt.raise(*t, message, a); return;
  case VpMessage::NotANumber: break;
  }
  VVM_UNREACHABLE("compiled code raised a message it never raises");
}

void vvm_rt_throw(Thread* t, Object* exc) { t->throwObject(exc); }

Object* vvm_rt_new(Thread* t, const Shape* shape) {
  Object* o = t->rt.newObject(shape);
  if (!o) [[unlikely]]
    t->rt.raise(*t, VpMessage::HeapLimit, shape->instanceBytes());
  return o;
}

Array* vvm_rt_new_array(Thread* t, uint32_t elem, int64_t n) {
  auto e = static_cast<Elem>(elem);
  Array* a = t->rt.newArray(e, n);
  if (!a) [[unlikely]]
    t->rt.raise(*t, VpMessage::HeapLimit, n * elemSize(e) + 16);
  return a;
}

int32_t vvm_rt_is_subshape(const Shape* s, const Shape* target) { return s == target || s->isSubshapeOf(target); }

uint32_t vvm_rt_call(Thread* t, Method* m, Value* base) {
  const NativeCode* nc = m->native.load(std::memory_order_acquire);
  if (!nc && t->rt.tierUpHook) {
    // Count the call as the interpreter would. Past the threshold the tier may compile the
    // method right here (eager mode): then it runs native without an interpreter activation,
    // whose bottom frame would count against the depth limit.
    uint32_t h = m->hotness.load(std::memory_order_relaxed) + 1;
    m->hotness.store(h, std::memory_order_relaxed);
    if (h >= t->rt.config().tierThreshold) nc = detail::tierUp(*t, m);
  }
  if (nc) return nc->boxed(t, base);
  return invokeAt(*t, m, base, nullptr) == Status::Ok ? kNativeOk : kNativeException;
}

Method* vvm_rt_vlookup(Object* recv, int64_t slot, vvm::jit::InlineCache* ic) {
  Method* target = recv->shape->vtable[static_cast<size_t>(slot)];
  void* fast = target->fastEntry.load(std::memory_order_acquire);
  if (!fast) return target;
  // Only this thread reads the cache while it changes: compiled code runs on VP threads, and
  // there is one today. Write the entry first so a reader that sees the shape sees it too.
  unsigned k = 0;
  while (k < vvm::jit::InlineCache::kEntries && ic->shape[k] && ic->shape[k] != recv->shape) ++k;
  if (k == vvm::jit::InlineCache::kEntries) k = ic->next++ % vvm::jit::InlineCache::kEntries;
  ic->shape[k] = nullptr;
  std::atomic_signal_fence(std::memory_order_release);
  ic->fast[k] = fast;
  std::atomic_signal_fence(std::memory_order_release);
  ic->shape[k] = recv->shape;
  return target;
}

void* vvm_rt_fast_entry(Method* m) { return m->fastEntry.load(std::memory_order_acquire); }

} // extern "C"

namespace vvm::jit {

std::span<const HelperSymbol> helperSymbols() {
  static const HelperSymbol kSymbols[] = {
#define VVM_HELPER(Name, Signature, Doc) {#Name, reinterpret_cast<void*>(&Name), Signature},
#include "jit/Helpers.def"
  };
  return kSymbols;
}

} // namespace vvm::jit
