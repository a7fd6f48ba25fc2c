// VP thread stacks and their registration as GC roots.
#include "core/interp/Thread.h"

#include <fmt/format.h>

#include "core/interp/Runtime.h"
#include "core/support/Assert.h"
#include "gc/Heap.h"

#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

namespace vvm::core {
namespace {

// Live threads, read by the collector's root pusher while the world is stopped, so it must not
// take a lock: a fixed table of atomic slots.
constexpr size_t kMaxThreads = 1024;
std::atomic<Thread*> gThreads[kMaxThreads];

// Native stack kept free below the limit: room for a C++ slow path (raising an error formats
// a message) and for sanitizer instrumentation, which makes frames several times larger.
constexpr size_t kNativeStackReserve = 256u << 10;

/// The lowest usable address of the calling thread's native stack, plus the reserve.
const char* nativeStackLimit() {
  pthread_attr_t attr;
  void* addr = nullptr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return nullptr;
  pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  if (size <= 2 * kNativeStackReserve) return static_cast<const char*>(addr);
  return static_cast<const char*>(addr) + kNativeStackReserve;
}

void pushThreadRoots() {
  for (auto& slot : gThreads) {
    Thread* t = slot.load(std::memory_order_acquire);
    if (t) gc::pushRange(t->stackBase, t->top());
  }
}

} // namespace

Thread::Thread(Runtime& runtime) : rt(runtime) {
  const auto& cfg = rt.config();
  // calloc of a large block maps zero pages lazily: untouched stack costs nothing.
  stackBase = static_cast<Value*>(std::calloc(cfg.stackSlots, sizeof(Value)));
  // maxFrames counts VP method frames: add the root frame and the first activation's bottom.
  frameBase = static_cast<Frame*>(std::calloc(cfg.maxFrames + 3, sizeof(Frame)));
  VVM_ASSERT(stackBase && frameBase);
  stackEnd = stackBase + cfg.stackSlots;
  frameEnd = frameBase + cfg.maxFrames + 2;
  nativeLimit = nativeStackLimit();
  fp = frameBase;
  fp->method = nullptr;
  fp->locals = stackBase;
  static std::once_flag once;
  std::call_once(once, [] { gc::setRootPusher(pushThreadRoots); });
  for (auto& slot : gThreads) {
    Thread* expected = nullptr;
    if (slot.compare_exchange_strong(expected, this)) return;
  }
  VVM_UNREACHABLE("more than 1024 VP threads");
}

Thread::~Thread() {
  for (auto& slot : gThreads) {
    Thread* expected = this;
    if (slot.compare_exchange_strong(expected, nullptr)) break;
  }
  std::free(stackBase);
  std::free(frameBase);
}

void Thread::throwObject(Object* exc) {
  pending = exc;
  if (exc == rt.exitToken() || traces_.find(exc)) return;
  Trace& trace = traces_.insert(exc);
  constexpr size_t kMaxTrace = 64;
  for (Frame* f = fp; f > frameBase; --f) {
    if (!f->method) continue;
    if (trace.frames.size() == kMaxTrace) {
      ++trace.omitted;
      continue;
    }
    trace.frames.push_back({f->method, f->method->lineAt(f->ip)});
  }
}

TraceTable::~TraceTable() {
  for (Entry& e : entries_)
    if (e.key) gc::unregisterWeakLink(&e.key);
}

const Trace* TraceTable::find(const Object* exc) const {
  for (const Entry& e : entries_)
    if (e.key == exc) return &e.trace;
  return nullptr;
}

Trace& TraceTable::insert(Object* exc) {
  Entry* victim = &entries_[0];
  for (Entry& e : entries_) {
    if (!e.key) {
      victim = &e;
      break;
    }
    if (e.used < victim->used) victim = &e;
  }
  if (victim->key) gc::unregisterWeakLink(&victim->key);
  victim->key = exc;
  gc::registerWeakLink(&victim->key);
  victim->trace.frames.clear();
  victim->trace.omitted = 0;
  victim->used = ++clock_;
  return victim->trace;
}

std::string formatWalkback(const Trace& trace,
                           const std::function<std::optional<WalkbackFrame>(const TraceEntry&)>& show) {
  std::string out;
  const TraceEntry* previous = nullptr;
  size_t repeats = 0;
  auto flush = [&] {
    if (repeats > 0) out += fmt::format("    ... the frame above {} more time{}\n", repeats, repeats == 1 ? "" : "s");
    repeats = 0;
  };
  for (const TraceEntry& e : trace.frames) {
    std::optional<WalkbackFrame> frame = show(e);
    if (!frame) continue;
    if (previous && previous->method == e.method && previous->line == e.line) {
      ++repeats;
      continue;
    }
    flush();
    previous = &e;
    out += fmt::format("    at {} ({})\n", frame->name, frame->place);
  }
  flush();
  if (trace.omitted) out += fmt::format("    ... {} more frames\n", trace.omitted);
  return out;
}

} // namespace vvm::core
