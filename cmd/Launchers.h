// What this vvm can run, by application type (DESIGN §5, "Typing an application"): VP assembly
// (.vp), built in and run by the VP itself, and the types the manifests of the VMlets found
// declare (vmlets/Catalog.h). VMlets are typed and named here; loading them comes later.
#pragma once

#include "vos/Typing.h"

#include <optional>
#include <string>
#include <string_view>

namespace vvm::cmd {

/// The built-in type of VP assembly files.
inline constexpr std::string_view kVpAssemblyType = "application/x-vvm-assembly";

/// What runs a type, for `vvm inspect` and messages.
struct Launcher {
  std::string type;
  std::string runs;      ///< "the VP itself (VP assembly)", "VMlet stack 0.1.0"
  std::string source;    ///< where it comes from: "built in", or a VMlet's path and origin
  std::string vmletPath; ///< a VMlet's .vml file (VMlets are found and typed, not loaded yet)
  bool isVmlet() const { return !vmletPath.empty(); }
};

/// Every type this vvm knows.
const vos::TypeRegistry& knownTypes();
/// The launcher of a known type.
std::optional<Launcher> launcherFor(std::string_view type);

/// Why a file has no type: it is missing, it cannot be read, or nothing claims it.
enum class Untyped : uint8_t { Missing, Unreadable, Unknown };

/// Reads the start of `path` and decides its type (`explicitType`, when set, wins). On failure
/// `error` says why and `why` which kind of failure it is.
std::optional<vos::Detection> detectFile(const std::string& path, const std::string& explicitType, std::string& error,
                                         Untyped& why);
/// The exit status for a file that has no type (ExitStatus.def).
int exitStatusFor(Untyped why);

} // namespace vvm::cmd
