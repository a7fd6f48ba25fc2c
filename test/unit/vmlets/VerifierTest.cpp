// The VMlet checks in-process, with rules, toolkits, search directories and an install tree
// made up by each test: what each check decides, what it skips, and the order of the checks.
#include "vmlets/Verifier.h"

#include "security/Signature.h"
#include "test/support/TempDir.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace vvm;
using namespace vvm::vmlets;

namespace {

const Toolkit kToolkits[] = {{"jvm", "1.2.0", "a JVM family toolkit"}};

const char* kRules = "(capability stdout (allow any))\n"
                     "(capability net (allow trusted))\n"
                     "(capability raw (allow shipped))\n"
                     "(limit types 2)\n";

std::string manifest(const std::string& clauses = "") {
  return "(vmlet stack (version \"0.1.0\") (type \"application/x-vvm-stack\" (suffix \".stk\"))" + clauses +
         ")\n(define (load-program bytes) #f)\n(entry load-program)\n";
}

/// A directory with an install tree, a search directory, a trusted key and rules.
struct World {
  test::TempDir dir;
  Rules rules;
  security::TrustStore trust;
  security::KeyPair key;
  VerifyOptions options;

  World(const char* rulesText = kRules) {
    REQUIRE(dir.ok());
    Diagnostics d;
    REQUIRE(readRules(rulesText, "rules.vc", rules, d));
    auto pair = security::generateKeyPair();
    REQUIRE(pair.ok());
    key = *pair;
    trust.addKey(key.publicKey, "me.pub");
    std::filesystem::create_directory(dir.file("install"));
    std::filesystem::create_directory(dir.file("path"));
    dir.write("install/HASHES", "# generated\n");
    options.rules = &rules;
    options.trust = &trust;
    options.toolkits = kToolkits;
    options.installDirectory = dir.file("install");
    options.searchDirs = {{dir.file("install"), Origin::InstallTree}, {dir.file("path"), Origin::SearchPath}};
  }
  std::string sign(const std::string& text) const {
    auto s = security::signText(key.secretKey, text);
    REQUIRE(s.ok());
    return *s;
  }
  VerifyReport verify(const std::string& name, const std::string& text) {
    return verifyVmlet(dir.write(name, text), options);
  }
};

/// "STATE name" for every check, then the message of each that has one.
std::string summary(const VerifyReport& r) {
  std::string out;
  for (const CheckResult& c : r.checks) out += std::string(checkStateName(c.state)) + " " + c.name + "\n";
  return out;
}

const CheckResult& check(const VerifyReport& r, const std::string& name) {
  for (const CheckResult& c : r.checks)
    if (c.name == name) return c;
  FAIL("no check named " + name);
  return r.checks[0];
}

} // namespace

TEST_CASE("the checks run in order, and a signed VMlet within the rules passes them all") {
  World w;
  VerifyReport r = w.verify("stack.vml", w.sign(manifest("(capability net) (toolkit jvm \"1.1\")")));
  CHECK(summary(r) == "PASS read\nPASS size\nPASS syntax\nPASS manifest\nPASS capabilities\nPASS toolkits\n"
                      "PASS names\nPASS body\nPASS signature\n");
  CHECK(r.valid());
  CHECK(check(r, "signature").message == "signed by trusted key " + w.key.publicKey.id().hex() + " (me.pub)");
}

TEST_CASE("a check that lacks what it needs is skipped; the others still run") {
  World w;
  VerifyReport r = w.verify("broken.vml", "(vmlet stack");
  CHECK(summary(r) == "PASS read\nPASS size\nFAIL syntax\nSKIP manifest\nSKIP capabilities\nSKIP toolkits\n"
                      "SKIP names\nSKIP body\nFAIL signature\n");
  CHECK(r.failures() == 2);
  CHECK(check(r, "syntax").line == 1);
  CHECK(check(r, "syntax").col == 1);
  CHECK(check(r, "manifest").message == "needs a file that reads as data");
  CHECK(check(r, "names").message == "needs a readable manifest");

  r = verifyVmlet(w.dir.file("none.vml"), w.options);
  CHECK(r.notFound);
  CHECK(check(r, "read").message == "not found");
  CHECK(check(r, "signature").message == "needs a readable file");
  CHECK(r.failures() == 1);

  r = verifyVmlet(w.dir.path(), w.options); // a directory
  CHECK_FALSE(r.notFound);
  CHECK(check(r, "read").message == "a directory, not a regular file");
}

