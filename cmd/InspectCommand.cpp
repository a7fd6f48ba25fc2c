// `vvm inspect FILE`.
#include "cmd/InspectCommand.h"

#include "cmd/ExitStatus.h"
#include "cmd/Launchers.h"
#include "vmlets/Catalog.h"

#include <fmt/format.h>

#include <cstdio>

namespace vvm::cmd {

CLI::App* addInspectCommand(CLI::App& app, InspectOptions& o) {
  CLI::App* cmd = app.add_subcommand("inspect", "Show a file's detected type and what would run it");
  cmd->add_option("file", o.file, "The application file")->required();
  cmd->add_option("--type", o.type, "Take this type instead of detecting one (as vvm run --type does)");
  cmd->footer("Types are decided by --type, then magic bytes, then the file suffix, then a #! first line. A type "
              "that only a repository's VMlet runs has that VMlet fetched (or taken from the cache) and verified.");
  return cmd;
}

int inspectCommand(const InspectOptions& o) {
  std::string error;
  Untyped why = Untyped::Unknown;
  auto detection = detectFile(o.file, o.type, error, why);
  if (!detection) {
    std::fprintf(stderr, "vvm inspect: %s: %s\n", o.file.c_str(), error.c_str());
    return exitStatusFor(why);
  }
  std::string out = fmt::format("file:    {}\ntype:    {}\ndecided: by {} ({})\n", o.file, detection->type,
                                vos::typedByName(detection->by), detection->evidence);
  auto launcher = launcherFor(detection->type);
  if (!launcher) {
    std::fputs(out.c_str(), stdout);
    std::fprintf(stderr, "vvm inspect: %s: nothing here runs %s\n", o.file.c_str(), detection->type.c_str());
    return static_cast<int>(Exit::NotFound);
  }
  out += fmt::format("runs on: {}\nfrom:    {}\n", launcher->runs, launcher->source);
  if (launcher->remote) {
    // Fetched and verified as `vvm run` would, so that what inspect says is what run meets.
    int status = 0;
    auto vmlet = obtainRemoteVmlet(*launcher, error, status);
    if (!vmlet) {
      std::fputs(out.c_str(), stdout);
      std::fprintf(stderr, "vvm inspect: %s: %s cannot be used: %s\n", o.file.c_str(), launcher->runs.c_str(),
                   error.c_str());
      return status;
    }
    out += fmt::format("signed:  {}\ncached:  {} ({})\n", vmlet->signature.describe(),
                       vmlet->cachePath.empty() ? "no" : vmlet->cachePath,
                       vmlet->fromCache ? "verified again from the cache" : "fetched and verified now");
  } else if (launcher->isVmlet()) {
    std::vector<security::Failure> warnings;
    auto trust = vmlets::userTrustStore({}, warnings);
    for (const vmlets::Found& f : vmlets::findVmlets(vmlets::standardSearchDirs(), trust.ok() ? &*trust : nullptr))
      if (f.path == launcher->vmletPath) out += fmt::format("signed:  {}\n", vmlets::describeSignature(f));
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

} // namespace vvm::cmd
