// The heap: Boehm GC behind a small API. This is the only place in vvm that includes
// <gc/gc.h>. Objects with a known layout are allocated with an explicit type descriptor
// (precise marking), byte and number arrays atomic (never scanned). The heap never moves
// objects, so identity may come from addresses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace vvm::gc {

/// Heap settings, fixed at start-up.
struct Config {
  size_t initialHeapBytes = 64u << 20; ///< so a small program does not run many tiny collections
  size_t maxHeapBytes = 0;             ///< 0: no limit
};

/// Starts the collector. Call once, from the main thread, before any allocation.
void init(const Config& config);
bool initialized();

/// A precise layout descriptor made by makeDescriptor().
using Descriptor = uintptr_t;

/// Describes an object of `words` words whose words marked in `isRef` hold heap references.
Descriptor makeDescriptor(const bool* isRef, size_t words);

/// Allocation. Each returns zeroed memory, or nullptr when the heap limit is reached (the
/// caller turns that into the language's out-of-memory error).
void* allocTyped(size_t bytes, Descriptor descriptor);
void* allocAtomic(size_t bytes);       ///< never scanned: numbers, bytes
void* allocConservative(size_t bytes); ///< every word may be a reference
void* allocRoot(size_t bytes);         ///< never collected, scanned: static storage, tables
void freeRoot(void* p);

/// Registers a callback that pushes extra root ranges (VP stacks) at each collection. It runs
/// with the world stopped and may only call pushRange().
void setRootPusher(void (*pusher)());
/// Marks every word in [lo, hi) conservatively. Only valid inside a root pusher.
void pushRange(const void* lo, const void* hi);

/// Runs `fn(object, data)` once `object` becomes unreachable (no ordering among finalisers).
void registerFinalizer(void* object, void (*fn)(void* object, void* data), void* data);
/// Makes *link a weak reference: cleared when the object it points to is collected.
bool registerWeakLink(void** link);
/// Makes *link strong again.
void unregisterWeakLink(void** link);
/// Runs finalisers whose objects have been found unreachable. Returns how many ran.
int runFinalizers();

/// Registers the calling (non-main) thread with the collector; threads that touch the heap
/// must be registered. The returned token unregisters it on destruction.
class ThreadRegistration {
public:
  ThreadRegistration();
  ~ThreadRegistration();
  ThreadRegistration(const ThreadRegistration&) = delete;
  ThreadRegistration& operator=(const ThreadRegistration&) = delete;

private:
  bool registered_ = false;
};

/// Forces a full collection.
void collect();

/// What --gc-stats prints.
struct Stats {
  uint64_t collections = 0;
  size_t heapBytes = 0;
  size_t freeBytes = 0;
  uint64_t bytesAllocated = 0; ///< since start-up
  uint64_t gcMillis = 0;       ///< total time spent collecting
};
Stats stats();

} // namespace vvm::gc
