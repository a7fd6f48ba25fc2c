// The VMlet checks, in the order vvm verify prints them.
#include "vmlets/Verifier.h"

#include "core/interp/Thread.h"
#include "gc/Heap.h"
#include "security/SmallFile.h"
#include "vmlets/Vmlet.h"
#include "vos/Host.h"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

namespace vvm::vmlets {
namespace fs = std::filesystem;

namespace {

std::string located(const std::string& file, uint32_t line, uint32_t col) {
  if (line == 0) return {};
  return col ? fmt::format("{}:{}:{}: ", file, line, col) : fmt::format("{}:{}: ", file, line);
}

/// read: the file's bytes, unless there is more of them than the size limit allows (size says so).
void checkRead(Subject& s, CheckResult& r) {
  uint64_t limit = s.options->rules->limit(RuleLimit::VmletBytes);
  if (const std::string* given = s.options->bytes) {
    s.readable = true;
    s.size = given->size();
    if (given->size() <= limit) s.bytes = *given;
    return;
  }
  auto file = security::readSmallFile(s.path, limit);
  if (file) {
    s.readable = true;
    s.size = file->data.size();
    s.bytes = std::move(file->data);
    return;
  }
  const security::Failure& f = file.failure();
  if (f.code == security::SecurityError::FileTooBig) {
    std::error_code ec;
    s.readable = true;
    s.size = fs::file_size(s.path, ec);
    if (ec) s.size = limit + 1;
    return;
  }
  s.notFound = f.code == security::SecurityError::FileNotFound;
  r.fail(s.path, 0, 0, s.notFound ? "not found" : f.message());
}

void checkSize(Subject& s, CheckResult& r) {
  if (s.bytes) return;
  const Rules& rules = *s.options->rules;
  r.fail(s.path, 0, 0,
         fmt::format("{} bytes; the rules allow a VMlet at most {} (limit vmlet-bytes, {})", s.size,
                     rules.limit(RuleLimit::VmletBytes),
                     rules.where(rules.limitPos[static_cast<size_t>(RuleLimit::VmletBytes)])));
}

void checkSyntax(Subject& s, CheckResult& r) {
  Diagnostics diags;
  s.data = console::readAll(*s.bytes, s.path, diags);
  s.parsed = !diags.hasErrors();
  for (const Diagnostic& d : diags.all()) r.fail(s.path, d.line, d.col, d.message);
}

void checkManifest(Subject& s, CheckResult& r) {
  Manifest m;
  Diagnostics diags;
  if (!readManifest(*s.bytes, s.path, m, diags)) {
    for (const Diagnostic& d : diags.all()) r.fail(s.path, d.line, d.col, d.message);
    return;
  }
  const Rules& rules = *s.options->rules;
  uint64_t maxTypes = rules.limit(RuleLimit::Types);
  if (m.types.size() > maxTypes) {
    r.fail(s.path, m.pos.line, m.pos.col,
           fmt::format("the manifest declares {} types; the rules allow at most {} (limit types, {})", m.types.size(),
                       maxTypes, rules.where(rules.limitPos[static_cast<size_t>(RuleLimit::Types)])));
    return;
  }
  s.manifest = std::move(m);
}

void checkCapabilities(Subject& s, CheckResult& r) {
  const Rules& rules = *s.options->rules;
  const Manifest& m = *s.manifest;
  for (size_t i = 0; i < m.capabilities.size(); ++i) {
    const std::string& name = m.capabilities[i];
    console::SourcePos pos = i < m.capabilityPos.size() ? m.capabilityPos[i] : m.pos;
    const CapabilityRule* rule = rules.capability(name);
    if (!rule) {
      std::string names;
      for (const CapabilityRule& c : rules.capabilities) names += (names.empty() ? "" : " ") + c.name;
      r.fail(s.path, pos.line, pos.col,
             fmt::format("unknown capability '{}' (the rules, {}, have: {})", name, rules.file,
                         names.empty() ? "none" : names));
      continue;
    }
    const VmletTrust& trust = s.trust();
    if (!admits(rule->allow, trust.level))
      r.fail(s.path, pos.line, pos.col,
             fmt::format("capability '{}' is for {} VMlets only ({}), and this one is not: {}", name,
                         trustLevelName(rule->allow), rules.where(rule->pos), trust.reason));
  }
}

void checkToolkits(Subject& s, CheckResult& r) {
  for (const ToolkitNeed& need : s.manifest->toolkits) {
    std::string problem = toolkitProblem(need, s.options->toolkits);
    if (!problem.empty()) r.fail(s.path, need.pos.line, need.pos.col, problem);
  }
}

/// names: no other VMlet (another file) in the search directories has this one's name, so
/// neither can stand in for the other.
void checkNames(Subject& s, CheckResult& r) {
  const Manifest& m = *s.manifest;
  std::error_code ec;
  for (const Found& other : findVmlets(s.options->searchDirs, nullptr)) {
    if (!other.manifest || other.manifest->name != m.name) continue;
    if (fs::equivalent(other.path, s.path, ec)) continue;
    r.fail(s.path, m.pos.line, m.pos.col,
           fmt::format("the name '{}' is already taken by {} ({})", m.name, other.path, originName(other.origin)));
  }
}

} // namespace

void checkLoadedBody(const Vmlet& vm, const Rules& rules, TrustLevel level, const std::string& path, CheckResult& r) {
  size_t opcodes = 0;
  for (const OpcodeDef& op : vm.opcodes) opcodes += op.defined;
  if (opcodes > rules.limit(RuleLimit::DefOpcodes))
    r.fail(path, 0, 0,
           fmt::format("{} def-opcode entries, more than the rules allow ({}, {})", opcodes,
                       rules.limit(RuleLimit::DefOpcodes),
                       rules.where(rules.limitPos[static_cast<size_t>(RuleLimit::DefOpcodes)])));
  if (vm.derived.size() > rules.limit(RuleLimit::DerivedInstructions))
    r.fail(path, 0, 0,
           fmt::format("{} derived instructions, more than the rules allow ({})", vm.derived.size(),
                       rules.limit(RuleLimit::DerivedInstructions)));
  auto reserved = [&](const std::vector<TemplateInsn>& body) {
    for (const TemplateInsn& insn : body) {
      if (!insn.op) continue;
      TrustLevel need = rules.instructionLevel(*insn.op);
      if (!admits(need, level))
        r.fail(path, insn.pos.line, insn.pos.col,
               fmt::format("{} is reserved to {} VMlets by the rules ({}), and this one is not",
                           core::info(*insn.op).name, trustLevelName(need), rules.file));
    }
  };
  for (const OpcodeDef& op : vm.opcodes)
    if (op.defined) reserved(op.body);
  for (const auto& [name, def] : vm.derived) reserved(def->body);
  if (r.state != CheckState::Fail)
    r.message = fmt::format("{} opcodes, {} derived instructions, {} definitions; entry {}", opcodes, vm.derived.size(),
                            vm.definitions, vm.entryName);
}

namespace {

/// The body: def-opcode entries, derived instructions (each template verified by the VP
/// verifier), the console definitions compiled in the VMlet's sandbox (nothing runs), and the
/// rules' limits and reserved instructions. Compiling needs a runtime: a private one.
void checkBody(Subject& s, CheckResult& r) {
  if (!gc::initialized()) gc::init({});
  core::Runtime rt;
  vos::registerBasePrimitives(rt);
  console::installConsole(rt);
  {
    core::Thread thread(rt);
    Diagnostics diags;
    std::unique_ptr<Vmlet> vm = loadVmlet(s.path, *s.bytes, thread, diags);
    if (!vm) {
      for (const Diagnostic& d : diags.all()) r.fail(d.file, d.line, d.col, d.message);
    } else {
      checkLoadedBody(*vm, *s.options->rules, s.trust().level, s.path, r);
    }
  }
  console::releaseConsole(rt);
}

void checkSignature(Subject& s, CheckResult& r) {
  const VmletTrust& trust = s.trust();
  if (trust.trusted()) {
    r.message = trust.reason;
    return;
  }
  r.fail(s.path, trust.line, 0, trust.advice.empty() ? trust.reason : trust.reason + "; " + trust.advice);
}

/// Why a check that needs `needs` cannot run on `s`, or "" when it can. The reason names what
/// the check itself needs (the first check that failed is on its own line above).
std::string unmet(const Subject& s, Needs needs) {
  bool met = needs == Needs::Nothing || (needs == Needs::Readable && s.readable) ||
             (needs == Needs::Bytes && s.bytes) || (needs == Needs::Data && s.parsed) ||
             (needs == Needs::Manifest && s.manifest);
  if (met) return {};
  switch (needs) {
  case Needs::Nothing:
  case Needs::Readable: return "needs a readable file";
  case Needs::Bytes: return s.readable ? "needs a file within the size limit" : "needs a readable file";
  case Needs::Data: return "needs a file that reads as data";
  case Needs::Manifest: return "needs a readable manifest";
  }
  return {};
}

} // namespace

std::string_view checkStateName(CheckState s) {
  switch (s) {
  case CheckState::Pass: return "PASS";
  case CheckState::Fail: return "FAIL";
  case CheckState::Skip: return "SKIP";
  }
  return "?";
}

void CheckResult::fail(const std::string& file, uint32_t atLine, uint32_t atCol, const std::string& why) {
  if (state != CheckState::Fail) {
    state = CheckState::Fail;
    line = atLine;
    col = atLine ? atCol : 0;
    message.clear();
  } else {
    message += "; ";
  }
  message += located(file, atLine, atCol) + why;
}

const VmletTrust& Subject::trust() {
  if (!trust_) {
    VVM_ASSERT(bytes);
    if (options->verdict) {
      trust_ = *options->verdict;
    } else if (isDirectlyIn(path, options->installDirectory)) {
      HashList hashes;
      std::string error;
      bool loaded = HashList::load(options->installDirectory, hashes, error);
      trust_ = judgeShipped(path, *bytes, loaded ? &hashes : nullptr, error);
    } else {
      trust_ = judgeSigned(path, *bytes, *options->trust);
    }
  }
  return *trust_;
}

std::vector<Check> standardChecks(bool body) {
  std::vector<Check> checks = {
      {"read", Needs::Nothing, checkRead},
      {"size", Needs::Readable, checkSize},
      {"syntax", Needs::Bytes, checkSyntax},
      {"manifest", Needs::Data, checkManifest},
      {"capabilities", Needs::Manifest, checkCapabilities},
      {"toolkits", Needs::Manifest, checkToolkits},
      {"names", Needs::Manifest, checkNames},
  };
  // The body, between the manifest's checks and the signature: def-opcode entries and derived
  // instructions (templates verified), the console code compiled in the sandbox (no files, no
  // network, no redefinition of core names), limits and reserved instructions.
  if (body) checks.push_back({"body", Needs::Manifest, checkBody});
  checks.push_back({"signature", Needs::Bytes, checkSignature});
  return checks;
}

size_t VerifyReport::failures() const {
  size_t n = 0;
  for (const CheckResult& c : checks) n += c.state == CheckState::Fail;
  return n;
}

VerifyReport runChecks(const std::string& path, const VerifyOptions& options, const std::vector<Check>& checks) {
  VVM_ASSERT(options.rules && options.trust);
  VerifyReport report;
  report.file = path;
  Subject subject;
  subject.path = path;
  subject.options = &options;
  for (const Check& check : checks) {
    CheckResult r;
    r.name = check.name;
    if (std::string why = unmet(subject, check.needs); !why.empty()) {
      r.state = CheckState::Skip;
      r.message = std::move(why);
    } else {
      check.run(subject, r);
    }
    report.checks.push_back(std::move(r));
  }
  report.notFound = subject.notFound;
  if (subject.bytes) report.trust = subject.trust().level;
  return report;
}

} // namespace vvm::vmlets
