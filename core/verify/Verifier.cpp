// Abstract interpretation of a method's typed operand stack over its control-flow graph,
// driven by the stack-effect column of the instruction table.
#include "core/verify/Verifier.h"

#include "core/ir/Module.h"
#include "core/object/Object.h"
#include "core/prims/Primitive.h"

#include <fmt/format.h>

#include <array>
#include <optional>

namespace vvm::core {
namespace {

/// A parsed stack-effect string.
struct Effect {
  bool dynamic = false;
  std::string pops;   ///< bottom to top
  std::string pushes; ///< bottom to top
};

const std::array<Effect, kOpCount>& effects() {
  static const std::array<Effect, kOpCount> table = [] {
    std::array<Effect, kOpCount> t{};
    for (size_t i = 0; i < kOpCount; ++i) {
      std::string_view e = kOpInfo[i].effect;
      if (e == "*") {
        t[i].dynamic = true;
        continue;
      }
      auto gt = e.find('>');
      if (gt == std::string_view::npos) continue; // "" : no effect
      t[i].pops = std::string(e.substr(0, gt));
      t[i].pushes = std::string(e.substr(gt + 1));
    }
    return t;
  }();
  return table;
}

using Stack = std::vector<Kind>;

/// The stack for a message, bottom to top. Only the top 16 values are listed: the stack can
/// be 65535 deep, and a message should stay a line.
std::string showStack(const Stack& s) {
  constexpr size_t kShown = 16;
  std::string out = "[";
  size_t from = s.size() > kShown ? s.size() - kShown : 0;
  if (from) out += fmt::format("...{} more", from);
  for (size_t i = from; i < s.size(); ++i) {
    if (i) out += ' ';
    out += kindName(s[i]);
  }
  return out + "]";
}

/// A name for a message, cut short if long (names are checked by whoever made the IR).
std::string shortName(std::string_view n) {
  return n.size() > 48 ? std::string(n.substr(0, 48)) + "..." : std::string(n);
}

/// Budget of the flow analysis, in stack slots stored or compared at control-flow joins: a
/// base, and more for each instruction and switch target. Straight-line code costs nothing,
/// but a deep stack at many branch targets would cost their product in time and memory (a
/// few MB of code could ask for many GB); ordinary code stays far below.
constexpr uint64_t kFlowBudgetBase = uint64_t{1} << 22;
constexpr uint64_t kFlowBudgetPerInsn = 256;

class MethodVerifier {
public:
  MethodVerifier(Method& m, Diagnostics& diags, std::string_view file, const std::vector<std::string>* lines)
      : m_(m), diags_(diags), file_(file), lines_(lines) {}

  bool run() {
    size_t before = diags_.count();
    checkShape();
    if (diags_.count() != before) return false;
    for (size_t i = 0; i < m_.code.size(); ++i) checkOperands(static_cast<uint32_t>(i));
    if (diags_.count() != before) return false;
    flow();
    if (diags_.count() != before) return false;
    m_.maxStack = maxStack_;
    m_.verified = true;
    return true;
  }

private:
  void error(uint32_t insn, std::string msg) {
    if (diags_.full()) return diags_.countOnly();
    uint32_t line = m_.line, col = 0;
    if (insn < m_.code.size()) {
      line = m_.code[insn].line;
      col = m_.code[insn].col;
    }
    std::string src;
    if (lines_ && line >= 1 && line <= lines_->size()) {
      src = (*lines_)[line - 1];
      // A problem of the whole method points at its definition's first word.
      if (!col) col = static_cast<uint32_t>(std::min(src.find_first_not_of(" \t"), src.size())) + 1;
    }
    diags_.error(std::string(file_), line, col, fmt::format("in method '{}': {}", shortName(m_.name), msg), src);
  }

  void checkShape() {
    const uint32_t none = UINT32_MAX;
    if (m_.code.empty()) return error(none, "method has no instructions");
    if (m_.code.size() > kMaxInsns) return error(none, fmt::format("more than {} instructions", kMaxInsns));
    if (m_.locals.size() > kMaxLocals) return error(none, fmt::format("more than {} locals", kMaxLocals));
    if (m_.locals.size() < m_.sig.params.size()) return error(none, "fewer locals than parameters");
    for (size_t i = 0; i < m_.sig.params.size(); ++i)
      if (m_.locals[i] != m_.sig.params[i])
        return error(none, fmt::format("local {} does not match parameter kind", i));
    for (Kind k : m_.locals)
      if (k == Kind::Void) return error(none, "a local or parameter cannot be void");
    for (const Handler& h : m_.handlers) {
      if (h.start >= h.end || h.end > m_.code.size() || h.target >= m_.code.size())
        return error(none,
                     fmt::format("handler range [{}, {}) -> {} is not within the method", h.start, h.end, h.target));
    }
  }

