// The interpreter's slow paths: linking IR to threaded code, unwinding through handler tables,
// and the source-position look-ups that stack traces need.
#include "core/interp/Handlers.h"
#include "core/interp/Interpreter.h"
#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/support/Assert.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace vvm::core {
namespace {
std::mutex gLinkMutex;
Code gLinkStub[1];
Code gExit[1];
Code gEnterNative[1];
std::once_flag gStubsOnce;

void initStubs() {
  std::call_once(gStubsOnce, [] {
    gLinkStub[0].handler = handlerFor(Op::LinkStub);
    gExit[0].handler = handlerFor(Op::ExitInterp);
    gEnterNative[0].handler = handlerFor(Op::EnterNative);
  });
}
} // namespace

const void* handlerFor(Op op) { return handlerFor(handlerId(op)); }

const Code* detail::linkStubCode() {
  initStubs();
  return gLinkStub;
}

const Code* detail::exitCode() {
  initStubs();
  return gExit;
}

const Code* detail::enterNativeCode() {
  initStubs();
  return gEnterNative;
}

void prepare(Method& m) {
  VVM_ASSERT(m.verified);
  m.frameSize = static_cast<uint32_t>(m.locals.size()) + m.maxStack;
  if (m.linked.empty() && !m.native.load(std::memory_order_acquire)) m.entry = detail::linkStubCode();
}

namespace {

// ---- superinstruction selection (Superinstructions.def)

namespace pat {
// Pattern elements: every instruction by name, plus two wildcards.
enum : uint16_t {
#define VVM_OP(Name, Text, Operands, Effect, Flags) Name,
#include "core/ir/Instructions.def"
  AnyLoad = 0x8000,
  AnyRet,
};
} // namespace pat

struct Pattern {
  HandlerId id;
  std::vector<uint16_t> elems;
};

/// All patterns, longest first, so the longest match wins.
const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> all = [] {
    using namespace pat;
    std::vector<Pattern> v = {
#define VVM_SUPER(Name, Text, ...) {HandlerId::Name, {__VA_ARGS__}},
#include "core/interp/Superinstructions.def"
    };
    std::stable_sort(v.begin(), v.end(),
                     [](const Pattern& a, const Pattern& b) { return a.elems.size() > b.elems.size(); });
    return v;
  }();
  return all;
}

bool matches(uint16_t elem, Op op) {
  switch (elem) {
  case pat::AnyLoad: return isLocalLoad(op);
  case pat::AnyRet: return hasFlag(op, Returns) && suffixKind(op) != Kind::Void;
  default: return elem == static_cast<uint16_t>(op);
  }
}

} // namespace

