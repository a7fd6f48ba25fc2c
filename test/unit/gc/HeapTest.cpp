// The heap: precise marking through shape descriptors, atomic allocation, roots, weak links,
// finalisers and statistics.
#include "../TestSupport.h"

#include <catch2/catch.hpp>

using namespace vvm;
using namespace vvm::core;

namespace {

constexpr int kCount = 2000;

// Builds a holder object per target: the target's address goes either into a ref field (which
// the collector must trace) or into an i64 field (which precise marking must ignore). Each
// target gets a weak link so the test can see whether it survived.
struct Experiment {
  Shape holder;
  Shape target;
  void** roots = nullptr; // holders, as GC roots
  void** weak = nullptr;  // weak links to targets (atomic memory: not scanned)

  Experiment() {
    holder.name = "Holder";
    holder.fields = {{"hidden", Kind::I64}, {"strong", Kind::Ref}};
    holder.finish();
    target.name = "Target";
    target.fields = {{"payload", Kind::I64}, {"other", Kind::Ref}};
    target.finish();
    roots = static_cast<void**>(gc::allocRoot(kCount * sizeof(void*)));
    weak = static_cast<void**>(gc::allocAtomic(kCount * sizeof(void*)));
    weakRoot = static_cast<void**>(gc::allocRoot(sizeof(void*)));
    *weakRoot = weak;
  }
  ~Experiment() {
    for (int i = 0; i < kCount; ++i)
      if (weak[i]) gc::unregisterWeakLink(&weak[i]);
    gc::freeRoot(roots);
    gc::freeRoot(weakRoot);
  }

  [[gnu::noinline]] void fill(bool viaRef) {
    for (int i = 0; i < kCount; ++i) {
      Object* h = test::runtime().newObject(&holder);
      Object* t = test::runtime().newObject(&target);
      REQUIRE((h && t));
      if (viaRef)
        slotsOf(h)[1].ref = t;
      else
        slotsOf(h)[0].i64 = reinterpret_cast<int64_t>(t);
      roots[i] = h;
      weak[i] = t;
      REQUIRE(gc::registerWeakLink(&weak[i]));
    }
  }
  int survivors() const {
    int n = 0;
    for (int i = 0; i < kCount; ++i) n += weak[i] != nullptr;
    return n;
  }

private:
  void** weakRoot = nullptr;
};

[[gnu::noinline]] void clobberStack() {
  volatile char junk[16384];
  for (auto& c : junk) c = 0;
}

} // namespace

TEST_CASE("reference fields keep objects alive") {
  test::runtime();
  Experiment e;
  e.fill(true);
  clobberStack();
  gc::collect();
  CHECK(e.survivors() == kCount);
}

TEST_CASE("non-reference fields are not traced (precise marking)") {
  test::runtime();
  Experiment e;
  e.fill(false);
  clobberStack();
  gc::collect();
  gc::collect();
  // Conservative stack scanning may pin a handful; precise marking must free the rest.
  CHECK(e.survivors() < kCount / 10);
}

namespace {
int gFinalized = 0;
void onFinalize(void*, void*) { ++gFinalized; }

[[gnu::noinline]] void makeGarbageWithFinalizers(const Shape* s) {
  for (int i = 0; i < 1000; ++i) {
    Object* o = test::runtime().newObject(s);
    REQUIRE(o);
    gc::registerFinalizer(o, onFinalize, nullptr);
  }
}
} // namespace

TEST_CASE("finalisers run for unreachable objects") {
  test::runtime();
  Shape s;
  s.name = "Finalizable";
  s.fields = {{"r", Kind::Ref}};
  s.finish();
  gFinalized = 0;
  makeGarbageWithFinalizers(&s);
  clobberStack();
  gc::collect();
  gc::collect();
  gc::runFinalizers();
  CHECK(gFinalized > 900);
}

TEST_CASE("atomic arrays are zeroed and strings keep their bytes") {
  Array* a = test::runtime().newArray(Elem::F64, 1000);
  REQUIRE(a);
  CHECK(a->length == 1000);
  bool allZero = true;
  for (int i = 0; i < 1000; ++i) allZero = allZero && a->data<double>()[i] == 0.0;
  CHECK(allZero);
  Array* s = test::runtime().newString("héllo");
  REQUIRE(s);
  CHECK(Runtime::stringText(s) == "héllo");
  CHECK(s->length == 6);
}

TEST_CASE("statistics count collections and time") {
  test::runtime();
  gc::Stats before = gc::stats();
  gc::collect();
  gc::Stats after = gc::stats();
  CHECK(after.collections > before.collections);
  CHECK(after.heapBytes >= (8u << 20));
  CHECK(after.bytesAllocated >= before.bytesAllocated);
}

namespace {
// Holds `count` objects only in a native array on this frame's stack (as compiled code holds
// references in registers and stack slots), collects, and counts the survivors.
[[gnu::noinline]] int survivorsHeldOnNativeStack(const Shape* s) {
  constexpr int kHeld = 64;
  Object* volatile held[kHeld];
  void** weak = static_cast<void**>(gc::allocAtomic(kHeld * sizeof(void*)));
  void** weakRoot = static_cast<void**>(gc::allocRoot(sizeof(void*)));
  *weakRoot = weak;
  for (int i = 0; i < kHeld; ++i) {
    held[i] = test::runtime().newObject(s);
    weak[i] = held[i];
    gc::registerWeakLink(&weak[i]);
  }
  gc::collect();
  gc::collect();
  int n = 0;
  for (int i = 0; i < kHeld; ++i) {
    n += weak[i] != nullptr && weak[i] == held[i];
    if (weak[i]) gc::unregisterWeakLink(&weak[i]);
  }
  gc::freeRoot(weakRoot);
  return n;
}
} // namespace

TEST_CASE("native stacks are roots: objects held only by a C++ frame survive") {
  Shape s;
  s.name = "OnStack";
  s.fields = {{"r", Kind::Ref}};
  s.finish();
  CHECK(survivorsHeldOnNativeStack(&s) == 64);
}
