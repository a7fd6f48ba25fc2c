// The global rules for VMlets (DESIGN §7): which capabilities exist and which VMlets may ask for
// them, the limits a VMlet must keep to, and the VP instructions reserved to trusted VMlets.
// They are a file in console-language syntax (vmlets/rules.vc, installed as
// share/vvm/rules.vc), read as data with the console reader and never evaluated; the checks
// that apply them are C++ (Verifier.h).
//
//   (capability NAME (allow LEVEL) (doc "what it grants"))  ; one per capability; doc optional
//   (limit NAME N)                                           ; RuleLimits.def names; 1 <= N <= max
//   (instruction MNEMONIC (allow LEVEL))                     ; a VP instruction only LEVEL may use
//
// LEVEL is a word of TrustLevels.def: any, trusted or shipped. A capability not in the rules
// does not exist, so no VMlet may ask for it. An instruction not in the rules is open to every
// VMlet. Each capability, limit and instruction appears at most once. Every error is reported
// with file:line:col; all the errors of a file are reported, not only the first.
#pragma once

#include "console/Reader.h"
#include "core/ir/Opcode.h"
#include "vmlets/Trust.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::vmlets {

/// The limits (RuleLimits.def).
enum class RuleLimit : uint8_t {
#define VVM_RULE_LIMIT(Name, Text, Default, Max, Doc) Name,
#include "vmlets/RuleLimits.def"
};
inline constexpr size_t kRuleLimitCount = 0
#define VVM_RULE_LIMIT(Name, Text, Default, Max, Doc) +1
#include "vmlets/RuleLimits.def"
    ;

/// "vmlet-bytes", ...
std::string_view ruleLimitName(RuleLimit limit);

struct CapabilityRule {
  std::string name;
  TrustLevel allow = TrustLevel::Any;
  std::string doc;
  console::SourcePos pos;
};

struct InstructionRule {
  core::Op op{};
  TrustLevel allow = TrustLevel::Any;
  console::SourcePos pos;
};

/// A rules file, read.
struct Rules {
  std::string file; ///< where the rules were read from
  std::vector<CapabilityRule> capabilities;
  std::vector<InstructionRule> instructions;
  std::array<uint64_t, kRuleLimitCount> limits{};             ///< every limit, defaults filled in
  std::array<console::SourcePos, kRuleLimitCount> limitPos{}; ///< where each was set (line 0: default)

  /// Rules with no capabilities and no instructions, and every limit at its default.
  Rules();

  /// The capability named `name`, or null: it does not exist.
  const CapabilityRule* capability(std::string_view name) const;
  uint64_t limit(RuleLimit l) const { return limits[static_cast<size_t>(l)]; }
  /// Who may use `op`: the rules' level for it, else Any.
  TrustLevel instructionLevel(core::Op op) const;
  /// "FILE:LINE:COL" of a rule, or "FILE" when `pos` is unset: for messages citing the rule.
  std::string where(console::SourcePos pos) const;
};

/// Reads rules from `text` (the file `file`). On errors returns false with every error located
/// in `diags`; `out` is then incomplete and must not be used.
bool readRules(std::string_view text, const std::string& file, Rules& out, Diagnostics& diags);

/// Reads the rules file at `path` (at most 1 MiB). A file that cannot be read is one diagnostic
/// about the whole file.
bool loadRules(const std::string& path, Rules& out, Diagnostics& diags);

} // namespace vvm::vmlets
