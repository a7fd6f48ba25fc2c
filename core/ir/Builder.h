// The IR builder: how translators (and tests) make VP methods in code. Labels may be used before
// they are bound; finish() resolves them and reports what is missing. The result still has to
// pass the verifier before it can run.
#pragma once

#include "core/ir/Method.h"

#include <string>
#include <utility>
#include <vector>

namespace vvm::core {

/// A branch target inside one builder.
struct Label {
  uint32_t id = UINT32_MAX;
};

class Builder {
public:
  /// Builds into `m`, which must have its signature set; its locals start as its parameters.
  explicit Builder(Method& m);

  /// Declares one more local and returns its index.
  uint32_t addLocal(Kind kind);
  /// Source position recorded on the instructions emitted from now on.
  void setLine(uint32_t line) { line_ = line; }
  void setPosition(uint32_t line, uint16_t col) {
    line_ = line;
    col_ = col;
  }

  Label newLabel();
  /// Binds `l` to the next instruction emitted (or to the end, if none follows).
  void bind(Label l);
  /// Where `l` is bound, or UINT32_MAX while it is not.
  uint32_t boundAt(Label l) const { return bound_[l.id]; }

  /// Emits an instruction with its operand words (see Insn); not for branches or switches.
  Builder& emit(Op op, int64_t a = 0, int64_t b = 0);
  Builder& constI32(int32_t v) { return emit(Op::ConstI32, v); }
  Builder& constI64(int64_t v) { return emit(Op::ConstI64, v); }
  Builder& constF32(float v);
  Builder& constF64(double v);
  /// Emits a branch instruction (jmp, ifz.*, if.*) to `target`.
  Builder& branch(Op op, Label target);
  Builder& tableSwitch(int32_t low, Label otherwise, const std::vector<Label>& targets);
  Builder& lookupSwitch(Label otherwise, std::vector<std::pair<int32_t, Label>> cases);
  /// Protects [start, end) with a handler at `target` (catch `shape`, or any when null), or a
  /// cleanup handler.
  void addHandler(Label start, Label end, Label target, const Shape* shape, bool cleanup = false);

  /// Resolves labels. Returns false and sets `error` if a used label was never bound.
  bool finish(std::string& error);

private:
  struct LabelUse {
    enum Where : uint8_t { InsnA, SwitchDefault, SwitchTarget, HandlerStart, HandlerEnd, HandlerTarget } where;
    uint32_t index; ///< instruction, switch table or handler
    uint32_t entry; ///< switch entry
    Label label;
  };
  void use(LabelUse::Where where, uint32_t index, uint32_t entry, Label l);

  Method& m_;
  uint32_t line_ = 0;
  uint16_t col_ = 0;
  std::vector<uint32_t> bound_; ///< label id -> instruction index, or UINT32_MAX
  std::vector<LabelUse> uses_;
};

} // namespace vvm::core
