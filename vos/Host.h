// The virtual OS (DESIGN §6): every contact vvm has with the host goes through here. This
// first part covers what running a .vp program needs: console output, arguments, the clock,
// reading files with a size limit, and the base primitives that expose them to VP code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::core {
class Runtime;
}

namespace vvm::vos {

/// Program output: buffered stdout. Diagnostics never go here.
void writeOut(std::string_view text);
void flushOut();

/// The application's arguments (after the program file).
void setArguments(std::vector<std::string> args);
const std::vector<std::string>& arguments();

/// Monotonic clock in nanoseconds.
int64_t monotonicNanos();

/// Reads a whole file of at most `maxBytes`. On failure returns nullopt and sets `error`
/// to a reason a person can act on; `notFound` tells a missing file from other failures.
/// With `truncate`, a longer file is not an error: its first maxBytes are returned.
std::optional<std::string> readFile(const std::string& path, size_t maxBytes, std::string& error, bool& notFound,
                                    bool truncate = false);

/// Writes all of `data` to a file descriptor, retrying short writes and EINTR. Returns 0 or
/// the errno of the failure.
int writeAll(int fd, std::string_view data);

/// Registers the base primitives (BasePrimitives.def) in `rt`.
void registerBasePrimitives(core::Runtime& rt);
/// The capability a base primitive needs ("" for none), or nullopt when `name` is not one.
std::optional<std::string_view> basePrimitiveCapability(std::string_view name);

} // namespace vvm::vos
