// A method's VP code: the instruction stream with inline operands, typed locals, handler and
// switch tables, the map back to source lines, and the interpreter's linked form.
#pragma once

#include "core/ir/Kinds.h"
#include "core/ir/Opcode.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace vvm::core {

struct Shape;
struct NativeCode;
class Module;

/// Parameter kinds and return kind.
struct Signature {
  std::vector<Kind> params;
  Kind ret = Kind::Void;
  bool operator==(const Signature&) const = default;
};

/// One IR instruction. Operand words a and b are interpreted per OperandKind: immediates (floats
/// as their bit patterns), local indices, label = instruction index, pointers to Method, Shape,
/// static cell, string object or primitive, and for fields/vslots (shape, slot index).
struct Insn {
  Op op = Op::Nop;
  uint16_t col = 0;  ///< source column, for diagnostics
  uint32_t line = 0; ///< source line (.vp line or the language's own line number)
  int64_t a = 0;
  int64_t b = 0;
};

/// A protected range [start, end) of instruction indices and its handler. A catch handler
/// matches exceptions that are instances of `shape` (null: any exception); a cleanup handler
/// runs for every unwind through the range and ends with `resume`.
struct Handler {
  uint32_t start = 0;
  uint32_t end = 0;
  uint32_t target = 0;
  const Shape* shape = nullptr;
  bool cleanup = false;
};

/// tableswitch: keys are low, low+1, ...; lookupswitch: keys sorted ascending.
struct SwitchTable {
  bool dense = true;
  int32_t low = 0;
  std::vector<int32_t> keys; ///< lookupswitch only
  std::vector<uint32_t> targets;
  uint32_t defaultTarget = 0;
};

/// One word of linked (threaded) code: a handler address (or opcode number when computed goto
/// is off) followed by the instruction's operand words, with labels resolved to code pointers.
union Code {
  const void* handler;
  uintptr_t opcode;
  int64_t i;
  const Code* target;
  const void* ptr;
};
static_assert(sizeof(Code) == 8);

/// A VP method.
struct Method {
  std::string name;
  Module* module = nullptr;
  Signature sig;
  std::vector<Kind> locals; ///< parameters first, then the other locals
  std::vector<Insn> code;
  std::vector<Handler> handlers;
  std::vector<SwitchTable> switches;
  uint32_t maxStack = 0; ///< set by the verifier
  uint32_t line = 0;     ///< where the method is defined
  bool verified = false;

  // ---- interpreter state
  /// Where a call enters: the link stub, then the linked code, then (once compiled) the
  /// EnterNative stub. Written under the link lock or by the JIT, read by every call.
  std::atomic<const Code*> entry{nullptr};
  std::vector<Code> linked;         ///< threaded code; stable once linked
  std::vector<uint32_t> insnOffset; ///< IR index -> word offset in `linked`
  uint32_t frameSize = 0;           ///< locals + maxStack
  std::atomic<uint32_t> hotness{0}; ///< invocation + loop counter toward tier-up (wraps)

  // ---- compiled code (jit/): published once, with release order, never replaced
  std::atomic<NativeCode*> native{nullptr};
  /// The typed native entry (see NativeCode::fast), or null. Compiled callers load it from
  /// here and fall back to the interpreter while it is null.
  std::atomic<void*> fastEntry{nullptr};
  /// Times the interpreter continued this method in compiled code at a loop (OSR).
  std::atomic<uint32_t> osrEntries{0};
  /// The JIT's bookkeeping: not yet asked, queued, compiled, failed (stays interpreted).
  enum class Tier : uint8_t { Interpreted, Queued, Compiled, Failed };
  std::atomic<Tier> tier{Tier::Interpreted};

  uint32_t paramCount() const { return static_cast<uint32_t>(sig.params.size()); }
  /// Maps a position in linked code back to its IR instruction index.
  uint32_t insnIndexAt(const Code* ip) const;
  /// The IR index of a branch target (the first instruction of the group at `target`).
  uint32_t insnIndexOfTarget(const Code* target) const;
  /// Source line of the instruction containing `ip`.
  uint32_t lineAt(const Code* ip) const;
};

class Thread;
union Value;

/// What native entries return (the status convention of DESIGN §3: no C++ exception crosses
/// compiled code): done, or an exception is pending in the thread, or (OSR only) the code has
/// no entry at that instruction and the interpreter goes on.
enum : uint32_t { kNativeOk = 0, kNativeException = 1, kOsrNotEntered = 2 };

/// A method's native code, made by the JIT (DESIGN §3).
struct NativeCode {
  /// Runs the method with its arguments in the VP slots at `base` (its frame starts there),
  /// pushing and popping its own frame, and leaves the result (if any) in base[0].
  uint32_t (*boxed)(Thread* t, Value* base) = nullptr;
  /// On-stack replacement: continues the interpreter's frame t->fp (this method's) at the
  /// back-edge target `insn`, with locals and operand stack read from the frame. The frame
  /// stays pushed: on kNativeOk the result is in its locals[0]; on kNativeException the
  /// unwind starts there. Null when the method has no loop.
  uint32_t (*osr)(Thread* t, uint32_t insn) = nullptr;
  /// R fast(Thread*, Frame* caller, Value* base, P0, P1, ...): the typed entry compiled
  /// callers use; `caller` is t->fp, passed in a register.
  void* fast = nullptr;
  size_t codeBytes = 0; ///< machine code size
};

/// Marks the instruction indices [0, code.size()] that code or a handler table names: branch and
/// switch targets, handler targets and handler range ends. Only these need labels in text,
/// only these can be reached other than by falling through, and a superinstruction must not
/// swallow one. The method's operands must be in range (as the verifier checks).
std::vector<bool> labelledInstructions(const Method& m);

} // namespace vvm::core
