// A VP thread: its value stack and frame stack (VP calls never recurse in C), its pending
// exception, and the trace captured where that exception was raised.
#pragma once

#include "core/ir/Method.h"
#include "core/object/Object.h"

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

class Thread {
public:
  explicit Thread(Runtime& rt);
  ~Thread();
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  Runtime& rt;

  Value* stackBase = nullptr;
  Value* stackEnd = nullptr;
  Frame* frameBase = nullptr;
  Frame* frameEnd = nullptr;
  Frame* fp = nullptr; ///< the innermost frame; kept current at calls, returns and faults

  /// First free value slot above the innermost frame.
  Value* top() const { return fp->method ? fp->locals + fp->method->frameSize : fp->locals; }
  uint32_t depth() const { return static_cast<uint32_t>(fp - frameBase); }

  // ---- exceptions
  Object* pending = nullptr;
  /// Makes `exc` the pending exception and records where it was raised (once per object).
  void throwObject(Object* exc);
  const std::vector<TraceEntry>& trace() const { return trace_; }
  size_t traceOmitted() const { return traceOmitted_; }

  /// Set by the exit primitive; the exit token then unwinds everything.
  bool exiting = false;
  int exitStatus = 0;

private:
  std::vector<TraceEntry> trace_;
  size_t traceOmitted_ = 0;
  Object* traceOf_ = nullptr;
};

} // namespace vvm::core
