// Reading the global rules file: each top-level form is one rule, checked on its own so that
// every broken rule is reported, each at the datum it is about.
#include "vmlets/Rules.h"

#include "security/SmallFile.h"
#include "vmlets/Catalog.h"

#include <fmt/format.h>

namespace vvm::vmlets {
namespace {

using console::Datum;

constexpr std::string_view kLimitNames[] = {
#define VVM_RULE_LIMIT(Name, Text, Default, Max, Doc) Text,
#include "vmlets/RuleLimits.def"
};
constexpr uint64_t kLimitDefaults[] = {
#define VVM_RULE_LIMIT(Name, Text, Default, Max, Doc) Default,
#include "vmlets/RuleLimits.def"
};
constexpr uint64_t kLimitMaxima[] = {
#define VVM_RULE_LIMIT(Name, Text, Default, Max, Doc) Max,
#include "vmlets/RuleLimits.def"
};
static_assert(std::size(kLimitNames) == kRuleLimitCount);

/// A rules file is a page or two of text.
constexpr size_t kMaxRulesBytes = 1u << 20;

/// The words of a table, for "(known: ...)" in messages.
template <typename Table> std::string known(const Table& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : " ") + std::string(n);
  return out;
}

class RulesReader {
public:
  RulesReader(const std::string& file, Diagnostics& diags, Rules& rules) : file_(file), diags_(diags), rules_(rules) {}

  void rule(const Datum& form) {
    if (!form.isList() || form.items.empty() || form.items[0].kind != Datum::Kind::Symbol) {
      fail(form, "expected a rule such as (capability NAME (allow LEVEL)), not " + form.write());
      return;
    }
    const std::string& head = form.items[0].text;
    if (head == "capability")
      capability(form);
    else if (head == "limit")
      limit(form);
    else if (head == "instruction")
      instruction(form);
    else
      fail(form.items[0], "unknown rule '" + head + "' (known: capability limit instruction)");
  }

private:
  void fail(const Datum& at, std::string message) {
    if (diags_.full()) return diags_.countOnly();
    diags_.error(file_, at.pos.line, at.pos.col, std::move(message));
  }

  /// (allow LEVEL) at `d`.
  std::optional<TrustLevel> allow(const Datum& d) {
    if (!d.isList() || d.items.size() != 2 || !d.items[0].isSymbol("allow") || d.items[1].kind != Datum::Kind::Symbol) {
      fail(d, "expected (allow LEVEL), LEVEL one of: " + known(levelNames()));
      return std::nullopt;
    }
    auto level = trustLevelFromName(d.items[1].text);
    if (!level) fail(d.items[1], "unknown trust level '" + d.items[1].text + "' (known: " + known(levelNames()) + ")");
    return level;
  }

  static std::vector<std::string_view> levelNames() {
    std::vector<std::string_view> names;
#define VVM_TRUST_LEVEL(Name, Text, Doc) names.push_back(Text);
#include "vmlets/TrustLevels.def"
    return names;
  }

  /// (capability NAME (allow LEVEL) (doc "..."))
  void capability(const Datum& form) {
    const char* shape = "expected (capability NAME (allow LEVEL) (doc \"what it grants\"))";
    if (form.items.size() < 3) return fail(form, shape);
    const Datum& name = form.items[1];
    if (name.kind != Datum::Kind::Symbol || !isName(name.text))
      return fail(name, "a capability's name must be a name (letters, digits, - _ . starting with a letter), not " +
                            name.write());
    CapabilityRule rule;
    rule.name = name.text;
    rule.pos = form.pos;
    bool allowed = false, documented = false, ok = true;
    for (size_t i = 2; i < form.items.size(); ++i) {
      const Datum& part = form.items[i];
      bool isAllow = part.isList() && !part.items.empty() && part.items[0].isSymbol("allow");
      bool isDoc = part.isList() && !part.items.empty() && part.items[0].isSymbol("doc");
      if (isAllow) {
        if (allowed) return fail(part, "(allow ...) appears twice");
        allowed = true;
        auto level = allow(part);
        ok = ok && level;
        if (level) rule.allow = *level;
      } else if (isDoc) {
        if (documented) return fail(part, "(doc ...) appears twice");
        documented = true;
        if (part.items.size() != 2 || part.items[1].kind != Datum::Kind::String)
          return fail(part, "expected (doc \"what it grants\")");
        rule.doc = part.items[1].text;
      } else {
        return fail(part, std::string(shape) + ", not " + part.write());
      }
    }
    if (!allowed)
      return fail(form, "capability '" + rule.name + "' says nothing about who may have it: add (allow LEVEL)");
    if (const CapabilityRule* earlier = rules_.capability(rule.name))
      return fail(name,
                  "capability '" + rule.name + "' is already defined at line " + std::to_string(earlier->pos.line));
    if (ok) rules_.capabilities.push_back(std::move(rule));
  }

