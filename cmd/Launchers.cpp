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
        {std::string(kVpAssemblyType), "the VP itself (VP assembly, docs/vp-format.md)", "built in", "", std::nullopt});
    ok = k.registry.add({std::string(kConsoleScriptType), {}, {".vc"}, {}}, error);
    VVM_ASSERT(ok);
    k.launchers.push_back(
        {std::string(kConsoleScriptType), "the console language (docs/console.md)", "built in", "", std::nullopt});
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
                               fmt::format("{} ({})", f.path, vmlets::originName(f.origin)), f.path, std::nullopt});
      }
    }
    return k;
  }();
  return k;
}

bool haveRepositories() { return !repositoryConfig().repositories.empty(); }

/// known(), then the types of the VMlets the repositories' indexes list, first come first
/// served as above. Built only when a file or type is not known locally, so that running a
/// local program never touches the network or the cache.
const Known& withRepositories() {
  static const Known k = [] {
    Known k = known();
    std::vector<std::string> warnings;
    std::vector<vmlets::RepositoryIndex> indexes = vmlets::readIndexes(repositoryConfig(), warnings);
    for (const std::string& w : warnings) spdlog::warn("{}", w);
    std::string error;
    for (const vmlets::RepositoryIndex& index : indexes) {
      for (const vmlets::RemoteVmlet& v : index.vmlets) {
        for (const vos::TypeEntry& t : v.manifest.types) {
          if (!k.registry.add(t, error)) {
            // Not the user's to fix, and a local VMlet or an earlier repository has the type.
            spdlog::info("{}: VMlet {} left out for type {}: {}", v.url, v.manifest.name, t.name, error);
            continue;
          }
          k.launchers.push_back(
              {k.registry.entries().back().name, fmt::format("VMlet {} {}", v.manifest.name, v.manifest.version),
               fmt::format("{} ({} {})", v.url, vmlets::originName(vmlets::Origin::Repository), index.repository.url),
               "", v});
        }
      }
    }
    return k;
  }();
  return k;
}

} // namespace

const vmlets::RepositoryConfig& repositoryConfig() {
  static const vmlets::RepositoryConfig config = [] {
    std::vector<std::string> warnings;
    vmlets::RepositoryConfig c = vmlets::loadRepositoryConfig(warnings);
    for (const std::string& w : warnings) spdlog::warn("{}", w);
    return c;
  }();
  return config;
}

const vos::TypeRegistry& knownTypes() { return known().registry; }

std::optional<Launcher> launcherFor(std::string_view type) {
  for (const Launcher& l : known().launchers)
    if (l.type == type) return l;
  if (!haveRepositories()) return std::nullopt;
  for (const Launcher& l : withRepositories().launchers)
    if (l.type == type) return l;
  return std::nullopt;
}

std::optional<vmlets::VerifiedVmlet> obtainRemoteVmlet(const Launcher& launcher, std::string& error, int& status) {
  VVM_ASSERT(launcher.remote);
  std::vector<security::Failure> skipped;
  auto trust = vmlets::userTrustStore({}, skipped);
  for (const security::Failure& f : skipped) {
    std::string w = f.format();
    if (w.ends_with('\n')) w.pop_back();
    spdlog::warn("{}", w);
  }
  // userTrustStore fails only for extra keys, and none are given; an empty store refuses all.
  security::TrustStore empty;
  std::vector<std::string> warnings;
  vmlets::ObtainResult r =
      vmlets::obtainVmlet(*launcher.remote, repositoryConfig(), trust.ok() ? *trust : empty, warnings);
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  if (r) return r.value();
  error = r.failure().message;
  status = static_cast<int>(r.failure().code == vmlets::ObtainError::Rejected ? Exit::LoadFailed : Exit::NotFound);
  return std::nullopt;
}

std::optional<vos::Detection> detectFile(const std::string& path, const std::string& explicitType, std::string& error,
                                         Untyped& why) {
  bool notFound = false;
  // Only the first bytes matter; reading a whole multi-gigabyte file to type it would not do.
  auto readHead = [&](const vos::TypeRegistry& types) {
    return vos::readFile(path, types.bytesNeeded(), error, notFound, /*truncate=*/true);
  };
  auto head = readHead(knownTypes());
  if (!head) {
    why = notFound ? Untyped::Missing : Untyped::Unreadable;
    return std::nullopt;
  }
  why = Untyped::Unknown;
  auto detection = knownTypes().detect(path, *head, explicitType, error);
  if (detection || !haveRepositories()) return detection;

  // Nothing here claims the file: the repositories' VMlets may.
  const vos::TypeRegistry& all = withRepositories().registry;
  if (all.bytesNeeded() > knownTypes().bytesNeeded() && !(head = readHead(all))) {
    why = notFound ? Untyped::Missing : Untyped::Unreadable;
    return std::nullopt;
  }
  detection = all.detect(path, *head, explicitType, error);
  if (!detection && repositoryConfig().offline())
    error += " (offline mode: only the repository indexes in the cache were consulted)";
  return detection;
}

int exitStatusFor(Untyped why) {
  return static_cast<int>(why == Untyped::Unreadable ? Exit::LoadFailed : Exit::NotFound);
}

} // namespace vvm::cmd
