// The native toolkits this vvm has (Toolkits.def), and whether they meet what a VMlet's
// manifest asks for (DESIGN §5: vvm refuses a VMlet whose toolkits it lacks).
//
// A version is MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH in decimal; a missing part is 0. A
// toolkit of version HAVE meets a request for version WANT when both have the same MAJOR and
// HAVE's (MINOR, PATCH) is at least WANT's: within a major version a toolkit only adds
// instructions and primitives, and a new major version may change or remove them. Unlike
// semver, 0.x is not special: a toolkit is compiled into the vvm that has it and reviewed with
// it, so 0.2 meets a request for 0.1 as 1.2 meets one for 1.1.
#pragma once

#include "vmlets/Manifest.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vvm::vmlets {

/// One native toolkit.
struct Toolkit {
  std::string_view name;
  std::string_view version; ///< MAJOR.MINOR.PATCH
  std::string_view doc;
};

/// The toolkits compiled into this vvm (Toolkits.def), in table order.
std::span<const Toolkit> nativeToolkits();

struct Version {
  uint32_t major = 0, minor = 0, patch = 0;
};

/// Reads "1", "1.2" or "1.2.3" (decimal numbers, no sign, no spaces, each below 2^31).
std::optional<Version> parseVersion(std::string_view text);

/// True when a toolkit of version `have` can stand in for a request for version `want`.
bool meets(const Version& have, const Version& want);

/// What is wrong with `need` given the toolkits vvm has ("" when a toolkit meets it): a
/// malformed version, a missing toolkit, or versions that do not meet it. Tests pass a list
/// of their own; vvm passes nativeToolkits().
std::string toolkitProblem(const ToolkitNeed& need, std::span<const Toolkit> toolkits);

} // namespace vvm::vmlets