  /// (limit NAME N)
  void limit(const Datum& form) {
    if (form.items.size() != 3 || form.items[1].kind != Datum::Kind::Symbol)
      return fail(form, "expected (limit NAME N), NAME one of: " + known(kLimitNames));
    const Datum& name = form.items[1];
    size_t index = 0;
    while (index < kRuleLimitCount && kLimitNames[index] != name.text) ++index;
    if (index == kRuleLimitCount)
      return fail(name, "unknown limit '" + name.text + "' (known: " + known(kLimitNames) + ")");
    if (rules_.limitPos[index].line != 0)
      return fail(form, "(limit " + name.text + " ...) is already set at line " +
                            std::to_string(rules_.limitPos[index].line));
    const Datum& value = form.items[2];
    if (value.kind != Datum::Kind::Integer || value.integer < 1 ||
        static_cast<uint64_t>(value.integer) > kLimitMaxima[index])
      return fail(value, fmt::format("limit {} must be an integer from 1 to {}, not {}", name.text, kLimitMaxima[index],
                                     value.write()));
    rules_.limits[index] = static_cast<uint64_t>(value.integer);
    rules_.limitPos[index] = form.pos;
  }

  /// (instruction MNEMONIC (allow LEVEL))
  void instruction(const Datum& form) {
    if (form.items.size() != 3 || form.items[1].kind != Datum::Kind::Symbol)
      return fail(form, "expected (instruction MNEMONIC (allow LEVEL)), MNEMONIC a VP instruction such as call");
    const Datum& name = form.items[1];
    auto op = core::opFromName(name.text);
    if (!op)
      return fail(name, "unknown VP instruction '" + name.text + "' (the instructions are core/ir/Instructions.def's)");
    auto level = allow(form.items[2]);
    if (!level) return;
    for (const InstructionRule& earlier : rules_.instructions)
      if (earlier.op == *op)
        return fail(name,
                    "instruction '" + name.text + "' already has a rule at line " + std::to_string(earlier.pos.line));
    rules_.instructions.push_back({*op, *level, form.pos});
  }

  const std::string& file_;
  Diagnostics& diags_;
  Rules& rules_;
};

} // namespace

std::string_view ruleLimitName(RuleLimit limit) { return kLimitNames[static_cast<size_t>(limit)]; }

Rules::Rules() {
  for (size_t i = 0; i < kRuleLimitCount; ++i) limits[i] = kLimitDefaults[i];
}

const CapabilityRule* Rules::capability(std::string_view name) const {
  for (const CapabilityRule& c : capabilities)
    if (c.name == name) return &c;
  return nullptr;
}

TrustLevel Rules::instructionLevel(core::Op op) const {
  for (const InstructionRule& r : instructions)
    if (r.op == op) return r.allow;
  return TrustLevel::Any;
}

std::string Rules::where(console::SourcePos pos) const {
  if (pos.line == 0) return file;
  return fmt::format("{}:{}:{}", file, pos.line, pos.col);
}

bool readRules(std::string_view text, const std::string& file, Rules& out, Diagnostics& diags) {
  out = Rules();
  out.file = file;
  size_t before = diags.count();
  std::vector<Datum> data = console::readAll(text, file, diags);
  if (diags.count() != before) return false;
  RulesReader reader(file, diags, out);
  for (const Datum& form : data) reader.rule(form);
  return diags.count() == before;
}

bool loadRules(const std::string& path, Rules& out, Diagnostics& diags) {
  auto file = security::readSmallFile(path, kMaxRulesBytes);
  if (!file) {
    diags.error(path, 0, 0, "cannot read the global rules: " + file.failure().message());
    return false;
  }
  return readRules(file->data, path, out, diags);
}

} // namespace vvm::vmlets
