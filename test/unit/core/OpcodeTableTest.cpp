// The instruction table is the single source of truth: check that every row is well-formed
// and that every consumer (verifier, interpreter, assembler) knows every instruction.
#include "core/interp/Interpreter.h"
#include "core/ir/Opcode.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace vvm::core;

TEST_CASE("every instruction has a unique mnemonic that the assembler finds") {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpInfo& oi = kOpInfo[i];
    INFO(oi.name);
    CHECK(names.insert(oi.name).second);
    if (oi.flags & Internal)
      CHECK_FALSE(opFromName(oi.name));
    else
      CHECK(opFromName(oi.name) == static_cast<Op>(i));
  }
}

TEST_CASE("operand columns name known operand kinds and fit in two words") {
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpInfo& oi = kOpInfo[i];
    INFO(oi.name);
    for (char c : oi.operands) CHECK(operandKindFromLetter(c));
    CHECK(operandWordsOf(static_cast<Op>(i)) <= 2);
  }
}

TEST_CASE("stack effects use known kind letters and kind variables") {
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpInfo& oi = kOpInfo[i];
    INFO(oi.name);
    if (oi.effect == "*") {
      CHECK((oi.flags & Calls));
      continue;
    }
    if (oi.effect.empty()) continue;
    auto gt = oi.effect.find('>');
    REQUIRE(gt != std::string_view::npos);
    std::string_view pops = oi.effect.substr(0, gt);
    for (char c : oi.effect) {
      if (c == '>') continue;
      bool variable = c >= 'A' && c <= 'D';
      CHECK((variable || kindFromLetter(c)));
      // A kind variable pushed must have been bound by a pop.
      if (variable) CHECK(pops.find(c) != std::string_view::npos);
    }
  }
}

TEST_CASE("branch instructions have a label or switch operand, and only they do") {
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpInfo& oi = kOpInfo[i];
    INFO(oi.name);
    bool hasTarget = oi.operands.find('B') != std::string_view::npos || oi.operands.find('S') != std::string_view::npos;
    CHECK(hasTarget == ((oi.flags & Branch) != 0));
  }
}

TEST_CASE("the interpreter has a distinct handler for every instruction") {
  std::set<const void*> handlers;
  for (size_t i = 0; i < kOpCount; ++i) {
    const void* h = handlerFor(static_cast<Op>(i));
#if VVM_COMPUTED_GOTO
    CHECK(h != nullptr);
#endif
    handlers.insert(h);
  }
  // Instructions with identical semantics may share a handler (the typed loads), so only
  // check that sharing is limited to those.
  CHECK(handlers.size() >= kOpCount - 30);
}
