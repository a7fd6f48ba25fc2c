// What this vvm can run, by application type (DESIGN §5, "Typing an application"): VP assembly
// (.vp), built in and run by the VP itself, the types the manifests of the VMlets found locally
// declare (vmlets/Catalog.h), and, for a file none of those claims, the types of the VMlets that
// the configured repositories list (vmlets/Repository.h). VMlets are typed and named here, and a
// repository's VMlet is fetched and verified here; loading them is the caller's business.
#pragma once

#include "vmlets/RemoteVmlet.h"
#include "vos/Typing.h"

#include <optional>
#include <string>
#include <string_view>

namespace vvm::cmd {

/// The built-in type of VP assembly files.
inline constexpr std::string_view kVpAssemblyType = "application/x-vvm-assembly";
/// The built-in type of console scripts (.vc): `vvm run` runs them as `vvm console FILE` does.
inline constexpr std::string_view kConsoleScriptType = "text/x-vvm-console";

/// What runs a type, for `vvm inspect` and messages.
struct Launcher {
  std::string type;
  std::string runs;      ///< "the VP itself (VP assembly)", "VMlet stack 0.1.0"
  std::string source;    ///< where it comes from: "built in", or a VMlet's path and origin
  std::string vmletPath; ///< a local VMlet's .vml file
  /// A repository's VMlet, as its index lists it (obtainRemoteVmlet fetches and verifies it).
  std::optional<vmlets::RemoteVmlet> remote;
  bool isVmlet() const { return !vmletPath.empty() || remote; }
};

/// Every type this vvm knows without asking a repository.
const vos::TypeRegistry& knownTypes();
/// The launcher of a type: a local one, else one a repository lists.
std::optional<Launcher> launcherFor(std::string_view type);

/// The repositories' configuration (read once; its warnings are logged then).
const vmlets::RepositoryConfig& repositoryConfig();
/// The verified VMlet of a launcher with a `remote` one: from the cache, else fetched (and then
/// cached). On failure returns nullopt, with `error` saying why (naming the URL) and `status`
/// the exit status: LoadFailed when the VMlet is refused, NotFound when it cannot be had.
std::optional<vmlets::VerifiedVmlet> obtainRemoteVmlet(const Launcher& launcher, std::string& error, int& status);

/// Why a file has no type: it is missing, it cannot be read, or nothing claims it.
enum class Untyped : uint8_t { Missing, Unreadable, Unknown };

/// Reads the start of `path` and decides its type (`explicitType`, when set, wins). On failure
/// `error` says why and `why` which kind of failure it is.
std::optional<vos::Detection> detectFile(const std::string& path, const std::string& explicitType, std::string& error,
                                         Untyped& why);
/// The exit status for a file that has no type (ExitStatus.def).
int exitStatusFor(Untyped why);

} // namespace vvm::cmd
