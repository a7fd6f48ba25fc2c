// The interpreter seen from C++: calls in and out, exceptions as statuses, re-entry from a
// primitive, stack limits, and the tier-up counters.
#include "../TestSupport.h"

#include <catch2/catch.hpp>

using namespace vvm;
using namespace vvm::core;

TEST_CASE("invoke passes arguments and returns results of every kind") {
  auto m = test::assemble(R"(
.method addl (i64 a, i64 b) i64
  load.i64 a
  load.i64 b
  add.i64
  ret.i64
.end
.method half (f64 x) f64
  load.f64 x
  const.f64 2
  div.f64
  ret.f64
.end
)");
  REQUIRE(m);
  Thread t(test::runtime());
  Value args[2];
  args[0].i64 = 40000000000;
  args[1].i64 = 2;
  Value r{};
  REQUIRE(invoke(t, m->findMethod("addl"), args, &r) == Status::Ok);
  CHECK(r.i64 == 40000000002);
  args[0].f64 = 3.0;
  REQUIRE(invoke(t, m->findMethod("half"), args, &r) == Status::Ok);
  CHECK(r.f64 == 1.5);
  CHECK(t.depth() == 0);
}

TEST_CASE("an uncaught VP error comes back as an exception status with a trace") {
  auto m = test::assemble(R"(
.method inner (i32 x) i32
  load.i32 x
  const.i32 0
  div.i32
  ret.i32
.end
.method outer () i32
  const.i32 7
  call inner
  ret.i32
.end
)");
  REQUIRE(m);
  Thread t(test::runtime());
  Value r{};
  REQUIRE(invoke(t, m->findMethod("outer"), nullptr, &r) == Status::Exception);
  REQUIRE(t.pending);
  CHECK(t.pending->shape == test::runtime().errorShape(VpError::ArithmeticError));
  CHECK(test::errorMessage(t.pending) == "/ by zero");
  const Trace* trace = t.traceOf(t.pending);
  REQUIRE(trace);
  REQUIRE(trace->frames.size() == 2);
  CHECK(trace->frames[0].method->name == "inner");
  CHECK(trace->frames[0].line == 5);
  CHECK(trace->frames[1].method->name == "outer");
  CHECK(trace->frames[1].line == 10);
  CHECK(t.depth() == 0);
}

namespace {
Method* gCallback = nullptr;
// A primitive that calls back into VP code: the interpreter must be re-entrant.
bool callBack(Thread& t, Value* args) {
  Value r{};
  if (invoke(t, gCallback, args, &r) != Status::Ok) return false;
  args[0] = r;
  return true;
}
} // namespace

TEST_CASE("primitives can call back into VP code, and exceptions cross the boundary") {
  static bool registered = false;
  if (!registered) {
    test::runtime().primitives().add("test.callback", Signature{{Kind::I32}, Kind::I32}, callBack, "test");
    registered = true;
  }
  auto m = test::assemble(R"(
.method square (i32 x) i32
  load.i32 x
  dup
  mul.i32
  ret.i32
.end
.method fail (i32 x) i32
  const.null
  throw
.end
.method viaPrim (i32 x) i32
  load.i32 x
  callprim test.callback
  const.i32 1
  add.i32
  ret.i32
.end
.method caught (i32 x) i32
start:
  load.i32 x
  callprim test.callback
  ret.i32
end:
handler:
  pop
  const.i32 -5
  ret.i32
  .catch start end handler NullPointerError
.end
)");
  REQUIRE(m);
  Thread t(test::runtime());
  Value arg{}, r{};
  arg.i32 = 9;
  gCallback = m->findMethod("square");
  REQUIRE(invoke(t, m->findMethod("viaPrim"), &arg, &r) == Status::Ok);
  CHECK(r.i32 == 82);
  gCallback = m->findMethod("fail");
  REQUIRE(invoke(t, m->findMethod("caught"), &arg, &r) == Status::Ok);
  CHECK(r.i32 == -5);
  CHECK(t.depth() == 0);
}

TEST_CASE("unbounded recursion raises StackOverflowError, and the thread stays usable") {
  auto m = test::assemble(R"(
.method down (i32 n) i32
  load.i32 n
  const.i32 1
  add.i32
  call down
  ret.i32
.end
.method one () i32
  const.i32 1
  ret.i32
.end
)");
  REQUIRE(m);
  Thread t(test::runtime());
  Value arg{}, r{};
  REQUIRE(invoke(t, m->findMethod("down"), &arg, &r) == Status::Exception);
  CHECK(t.pending->shape == test::runtime().errorShape(VpError::StackOverflowError));
  CHECK(t.depth() == 0);
  REQUIRE(invoke(t, m->findMethod("one"), nullptr, &r) == Status::Ok);
  CHECK(r.i32 == 1);
}

namespace {
int gTierUps = 0;
Method* gHot = nullptr;
void countTierUp(Method* m) {
  ++gTierUps;
  gHot = m;
}
} // namespace

TEST_CASE("invocation and back-edge counters request tier-up once, at the threshold") {
  RuntimeConfig cfg;
  cfg.tierThreshold = 100;
  Runtime rt(cfg);
  vos::registerBasePrimitives(rt);
  rt.tierUpHook = countTierUp;
  Module mod(rt, "tier");
  Diagnostics d;
  REQUIRE(assemble(R"(
.method leaf () void
  ret
.end
.method loop (i32 n) void
top:
  load.i32 n
  ifz.le done
  inc.i32 n -1
  jmp top
done:
  ret
.end
)",
                   "tier.vp", mod, d));
  Thread t(rt);
  gTierUps = 0;
  for (int i = 0; i < 99; ++i) REQUIRE(invoke(t, mod.findMethod("leaf"), nullptr, nullptr) == Status::Ok);
  CHECK(gTierUps == 0);
  REQUIRE(invoke(t, mod.findMethod("leaf"), nullptr, nullptr) == Status::Ok);
  CHECK(gTierUps == 1);
  CHECK(gHot == mod.findMethod("leaf"));
  for (int i = 0; i < 50; ++i) REQUIRE(invoke(t, mod.findMethod("leaf"), nullptr, nullptr) == Status::Ok);
  CHECK(gTierUps == 1);
  // One invocation plus 1000 back edges: the loop crosses the threshold inside one call.
  Value n{};
  n.i32 = 1000;
  REQUIRE(invoke(t, mod.findMethod("loop"), &n, nullptr) == Status::Ok);
  CHECK(gTierUps == 2);
  CHECK(gHot == mod.findMethod("loop"));
}
