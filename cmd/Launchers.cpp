// The types this vvm runs and how a file's type is decided (vos/Typing.h does the deciding).
#include "cmd/Launchers.h"

#include "cmd/ExitStatus.h"
#include "core/support/Assert.h"
#include "vos/Host.h"

namespace vvm::cmd {

const vos::TypeRegistry& knownTypes() {
  static const vos::TypeRegistry registry = [] {
    vos::TypeRegistry r;
    std::string error;
    bool ok = r.add({std::string(kVpAssemblyType), {}, {".vp"}, {"vvm-vp"}}, error);
    VVM_ASSERT(ok);
    return r;
  }();
  return registry;
}

std::optional<Launcher> launcherFor(std::string_view type) {
  if (type == kVpAssemblyType)
    return Launcher{std::string(type), "the VP itself (VP assembly, docs/vp-format.md)", "built in"};
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
