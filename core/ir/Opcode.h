// The opcode enum and per-instruction facts, all generated from Instructions.def.
#pragma once

#include "core/ir/Kinds.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace vvm::core {

/// Instruction flags (see Instructions.def).
enum OpFlags : uint32_t {
  Throws = 1u << 0,
  Calls = 1u << 1,
  Term = 1u << 2,
  Branch = 1u << 3,
  Internal = 1u << 4,
  Returns = 1u << 5,
};

/// Every VP instruction.
enum class Op : uint16_t {
#define VVM_OP(Name, Text, Operands, Effect, Flags) Name,
#include "core/ir/Instructions.def"
};

/// Number of instructions in the table.
constexpr size_t kOpCount = 0
#define VVM_OP(Name, Text, Operands, Effect, Flags) +1
#include "core/ir/Instructions.def"
    ;

/// Operand kinds (see Operands.def).
enum class OperandKind : uint8_t {
#define VVM_OPERAND(Name, Letter, Words, Doc) Name,
#include "core/ir/Operands.def"
};

/// Static facts about one instruction.
struct OpInfo {
  std::string_view name;
  std::string_view operands; ///< operand letters
  std::string_view effect;   ///< "pops>pushes" or "*"
  uint32_t flags;
};

/// The table, indexed by Op.
extern const OpInfo kOpInfo[kOpCount];

inline const OpInfo& info(Op op) { return kOpInfo[static_cast<size_t>(op)]; }
inline bool hasFlag(Op op, uint32_t f) { return (info(op).flags & f) != 0; }

/// The operand kind a letter in the operands column names.
std::optional<OperandKind> operandKindFromLetter(char c);
/// Machine words an operand kind occupies in IR and in threaded code.
unsigned operandWords(OperandKind k);
/// Operand words of an instruction (0, 1 or 2).
unsigned operandWordsOf(Op op);
/// The part of the mnemonic after its last dot ("i32" for load.i32, "u16" for aload.u16), or
/// "" when there is none: the kind or element kind the instruction moves.
std::string_view mnemonicSuffix(Op op);
/// mnemonicSuffix as a value kind; Void when it names none (ret, aload.u16).
Kind suffixKind(Op op);
/// True for the typed local loads (load.*), which only copy a slot.
bool isLocalLoad(Op op);

/// Looks an instruction up by mnemonic; internal instructions are not found.
std::optional<Op> opFromName(std::string_view name);
/// The instruction of `family` that moves kind `k`, by the table's "family.kind" mnemonics:
/// typedOp("load", Kind::F64) is load.f64, typedOp("ret", Kind::Ref) is ret.ref. The kind must
/// be one the family has (an internal error otherwise).
Op typedOp(std::string_view family, Kind k);

} // namespace vvm::core
