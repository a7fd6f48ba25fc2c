// A VP thread: its value stack and frame stack (VP calls never recurse in C), its pending
// exception, and the trace captured where that exception was raised.
#pragma once

#include "core/ir/Method.h"
#include "core/object/Object.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vvm::core {

class Runtime;

/// One activation. `ip` is the return address while the frame is calling, or just past the
/// faulting instruction while an exception unwinds through it. A frame with a null method is
/// the bottom of one interpreter activation (C++ called into VP code there).
struct Frame {
  Method* method;
  const Code* ip;
  Value* locals;
};

/// Where an exception was raised: one entry per VP frame, innermost first.
struct TraceEntry {
  const Method* method;
  uint32_t line;
};

/// The frames active where an exception was first raised.
struct Trace {
  std::vector<TraceEntry> frames;
  size_t omitted = 0; ///< frames beyond the recorded ones
};

/// How a walkback shows one frame: "    at NAME (PLACE)".
struct WalkbackFrame {
  std::string name;
  std::string place;
};

/// A trace's walkback, one line a frame, innermost first: `show` says how a frame looks, or
/// nullopt to leave it out (a language's own helpers). A run of the same frame (deep recursion)
/// prints once, then "... the frame above N more times"; frames the trace did not keep end it
/// as "... N more frames". Every language's uncaught-error report uses this one format.
std::string formatWalkback(const Trace& trace,
                           const std::function<std::optional<WalkbackFrame>(const TraceEntry&)>& show);

/// Traces of recently raised exceptions, keyed weakly by the exception object: a rethrow (or
/// a cleanup's `resume`) keeps the original trace, and once an exception is collected its
/// entry is cleared, so a new object at the same address never inherits a stale trace.
class TraceTable {
public:
  TraceTable() = default;
  ~TraceTable();
  TraceTable(const TraceTable&) = delete;
  TraceTable& operator=(const TraceTable&) = delete;

  const Trace* find(const Object* exc) const;
  /// A fresh entry for `exc`, replacing the least recently used one.
  Trace& insert(Object* exc);

private:
  struct Entry {
    void* key = nullptr; ///< a GC weak link: cleared when the exception dies
    Trace trace;
    uint64_t used = 0;
  };
  static constexpr size_t kEntries = 16;
  Entry entries_[kEntries];
  uint64_t clock_ = 0;
};

/// The part of a thread that compiled code reads and writes in place (the JIT lowers these
/// accesses with offsetof): standard layout, and Thread's first base.
struct ThreadState {
  Frame* fp = nullptr; ///< the innermost frame; kept current at calls, returns and faults
  Frame* frameEnd = nullptr;
  Value* stackEnd = nullptr;
  Object* pending = nullptr;
  /// Below this native stack address calls raise StackOverflowError instead of overflowing
  /// the C stack (compiled code and interpreter re-entry recurse on it).
  const char* nativeLimit = nullptr;
};

class Thread : public ThreadState {
public:
  /// Makes a VP thread for the calling native thread (its native stack bounds are read here).
  explicit Thread(Runtime& rt);
  ~Thread();
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  Runtime& rt;

  Value* stackBase = nullptr;
  Frame* frameBase = nullptr;

  /// First free value slot above the innermost frame.
  Value* top() const { return fp->method ? fp->locals + fp->method->frameSize : fp->locals; }
  uint32_t depth() const { return static_cast<uint32_t>(fp - frameBase); }

  /// True when the native stack is nearly used up (below nativeLimit).
  bool nativeStackLow() const { return static_cast<const char*>(__builtin_frame_address(0)) < nativeLimit; }

  // ---- exceptions
  /// Makes `exc` the pending exception and records where it was raised (once per object).
  void throwObject(Object* exc);
  /// Where `exc` was first raised on this thread, if it still knows.
  const Trace* traceOf(const Object* exc) const { return traces_.find(exc); }

  /// Set by the exit primitive; the exit token then unwinds everything.
  bool exiting = false;
  int exitStatus = 0;

private:
  TraceTable traces_;
};

} // namespace vvm::core
