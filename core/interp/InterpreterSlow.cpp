// The interpreter's slow paths: linking IR to threaded code, unwinding through handler tables,
// and the source-position look-ups that stack traces need.
#include "core/interp/Interpreter.h"
#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/support/Assert.h"

#include <algorithm>
#include <atomic>
#include <mutex>

namespace vvm::core {
namespace {
std::mutex gLinkMutex;
Code gLinkStub[1];
Code gExit[1];
std::once_flag gStubsOnce;

void initStubs() {
  std::call_once(gStubsOnce, [] {
    gLinkStub[0].handler = handlerFor(Op::LinkStub);
    gExit[0].handler = handlerFor(Op::ExitInterp);
  });
}
} // namespace

const void* handlerFor(Op op) {
#if VVM_COMPUTED_GOTO
  return detail::handlerTable()[static_cast<size_t>(op)];
#else
  return reinterpret_cast<const void*>(static_cast<uintptr_t>(op));
#endif
}

const Code* detail::linkStubCode() {
  initStubs();
  return gLinkStub;
}

const Code* detail::exitCode() {
  initStubs();
  return gExit;
}

void prepare(Method& m) {
  VVM_ASSERT(m.verified);
  m.frameSize = static_cast<uint32_t>(m.locals.size()) + m.maxStack;
  if (m.linked.empty()) m.entry = detail::linkStubCode();
}

void link(Method& m) {
  std::lock_guard lock(gLinkMutex);
  if (!m.linked.empty()) return;
  VVM_ASSERT(m.verified);

  // Layout: each instruction is its handler word followed by its operand words. Switch tables
  // follow the code so that one allocation holds everything the method's dispatch touches.
  std::vector<uint32_t> offsets(m.code.size() + 1);
  uint32_t size = 0;
  for (size_t i = 0; i < m.code.size(); ++i) {
    offsets[i] = size;
    size += 1 + operandWordsOf(m.code[i].op);
  }
  offsets[m.code.size()] = size;
  std::vector<uint32_t> switchAt;
  for (const auto& sw : m.switches) {
    switchAt.push_back(size);
    size += sw.dense ? 3 + static_cast<uint32_t>(sw.targets.size()) : 2 + 2 * static_cast<uint32_t>(sw.targets.size());
  }
  std::vector<Code> out(size);
  auto target = [&](uint32_t insn) { return &out[offsets[insn]]; };

  for (size_t i = 0; i < m.code.size(); ++i) {
    const Insn& in = m.code[i];
    Code* w = &out[offsets[i]];
    w[0].handler = handlerFor(in.op);
    std::string_view ops = info(in.op).operands;
    // IR keeps operand words in a and b; threaded code keeps them in the same order.
    const int64_t irWords[2] = {in.a, in.b};
    unsigned word = 0;
    for (char letter : ops) {
      OperandKind kind = *operandKindFromLetter(letter);
      for (unsigned k = 0; k < operandWords(kind); ++k, ++word) {
        int64_t v = irWords[word];
        Code& c = w[1 + word];
        if (kind == OperandKind::Label)
          c.target = target(static_cast<uint32_t>(v));
        else if (kind == OperandKind::Switch)
          c.ptr = &out[switchAt[static_cast<size_t>(v)]];
        else
          c.i = v;
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
  std::atomic_thread_fence(std::memory_order_release);
  m.entry = m.linked.data();
}

const Code* detail::linkOnEntry(Method* m) {
  link(*m);
  return m->entry;
}

void detail::tierUp(Thread& t, Method* m) {
  if (t.rt.tierUpHook) t.rt.tierUpHook(m);
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

uint32_t Method::lineAt(const Code* ip) const {
  if (code.empty()) return line;
  return code[std::min<size_t>(insnIndexAt(ip), code.size() - 1)].line;
}

} // namespace vvm::core
