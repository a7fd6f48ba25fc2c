// Loading VMlets: the body forms, template verification, the sandbox, and translating and
// running an application through the example VMlet (vmlets/shipped/stack.vml).
#include "vmlets/Vmlet.h"

#include "../../support/Files.h"
#include "../TestSupport.h"
#include "console/Compiler.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

using namespace vvm;

namespace {

const std::string kManifest =
    R"((vmlet tiny (version "1.0.0") (type "application/x-tiny" (suffix ".tiny")) (capability stdout))
)";

struct Loaded {
  std::unique_ptr<vmlets::Vmlet> vmlet;
  std::string errors;
};

Loaded load(const std::string& text, const std::string& file = "tiny.vml") {
  static core::Thread* thread = new core::Thread(test::runtime());
  console::installConsole(test::runtime());
  Diagnostics d;
  Loaded out;
  out.vmlet = vmlets::loadVmlet(file, text, *thread, d);
  out.errors = d.format();
  return out;
}

std::string stackVmlet() { return test::contents(std::string(VVM_SOURCE_DIR) + "/vmlets/shipped/stack.vml"); }

/// A one-method STK program: main(locals) with `code`, returning nothing.
std::string stkProgram(const std::vector<uint8_t>& code, uint8_t locals = 0) {
  std::string b = "STK1";
  b += '\0';
  b += '\1';
  b += '\4';
  b += "main";
  b += '\0';
  b += static_cast<char>(locals);
  b += '\0';
  uint32_t n = static_cast<uint32_t>(code.size());
  for (int shift = 24; shift >= 0; shift -= 8) b += static_cast<char>((n >> shift) & 0xff);
  b.append(code.begin(), code.end());
  return b;
}

vmlets::AppRun run(vmlets::Vmlet& vm, const std::string& program) {
  static core::Thread* thread = new core::Thread(test::runtime());
  // Kept to the end of the process: compiled callers may still point into an application's code.
  static std::vector<std::unique_ptr<core::Module>> apps;
  apps.push_back(std::make_unique<core::Module>(test::runtime(), "app" + std::to_string(apps.size()) + ".stk"));
  return vmlets::runApplication(vm, "prog.stk", program, *apps.back(), *thread);
}

} // namespace

TEST_CASE("the example VMlet loads and its templates verify", "[vmlets]") {
  Loaded l = load(stackVmlet(), "stack.vml");
  INFO(l.errors);
  REQUIRE(l.vmlet);
  CHECK(l.vmlet->manifest.name == "stack");
  CHECK(l.vmlet->opcodes[0x01].name == "push");
  CHECK(l.vmlet->derived.count("square") == 1);
  CHECK(l.vmlet->entryName == "load-program");
}

TEST_CASE("an STK program runs through the example VMlet", "[vmlets]") {
  Loaded l = load(stackVmlet(), "stack.vml");
  REQUIRE(l.vmlet);
  // push 6, sq, print (36), ret
  vmlets::AppRun r = run(*l.vmlet, stkProgram({0x01, 0, 0, 0, 6, 0x0D, 0x30, 0x21}));
  INFO(r.message);
  CHECK(r.stage == vmlets::AppRun::Stage::Ok);
}