void link(Method& m) {
  std::lock_guard lock(gLinkMutex);
  if (!m.linked.empty()) return;
  VVM_ASSERT(m.verified);

  // Choose a handler for each group of instructions: a superinstruction where one matches,
  // else the instruction's own handler.
  struct Group {
    HandlerId id;
    uint32_t first, count, words;
  };
  std::vector<Group> groups;
  const std::vector<bool> boundary = labelledInstructions(m);
  const size_t n = m.code.size();
  for (size_t i = 0; i < n;) {
    Group g{handlerId(m.code[i].op), static_cast<uint32_t>(i), 1, 0};
    for (const Pattern& p : patterns()) {
      size_t len = p.elems.size();
      if (i + len > n) continue;
      bool ok = true;
      for (size_t k = 0; k < len && ok; ++k) ok = matches(p.elems[k], m.code[i + k].op) && (k == 0 || !boundary[i + k]);
      if (ok) {
        g.id = p.id;
        g.count = static_cast<uint32_t>(len);
        break;
      }
    }
    for (uint32_t k = 0; k < g.count; ++k) g.words += operandWordsOf(m.code[i + k].op);
    groups.push_back(g);
    i += g.count;
  }

  // Layout: each group is its handler word followed by its components' operand words. Switch
  // tables follow the code so that one allocation holds everything the method's dispatch touches.
  std::vector<uint32_t> offsets(n + 1);
  uint32_t size = 0;
  for (const Group& g : groups) {
    for (uint32_t k = 0; k < g.count; ++k) offsets[g.first + k] = size;
    size += 1 + g.words;
  }
  offsets[n] = size;
  std::vector<uint32_t> switchAt;
  for (const auto& sw : m.switches) {
    switchAt.push_back(size);
    size += sw.dense ? 3 + static_cast<uint32_t>(sw.targets.size()) : 2 + 2 * static_cast<uint32_t>(sw.targets.size());
  }
  std::vector<Code> out(size);
  auto target = [&](uint32_t insn) { return &out[offsets[insn]]; };

  for (const Group& g : groups) {
    Code* w = &out[offsets[g.first]];
    w[0].handler = handlerFor(g.id);
    unsigned word = 1;
    for (uint32_t k = 0; k < g.count; ++k) {
      const Insn& in = m.code[g.first + k];
      // IR keeps operand words in a and b; threaded code keeps them in the same order.
      const int64_t irWords[2] = {in.a, in.b};
      unsigned iw = 0;
      for (char letter : info(in.op).operands) {
        OperandKind kind = *operandKindFromLetter(letter);
        for (unsigned j = 0; j < operandWords(kind); ++j, ++iw, ++word) {
          int64_t v = irWords[iw];
          Code& c = w[word];
          if (kind == OperandKind::Label)
            c.target = target(static_cast<uint32_t>(v));
          else if (kind == OperandKind::Switch)
            c.ptr = &out[switchAt[static_cast<size_t>(v)]];
          else
            c.i = v;
        }
      }
    }
  }
  for (size_t s = 0; s < m.switches.size(); ++s) {
    const SwitchTable& sw = m.switches[s];
    Code* w = &out[switchAt[s]];
    if (sw.dense) {
      w[0].i = sw.low;
      w[1].i = static_cast<int64_t>(sw.targets.size());
      w[2].target = target(sw.defaultTarget);
      for (size_t k = 0; k < sw.targets.size(); ++k) w[3 + k].target = target(sw.targets[k]);
    } else {
      w[0].i = static_cast<int64_t>(sw.targets.size());
      w[1].target = target(sw.defaultTarget);
      for (size_t k = 0; k < sw.targets.size(); ++k) {
        w[2 + 2 * k].i = sw.keys[k];
        w[3 + 2 * k].target = target(sw.targets[k]);
      }
    }
  }
  offsets.pop_back();
  m.insnOffset = std::move(offsets);
  m.linked = std::move(out); // moving keeps the element addresses computed above
  // A method the JIT compiled before it was ever called keeps its native entry.
  if (!m.native.load(std::memory_order_acquire)) m.entry.store(m.linked.data(), std::memory_order_release);
  spdlog::debug("linked {}: {} instructions in {} handlers, {} words", m.name, n, groups.size(), m.linked.size());
}

const Code* detail::linkOnEntry(Method* m) {
  link(*m);
  return m->entry.load(std::memory_order_acquire);
}

const NativeCode* detail::tierUp(Thread& t, Method* m) {
  if (t.rt.tierUpHook) t.rt.tierUpHook(m);
  return m->native.load(std::memory_order_acquire);
}

detail::Unwound detail::unwind(Thread& t) {
  Object* exc = t.pending;
  const bool exiting = exc == t.rt.exitToken();
  Frame* fp = t.fp;
  for (; fp->method; --fp) {
    Method* m = fp->method;
    if (exiting || m->handlers.empty()) continue;
    uint32_t at = m->insnIndexAt(fp->ip);
    // Handlers are searched in table order: inner ranges come first (as in the JVM).
    for (const Handler& h : m->handlers) {
      if (at < h.start || at >= h.end) continue;
      if (!h.cleanup && h.shape && exc->shape != h.shape && !exc->shape->isSubshapeOf(h.shape)) continue;
      Value* sp = fp->locals + m->locals.size();
      (sp++)->ref = exc;
      t.pending = nullptr;
      t.fp = fp;
      return {m->linked.data() + m->insnOffset[h.target], fp, sp};
    }
  }
  t.fp = fp - 1; // pop the activation's bottom frame
  return {nullptr, fp, nullptr};
}

uint32_t Method::insnIndexAt(const Code* ip) const {
  if (linked.empty() || ip <= linked.data() || ip > linked.data() + linked.size()) return 0;
  auto off = static_cast<uint32_t>(ip - 1 - linked.data());
  auto it = std::upper_bound(insnOffset.begin(), insnOffset.end(), off);
  return static_cast<uint32_t>(it - insnOffset.begin()) - 1;
}

uint32_t Method::insnIndexOfTarget(const Code* target) const {
  auto off = static_cast<uint32_t>(target - linked.data());
  return static_cast<uint32_t>(std::lower_bound(insnOffset.begin(), insnOffset.end(), off) - insnOffset.begin());
}

uint32_t Method::lineAt(const Code* ip) const {
  if (code.empty()) return line;
  return code[std::min<size_t>(insnIndexAt(ip), code.size() - 1)].line;
}

} // namespace vvm::core
