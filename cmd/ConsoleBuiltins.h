// The builtins `vvm console` adds to the console language for its user, the administrator
// (DESIGN §8): host access (files, arguments, environment) and introspection (VMlets,
// toolkits, VP instructions, disassembly, heap, GC and JIT statistics, replacing a method's
// code). VMlets never see these: their sandbox holds only Builtins.def's pure builtins.
#pragma once

#include "console/Builtins.h"

#include <span>

namespace vvm::jit {
class Tier;
}

namespace vvm::cmd {

/// The table (ConsoleBuiltins.cpp).
std::span<const console::Builtin> consoleBuiltins();

/// The JIT tier (jit-stats reads it), or null when the JIT is off.
void setConsoleTier(const jit::Tier* tier);

} // namespace vvm::cmd