TEST_CASE("def-primitive: a VP method running console code; def-rule refuses applications", "[vmlets]") {
  Loaded l = load(stackVmlet(), "stack.vml");
  REQUIRE(l.vmlet);
  REQUIRE(l.vmlet->primitives.count("stk-gcd"));
  CHECK(l.vmlet->primitives.at("stk-gcd").method->sig ==
        core::Signature{{core::Kind::I32, core::Kind::I32}, core::Kind::I32});
  // push 84, push -36, gcd, print (12), ret
  vmlets::AppRun r = run(*l.vmlet, stkProgram({0x01, 0, 0, 0, 84, 0x01, 0xff, 0xff, 0xff, 0xdc, 0x34, 0x30, 0x21}));
  INFO(r.message);
  CHECK(r.stage == vmlets::AppRun::Stage::Ok);
  std::string many = stkProgram({0x21});
  many[4] = '\x20'; // 8193 methods
  many[5] = '\x01';
  r = run(*l.vmlet, many);
  CHECK(r.stage == vmlets::AppRun::Stage::LoadFailed);
  CHECK_THAT(r.message, Catch::Contains("prog.stk: stack refuses it: rule method-table: more than 4096 methods"));

  auto error = [&](const std::string& body) {
    Loaded bad = load(kManifest + body);
    CHECK_FALSE(bad.vmlet);
    return bad.errors;
  };
  CHECK_THAT(error("(def-primitive p (i32) i32 nowhere)\n(define (f b) 1)\n(entry f)"),
             Catch::Contains("primitive p: nowhere is not a procedure defined in this VMlet"));
  CHECK_THAT(error("(def-primitive p (i32) i32 f)\n(define (f) 1)\n(entry f)"),
             Catch::Contains("primitive p: f takes 0 arguments, but is given 1"));
  CHECK_THAT(error("(def-primitive print.i32 (i32) void f)"), Catch::Contains("is a primitive of vvm's"));
  CHECK_THAT(error("(def-opcode 1 a () (call (primitive q)))"), Catch::Contains("names a def-primitive above it"));
  CHECK_THAT(error("(def-primitive p (i32) f32 f)\n(def-opcode 1 a () (call (primitive p)) (add.i32))\n(define (f x) "
                   "x)\n(entry f)"),
             Catch::Contains("does not verify"));
  CHECK_THAT(error("(def-rule r g)\n(define (f b) 1)\n(entry f)"), Catch::Contains("rule r: g is not a procedure"));
}

TEST_CASE("malformed applications are refused while loading, with the place", "[vmlets]") {
  Loaded l = load(stackVmlet(), "stack.vml");
  REQUIRE(l.vmlet);
  auto refused = [&](const std::string& program) {
    vmlets::AppRun r = run(*l.vmlet, program);
    CHECK(r.stage == vmlets::AppRun::Stage::LoadFailed);
    return r.message;
  };
  CHECK_THAT(refused("STK1"), Catch::Contains("rule method-table: the file is shorter than its header"));
  CHECK_THAT(refused(stkProgram({0xEE})), Catch::Contains("byte 0: undefined opcode 0xee"));
  CHECK_THAT(refused(stkProgram({0x01, 0, 0})), Catch::Contains("push needs 5 bytes"));
  CHECK_THAT(refused(stkProgram({0x10, 0, 2, 0x21})), Catch::Contains("not the start of an instruction"));
  CHECK_THAT(refused(stkProgram({0x04, 0x21})), Catch::Contains("does not verify"));          // add on an empty stack
  CHECK_THAT(refused(stkProgram({0x02, 5, 0x0B, 0x21})), Catch::Contains("does not verify")); // no local 5
  CHECK_THAT(refused(stkProgram({0x20, 0, 9, 0x21})), Catch::Contains("no method 9"));
  std::string trailing = stkProgram({0x21}) + "x";
  CHECK_THAT(refused(trailing), Catch::Contains("bytes after the last method"));
}

