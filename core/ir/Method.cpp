// Facts computed from a method's IR that several consumers share.
#include "core/ir/Method.h"

namespace vvm::core {

std::vector<bool> labelledInstructions(const Method& m) {
  std::vector<bool> labelled(m.code.size() + 1, false);
  for (const Insn& in : m.code) {
    if (in.op == Op::TableSwitch || in.op == Op::LookupSwitch) {
      const SwitchTable& sw = m.switches[static_cast<size_t>(in.a)];
      labelled[sw.defaultTarget] = true;
      for (uint32_t t : sw.targets) labelled[t] = true;
    } else if (hasFlag(in.op, Branch)) {
      labelled[static_cast<size_t>(in.a)] = true;
    }
  }
  for (const Handler& h : m.handlers) labelled[h.start] = labelled[h.end] = labelled[h.target] = true;
  return labelled;
}

} // namespace vvm::core
