// The instruction table's data, and look-ups over it.
#include "core/ir/Opcode.h"

#include "core/support/Assert.h"

#include <string>
#include <unordered_map>

namespace vvm::core {

const OpInfo kOpInfo[kOpCount] = {
#define VVM_OP(Name, Text, Operands, Effect, Flags) {Text, Operands, Effect, Flags},
#include "core/ir/Instructions.def"
};

std::optional<OperandKind> operandKindFromLetter(char c) {
#define VVM_OPERAND(Name, Letter, Words, Doc)                                                                          \
  if (c == Letter) return OperandKind::Name;
#include "core/ir/Operands.def"
  return std::nullopt;
}

unsigned operandWords(OperandKind k) {
  switch (k) {
    // clang-format off
#define VVM_OPERAND(Name, Letter, Words, Doc) case OperandKind::Name: return Words;
#include "core/ir/Operands.def"
    // clang-format on
  }
  return 0;
}

unsigned operandWordsOf(Op op) {
  unsigned n = 0;
  for (char c : info(op).operands) n += operandWords(*operandKindFromLetter(c));
  return n;
}

std::string_view mnemonicSuffix(Op op) {
  std::string_view name = info(op).name;
  auto dot = name.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

Kind suffixKind(Op op) { return kindFromName(mnemonicSuffix(op)).value_or(Kind::Void); }

bool isLocalLoad(Op op) {
  const OpInfo& oi = info(op);
  return oi.operands == "L" && oi.effect.size() == 2 && oi.effect[0] == '>';
}

Op typedOp(std::string_view family, Kind k) {
  auto op = opFromName(std::string(family) + "." + std::string(kindName(k)));
  VVM_ASSERT(op);
  return *op;
}

std::optional<Op> opFromName(std::string_view name) {
  static const std::unordered_map<std::string_view, Op> byName = [] {
    std::unordered_map<std::string_view, Op> m;
    for (size_t i = 0; i < kOpCount; ++i)
      if (!(kOpInfo[i].flags & Internal)) m.emplace(kOpInfo[i].name, static_cast<Op>(i));
    return m;
  }();
  auto it = byName.find(name);
  if (it == byName.end()) return std::nullopt;
  return it->second;
}

} // namespace vvm::core
