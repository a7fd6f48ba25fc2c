// The types this vvm runs and how a file's type is decided (vos/Typing.h does the deciding).
#include "cmd/Launchers.h"

#include "cmd/ExitStatus.h"
#include "core/support/Assert.h"
#include "vmlets/Catalog.h"
#include "vos/Host.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace vvm::cmd {

namespace {

/// The built-in type, then the types of every VMlet found (vmlets/Catalog.h), first come first
/// served: a VMlet whose types clash with earlier ones is left out, with a warning.
struct Known {
  vos::TypeRegistry registry;
  std::vector<Launcher> launchers;
};

const Known& known() {
  static const Known k = [] {
    Known k;
    std::string error;
    bool ok = k.registry.add({std::string(kVpAssemblyType), {}, {".vp"}, {"vvm-vp"}}, error);
    VVM_ASSERT(ok);
    k.launchers.push_back(
        {std::string(kVpAssemblyType), "the VP itself (VP assembly, docs/vp-format.md)", "built in", ""});
    // Typing needs the manifests only: signatures are checked where they are shown (inspect),
    // and will be before a VMlet is loaded, not on every start-up.
    for (const vmlets::Found& f : vmlets::findVmlets(vmlets::standardSearchDirs(), nullptr)) {
      if (!f.manifest) continue;
      for (const vos::TypeEntry& t : f.manifest->types) {
        if (!k.registry.add(t, error)) {
          spdlog::warn("{}: VMlet {} left out for type {}: {}", f.path, f.manifest->name, t.name, error);
          continue;
        }
        k.launchers.push_back({t.name, fmt::format("VMlet {} {}", f.manifest->name, f.manifest->version),
                               fmt::format("{} ({})", f.path, vmlets::originName(f.origin)), f.path});
      }
    }
    return k;
  }();
  return k;
}

} // namespace

const vos::TypeRegistry& knownTypes() { return known().registry; }

std::optional<Launcher> launcherFor(std::string_view type) {
  for (const Launcher& l : known().launchers)
    if (l.type == type) return l;
  return std::nullopt;
}

std::optional<vos::Detection> detectFile(const std::string& path, const std::string& explicitType, std::string& error,
                                         Untyped& why) {
  bool notFound = false;
  // Only the first bytes matter; reading a whole multi-gigabyte file to type it would not do.
  auto head = vos::readFile(path, knownTypes().bytesNeeded(), error, notFound, /*truncate=*/true);
  if (!head) {
    why = notFound ? Untyped::Missing : Untyped::Unreadable;
    return std::nullopt;
  }
  why = Untyped::Unknown;
  return knownTypes().detect(path, *head, explicitType, error);
}

int exitStatusFor(Untyped why) {
  return static_cast<int>(why == Untyped::Unreadable ? Exit::LoadFailed : Exit::NotFound);
}

} // namespace vvm::cmd