  bool labelOk(int64_t l) const { return l >= 0 && static_cast<uint64_t>(l) < m_.code.size(); }

  void checkOperands(uint32_t i) {
    const Insn& in = m_.code[i];
    if (static_cast<size_t>(in.op) >= kOpCount) return error(i, "invalid opcode");
    const OpInfo& oi = info(in.op);
    if (oi.flags & Internal)
      return error(i, fmt::format("'{}' is interpreter-internal and cannot appear in code", oi.name));
    const int64_t words[2] = {in.a, in.b};
    unsigned w = 0;
    for (char letter : oi.operands) {
      OperandKind kind = *operandKindFromLetter(letter);
      int64_t v = words[w];
      switch (kind) {
      case OperandKind::I32:
        if (v < INT32_MIN || v > INT32_MAX) error(i, fmt::format("immediate {} does not fit in i32", v));
        break;
      case OperandKind::F32:
        if (v < 0 || v > UINT32_MAX) error(i, "bad f32 immediate bit pattern");
        break;
      case OperandKind::Local:
        if (v < 0 || static_cast<uint64_t>(v) >= m_.locals.size())
          error(i, fmt::format("local {} does not exist (the method has {} local{})", v, m_.locals.size(),
                               m_.locals.size() == 1 ? "" : "s"));
        else if (m_.locals[static_cast<size_t>(v)] != suffixKind(in.op))
          error(i, fmt::format("{} needs an {} local but local {} is {}", oi.name, kindName(suffixKind(in.op)), v,
                               kindName(m_.locals[static_cast<size_t>(v)])));
        break;
      case OperandKind::Label:
        if (!labelOk(v)) error(i, fmt::format("branch target {} is not an instruction of this method", v));
        break;
      case OperandKind::Switch: {
        if (v < 0 || static_cast<uint64_t>(v) >= m_.switches.size()) {
          error(i, "switch table index out of range");
          break;
        }
        const SwitchTable& sw = m_.switches[static_cast<size_t>(v)];
        if (!labelOk(sw.defaultTarget)) error(i, "switch default target out of range");
        for (uint32_t t : sw.targets)
          if (!labelOk(t)) error(i, "switch target out of range");
        if (sw.dense != (in.op == Op::TableSwitch)) error(i, "switch table kind does not match the instruction");
        if (sw.dense && static_cast<int64_t>(sw.low) + static_cast<int64_t>(sw.targets.size()) - 1 > INT32_MAX)
          error(i, "tableswitch range exceeds i32");
        if (!sw.dense) {
          if (sw.keys.size() != sw.targets.size()) error(i, "lookupswitch keys and targets differ in number");
          for (size_t k = 1; k < sw.keys.size(); ++k)
            if (sw.keys[k - 1] >= sw.keys[k]) {
              error(i, "lookupswitch keys must be strictly ascending");
              break;
            }
        }
        break;
      }
      case OperandKind::Method:
        if (!v) error(i, "call without a target method");
        break;
      case OperandKind::VSlot: {
        auto* s = reinterpret_cast<const Shape*>(v);
        int64_t slot = words[w + 1];
        if (!s || slot < 0 || static_cast<uint64_t>(slot) >= s->vtable.size() || !s->vtable[static_cast<size_t>(slot)])
          error(i, "dispatch slot does not exist");
        else if (s->vtable[static_cast<size_t>(slot)]->sig.params.empty() ||
                 s->vtable[static_cast<size_t>(slot)]->sig.params[0] != Kind::Ref)
          error(i, "a dispatch-slot method must take its receiver (ref) first");
        break;
      }
      case OperandKind::Field: {
        auto* s = reinterpret_cast<const Shape*>(v);
        int64_t slot = words[w + 1];
        if (!s || s->isArray() || slot < 0 || static_cast<uint64_t>(slot) >= s->fields.size())
          error(i, "field does not exist");
        else if (s->fields[static_cast<size_t>(slot)].kind != suffixKind(in.op))
          error(i, fmt::format("{} used on field '{}' of kind {}", oi.name,
                               shortName(s->fields[static_cast<size_t>(slot)].name),
                               kindName(s->fields[static_cast<size_t>(slot)].kind)));
        break;
      }
      case OperandKind::Static: {
        auto* cell = reinterpret_cast<const Value*>(v);
        const StaticInfo* si = cell && m_.module ? m_.module->staticForCell(cell) : nullptr;
        if (!si)
          error(i, "static does not exist");
        else if (si->kind != suffixKind(in.op))
          error(i, fmt::format("{} used on static '{}' of kind {}", oi.name, shortName(si->name), kindName(si->kind)));
        break;
      }
      case OperandKind::Shape: {
        auto* s = reinterpret_cast<const Shape*>(v);
        if (!s)
          error(i, "missing shape");
        else if (in.op == Op::New && s->isArray())
          error(i, fmt::format("'new' cannot make array shape {}; use newarray", shortName(s->name)));
        break;
      }
      case OperandKind::Elem:
        if (v < 0 || v >= static_cast<int64_t>(Elem::None)) error(i, "bad element kind");
        break;
      case OperandKind::String:
      case OperandKind::Prim:
        if (!v) error(i, "missing operand");
        break;
      case OperandKind::I64:
      case OperandKind::F64: break;
      }
      w += operandWords(kind);
    }
  }

