// The global rules: the file that ships, each form, and a located error for each way a rules
// file can be wrong (test/corpus/rules holds more, replayed by the fuzz target too).
#include "vmlets/Rules.h"

#include "vmlets/Catalog.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace vvm;
using namespace vvm::vmlets;

namespace {

/// The first error a rules text gives, as "line:col: message".
std::string error(const std::string& text) {
  Rules rules;
  Diagnostics d;
  REQUIRE_FALSE(readRules(text, "r.vc", rules, d));
  REQUIRE(d.count() >= 1);
  const Diagnostic& e = d.all()[0];
  return std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.message;
}

} // namespace

TEST_CASE("the rules file that ships reads, and names the capabilities of DESIGN §6") {
  Rules rules;
  Diagnostics d;
  std::string file = std::string(VVM_SOURCE_DIR) + "/vmlets/rules.vc";
  REQUIRE(loadRules(file, rules, d));
  CHECK(d.count() == 0);
  for (const char* any : {"stdout", "stderr", "stdin", "args", "exit", "clock"}) {
    INFO(any);
    REQUIRE(rules.capability(any));
    CHECK(rules.capability(any)->allow == TrustLevel::Any);
  }
  for (const char* trusted : {"read", "write", "env", "net"}) {
    INFO(trusted);
    REQUIRE(rules.capability(trusted));
    CHECK(rules.capability(trusted)->allow == TrustLevel::Trusted);
    CHECK(!rules.capability(trusted)->doc.empty());
  }
  CHECK(rules.capabilities.size() == 10);
  CHECK_FALSE(rules.capability("teleport"));
  CHECK(rules.limit(RuleLimit::VmletBytes) == kMaxVmletBytes);
  CHECK(rules.instructions.empty());
  CHECK(rules.instructionLevel(core::Op::Nop) == TrustLevel::Any);
}

TEST_CASE("rules set limits and reserve instructions; what they leave out keeps its default") {
  Rules rules;
  Diagnostics d;
  REQUIRE(readRules("(limit types 3)\n(instruction nop (allow shipped))\n(capability x (allow trusted))", "r.vc", rules,
                    d));
  CHECK(rules.limit(RuleLimit::Types) == 3);
  CHECK(rules.where(rules.limitPos[static_cast<size_t>(RuleLimit::Types)]) == "r.vc:1:1");
  CHECK(rules.limit(RuleLimit::VmletBytes) == kMaxVmletBytes);
  CHECK(rules.where(rules.limitPos[static_cast<size_t>(RuleLimit::VmletBytes)]) == "r.vc");
  CHECK(rules.instructionLevel(core::Op::Nop) == TrustLevel::Shipped);
  REQUIRE(rules.capability("x"));
  CHECK(rules.capability("x")->pos.line == 3);
  CHECK(admits(TrustLevel::Trusted, TrustLevel::Shipped));
  CHECK_FALSE(admits(TrustLevel::Shipped, TrustLevel::Trusted));
  CHECK(readRules("", "r.vc", rules, d)); // no capability exists; strict, but well-formed
}

TEST_CASE("a wrong rules file gives located errors, all of them") {
  CHECK(error("(capability stdout (allow any)") == "1:1: unterminated list (the text ends before it closes)");
  CHECK(error("stdout") == "1:1: expected a rule such as (capability NAME (allow LEVEL)), not stdout");
  CHECK(error("(capabilty stdout (allow any))") ==
        "1:2: unknown rule 'capabilty' (known: capability limit instruction)");
  CHECK(error("(capability 9 (allow any))").find("1:13: a capability's name must be a name") == 0);
  CHECK(error("(capability x)") == "1:1: expected (capability NAME (allow LEVEL) (doc \"what it grants\"))");
  CHECK(error("(capability x (doc \"d\"))") ==
        "1:1: capability 'x' says nothing about who may have it: add (allow LEVEL)");
  CHECK(error("(capability x (allow any) (allow any))") == "1:27: (allow ...) appears twice");
  CHECK(error("(capability x (allow))") == "1:15: expected (allow LEVEL), LEVEL one of: any trusted shipped");
  CHECK(error("(capability x (allow everyone))") ==
        "1:22: unknown trust level 'everyone' (known: any trusted shipped)");
  CHECK(error("(capability x (allow any) (doc 1))") == "1:27: expected (doc \"what it grants\")");
  CHECK(error("(capability x (allow any) (colour red))")
            .find("1:27: expected (capability NAME (allow LEVEL) (doc \"what it grants\")), not (colour red)") == 0);
  CHECK(error("(capability x (allow any))\n(capability x (allow trusted))") ==
        "2:13: capability 'x' is already defined at line 1");
  CHECK(error("(limit vmlet-bytes)") ==
        "1:1: expected (limit NAME N), NAME one of: vmlet-bytes types def-opcodes derived-instructions");
  CHECK(error("(limit speed 3)") ==
        "1:8: unknown limit 'speed' (known: vmlet-bytes types def-opcodes derived-instructions)");
  CHECK(error("(limit types 0)") == "1:14: limit types must be an integer from 1 to 4096, not 0");
  CHECK(error("(limit vmlet-bytes 1048577)") ==
        "1:20: limit vmlet-bytes must be an integer from 1 to 1048576, not 1048577");
  CHECK(error("(limit types \"3\")") == "1:14: limit types must be an integer from 1 to 4096, not \"3\"");
  CHECK(error("(limit types 3) (limit types 4)") == "1:17: (limit types ...) is already set at line 1");
  CHECK(error("(instruction jump (allow trusted))") ==
        "1:14: unknown VP instruction 'jump' (the instructions are core/ir/Instructions.def's)");
  CHECK(error("(instruction nop)") ==
        "1:1: expected (instruction MNEMONIC (allow LEVEL)), MNEMONIC a VP instruction such as call");
  CHECK(error("(instruction nop (allow any)) (instruction nop (allow any))") ==
        "1:44: instruction 'nop' already has a rule at line 1");

  Rules rules;
  Diagnostics d;
  REQUIRE_FALSE(readRules("(limit speed 3)\n(capability x (allow nobody))\n(frobnicate)\n", "r.vc", rules, d));
  CHECK(d.count() == 3);
}

TEST_CASE("a rules file that cannot be read is one error about the whole file") {
  Rules rules;
  Diagnostics d;
  REQUIRE_FALSE(loadRules("/nonexistent/rules.vc", rules, d));
  REQUIRE(d.count() == 1);
  CHECK(formatDiagnostic(d.all()[0]) == "/nonexistent/rules.vc: error: cannot read the global rules: no such file\n");
}

TEST_CASE("every rules file in the corpus is rejected with a located error") {
  namespace fs = std::filesystem;
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(std::string(VVM_SOURCE_DIR) + "/test/corpus/rules")) {
    ++files;
    INFO(e.path().string());
    Rules rules;
    Diagnostics d;
    CHECK_FALSE(loadRules(e.path().string(), rules, d));
    REQUIRE(d.count() >= 1);
    CHECK(d.all()[0].line > 0);
    CHECK(d.all()[0].col > 0);
  }
  CHECK(files >= 8);
}
