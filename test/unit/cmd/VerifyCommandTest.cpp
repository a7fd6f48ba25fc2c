// `vvm verify` as a user meets it: one line per check, the verdict, --json, exit statuses, and a
// broken rules file. Runs the built binary on VMlets written to a temporary directory, with the
// trust store, data directory and search path pointed at nothing the test does not make.
#include "RunVvm.h"
#include "test/support/Files.h"
#include "test/support/ScopedEnv.h"
#include "test/support/TempDir.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using vvm::test::runVvm;
using vvm::test::VvmRun;

namespace {

// (Not named after a VMlet that ships with vvm: the names check would find it.)
const std::string kManifestHead = "(vmlet verify-test\n"
                                  "  (version \"0.1.0\")\n"
                                  "  (type \"application/x-vvm-verify-test\" (suffix \".vtest\"))\n"
                                  "  (capability stdout)";

/// The test VMlet: its manifest (with `clauses` added at its end) and a minimal body.
std::string vmletWith(const std::string& clauses = "") {
  return kManifestHead + clauses + ")\n(define (load-program bytes) #f)\n(entry load-program)\n";
}
const std::string kManifest = vmletWith();

/// A temporary directory holding a key pair, with the environment vvm reads pointed into it:
/// no trusted keys but --trust's, no VMlets but those a test puts in VVM_VMLET_PATH.
struct Setup {
  vvm::test::TempDir dir;
  vvm::test::ScopedEnv config{"XDG_CONFIG_HOME", "/nonexistent"};
  vvm::test::ScopedEnv data{"XDG_DATA_HOME", "/nonexistent"};
  vvm::test::ScopedEnv path{"VVM_VMLET_PATH", nullptr};
  std::string trust;

  Setup() {
    REQUIRE(dir.ok());
    REQUIRE(runVvm("keygen --out " + dir.file("me")).status == 0);
    trust = " --trust " + dir.file("me.pub") + " ";
  }
  /// Writes `text` as NAME and signs it with the key pair.
  std::string signedVmlet(const std::string& name, const std::string& text) const {
    std::string p = dir.write(name, text);
    REQUIRE(runVvm("sign '" + p + "' --key " + dir.file("me.key")).status == 0);
    return p;
  }
};

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

} // namespace

TEST_CASE("verify: a signed VMlet whose key is trusted passes every check") {
  Setup s;
  std::string vml = s.signedVmlet("stack.vml", kManifest);
  VvmRun r = runVvm("verify" + s.trust + vml, "", s.dir.file("err"));
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("PASS  read\nPASS  size\nPASS  syntax\nPASS  manifest\nPASS  capabilities\nPASS  toolkits\n"
                   "PASS  names\nPASS  body: 0 opcodes, 0 derived instructions, 1 definitions; entry load-program\n"
                   "PASS  signature: signed by trusted key ") == 0);
  CHECK(has(r.out, "\n" + vml + ": valid\n"));

  // A detached signature (FILE.sig) does as well.
  std::string detached = s.dir.write("detached.vml", kManifest);
  REQUIRE(runVvm("sign --detached " + detached + " --key " + s.dir.file("me.key")).status == 0);
  CHECK(runVvm("verify" + s.trust + detached).status == 0);
}

TEST_CASE("verify: unsigned, tampered and wrongly signed VMlets fail the signature check") {
  Setup s;
  std::string unsignedVml = s.dir.write("unsigned.vml", kManifest);
  VvmRun r = runVvm("verify" + s.trust + unsignedVml);
  CHECK(r.status == 3);
  CHECK(has(r.out, "PASS  body: 0 opcodes, 0 derived instructions, 1 definitions; entry load-program\nFAIL  signature: "
                   "not signed; a VMlet from outside vvm's install tree needs a "
                   "signature by a key in the trust store"));
  CHECK(has(r.out, unsignedVml + ": invalid (1 check failed)\n"));

  std::string tampered = s.signedVmlet("tampered.vml", kManifest);
  std::string text = vvm::test::contents(tampered);
  text.replace(text.find("0.1.0"), 5, "0.1.1");
  s.dir.write("tampered.vml", text);
  r = runVvm("verify" + s.trust + tampered);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  signature: the signature by key "));
  CHECK(has(r.out, "does not match the content (changed after signing, or forged)"));

  // Signed by a key that is not trusted: the same file, checked without --trust.
  std::string other = s.signedVmlet("other.vml", kManifest);
  r = runVvm("verify " + other);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  signature: signed by key "));
  CHECK(has(r.out, "which is not in the trust store; trust the key with --trust KEYFILE"));
}