  /// The callee signature of a call instruction.
  const Signature& calleeSig(const Insn& in) {
    switch (in.op) {
    case Op::Call:
    case Op::TailCall: return reinterpret_cast<const Method*>(in.a)->sig;
    case Op::CallVirt:
    case Op::TailCallVirt: return reinterpret_cast<const Shape*>(in.a)->vtable[static_cast<size_t>(in.b)]->sig;
    default: return reinterpret_cast<const Primitive*>(in.a)->sig;
    }
  }

  /// The instruction for a message: its mnemonic, and for a call what it calls.
  std::string what(const Insn& in) {
    std::string_view name = info(in.op).name;
    switch (in.op) {
    case Op::Call:
    case Op::TailCall: return fmt::format("{} {}", name, shortName(reinterpret_cast<const Method*>(in.a)->name));
    case Op::CallVirt:
    case Op::TailCallVirt: {
      auto* s = reinterpret_cast<const Shape*>(in.a);
      auto slot = static_cast<size_t>(in.b);
      return fmt::format("{} {}.{}", name, shortName(s->name),
                         slot < s->vslotNames.size() ? shortName(s->vslotNames[slot]) : std::to_string(slot));
    }
    case Op::CallPrim: return fmt::format("{} {}", name, reinterpret_cast<const Primitive*>(in.a)->name);
    default: return std::string(name);
    }
  }

  /// Applies instruction i to `s`; false after reporting an error.
  bool apply(uint32_t i, Stack& s) {
    const Insn& in = m_.code[i];
    const Effect& e = effects()[static_cast<size_t>(in.op)];
    std::string pops = e.pops, pushes = e.pushes;
    if (e.dynamic) {
      const Signature& sig = calleeSig(in);
      pops.clear();
      for (Kind k : sig.params) pops += kindLetter(k);
      if (sig.ret != Kind::Void) pushes = std::string(1, kindLetter(sig.ret));
      if (in.op == Op::TailCall || in.op == Op::TailCallVirt) {
        // The callee's result becomes this method's: nothing is pushed here.
        pushes.clear();
        if (sig.ret != m_.sig.ret) {
          error(i, fmt::format("{} returns {} but this method returns {}", what(in), kindName(sig.ret),
                               kindName(m_.sig.ret)));
          return false;
        }
        for (const Handler& h : m_.handlers) {
          if (h.start <= i && i < h.end) {
            error(i, fmt::format("{} inside a protected range: its handlers would be lost with the frame "
                                 "(call, then return)",
                                 what(in)));
            return false;
          }
        }
      }
    }
    if (s.size() < pops.size()) {
      error(i, fmt::format("{} needs {} value{} on the stack but there {} {} {}", what(in), pops.size(),
                           pops.size() == 1 ? "" : "s", s.size() == 1 ? "is" : "are", s.size(), showStack(s)));
      return false;
    }
    Kind vars[4] = {Kind::Void, Kind::Void, Kind::Void, Kind::Void};
    size_t base = s.size() - pops.size();
    for (size_t k = 0; k < pops.size(); ++k) {
      char c = pops[k];
      Kind have = s[base + k];
      if (c >= 'A' && c <= 'D') {
        vars[c - 'A'] = have;
        continue;
      }
      Kind want = *kindFromLetter(c);
      if (have != want) {
        error(i, fmt::format("{} expects {} but the stack has {} there {}", what(in), kindName(want), kindName(have),
                             showStack(s)));
        return false;
      }
    }
    s.resize(base);
    for (char c : pushes) s.push_back(c >= 'A' && c <= 'D' ? vars[c - 'A'] : *kindFromLetter(c));
    if (s.size() > kMaxStackDepth) {
      error(i, fmt::format("operand stack deeper than {}", kMaxStackDepth));
      return false;
    }
    if (s.size() > maxStack_) maxStack_ = static_cast<uint32_t>(s.size());
    // Returns must match the method's declared result (ret.KIND, or plain ret for void).
    if (hasFlag(in.op, Returns) && suffixKind(in.op) != m_.sig.ret) {
      error(i, fmt::format("{} in a method that returns {}", info(in.op).name, kindName(m_.sig.ret)));
      return false;
    }
    return true;
  }

