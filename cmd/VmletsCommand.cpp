// `vvm vmlets`.
#include "cmd/VmletsCommand.h"

#include "cmd/ExitStatus.h"
#include "cmd/Launchers.h"
#include "vmlets/Catalog.h"
#include "vmlets/RemoteVmlet.h"
#include "vos/Host.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace vvm::cmd {

CLI::App* addVmletsCommand(CLI::App& app, VmletsOptions& o) {
  CLI::App* cmd = app.add_subcommand("vmlets", "List the VMlets vvm can find, their types, origin and signature");
  cmd->add_option("--trust", o.trust, "Also trust this public key file (repeatable)")->type_name("KEYFILE");
  cmd->footer("Searched: vvm's install tree (share/vvm/vmlets), each directory of VVM_VMLET_PATH, then "
              "$XDG_DATA_HOME/vvm/vmlets (or ~/.local/share/vvm/vmlets), then the indexes of the repositories in "
              "VVM_VMLET_REPOS and $XDG_CONFIG_HOME/vvm/repositories (or ~/.config/vvm/repositories); a "
              "repository's VMlets are fetched only when used. Trusted keys: --trust, and the *.pub files in "
              "$XDG_CONFIG_HOME/vvm/trusted (or ~/.config/vvm/trusted).");
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
  std::vector<std::string> indexWarnings;
  auto indexes = vmlets::readIndexes(repositoryConfig(), indexWarnings);
  for (const std::string& w : indexWarnings) spdlog::warn("{}", w);
  size_t remote = 0;
  for (const vmlets::RepositoryIndex& index : indexes) remote += index.vmlets.size();
  if (found.empty() && remote == 0) {
    std::fputs("no VMlets found (vvm vmlets --help says where it looks)\n", stdout);
    return 0;
  }
  auto typesOf = [](const vmlets::Manifest& m) {
    std::string types;
    for (const auto& t : m.types) types += (types.empty() ? "" : ",") + t.name;
    return types;
  };
  std::string out = fmt::format("{:<16} {:<10} {:<32} {:<16} {}\n", "NAME", "VERSION", "TYPES", "FROM", "SIGNATURE");
  for (const vmlets::Found& f : found) {
    std::string signature = vmlets::describeSignature(f);
    if (!f.manifest) {
      out += fmt::format("{:<16} {:<10} {:<32} {:<16} {}\n", "?", "?", "(unreadable, see below)",
                         vmlets::originName(f.origin), signature);
      continue;
    }
    out += fmt::format("{:<16} {:<10} {:<32} {:<16} {}\n", f.manifest->name, f.manifest->version, typesOf(*f.manifest),
                       vmlets::originName(f.origin), signature);
    out += fmt::format("  {}\n", f.path);
  }
  // A repository's VMlets as its index lists them; a signature is known only once one is cached.
  for (const vmlets::RepositoryIndex& index : indexes) {
    for (const vmlets::RemoteVmlet& v : index.vmlets) {
      auto signature = vmlets::cachedSignature(v, repositoryConfig(), *trust);
      out += fmt::format("{:<16} {:<10} {:<32} {:<16} {}\n", v.manifest.name, v.manifest.version, typesOf(v.manifest),
                         vmlets::originName(vmlets::Origin::Repository),
                         signature ? signature->describe() + " (cached)" : "not fetched yet");
      out += fmt::format("  {}\n", v.url);
    }
  }
  vos::writeOut(out);
  vos::flushOut();
  for (const vmlets::Found& f : found)
    if (!f.manifest) std::fputs(f.problem.c_str(), stderr);
  return 0;
}

} // namespace vvm::cmd