TEST_CASE("VMlet bodies: located errors for malformed forms", "[vmlets]") {
  auto error = [&](const std::string& body) {
    Loaded l = load(kManifest + body);
    CHECK_FALSE(l.vmlet);
    return l.errors;
  };
  CHECK_THAT(error("(def-opcode 300 big ())\n(entry f)"),
             Catch::Contains("tiny.vml:2:13: error: opcode 300 is outside 0..255"));
  CHECK_THAT(error("(def-opcode 1 a ())\n(def-opcode 1 b ())"), Catch::Contains("defined twice"));
  CHECK_THAT(error("(def-opcode 1 a () (frobnicate))"), Catch::Contains("frobnicate is neither a VP instruction"));
  CHECK_THAT(error("(def-opcode 1 a () (const.i32))"), Catch::Contains("const.i32 takes 1 operand, given 0"));
  CHECK_THAT(error("(def-opcode 1 a (u8) (const.i32 $1))"), Catch::Contains("there is no $1"));
  CHECK_THAT(error("(def-opcode 1 a () (add.i32 ) (const.null) (add.i32))"), Catch::Contains("does not verify"));
  CHECK_THAT(error("(def-opcode 1 a () (callprim \"no.such\"))"), Catch::Contains("no primitive no.such"));
  CHECK_THAT(error("(def-opcode 1 a () (callprim \"args.count\"))"),
             Catch::Contains("needs the capability args, which the manifest does not ask for"));
  CHECK_THAT(error("(def-opcode 1 a () (jmp 4))"), Catch::Contains("a branch needs (target $k)"));
  CHECK_THAT(error("(def-opcode 1 a () (new Point))"), Catch::Contains("cannot appear in templates"));
  CHECK_THAT(error("(def-instruction (add.i32) (nop))"), Catch::Contains("is a VP instruction"));
  // Nesting doubles: a hostile VMlet cannot make a template of millions of instructions.
  std::string doubling = "(def-instruction (d0) (nop) (nop))\n";
  for (int i = 1; i <= 40; ++i) doubling += fmt::format("(def-instruction (d{}) (d{}) (d{}))\n", i, i - 1, i - 1);
  CHECK_THAT(error(doubling),
             Catch::Contains("tiny.vml:14:1: error: derived instruction d12 expands to more than 4096"));
  // A derived instruction's arguments must fit the slots its parameters fill.
  CHECK_THAT(error("(def-instruction (br to) (jmp to))\n(def-opcode 8 x () (br 5))"),
             Catch::Contains("tiny.vml:3:24: error: a branch needs (target $k)"));
  CHECK_THAT(error("(def-instruction (p x) (const.i32 x) (jmp x))"),
             Catch::Contains("parameter x is used both as an integer and as a branch target"));
  // Templates that call primitives are verified too (the primitive's signature is its effect).
  CHECK_THAT(error("(def-opcode 1 a () (const.null) (add.i32) (callprim \"println.i32\"))"),
             Catch::Contains("opcode 0x01 a does not verify"));
  CHECK_THAT(error("(def-opcode 1 a () (const.i32 1) (callprim \"println.f64\"))"), Catch::Contains("does not verify"));
  CHECK_THAT(error("(define x (launch-missiles))\n(entry x)"), Catch::Contains("procedures or constants"));
  CHECK_THAT(error("(display \"hi\")"), Catch::Contains("expressions do not run"));
  CHECK_THAT(error("(define-macro (m) 1)"), Catch::Contains("define-macro is not allowed"));
  CHECK_THAT(error("(define (f) 1)"), Catch::Contains("no (entry PROCEDURE)"));
  CHECK_THAT(error("(entry g)\n(define (f) 1)"), Catch::Contains("entry g is not a procedure"));
}

TEST_CASE("a VMlet's console code lives in a sandbox", "[vmlets]") {
  auto error = [&](const std::string& manifest, const std::string& body) {
    Loaded l = load(manifest + body);
    return l.vmlet ? std::string("loaded") : l.errors;
  };
  // exit is never available; output only with the stdout capability; no redefinition of core names.
  CHECK_THAT(error(kManifest, "(define (f b) (exit 3))\n(entry f)"),
             Catch::Contains("exit is not available in a VMlet's sandbox"));
  std::string quiet = R"((vmlet q (version "1.0.0") (type "application/x-q" (suffix ".q"))))"
                      "\n";
  CHECK_THAT(error(quiet, "(define (f b) (display b))\n(entry f)"), Catch::Contains("display is not available"));
  CHECK(error(kManifest, "(define (f b) (display b))\n(entry f)") == "loaded");
  // The capability comes from the builtin table: with `exit` asked for, exit compiles.
  std::string exiting = R"((vmlet e (version "1.0.0") (type "application/x-e" (suffix ".e")) (capability exit)))"
                        "\n";
  CHECK(error(exiting, "(define (f b) (exit 3))\n(entry f)") == "loaded");
  CHECK_THAT(error(kManifest, "(define (car x) x)\n(entry car)"), Catch::Contains("car is a core name"));
  CHECK_THAT(error(kManifest, "(define (vp-declare x) x)\n(entry vp-declare)"),
             Catch::Contains("vp-declare is a core name"));
  CHECK_THAT(error(kManifest, "(define (f b) (%unbound 'x))\n(entry f)"),
             Catch::Contains("internal to the console compiler"));
}
