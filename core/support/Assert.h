// Internal invariants: the only things in vvm allowed to abort. A failed assertion is a bug in
// vvm, never the user's fault; user errors go through Diagnostics, guest errors are VP values.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace vvm {
/// Prints the failed invariant and aborts; exit status 70 would hide the core dump.
[[noreturn]] inline void assertionFailed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "vvm: internal error: %s (%s:%d)\n", what, file, line);
  std::abort();
}
} // namespace vvm

#define VVM_ASSERT(cond)                                                                                               \
  do {                                                                                                                 \
    if (!(cond)) [[unlikely]]                                                                                          \
      ::vvm::assertionFailed("assertion failed: " #cond, __FILE__, __LINE__);                                          \
  } while (0)

#define VVM_UNREACHABLE(what) ::vvm::assertionFailed("unreachable: " what, __FILE__, __LINE__)
