// `vvm vmlets`.
#include "cmd/VmletsCommand.h"

#include "cmd/ExitStatus.h"
#include "vmlets/Catalog.h"
#include "vos/Host.h"

#include <fmt/format.h>

#include <cstdio>

namespace vvm::cmd {

CLI::App* addVmletsCommand(CLI::App& app, VmletsOptions& o) {
  CLI::App* cmd = app.add_subcommand("vmlets", "List the VMlets vvm can find, their types, origin and signature");
  cmd->add_option("--trust", o.trust, "Also trust this public key file (repeatable)")->type_name("KEYFILE");
  cmd->footer("Searched: vvm's install tree (share/vvm/vmlets), each directory of VVM_VMLET_PATH, then "
              "$XDG_DATA_HOME/vvm/vmlets (or ~/.local/share/vvm/vmlets). Trusted keys: --trust, and the *.pub files "
              "in $XDG_CONFIG_HOME/vvm/trusted (or ~/.config/vvm/trusted).");
  return cmd;
}

int vmletsCommand(const VmletsOptions& o) {
  std::vector<security::Failure> warnings;
  auto trust = vmlets::userTrustStore(o.trust, warnings);
  for (const security::Failure& f : warnings) std::fprintf(stderr, "vvm vmlets: warning: %s\n", f.format().c_str());
  if (!trust.ok()) {
    std::fprintf(stderr, "vvm vmlets: %s\n", trust.failure().format().c_str());
    return static_cast<int>(Exit::LoadFailed);
  }
  auto found = vmlets::findVmlets(vmlets::standardSearchDirs(), &*trust);
  if (found.empty()) {
    std::fputs("no VMlets found (vvm vmlets --help says where it looks)\n", stdout);
    return 0;
  }
  std::string out = fmt::format("{:<16} {:<10} {:<32} {:<16} {}\n", "NAME", "VERSION", "TYPES", "FROM", "SIGNATURE");
  for (const vmlets::Found& f : found) {
    std::string signature = vmlets::describeSignature(f);
    if (!f.manifest) {
      out += fmt::format("{:<16} {:<10} {:<32} {:<16} {}\n", "?", "?", "(unreadable, see below)",
                         vmlets::originName(f.origin), signature);
      continue;
    }
    std::string types;
    for (const auto& t : f.manifest->types) types += (types.empty() ? "" : ",") + t.name;
    out += fmt::format("{:<16} {:<10} {:<32} {:<16} {}\n", f.manifest->name, f.manifest->version, types,
                       vmlets::originName(f.origin), signature);
    out += fmt::format("  {}\n", f.path);
  }
  vos::writeOut(out);
  vos::flushOut();
  for (const vmlets::Found& f : found)
    if (!f.manifest) std::fputs(f.problem.c_str(), stderr);
  return 0;
}

} // namespace vvm::cmd
