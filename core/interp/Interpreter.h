// The direct-threaded interpreter's interface (DESIGN §2). The loop itself is in
// Interpreter.cpp; linking to threaded code in Link.cpp; unwinding in InterpreterSlow.cpp.
#pragma once

#include "core/ir/Method.h"
#include "core/object/Object.h"

namespace vvm::core {

class Thread;
struct Frame;

/// Outcome of running VP code: normal return, or an exception pending in the thread.
enum class Status : uint8_t { Ok, Exception };

/// Calls a verified method with `args` (one Value per parameter). On Ok, *result holds the
/// return value (when the method returns one and result is not null).
Status invoke(Thread& t, Method* m, const Value* args, Value* result);
/// Like invoke, for arguments already in VP slots at `base`: where the caller's operand stack
/// holds them, as for an interpreted call (compiled code calling interpreted code). The
/// result is also left in base[0].
Status invokeAt(Thread& t, Method* m, Value* base, Value* result);

/// Makes a verified method callable: sizes its frame and points its entry at the link stub,
/// so it is linked to threaded code on its first call.
void prepare(Method& m);

/// Links a method's IR to threaded code now (normally done lazily on the first call).
void link(Method& m);

/// The threaded-code word that dispatches to `op`.
const void* handlerFor(Op op);

namespace detail {
/// Result of unwinding: where to continue, or ip == nullptr when the exception leaves this
/// interpreter activation through its bottom frame.
struct Unwound {
  const Code* ip;
  Frame* fp;
  Value* sp;
};
/// Searches handler tables from the innermost frame outwards (DESIGN §2, Unwinding).
Unwound unwind(Thread& t);
/// The interpreter's dispatch table (filled on first use).
const void* const* handlerTable();
/// Shared code words: a not-yet-linked method's entry, and an activation's exit.
const Code* linkStubCode();
const Code* exitCode();
/// The entry of every compiled method: runs its NativeCode (EnterNative).
const Code* enterNativeCode();
/// The method the link stub was entered for is linked; returns its code.
const Code* linkOnEntry(Method* m);
/// A method crossed its tier-up threshold (and, at back edges, keeps asking): tells the JIT.
/// Returns the method's compiled code once it exists.
const NativeCode* tierUp(Thread& t, Method* m);
} // namespace detail

} // namespace vvm::core