TEST_CASE("verify: syntax and manifest errors are located, and the checks that need a manifest are skipped") {
  Setup s;
  std::string broken = s.signedVmlet("broken.vml", "(vmlet verify-test\n  (version \"0.1.0)\n");
  VvmRun r = runVvm("verify" + s.trust + broken);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  syntax: " + broken + ":2:12: "));
  CHECK(has(r.out, "SKIP  manifest: needs a file that reads as data\n"));
  CHECK(has(r.out, "SKIP  capabilities: needs a readable manifest\n"));
  CHECK(has(r.out, "SKIP  names: needs a readable manifest\n"));
  CHECK(has(r.out, "PASS  signature: signed by trusted key")); // checked all the same
  CHECK(has(r.out, "invalid (1 check failed)"));

  std::string manifest = s.signedVmlet("manifest.vml", "(vmlet verify-test\n  (version \"0.1.0\")\n  (colour blue))\n");
  r = runVvm("verify" + s.trust + manifest);
  CHECK(r.status == 3);
  CHECK(has(r.out, "PASS  syntax\nFAIL  manifest: " + manifest + ":3:4: unknown manifest clause 'colour'"));
  CHECK(has(r.out, "SKIP  toolkits: needs a readable manifest\n"));
}

TEST_CASE("verify: capabilities, toolkits and names are checked against the rules, vvm and other VMlets") {
  Setup s;
  std::string unknown = s.signedVmlet("unknown.vml", vmletWith("\n  (capability teleport)"));
  VvmRun r = runVvm("verify" + s.trust + unknown);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  capabilities: " + unknown + ":5:3: unknown capability 'teleport'"));

  // net is for trusted VMlets only: an unsigned VMlet fails capabilities as well as signature.
  std::string net = s.dir.write("net.vml", vmletWith("\n  (capability net)"));
  r = runVvm("verify" + s.trust + net);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  capabilities: " + net + ":5:3: capability 'net' is for trusted VMlets only"));
  CHECK(has(r.out, "invalid (2 checks failed)"));

  std::string toolkit = s.signedVmlet("toolkit.vml", vmletWith("\n  (toolkit jvm \"1.0\")"));
  r = runVvm("verify" + s.trust + toolkit);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  toolkits: " + toolkit + ":5:3: needs toolkit jvm 1.0, which this vvm does not have"));

  // Another file on the search path already has the name.
  std::string path = s.dir.path() + "/path";
  REQUIRE(std::filesystem::create_directory(path));
  std::string taken = path + "/verify-test.vml";
  { std::ofstream(taken) << kManifest; }
  vvm::test::ScopedEnv search("VVM_VMLET_PATH", path.c_str());
  std::string mine = s.signedVmlet("mine.vml", kManifest);
  r = runVvm("verify" + s.trust + mine);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  names: " + mine + ":1:1: the name 'verify-test' is already taken by " + taken +
                       " (VVM_VMLET_PATH)"));
  // The file on the path is not a rival of itself.
  CHECK(!has(runVvm("verify" + s.trust + taken).out, "FAIL  names"));
}

TEST_CASE("verify: an oversized VMlet fails size and is read no further; a missing one exits 4") {
  Setup s;
  std::string text = kManifest + std::string(1u << 20, ';') + "\n";
  std::string big = s.dir.write("big.vml", text);
  VvmRun r = runVvm("verify" + s.trust + big);
  CHECK(r.status == 3);
  CHECK(has(r.out, "PASS  read\nFAIL  size: " + std::to_string(text.size()) +
                       " bytes; the rules allow a VMlet at most 1048576 (limit vmlet-bytes, "));
  CHECK(has(r.out, "SKIP  syntax: needs a file within the size limit\n"));
  CHECK(has(r.out, "SKIP  signature: needs a file within the size limit\n"));

  r = runVvm("verify" + s.trust + s.dir.file("missing.vml"));
  CHECK(r.status == 4);
  CHECK(has(r.out, "FAIL  read: not found\nSKIP  size: needs a readable file\n"));
  CHECK(runVvm("verify").status == 2);
  CHECK(runVvm("verify --no-such-option x.vml").status == 2);
}

