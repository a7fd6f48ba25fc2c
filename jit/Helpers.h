// The runtime helpers of compiled code (Helpers.def), as vvm exports them to the backend.
#pragma once

#include "jit/Backend.h"

#include <span>

namespace vvm::jit {

/// Every helper in Helpers.def with its address.
std::span<const HelperSymbol> helperSymbols();

} // namespace vvm::jit
