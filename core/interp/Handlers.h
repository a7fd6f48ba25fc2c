// Handler identities of the interpreter: every VP instruction (Instructions.def) followed by
// the interpreter-only superinstructions (Superinstructions.def). Linked code holds the
// handler of one of these per instruction.
#pragma once

#include "core/ir/Opcode.h"

#include <string_view>

namespace vvm::core {

enum class HandlerId : uint16_t {
#define VVM_OP(Name, Text, Operands, Effect, Flags) Name,
#include "core/ir/Instructions.def"
#define VVM_SUPER(Name, Text, ...) Name,
#include "core/interp/Superinstructions.def"
  Count
};
static_assert(static_cast<size_t>(HandlerId::Nop) == static_cast<size_t>(Op::Nop));

constexpr size_t kHandlerCount = static_cast<size_t>(HandlerId::Count);

inline HandlerId handlerId(Op op) { return static_cast<HandlerId>(op); }

/// The dispatch word for a handler (its address, or its number when computed goto is off).
const void* handlerFor(HandlerId id);
/// Mnemonic for messages: the instruction's, or for a super the one of its raising component.
std::string_view handlerName(HandlerId id);

} // namespace vvm::core
