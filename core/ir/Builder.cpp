// The IR builder.
#include "core/ir/Builder.h"

#include "core/support/Assert.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

namespace vvm::core {

Builder::Builder(Method& m) : m_(m) {
  if (m_.locals.size() < m_.sig.params.size()) m_.locals = m_.sig.params;
}

uint32_t Builder::addLocal(Kind kind) {
  m_.locals.push_back(kind);
  return static_cast<uint32_t>(m_.locals.size() - 1);
}

Label Builder::newLabel() {
  bound_.push_back(UINT32_MAX);
  return Label{static_cast<uint32_t>(bound_.size() - 1)};
}

void Builder::bind(Label l) {
  VVM_ASSERT(l.id < bound_.size() && bound_[l.id] == UINT32_MAX);
  bound_[l.id] = static_cast<uint32_t>(m_.code.size());
}

Builder& Builder::emit(Op op, int64_t a, int64_t b) {
  VVM_ASSERT(!hasFlag(op, Branch));
  m_.code.push_back(Insn{op, col_, line_, a, b});
  return *this;
}

Builder& Builder::constF32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return emit(Op::ConstF32, bits);
}

Builder& Builder::constF64(double v) {
  int64_t bits;
  std::memcpy(&bits, &v, 8);
  return emit(Op::ConstF64, bits);
}

void Builder::use(LabelUse::Where where, uint32_t index, uint32_t entry, Label l) {
  VVM_ASSERT(l.id < bound_.size());
  uses_.push_back({where, index, entry, l});
}

Builder& Builder::branch(Op op, Label target) {
  VVM_ASSERT(hasFlag(op, Branch) && op != Op::TableSwitch && op != Op::LookupSwitch);
  use(LabelUse::InsnA, static_cast<uint32_t>(m_.code.size()), 0, target);
  m_.code.push_back(Insn{op, col_, line_, 0, 0});
  return *this;
}

Builder& Builder::tableSwitch(int32_t low, Label otherwise, const std::vector<Label>& targets) {
  auto table = static_cast<uint32_t>(m_.switches.size());
  SwitchTable sw;
  sw.dense = true;
  sw.low = low;
  sw.targets.resize(targets.size());
  m_.switches.push_back(std::move(sw));
  use(LabelUse::SwitchDefault, table, 0, otherwise);
  for (uint32_t i = 0; i < targets.size(); ++i) use(LabelUse::SwitchTarget, table, i, targets[i]);
  m_.code.push_back(Insn{Op::TableSwitch, col_, line_, table, 0});
  return *this;
}

Builder& Builder::lookupSwitch(Label otherwise, std::vector<std::pair<int32_t, Label>> cases) {
  std::stable_sort(cases.begin(), cases.end(), [](auto& x, auto& y) { return x.first < y.first; });
  auto table = static_cast<uint32_t>(m_.switches.size());
  SwitchTable sw;
  sw.dense = false;
  for (auto& c : cases) sw.keys.push_back(c.first);
  sw.targets.resize(cases.size());
  m_.switches.push_back(std::move(sw));
  use(LabelUse::SwitchDefault, table, 0, otherwise);
  for (uint32_t i = 0; i < cases.size(); ++i) use(LabelUse::SwitchTarget, table, i, cases[i].second);
  m_.code.push_back(Insn{Op::LookupSwitch, col_, line_, table, 0});
  return *this;
}

void Builder::addHandler(Label start, Label end, Label target, const Shape* shape, bool cleanup) {
  auto h = static_cast<uint32_t>(m_.handlers.size());
  m_.handlers.push_back(Handler{0, 0, 0, shape, cleanup});
  use(LabelUse::HandlerStart, h, 0, start);
  use(LabelUse::HandlerEnd, h, 0, end);
  use(LabelUse::HandlerTarget, h, 0, target);
}

bool Builder::finish(std::string& error) {
  for (const LabelUse& u : uses_) {
    uint32_t at = bound_[u.label.id];
    if (at == UINT32_MAX) {
      error = fmt::format("label {} is used but never bound", u.label.id);
      return false;
    }
    switch (u.where) {
    case LabelUse::InsnA: m_.code[u.index].a = at; break;
    case LabelUse::SwitchDefault: m_.switches[u.index].defaultTarget = at; break;
    case LabelUse::SwitchTarget: m_.switches[u.index].targets[u.entry] = at; break;
    case LabelUse::HandlerStart: m_.handlers[u.index].start = at; break;
    case LabelUse::HandlerEnd: m_.handlers[u.index].end = at; break;
    case LabelUse::HandlerTarget: m_.handlers[u.index].target = at; break;
    }
  }
  return true;
}

} // namespace vvm::core
