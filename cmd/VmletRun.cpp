// Running an application through its VMlet (see VmletRun.h).
#include "cmd/VmletRun.h"

#include "cmd/ExitStatus.h"
#include "console/Values.h"
#include "core/ir/Module.h"
#include "core/text/Assembler.h"
#include "vmlets/InstallTree.h"
#include "vmlets/Rules.h"
#include "vmlets/Verifier.h"
#include "vmlets/Vmlet.h"
#include "vos/FetchCache.h"
#include "vos/Host.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace vvm::cmd {
namespace {

// Applications are binary files a VMlet parses in console code: 256 MiB bounds that work.
constexpr size_t kMaxApplicationBytes = 256u << 20;

int fail(const RunOptions& o, const std::string& message, Exit status) {
  std::fprintf(stderr, "vvm: %s: %s\n", o.file.c_str(), message.c_str());
  return static_cast<int>(status);
}

} // namespace

int prepareVmlet(const RunOptions& o, const Launcher& launcher, std::string& text,
                 const std::optional<vmlets::VmletTrust>& remote, VmletPolicy& policy) {
  std::string error;
  bool notFound = false;
  std::optional<std::string> before;
  if (!remote) {
    before = vos::readFile(launcher.vmletPath, vmlets::kMaxVmletBytes, error, notFound);
    if (!before) return fail(o, fmt::format("{}: {}", launcher.vmletPath, error), Exit::LoadFailed);
  }

  std::string rulesFile = vmlets::defaultRulesFile();
  vmlets::Rules& rules = policy.rules;
  Diagnostics diags;
  if (rulesFile.empty() || !vmlets::loadRules(rulesFile, rules, diags))
    return fail(o, "the global rules (share/vvm/rules.vc) cannot be read: " + diags.format(), Exit::LoadFailed);
  std::vector<security::Failure> warnings;
  auto trust = vmlets::userTrustStore({}, warnings);
  for (const security::Failure& w : warnings) spdlog::warn("{}", w.format());
  if (!trust.ok()) return fail(o, trust.failure().format(), Exit::LoadFailed);
  vmlets::VerifyOptions options;
  options.rules = &rules;
  options.trust = &*trust;
  options.searchDirs = vmlets::standardSearchDirs();
  options.installDirectory = vmlets::installVmletsDirectory();
  std::string name = remote ? launcher.remote->url : launcher.vmletPath;
  if (remote) {
    options.bytes = &text;
    options.verdict = remote;
  }
  vmlets::VerifyReport report = vmlets::runChecks(name, options, vmlets::standardChecks(false));
  policy.trust = report.trust;
  if (!report.valid()) {
    if (remote) {
      // Its signature let it into the cache; it is cached only if valid, so out it goes.
      vos::FetchCache cache(repositoryConfig().cacheDir, vmlets::kMaxVmletBytes);
      cache.remove(launcher.remote->url);
      cache.remove(launcher.remote->url + ".sig");
    }
    std::string why;
    for (const vmlets::CheckResult& c : report.checks)
      if (c.state == vmlets::CheckState::Fail) why += fmt::format("\n  {}: {}", c.name, c.message);
    return fail(o,
                fmt::format("{} ({}) runs {}, but it does not pass verification (vvm verify {}):{}", launcher.runs,
                            name, launcher.type, name, why),
                Exit::LoadFailed);
  }
  if (remote) return 0;
  // What was verified is what is loaded: a file changed in between is refused.
  auto after = vos::readFile(launcher.vmletPath, vmlets::kMaxVmletBytes, error, notFound);
  if (!after || *after != *before)
    return fail(o, fmt::format("{} changed while it was being verified", launcher.vmletPath), Exit::LoadFailed);
  text = std::move(*after);
  return 0;
}

int runThroughVmlet(const RunOptions& o, const Launcher& launcher, const std::string& text, const VmletPolicy& policy,
                    core::Thread& thread) {
  std::string error;
  bool notFound = false;
  auto bytes = vos::readFile(o.file, kMaxApplicationBytes, error, notFound);
  if (!bytes) return fail(o, error, notFound ? Exit::NotFound : Exit::LoadFailed);
  console::installConsole(thread.rt);
  vmlets::AppRun run;
  {
    Diagnostics diags;
    std::string vmletFile = launcher.remote ? launcher.remote->url : launcher.vmletPath;
    auto vmlet = vmlets::loadVmlet(vmletFile, text, thread, diags);
    vmlets::CheckResult body;
    body.name = "body";
    if (!vmlet) {
      for (const Diagnostic& d : diags.all()) body.fail(d.file, d.line, d.col, d.message);
    } else {
      vmlets::checkLoadedBody(*vmlet, policy.rules, policy.trust, vmletFile, body);
    }
    if (body.state == vmlets::CheckState::Fail) {
      console::releaseConsole(thread.rt);
      return fail(o,
                  fmt::format("{} ({}) runs {}, but it does not pass verification (vvm verify {}):\n  body: {}",
                              launcher.runs, vmletFile, launcher.type, vmletFile, body.message),
                  Exit::LoadFailed);
    }
    core::Module app(thread.rt, o.file);
    auto dump = [](const core::Module& m) { std::fputs(core::disassemble(m).c_str(), stderr); };
    run = vmlets::runApplication(*vmlet, o.file, *bytes, app, thread, true,
                                 o.dumpVp ? std::function<void(const core::Module&)>(dump) : nullptr);
    vos::flushOut();
  }
  console::releaseConsole(thread.rt);
  switch (run.stage) {
  case vmlets::AppRun::Stage::Ok: return run.exitStatus;
  case vmlets::AppRun::Stage::Exited: return run.exitStatus;
  case vmlets::AppRun::Stage::LoadFailed:
    std::fprintf(stderr, "vvm: %s\n", run.message.c_str());
    return static_cast<int>(Exit::LoadFailed);
  case vmlets::AppRun::Stage::Raised: std::fputs(run.message.c_str(), stderr); return static_cast<int>(Exit::AppFailed);
  }
  return static_cast<int>(Exit::Internal);
}

} // namespace vvm::cmd