TEST_CASE("verify --json: one object, strings escaped, positions or null") {
  Setup s;
  std::string vml = s.signedVmlet("q\"uote.vml", "(vmlet verify-test\n  (version \"0.1.0\")\n  (type \"a\"))\n");
  VvmRun r = runVvm("verify --json" + s.trust + "'" + vml + "'");
  CHECK(r.status == 3);
  std::string file = vml.substr(0, vml.find('"')) + "\\\"uote.vml";
  CHECK(r.out.find("{\"file\":\"" + file + "\",\"valid\":false,\"checks\":[\n") == 0);
  CHECK(has(r.out, "\n  {\"name\":\"read\",\"state\":\"pass\",\"pass\":true,\"message\":\"\",\"line\":null,"
                   "\"col\":null},\n"));
  CHECK(has(r.out, "{\"name\":\"manifest\",\"state\":\"fail\",\"pass\":false,\"message\":\"" + file + ":3:3: "));
  CHECK(has(r.out, "\"line\":3,\"col\":3}"));
  CHECK(has(r.out, "{\"name\":\"names\",\"state\":\"skip\",\"pass\":false,\"message\":\"needs a readable manifest\""));
  CHECK(r.out.size() > 4);
  CHECK(r.out.substr(r.out.size() - 4) == "\n]}\n");

  // A newline in the file name is escaped, not printed.
  std::string newline = s.signedVmlet("new\nline.vml", kManifest);
  r = runVvm("verify --json" + s.trust + "'" + newline + "'");
  CHECK(r.status == 0);
  CHECK(has(r.out, "new\\nline.vml"));
  CHECK(r.out.find("\"valid\":true") != std::string::npos);
  size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  CHECK(lines == 11); // the opening line, a line per check, the closing line
}

TEST_CASE("verify: a broken rules file is reported with its place, and nothing is verified") {
  Setup s;
  std::string vml = s.signedVmlet("stack.vml", kManifest);
  std::string rules = s.dir.write("rules.vc", "(capability stdout (allow any))\n(capability net (allow friends))\n");
  VvmRun r = runVvm("verify --rules " + rules + s.trust + vml, "", s.dir.file("err"));
  CHECK(r.status == 3);
  CHECK(r.out.empty());
  CHECK(has(r.err, "vvm verify: the global rules cannot be used:\n" + rules +
                       ":2:24: error: unknown trust level 'friends' (known: any trusted shipped)\n"));

  r = runVvm("verify --rules " + s.dir.file("none.vc") + s.trust + vml);
  CHECK(r.status == 3);
  CHECK(has(r.out, "cannot read the global rules: no such file"));

  // Rules of one's own apply: without stdout, the VMlet asks for a capability that does not exist.
  std::string strict = s.dir.write("strict.vc", "(capability stderr (allow any))\n(limit vmlet-bytes 100)\n");
  r = runVvm("verify --rules " + strict + s.trust + vml);
  CHECK(r.status == 3);
  CHECK(has(r.out, "FAIL  size: "));
  CHECK(has(r.out, "the rules allow a VMlet at most 100 (limit vmlet-bytes, " + strict + ":2:1)"));
}

TEST_CASE("verify: the VMlets that ship with vvm are valid, trusted by the build tree's hash list") {
  namespace fs = std::filesystem;
  Setup s;
  // The build lays out share/vvm beside the build tree's vvm, as an install does.
  fs::path shipped = fs::path(VVM_BINARY).parent_path() / "share" / "vvm" / "vmlets";
  for (const auto& e : fs::directory_iterator(std::string(VVM_SOURCE_DIR) + "/vmlets/shipped")) {
    if (e.path().extension() != ".vml") continue;
    std::string vml = (shipped / e.path().filename()).string();
    INFO(vml);
    VvmRun r = runVvm("verify " + vml, "", s.dir.file("err"));
    CHECK(r.err.empty());
    CHECK(r.status == 0);
    CHECK(has(r.out, "PASS  signature: shipped with vvm (matches the install tree's hash list)\n"));
    // A copy outside the install tree is only as good as its signature, and it has none.
    std::string copy = s.dir.write(e.path().filename().string(), vvm::test::contents(vml));
    r = runVvm("verify " + copy);
    CHECK(r.status == 3);
    CHECK(has(r.out, "FAIL  names: ")); // the shipped one has its name
    CHECK(has(r.out, "FAIL  signature: not signed"));
  }
}