TEST_CASE("capabilities: unknown ones, and ones above the VMlet's trust level, are located") {
  World w;
  VerifyReport r = w.verify("a.vml", w.sign(manifest("\n (capability stdout)\n (capability raw)\n (capability fly)")));
  const CheckResult& c = check(r, "capabilities");
  CHECK(c.state == CheckState::Fail);
  CHECK(c.line == 3);
  CHECK(c.col == 2);
  std::string file = w.dir.file("a.vml");
  CHECK(c.message == file +
                         ":3:2: capability 'raw' is for shipped VMlets only (rules.vc:3:1), and this one is not: "
                         "signed by trusted key " +
                         w.key.publicKey.id().hex() + " (me.pub); " + file +
                         ":4:2: unknown capability 'fly' (the rules, rules.vc, have: stdout net raw)");
  CHECK(r.failures() == 1);

  // Unsigned: net (trusted) is refused too, and so is the signature.
  r = w.verify("b.vml", manifest("(capability net)"));
  CHECK(check(r, "capabilities").message.find("capability 'net' is for trusted VMlets only") != std::string::npos);
  CHECK(check(r, "signature").state == CheckState::Fail);
}

TEST_CASE("install tree VMlets are trusted by the hash list, and may have shipped-only capabilities") {
  World w;
  std::string text = manifest("(capability raw)");
  w.dir.write("install/HASHES", sha256Hex(text) + "  stack.vml\n");
  VerifyReport r = w.verify("install/stack.vml", text);
  CHECK(r.valid());
  CHECK(check(r, "signature").message == "shipped with vvm (matches the install tree's hash list)");

  w.dir.write("install/stack.vml", text + ";; edited\n");
  r = verifyVmlet(w.dir.file("install/stack.vml"), w.options);
  CHECK(check(r, "signature").message ==
        "install tree file does not match the hash list (changed since vvm was built)");
  CHECK(check(r, "capabilities").state == CheckState::Fail);

  // Signed by a trusted key, but not vvm's own: refused in the install tree.
  r = w.verify("install/other.vml", w.sign(manifest().replace(7, 5, "other")));
  CHECK(check(r, "signature")
            .message.find("install tree file is not in the hash list; only the VMlets built with "
                          "vvm belong there") == 0);
}

TEST_CASE("toolkits are checked against the toolkit list given") {
  World w;
  VerifyReport r = w.verify("a.vml", w.sign(manifest("\n  (toolkit jvm \"1.3\")\n  (toolkit smalltalk \"1.0\")")));
  const CheckResult& c = check(r, "toolkits");
  CHECK(c.state == CheckState::Fail);
  CHECK(c.line == 2);
  CHECK(c.message.find(":2:3: needs toolkit jvm 1.3; this vvm has version 1.2.0") != std::string::npos);
  CHECK(c.message.find(":3:3: needs toolkit smalltalk 1.0, which this vvm does not have (it has: jvm)") !=
        std::string::npos);
  w.options.toolkits = {};
  r = w.verify("b.vml", w.sign(manifest("(toolkit jvm \"1.0\")")));
  CHECK(check(r, "toolkits").message.find("(it has no toolkits)") != std::string::npos);
}

TEST_CASE("names: another VMlet file of the same name in the search directories is reported") {
  World w;
  w.dir.write("path/stack.vml", manifest());
  w.dir.write("path/broken.vml", "(vmlet");
  VerifyReport r = w.verify("mine.vml", w.sign(manifest()));
  const CheckResult& c = check(r, "names");
  CHECK(c.state == CheckState::Fail);
  CHECK(c.message == w.dir.file("mine.vml") + ":1:1: the name 'stack' is already taken by " +
                         w.dir.file("path/stack.vml") + " (VVM_VMLET_PATH)");
  // The file itself, found in the search directories, is no rival, however it is named.
  r = verifyVmlet(w.dir.file("path/stack.vml"), w.options);
  CHECK(check(r, "names").state == CheckState::Pass);
  r = verifyVmlet(w.dir.path() + "/path/../path/stack.vml", w.options);
  CHECK(check(r, "names").state == CheckState::Pass);
}

