// `vvm run FILE` when FILE's type belongs to a VMlet: verify the VMlet (local ones with every
// check of `vvm verify`; a repository's was verified when it was fetched), load it, let its
// entry procedure translate the application, and run the application's main method.
#pragma once

#include "cmd/Launchers.h"
#include "cmd/RunCommand.h"
#include "core/interp/Thread.h"
#include "vmlets/Rules.h"
#include "vmlets/Trust.h"

#include <optional>

#include <string>

namespace vvm::cmd {

/// What loading a VMlet still checks against: the global rules and the VMlet's trust level.
struct VmletPolicy {
  vmlets::Rules rules;
  vmlets::TrustLevel trust = vmlets::TrustLevel::Any;
};

/// Makes `text` the verified bytes of the launcher's VMlet: every check of `vvm verify` but the
/// body's, which runThroughVmlet makes as it loads the VMlet (compiling it once, not twice). A
/// local VMlet is read here; a repository's arrives in `text` with the verdict on its signature
/// (`remote`), reached when it was fetched. Returns 0, or the exit status to stop with after
/// printing why.
int prepareVmlet(const RunOptions& o, const Launcher& launcher, std::string& text,
                 const std::optional<vmlets::VmletTrust>& remote, VmletPolicy& policy);

/// Loads the VMlet from `text`, checks its body (exit 3 if it fails, as vvm verify would say),
/// and runs `o.file` through it on `thread`. Returns the exit status.
int runThroughVmlet(const RunOptions& o, const Launcher& launcher, const std::string& text, const VmletPolicy& policy,
                    core::Thread& thread);

} // namespace vvm::cmd
