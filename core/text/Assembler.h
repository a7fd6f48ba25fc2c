// The `.vp` text form of VP IR: the assembler. A .vp file declares shapes, statics and
// methods; the assembler builds them into a Module, verifies every method and makes them
// callable. The syntax is documented in docs/vp-format.md; the disassembler prints the same form.
#pragma once

#include "core/ir/Module.h"
#include "core/support/Diagnostics.h"

#include <string>
#include <string_view>

namespace vvm::core {

/// Assembles `text` (the contents of `file`) into `module`. Returns false with located
/// diagnostics when the text is malformed or a method does not verify; the module must then
/// not be used.
bool assemble(std::string_view text, const std::string& file, Module& module, Diagnostics& diags);

/// Prints a module in .vp form; assembling the output gives an equal module.
std::string disassemble(const Module& module);
/// Prints one method in .vp form.
std::string disassemble(const Method& method);

} // namespace vvm::core