TEST_CASE("limits: size and the number of types") {
  World w("(capability stdout (allow any))\n(limit vmlet-bytes 200)\n(limit types 1)\n");
  VerifyReport r = w.verify("big.vml", manifest() + std::string(200, ';') + "\n");
  CHECK(summary(r).find("PASS read\nFAIL size\nSKIP syntax\nSKIP manifest\n") == 0);
  CHECK(check(r, "size").message.find(
            " bytes; the rules allow a VMlet at most 200 (limit vmlet-bytes, rules.vc:2:1)") != std::string::npos);
  CHECK(check(r, "signature").state == CheckState::Skip);

  // (Unsigned: a signature line would take it over 200 bytes.)
  r = w.verify("types.vml", "(vmlet t (version \"1\") (type \"application/x-a\") (type \"application/x-b\"))");
  CHECK(check(r, "manifest")
            .message.find(":1:1: the manifest declares 2 types; the rules allow at most 1 (limit "
                          "types, rules.vc:3:1)") != std::string::npos);
}

TEST_CASE("the check list is a vector of named checks that others can extend") {
  World w;
  std::vector<Check> checks = standardChecks();
  REQUIRE(checks.size() == 9);
  CHECK(checks[7].name == "body");
  CHECK(checks.back().name == "signature");
  // Another check, inserted before the signature, runs only when the manifest is readable.
  checks.insert(checks.end() - 1, {"extra", Needs::Manifest, [](Subject& s, CheckResult& r) {
                                     if (s.data.size() < 4) r.fail(s.path, 1, 1, "too few forms");
                                   }});
  VerifyReport r = runChecks(w.dir.write("a.vml", w.sign(manifest())), w.options, checks);
  CHECK(summary(r).find("PASS names\nPASS body\nFAIL extra\nPASS signature\n") != std::string::npos);
  r = runChecks(w.dir.write("b.vml", "(vmlet"), w.options, checks);
  CHECK(check(r, "extra").state == CheckState::Skip);
}

TEST_CASE("the body check: templates, the sandbox, limits, located") {
  World w;
  auto body = [&](const std::string& name, const std::string& text) {
    VerifyReport r = verifyVmlet(w.dir.write(name, w.sign(manifest() + text)), w.options);
    return check(r, "body");
  };
  CHECK(body("ok.vml", "(def-opcode 1 push (s8) (const.i32 $0))").state == CheckState::Pass);
  const CheckResult& bad = body("bad.vml", "(def-opcode 1 add () (const.null) (add.i32))");
  CHECK(bad.state == CheckState::Fail);
  CHECK(bad.message.find("bad.vml:4:1: opcode 0x01 add does not verify") != std::string::npos);
  const CheckResult& hostile = body("hostile.vml", "(define (steal b) (exit 1))");
  CHECK(hostile.state == CheckState::Fail);
  CHECK(hostile.message.find("exit is not available in a VMlet's sandbox") != std::string::npos);
}

TEST_CASE("the body check: instructions the rules reserve are refused to VMlets below the level") {
  World w((std::string(kRules) + "(instruction mul.i32 (allow shipped))\n").c_str());
  std::string text = manifest() + "(def-opcode 1 mul () (mul.i32))\n(def-opcode 2 add () (add.i32))\n";
  VerifyReport r = verifyVmlet(w.dir.write("reserved.vml", w.sign(text)), w.options);
  const CheckResult& body = check(r, "body");
  CHECK(body.state == CheckState::Fail);
  INFO(body.message);
  CHECK(body.message.find(
            "reserved.vml:4:22: mul.i32 is reserved to shipped VMlets by the rules (rules.vc), and this one is not") !=
        std::string::npos);
  CHECK(body.message.find("add.i32") == std::string::npos);
}