  void flow() {
    const size_t n = m_.code.size();
    // A stack state is kept only where control can arrive other than by falling through:
    // the entry, branch and switch targets and handlers. The code between two such points is
    // checked once, with one running stack. (Keeping a state per instruction cost
    // instructions x stack depth: 65535 pushes and a million nops asked for 64 GB.)
    std::vector<bool> joins = labelledInstructions(m_);
    joins[0] = true;
    uint64_t budget = kFlowBudgetBase + kFlowBudgetPerInsn * (n + m_.handlers.size());
    for (const SwitchTable& sw : m_.switches) budget += kFlowBudgetPerInsn * sw.targets.size();
    std::vector<std::optional<Stack>> states(n);
    std::vector<uint32_t> work;
    uint64_t spent = 0;
    auto mergeInto = [&](uint32_t from, uint32_t to, const Stack& s, bool handler = false) {
      spent += s.size() + 1;
      if (spent > budget) {
        error(from, fmt::format("method too costly to verify: the operand stack is {} deep here, at a branch or "
                                "join; keep the stack shallow where control flow meets",
                                s.size()));
        return false;
      }
      if (!states[to]) {
        states[to] = s;
        work.push_back(to);
        return true;
      }
      if (*states[to] != s && handler) {
        error(to, fmt::format("a handler starts with the exception {} on the stack, but control also comes here "
                              "with {}",
                              showStack(s), showStack(*states[to])));
        return false;
      }
      if (*states[to] != s) {
        const Insn& there = m_.code[to];
        error(from, fmt::format("the stack differs where control flow joins at line {}:{}: {} from here, {} from "
                                "elsewhere",
                                there.line, there.col, showStack(s), showStack(*states[to])));
        return false;
      }
      return true;
    };
    states[0] = Stack{};
    work.push_back(0);
    for (const Handler& h : m_.handlers) {
      if (h.cleanup && h.shape) error(h.start, "a cleanup handler does not name a shape");
      if (!mergeInto(h.start, h.target, Stack{Kind::Ref}, true)) return;
    }
    maxStack_ = m_.handlers.empty() ? 0 : 1;
    while (!work.empty()) {
      uint32_t i = work.back();
      work.pop_back();
      Stack s = *states[i];
      for (;;) {
        if (!apply(i, s)) return;
        const Insn& in = m_.code[i];
        uint32_t flags = info(in.op).flags;
        if (flags & Branch) {
          if (in.op == Op::TableSwitch || in.op == Op::LookupSwitch) {
            const SwitchTable& sw = m_.switches[static_cast<size_t>(in.a)];
            if (!mergeInto(i, sw.defaultTarget, s)) return;
            for (uint32_t t : sw.targets)
              if (!mergeInto(i, t, s)) return;
          } else if (!mergeInto(i, static_cast<uint32_t>(in.a), s)) {
            return;
          }
        }
        if (flags & Term) break;
        if (i + 1 >= n) return error(i, "control falls off the end of the method (it needs a ret, jmp or throw)");
        ++i;
        if (joins[i]) {
          if (!mergeInto(i - 1, i, s)) return;
          break;
        }
      }
    }
  }

  Method& m_;
  Diagnostics& diags_;
  std::string_view file_;
  const std::vector<std::string>* lines_;
  uint32_t maxStack_ = 0;
};

} // namespace

bool verify(Method& m, Diagnostics& diags, std::string_view file, const std::vector<std::string>* sourceLines) {
  return MethodVerifier(m, diags, file, sourceLines).run();
}

} // namespace vvm::core
