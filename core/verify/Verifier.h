// The VP IR verifier: stack depths and kinds agree at every join, branch targets are
// instruction starts, locals are used at their declared kinds, operands name what they should,
// calls and returns match signatures, and no internal instruction appears in finished code.
// Only verified methods can run.
#pragma once

#include "core/ir/Method.h"
#include "core/support/Diagnostics.h"

#include <string>
#include <string_view>
#include <vector>

namespace vvm::core {

/// Limits that keep hostile input from costing unbounded time or memory.
constexpr uint32_t kMaxStackDepth = 65535;
constexpr uint32_t kMaxLocals = 65535;
constexpr size_t kMaxInsns = 1u << 20;

/// Verifies `m`. On success sets m.maxStack and m.verified and returns true; otherwise adds
/// located errors (file, the instruction's line and column) to `diags`.
bool verify(Method& m, Diagnostics& diags, std::string_view file,
            const std::vector<std::string>* sourceLines = nullptr);

} // namespace vvm::core
