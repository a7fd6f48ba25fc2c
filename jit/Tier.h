// The JIT tier (DESIGN §3): takes hot methods from the interpreter's tier-up hook, compiles
// them on one background thread with the LLVM backend (libvvm-jit.so, loaded with dlopen the
// first time a method is queued), and installs the result by swapping the method's entry.
#pragma once

#include "core/interp/Runtime.h"
#include "jit/Backend.h"

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vvm::jit {

/// --jit=off|on|eager. Eager compiles every method before its first call runs (and waits).
enum class Mode : uint8_t { Off, On, Eager };
std::optional<Mode> modeFromName(std::string_view name);

struct Options {
  Mode mode = Mode::On;
  /// Invocations plus loop back edges before a method is queued (--jit-threshold).
  uint32_t threshold = 1000;
  size_t queueCapacity = 256; ///< requests beyond it are dropped (the method stays interpreted)
  std::string dumpDir;        ///< --dump-llvm
  std::string libraryPath;    ///< the backend; empty: libvvm-jit.so beside the executable
};

/// --jit-stats.
struct Stats {
  uint64_t queued = 0;
  uint64_t compiled = 0;
  uint64_t failed = 0;
  uint64_t dropped = 0; ///< queue full
  uint64_t osrEntries = 0;
  double loadMillis = 0; ///< dlopen of the backend and its set-up
  double lowerMillis = 0, optMillis = 0, emitMillis = 0;
  double maxWaitMillis = 0, totalWaitMillis = 0; ///< time from queueing to compile start
  size_t codeBytes = 0;
  size_t maxQueueLength = 0;
};

class Tier {
public:
  /// Attaches to the runtime's tier-up hook (one Tier per process at a time).
  Tier(core::Runtime& rt, Options options);
  /// Stops the compile thread (after the compile in progress) and detaches.
  ~Tier();
  Tier(const Tier&) = delete;
  Tier& operator=(const Tier&) = delete;

  /// Compiles `m` now (on the compile thread) and waits. True when it runs native code after.
  bool compileNow(core::Method& m);
  /// Waits until the queue is empty and nothing is compiling.
  void drain();
  /// True while the compile thread is loading the backend or compiling. A process about to
  /// exit need not wait for it: see RunCommand, which then ends with _Exit.
  bool busy() const;

  Stats stats() const;
  /// The --jit-stats report.
  void printStats(std::FILE* out) const;

private:
  struct Request {
    core::Method* method;
    double queuedAt;
  };
  static void onHot(core::Method* m);
  void request(core::Method& m);
  void enqueueLocked(core::Method& m);
  void compileLoop();
  void compileOne(const Request& r);
  bool loadBackend();

  core::Runtime& rt_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Request> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
  Stats stats_;

  // Backend state: touched only by the compile thread once it runs.
  void* library_ = nullptr;
  std::unique_ptr<Backend> backend_;
  bool backendFailed_ = false;
  std::vector<std::unique_ptr<core::NativeCode>> code_;
};

} // namespace vvm::jit
