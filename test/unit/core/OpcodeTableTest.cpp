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

TEST_CASE("instructions share an interpreter handler only when they do the same thing to slots") {
  // Typed loads, stores, field and static moves share handlers because every kind is one
  // 64-bit slot; sharing is only sound when operands and stack effect sizes agree.
  auto effectSizes = [](std::string_view e) {
    auto gt = e.find('>');
    return gt == std::string_view::npos ? std::pair<size_t, size_t>{0, 0} : std::pair{gt, e.size() - gt - 1};
  };
  for (size_t i = 0; i < kOpCount; ++i) {
#if VVM_COMPUTED_GOTO
    CHECK(handlerFor(static_cast<Op>(i)) != nullptr);
#endif
    for (size_t j = i + 1; j < kOpCount; ++j) {
      if (handlerFor(static_cast<Op>(i)) != handlerFor(static_cast<Op>(j))) continue;
      INFO(kOpInfo[i].name << " shares a handler with " << kOpInfo[j].name);
      CHECK(kOpInfo[i].operands == kOpInfo[j].operands);
      CHECK(effectSizes(kOpInfo[i].effect) == effectSizes(kOpInfo[j].effect));
    }
  }
}

TEST_CASE("the mnemonic suffix names the kind a typed instruction moves") {
  for (size_t i = 0; i < kOpCount; ++i) {
    auto op = static_cast<Op>(i);
    const OpInfo& oi = kOpInfo[i];
    INFO(oi.name);
    // Local operands are used at the suffix's kind (the verifier relies on it).
    if (oi.operands.find('L') != std::string_view::npos) CHECK(suffixKind(op) != Kind::Void);
    // A return's suffix is the kind it pops ("ret" alone returns nothing).
    if (oi.flags & Returns) {
      if (suffixKind(op) == Kind::Void)
        CHECK(oi.effect.empty());
      else
        CHECK(oi.effect == std::string(1, kindLetter(suffixKind(op))) + ">");
    }
    if (isLocalLoad(op)) CHECK(oi.effect == std::string(">") + kindLetter(suffixKind(op)));
  }
}
