// Boehm GC set-up and the allocation entry points (DESIGN §4).
#define GC_THREADS
#include "gc/Heap.h"

#include <gc/gc.h>
#include <gc/gc_mark.h>
#include <gc/gc_typed.h>

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace vvm::gc {
namespace {

bool gInitialized = false;
void (*gRootPusher)() = nullptr;

// Returning null from the out-of-memory hook makes the allocation return null, which the VP
// turns into its OutOfMemoryError instead of Boehm's abort.
void* GC_CALLBACK onOutOfMemory(size_t) { return nullptr; }

// Boehm's warnings ("Out of Memory! Returning NULL", "Repeated allocation of very large
// block") describe situations vvm reports itself, as VP errors: keep them off the user's
// stderr unless diagnostics are turned up.
void GC_CALLBACK onWarning(char* msg, GC_word arg) {
  char text[512];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  std::snprintf(text, sizeof text, msg, static_cast<unsigned long>(arg)); // Boehm's own format
#pragma GCC diagnostic pop
  spdlog::debug("gc: {}", text);
}

// Boehm's own push_other_roots procedure pushes the native stacks of registered threads:
// replacing it without calling it would leave every C++ and compiled-code frame unscanned.
GC_push_other_roots_proc gDefaultPushOtherRoots = nullptr;

void GC_CALLBACK pushOtherRoots() {
  if (gDefaultPushOtherRoots) gDefaultPushOtherRoots();
  if (gRootPusher) gRootPusher();
}

// Big libraries' data segments hold no pointers into our heap; scanning them on every
// collection is pure cost (libLLVM alone has ~10 MB). Only vvm's own executable and libraries
// (and the C runtime) keep their data segments as roots.
int GC_CALLBACK hasStaticRoots(const char* name, void*, size_t) {
  if (name == nullptr || *name == '\0') return 1; // the main executable
  static const char* const kExcluded[] = {"libLLVM",   "libclang",  "libstdc++", "libcurl", "libssl",  "libcrypto",
                                          "libsodium", "libzip",    "libspdlog", "libfmt",  "libedit", "libz.",
                                          "libgnutls", "libnghttp", "libicu",    "libasan", "libubsan"};
  for (const char* lib : kExcluded)
    if (std::strstr(name, lib)) return 0;
  return 1;
}

} // namespace

void init(const Config& config) {
  if (gInitialized) return;
  GC_set_all_interior_pointers(1);
  GC_register_has_static_roots_callback(hasStaticRoots);
  GC_INIT();
  GC_allow_register_threads();
  GC_set_oom_fn(onOutOfMemory);
  // At the heap limit, collect before reporting out-of-memory: with Boehm's default of no
  // retries, a heap that grew (rather than collected) up to the limit fails while full of garbage.
  GC_set_max_retries(2);
  GC_set_warn_proc(onWarning);
  gDefaultPushOtherRoots = GC_get_push_other_roots();
  GC_set_push_other_roots(pushOtherRoots);
  GC_start_performance_measurement();
  // Layouts with references far from the start use Boehm's extended descriptor table, which
  // is allocated on first use and aborts the process if the heap limit stops that allocation:
  // make it exist before any limit applies.
  {
    bool wide[GC_WORDSZ * 2] = {};
    wide[GC_WORDSZ * 2 - 1] = true;
    (void)makeDescriptor(wide, GC_WORDSZ * 2);
  }
  // The same holds for the weak-link and finaliser tables: make them before any limit.
  {
    static void* link = nullptr;
    void* probe = GC_malloc(16);
    link = probe;
    GC_general_register_disappearing_link(&link, probe);
    GC_unregister_disappearing_link(&link);
    GC_register_finalizer_no_order(
        probe, [](void*, void*) {}, nullptr, nullptr, nullptr);
    GC_register_finalizer_no_order(probe, nullptr, nullptr, nullptr, nullptr);
    link = nullptr;
  }
  if (config.maxHeapBytes) GC_set_max_heap_size(config.maxHeapBytes);
  size_t initial = config.initialHeapBytes;
  if (config.maxHeapBytes && initial > config.maxHeapBytes / 2) initial = config.maxHeapBytes / 2;
  if (initial > GC_get_heap_size()) GC_expand_hp(initial - GC_get_heap_size());
  gInitialized = true;
}

bool initialized() { return gInitialized; }

Descriptor makeDescriptor(const bool* isRef, size_t words) {
  std::vector<GC_word> bitmap((words + GC_WORDSZ - 1) / GC_WORDSZ + 1, 0);
  for (size_t i = 0; i < words; ++i)
    if (isRef[i]) GC_set_bit(bitmap.data(), i);
  return static_cast<Descriptor>(GC_make_descriptor(bitmap.data(), words));
}

void* allocTyped(size_t bytes, Descriptor descriptor) {
  return GC_malloc_explicitly_typed(bytes, static_cast<GC_descr>(descriptor));
}

void* allocAtomic(size_t bytes) {
  void* p = GC_malloc_atomic(bytes);
  if (p) std::memset(p, 0, bytes); // atomic memory is not cleared by Boehm
  return p;
}

void* allocConservative(size_t bytes) { return GC_malloc(bytes); }
void* allocRoot(size_t bytes) { return GC_malloc_uncollectable(bytes); }
void freeRoot(void* p) { GC_free(p); }

void setRootPusher(void (*pusher)()) { gRootPusher = pusher; }

void pushRange(const void* lo, const void* hi) {
  if (lo < hi) GC_push_all(const_cast<void*>(lo), const_cast<void*>(hi));
}

void registerFinalizer(void* object, void (*fn)(void*, void*), void* data) {
  GC_register_finalizer_no_order(object, fn, data, nullptr, nullptr);
}

bool registerWeakLink(void** link) { return GC_general_register_disappearing_link(link, *link) == GC_SUCCESS; }

void unregisterWeakLink(void** link) { GC_unregister_disappearing_link(link); }

int runFinalizers() { return GC_invoke_finalizers(); }

ThreadRegistration::ThreadRegistration() {
  if (!GC_thread_is_registered()) {
    GC_stack_base base;
    if (GC_get_stack_base(&base) == GC_SUCCESS) registered_ = GC_register_my_thread(&base) == GC_SUCCESS;
  }
}

ThreadRegistration::~ThreadRegistration() {
  if (registered_) GC_unregister_my_thread();
}

void collect() { GC_gcollect(); }

Stats stats() {
  Stats s;
  s.collections = GC_get_gc_no();
  GC_word heap = 0, free = 0, unmapped = 0, sinceGc = 0, total = 0;
  GC_get_heap_usage_safe(&heap, &free, &unmapped, &sinceGc, &total);
  s.heapBytes = heap;
  s.freeBytes = free;
  s.bytesAllocated = total;
  s.gcMillis = GC_get_full_gc_total_time();
  return s;
}

} // namespace vvm::gc
