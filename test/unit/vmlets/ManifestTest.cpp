// VMlet manifests: the clauses, and a located error for each way a manifest can be wrong.
#include "vmlets/Manifest.h"

#include <catch2/catch.hpp>

using namespace vvm;
using namespace vvm::vmlets;

namespace {

const char* kGood = R"(;; a stack-bytecode language
(vmlet stack
  (version "0.1.0")
  (doc "a small stack language")
  (type "application/x-vvm-stack"
    (magic 0 #u8(#x53 #x54 #x4B #x31))
    (suffix ".stk")
    (interpreter "vvm-stack"))
  (capability stdout))
(def-opcode 1 push ...)  ; the rest is the console language's
)";

/// The one error a manifest text gives, as "line:col: message".
std::string error(const std::string& text) {
  Manifest m;
  Diagnostics d;
  REQUIRE_FALSE(readManifest(text, "x.vml", m, d));
  REQUIRE(d.count() >= 1);
  const Diagnostic& e = d.all()[0];
  return std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.message;
}

} // namespace

TEST_CASE("a manifest's clauses are read") {
  Manifest m;
  Diagnostics d;
  REQUIRE(readManifest(kGood, "stack.vml", m, d));
  CHECK(m.name == "stack");
  CHECK(m.version == "0.1.0");
  CHECK(m.doc == "a small stack language");
  REQUIRE(m.types.size() == 1);
  CHECK(m.types[0].name == "application/x-vvm-stack");
  REQUIRE(m.types[0].magic.size() == 1);
  CHECK(m.types[0].magic[0].bytes == "STK1");
  CHECK(m.types[0].suffixes == std::vector<std::string>{".stk"});
  CHECK(m.types[0].interpreters == std::vector<std::string>{"vvm-stack"});
  CHECK(m.capabilities == std::vector<std::string>{"stdout"});
  CHECK(m.pos.line == 2);
}

TEST_CASE("a wrong manifest gives a located error") {
  CHECK(error("") == "0:0: empty: a .vml file starts with its manifest (vmlet NAME ...)");
  CHECK(error("(define x 1)") ==
        "1:1: a .vml file starts with its manifest: (vmlet NAME (version \"...\") (type ...) ...)");
  CHECK(error("(vmlet)") == "1:1: the manifest has no name: (vmlet NAME ...)"); // found by fuzzing
  CHECK(error("(vmlet 9lives (version \"1\"))") ==
        "1:8: '9lives' is not a number (and a symbol may not look like one)");
  CHECK(error("(vmlet \"a\" (version \"1\"))").find("1:8: the VMlet's name must be a name") == 0);
  CHECK(error("(vmlet a (type \"application/x-a\" (suffix \".a\")))") == "1:1: the manifest has no (version \"...\")");
  CHECK(error("(vmlet a (version \"1\"))") == "1:1: the manifest names no (type \"...\") the VMlet runs");
  CHECK(error("(vmlet a (version \"1\") (version \"2\"))") == "1:24: (version ...) appears twice");
  CHECK(error("(vmlet a (version \"1\")\n  (colour blue))") ==
        "2:4: unknown manifest clause 'colour' (known: version type toolkit capability doc)");
  CHECK(error("(vmlet a (version \"1\") (type \"application/x-a\" (magic -1 #u8(1))))")
            .find("1:48: expected (magic OFFSET #u8(BYTE ...))") == 0);
  CHECK(error("(vmlet a (version \"1\") (type \"application/x-a\" (smell \"x\")))") ==
        "1:49: unknown part 'smell' of a type (known: magic suffix interpreter)");
  CHECK(error("(vmlet a (version \"1\") (toolkit jvm 1))") == "1:24: expected (toolkit NAME \"VERSION\")");
  CHECK(error("(vmlet a (version \"1\") (type \"application/x-a\" (suffix \".a\")) (type \"application/x-b\" (suffix "
              "\".a\")))")
            .find("1:63: ") == 0); // a suffix claimed twice: the type registry's message
  CHECK(error("(vmlet a (version \"1\")") == "1:1: unterminated list (the text ends before it closes)");
}
