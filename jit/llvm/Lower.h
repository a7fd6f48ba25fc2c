// Lowering VP IR to LLVM IR (DESIGN §3): the typed operand stack becomes SSA values by
// abstract interpretation, locals become allocas that mem2reg promotes, and every VP
// instruction gets the exact semantics the interpreter gives it.
#pragma once

#include "core/ir/Method.h"
#include "jit/Backend.h"

#include <llvm/IR/Function.h>
#include <llvm/IR/Module.h>

#include <string>

namespace vvm::jit {

/// The functions made for one method (see core::NativeCode for their contracts).
struct LoweredMethod {
  llvm::Function* fast = nullptr;
  llvm::Function* boxed = nullptr;
  llvm::Function* osr = nullptr; ///< null when the method has no back edge
};

/// Lowers a verified, linked method into `mod`, naming its functions PREFIX.fast, .boxed and
/// .osr. Returns false with *error set when the method cannot be compiled.
bool lowerMethod(core::Method& m, llvm::Module& mod, const HostInfo& host, const std::string& prefix,
                 LoweredMethod& out, std::string* error);

} // namespace vvm::jit
