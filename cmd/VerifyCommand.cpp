// `vvm verify [--json] [--trust KEYFILE]... [--rules FILE] FILE.vml`.
#include "cmd/VerifyCommand.h"

#include "cmd/ExitStatus.h"
#include "cmd/Json.h"
#include "vmlets/InstallTree.h"
#include "vmlets/Verifier.h"
#include "vos/Host.h"

#include <fmt/format.h>

#include <cstdio>

namespace vvm::cmd {

namespace {

/// PASS  name[: note] / FAIL  name: why / SKIP  name: why, then the verdict.
std::string humanReport(const vmlets::VerifyReport& report) {
  std::string out;
  for (const vmlets::CheckResult& c : report.checks) {
    out += fmt::format("{}  {}", vmlets::checkStateName(c.state), c.name);
    if (!c.message.empty()) out += ": " + c.message;
    out += '\n';
  }
  size_t failed = report.failures();
  if (failed == 0)
    out += report.file + ": valid\n";
  else
    out += fmt::format("{}: invalid ({} check{} failed)\n", report.file, failed, failed == 1 ? "" : "s");
  return out;
}

std::string jsonPosition(uint32_t n) { return n ? std::to_string(n) : "null"; }

std::string jsonReport(const vmlets::VerifyReport& report) {
  std::string out = fmt::format("{{\"file\":{},\"valid\":{},\"checks\":[", jsonString(report.file),
                                report.valid() ? "true" : "false");
  for (size_t i = 0; i < report.checks.size(); ++i) {
    const vmlets::CheckResult& c = report.checks[i];
    std::string state(vmlets::checkStateName(c.state));
    for (char& ch : state) ch = static_cast<char>(ch - 'A' + 'a');
    out += fmt::format("{}\n  {{\"name\":{},\"state\":\"{}\",\"pass\":{},\"message\":{},\"line\":{},\"col\":{}}}",
                       i ? "," : "", jsonString(c.name), state, c.state == vmlets::CheckState::Pass ? "true" : "false",
                       jsonString(c.message), jsonPosition(c.line), jsonPosition(c.col));
  }
  out += "\n]}\n";
  return out;
}

} // namespace

CLI::App* addVerifyCommand(CLI::App& app, VerifyOptions& o) {
  CLI::App* cmd = app.add_subcommand("verify", "Verify a VMlet (.vml): syntax, manifest, rules, toolkits, signature");
  cmd->add_option("file", o.file, "The VMlet file")->required();
  cmd->add_flag("--json", o.json, "Print one JSON object instead of lines");
  cmd->add_option("--trust", o.trust, "Also trust this public key file (repeatable)")->type_name("KEYFILE");
  cmd->add_option("--rules", o.rules, "Apply these global rules instead of the install tree's share/vvm/rules.vc")
      ->type_name("FILE");
  cmd->footer(
      "Checks, in order, one line each: read, size, syntax, manifest, capabilities, toolkits, names,\n"
      "signature. A line is \"PASS  CHECK\" (signature adds who vouches for the file), \"FAIL  CHECK: WHY\"\n"
      "(FILE:LINE:COL first where the problem has a place) or \"SKIP  CHECK: WHY\" when an earlier check\n"
      "failed that it needs (capabilities, toolkits and names need a readable manifest; syntax and\n"
      "signature need the file within the size limit). The last line is \"FILE: valid\" or\n"
      "\"FILE: invalid (N checks failed)\"; skipped checks are not counted.\n"
      "--json prints {\"file\", \"valid\", \"checks\": [{\"name\", \"state\" (pass|fail|skip), \"pass\", \"message\",\n"
      "\"line\", \"col\"}]}, message as the line shows it, line and col null where there is no place.\n"
      "A VMlet is trusted when signed (embedded, or FILE.sig) by a key in the trust store (--trust, and the\n"
      "*.pub files in $XDG_CONFIG_HOME/vvm/trusted or ~/.config/vvm/trusted), or when it is in vvm's install\n"
      "tree and matches its hash list. The rules (capabilities, limits) are share/vvm/rules.vc.\n"
      "Exit status: 0 valid, 3 invalid (or the rules or a --trust key cannot be loaded), 4 FILE not found.");
  return cmd;
}

int verifyCommand(const VerifyOptions& o) {
  std::string rulesFile = o.rules.empty() ? vmlets::defaultRulesFile() : o.rules;
  vmlets::Rules rules;
  Diagnostics diags;
  if (rulesFile.empty()) {
    std::fputs("vvm verify: cannot find vvm's install tree, which holds the global rules (share/vvm/rules.vc); "
               "name a rules file with --rules FILE\n",
               stderr);
    return static_cast<int>(Exit::LoadFailed);
  }
  if (!vmlets::loadRules(rulesFile, rules, diags)) {
    std::fprintf(stderr, "vvm verify: the global rules cannot be used:\n%s", diags.format().c_str());
    return static_cast<int>(Exit::LoadFailed);
  }
  std::vector<security::Failure> warnings;
  auto trust = vmlets::userTrustStore(o.trust, warnings);
  for (const security::Failure& f : warnings) std::fprintf(stderr, "vvm verify: warning: %s", f.format().c_str());
  if (!trust.ok()) {
    std::fprintf(stderr, "vvm verify: %s", trust.failure().format().c_str());
    return static_cast<int>(Exit::LoadFailed);
  }

  vmlets::VerifyOptions options;
  options.rules = &rules;
  options.trust = &*trust;
  options.searchDirs = vmlets::standardSearchDirs();
  options.installDirectory = vmlets::installVmletsDirectory();
  vmlets::VerifyReport report = vmlets::verifyVmlet(o.file, options);

  vos::writeOut(o.json ? jsonReport(report) : humanReport(report));
  vos::flushOut();
  if (report.notFound) return static_cast<int>(Exit::NotFound);
  return static_cast<int>(report.valid() ? Exit::Success : Exit::LoadFailed);
}

} // namespace vvm::cmd
