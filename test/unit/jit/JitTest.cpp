// The JIT tier against the interpreter: lowering edge cases checked differentially (the same
// method run interpreted and compiled must give the same bits), calls and exceptions crossing
// between compiled and interpreted frames in both directions, stack limits in compiled code,
// on-stack replacement, and a backend that cannot load.
#include "../TestSupport.h"

#include "core/ir/Opcode.h"
#include "jit/Tier.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

using namespace vvm;
using namespace vvm::core;

namespace {

/// A tier that compiles only what a test asks for (the threshold is out of reach).
struct ManualTier {
  jit::Tier tier;
  explicit ManualTier(std::string library = VVM_JIT_LIBRARY) : tier(test::runtime(), options(std::move(library))) {
    test::runtime().setTierThreshold(1u << 31);
  }
  static jit::Options options(std::string library) {
    jit::Options o;
    o.mode = jit::Mode::On;
    o.libraryPath = std::move(library);
    return o;
  }
  bool compile(Method* m) { return tier.compileNow(*m); }
};

Method* method(Module& m, const char* name) {
  Method* f = m.findMethod(name);
  REQUIRE(f);
  return f;
}

/// Calls m with `args` on a VP thread; returns the status, and the result or exception.
struct Outcome {
  Status status;
  Value result;
  Object* exception;
  std::string message() const { return exception ? test::errorMessage(exception) : ""; }
};
Outcome call(Thread& t, Method* m, std::initializer_list<Value> args) {
  Value result{};
  std::vector<Value> a(args);
  Status s = invoke(t, m, a.data(), &result);
  Outcome o{s, result, t.pending};
  t.pending = nullptr;
  return o;
}
Outcome call(Method* m, std::initializer_list<Value> args) {
  Thread t(test::runtime()); // a VP stack is big: reuse a thread where calls are many
  return call(t, m, args);
}

Value i32(int32_t v) {
  Value x{};
  x.setI32(v);
  return x;
}
Value i64(int64_t v) {
  Value x{};
  x.i64 = v;
  return x;
}
Value f32(float v) {
  Value x{};
  x.setF32(v);
  return x;
}
Value f64(double v) {
  Value x{};
  x.f64 = v;
  return x;
}

/// Bits of a result of kind k, for exact comparison (NaN payloads included).
uint64_t bits(Value v, Kind k) {
  switch (k) {
  case Kind::I32: return static_cast<uint32_t>(v.i32);
  case Kind::F32: {
    uint32_t b;
    std::memcpy(&b, &v.f32, 4);
    return b;
  }
  default: return v.word;
  }
}

std::vector<Value> inputsOf(Kind k) {
  std::vector<Value> v;
  switch (k) {
  case Kind::I32:
    for (int32_t x : {0,
                      1,
                      -1,
                      2,
                      7,
                      31,
                      32,
                      33,
                      63,
                      64,
                      65,
                      127,
                      128,
                      -128,
                      255,
                      65535,
                      65536,
                      1 << 30,
                      std::numeric_limits<int32_t>::max(),
                      std::numeric_limits<int32_t>::min(),
                      -2,
                      -31,
                      -32})
      v.push_back(i32(x));
    break;
  case Kind::I64:
    for (int64_t x : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{64}, int64_t{1} << 31, int64_t{1} << 53,
                      (int64_t{1} << 53) + 1, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                      int64_t{-3}, int64_t{0x7fffffff}, int64_t{-0x80000001LL}})
      v.push_back(i64(x));
    break;
  case Kind::F32:
    for (float x : {0.0f, -0.0f, 1.0f, -1.5f, 2.5f, 0.5f, 1e10f, -1e10f, 2147483520.0f, 2147483648.0f, 3e38f,
                    std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min()})
      v.push_back(f32(x));
    break;
  case Kind::F64:
    for (double x : {0.0, -0.0, 1.0, -1.5, 2.5, 0.5, 1e300, -1e300, 2147483647.5, 2147483648.0, -2147483649.0,
                     9223372036854775807.0, -9223372036854775808.0, 1e19, std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::denorm_min()})
      v.push_back(f64(x));
    break;
  default: break;
  }
  return v;
}

/// Runs `op` (a unary or binary instruction from its stack effect) on every input (pair),
/// interpreted and compiled, and requires identical outcomes: same bits or same error.
void differential(Op op) {
  std::string_view effect = info(op).effect;
  auto arrow = effect.find('>');
  std::string_view pops = effect.substr(0, arrow);
  Kind in1 = *kindFromLetter(pops[0]);
  Kind in2 = pops.size() > 1 ? *kindFromLetter(pops[1]) : Kind::Void;
  Kind out = *kindFromLetter(effect[arrow + 1]);
  std::string name(info(op).name);
  std::ostringstream text;
  text << ".method f (" << kindName(in1) << " a"
       << (pops.size() > 1 ? std::string(", ") + std::string(kindName(in2)) + " b" : "") << ") " << kindName(out)
       << "\n  load." << kindName(in1) << " a\n";
  if (pops.size() > 1) text << "  load." << kindName(in2) << " b\n";
  text << "  " << name << "\n  ret." << kindName(out) << "\n.end\n";
  std::string errors;
  auto interpreted = test::assemble(text.str(), &errors);
  auto compiled = test::assemble(text.str(), &errors);
  INFO(text.str() << errors);
  REQUIRE(interpreted);
  REQUIRE(compiled);
  ManualTier tier;
  REQUIRE(tier.compile(method(*compiled, "f")));
  std::vector<Value> as = inputsOf(in1);
  std::vector<Value> bs = pops.size() > 1 ? inputsOf(in2) : std::vector<Value>{Value{}};
  Thread t(test::runtime());
  for (Value a : as) {
    for (Value b : bs) {
      Outcome x = call(t, method(*interpreted, "f"), {a, b});
      Outcome y = call(t, method(*compiled, "f"), {a, b});
      INFO(name << " a=" << a.word << " b=" << b.word);
      REQUIRE(x.status == y.status);
      if (x.status == Status::Ok)
        CHECK(bits(x.result, out) == bits(y.result, out));
      else
        CHECK(x.message() == y.message());
    }
  }
}

} // namespace

TEST_CASE("conversions at their limits agree with the interpreter") {
  for (Op op : {Op::I2L, Op::I2F, Op::I2D, Op::L2I, Op::L2F, Op::L2D, Op::F2I, Op::F2L, Op::F2D, Op::D2I, Op::D2L,
                Op::D2F, Op::I2B, Op::I2C, Op::I2S})
    differential(op);
}

TEST_CASE("comparisons with NaN, zeros and infinities agree with the interpreter") {
  for (Op op : {Op::CmpI64, Op::CmplF32, Op::CmpgF32, Op::CmplF64, Op::CmpgF64}) differential(op);
}

TEST_CASE("shifts by the width and beyond are masked as in the interpreter") {
  for (Op op : {Op::ShlI32, Op::ShrI32, Op::UshrI32, Op::ShlI64, Op::ShrI64, Op::UshrI64}) differential(op);
}

TEST_CASE("integer overflow, division and remainder (by zero and MIN / -1) agree with the interpreter") {
  for (Op op : {Op::AddI32, Op::SubI32, Op::MulI32, Op::DivI32, Op::RemI32, Op::NegI32, Op::AddI64, Op::SubI64,
                Op::MulI64, Op::DivI64, Op::RemI64, Op::NegI64})
    differential(op);
}

TEST_CASE("floating-point arithmetic (fmod, negation of zero, NaN) agrees with the interpreter") {
  for (Op op : {Op::AddF32, Op::DivF32, Op::RemF32, Op::NegF32, Op::MulF64, Op::DivF64, Op::RemF64, Op::NegF64})
    differential(op);
}

namespace {
const char* kMixed = R"(
.method thrower (i32 n) i32
  load.i32 n
  const.i32 0
  div.i32
  ret.i32
.end
.method catcher (i32 n) i32
  .catch try end handler ArithmeticError
try:
  load.i32 n
  call thrower
  ret.i32
end:
handler:
  pop
  const.i32 -7
  ret.i32
.end
.method ping (i32 n) i32
  load.i32 n
  ifz.le bottom
  load.i32 n
  const.i32 1
  sub.i32
  call pong
  const.i32 1
  add.i32
  ret.i32
bottom:
  const.i32 0
  ret.i32
.end
.method pong (i32 n) i32
  load.i32 n
  call ping
  ret.i32
.end
.method down (i32 n) i32
  load.i32 n
  const.i32 1
  add.i32
  call down
  ret.i32
.end
.method teven (i32 n) i32
  load.i32 n
  ifz.eq yes
  load.i32 n
  const.i32 1
  sub.i32
  tailcall todd
yes:
  const.i32 1
  ret.i32
.end
.method todd (i32 n) i32
  load.i32 n
  ifz.eq no
  load.i32 n
  const.i32 1
  sub.i32
  tailcall teven
no:
  const.i32 0
  ret.i32
.end
.method loop (i32 n) i64
  .local i64 sum
  .local i32 i
next:
  load.i32 i
  load.i32 n
  if.ge.i32 done
  load.i64 sum
  load.i32 i
  i2l
  add.i64
  store.i64 sum
  inc.i32 i 1
  jmp next
done:
  load.i64 sum
  ret.i64
.end
)";
} // namespace

TEST_CASE("an exception from a compiled callee is caught by an interpreted caller") {
  auto m = test::assemble(kMixed);
  REQUIRE(m);
  ManualTier tier;
  REQUIRE(tier.compile(method(*m, "thrower")));
  CHECK(method(*m, "catcher")->tier.load() == Method::Tier::Interpreted);
  Outcome o = call(method(*m, "catcher"), {i32(5)});
  REQUIRE(o.status == Status::Ok);
  CHECK(o.result.i32 == -7);
}

TEST_CASE("an exception from an interpreted callee is caught by a compiled caller") {
  auto m = test::assemble(kMixed);
  REQUIRE(m);
  ManualTier tier;
  REQUIRE(tier.compile(method(*m, "catcher")));
  CHECK(method(*m, "thrower")->tier.load() == Method::Tier::Interpreted);
  Outcome o = call(method(*m, "catcher"), {i32(5)});
  REQUIRE(o.status == Status::Ok);
  CHECK(o.result.i32 == -7);
  // Uncaught from the compiled code: the walkback names both frames with their lines.
  Thread t(test::runtime());
  Value args[1] = {i32(1)};
  REQUIRE(invoke(t, method(*m, "thrower"), args, nullptr) == Status::Exception);
  CHECK(test::errorMessage(t.pending) == "/ by zero");
}

TEST_CASE("recursion alternating between compiled and interpreted methods") {
  auto m = test::assemble(kMixed);
  REQUIRE(m);
  ManualTier tier;
  REQUIRE(tier.compile(method(*m, "ping"))); // pong stays interpreted
  // Each interpreted activation re-entered from compiled code is a C++ frame too: 400 deep
  // stays within the native stack of a test thread even with sanitizers.
  Outcome o = call(method(*m, "ping"), {i32(400)});
  REQUIRE(o.status == Status::Ok);
  CHECK(o.result.i32 == 400);
}

TEST_CASE("tail calls between a compiled and an interpreted method") {
  auto m = test::assemble(kMixed);
  REQUIRE(m);
  ManualTier tier;
  REQUIRE(tier.compile(method(*m, "teven"))); // todd stays interpreted
  Outcome o = call(method(*m, "teven"), {i32(301)});
  REQUIRE(o.status == Status::Ok);
  CHECK(o.result.i32 == 0);
  REQUIRE(tier.compile(method(*m, "todd"))); // both compiled: a jump each way, any depth
  o = call(method(*m, "teven"), {i32(3000000)});
  REQUIRE(o.status == Status::Ok);
  CHECK(o.result.i32 == 1);
}

TEST_CASE("deep recursion in compiled code reaches the depth limit as the interpreter does") {
  auto interpreted = test::assemble(kMixed);
  auto compiled = test::assemble(kMixed);
  REQUIRE((interpreted && compiled));
  ManualTier tier;
  REQUIRE(tier.compile(method(*compiled, "down")));
  Outcome x = call(method(*interpreted, "down"), {i32(0)});
  Outcome y = call(method(*compiled, "down"), {i32(0)});
  REQUIRE(x.status == Status::Exception);
  REQUIRE(y.status == Status::Exception);
  CHECK(y.exception->shape->name == "StackOverflowError");
  CHECK(x.message() == y.message());
}

TEST_CASE("a hot loop continues in compiled code through on-stack replacement") {
  auto m = test::assemble(kMixed);
  REQUIRE(m);
  Method* loop = method(*m, "loop");
  {
    jit::Options o;
    o.mode = jit::Mode::On;
    o.threshold = 100;
    o.libraryPath = VVM_JIT_LIBRARY;
    test::runtime().setTierThreshold(o.threshold);
    jit::Tier tier(test::runtime(), o);
    // Long enough that the compile finishes while the loop still runs in the interpreter.
    Outcome r = call(loop, {i32(200000000)});
    REQUIRE(r.status == Status::Ok);
    CHECK(r.result.i64 == int64_t{200000000} * 199999999 / 2);
    tier.drain();
    REQUIRE(loop->tier.load() == Method::Tier::Compiled);
    CHECK(loop->native.load()->osr != nullptr);
    CHECK(loop->osrEntries.load() == 1); // the one call left the interpreter at a back edge
  }
  Outcome again = call(loop, {i32(1000)}); // now through the compiled entry
  CHECK(again.result.i64 == 499500);
}

TEST_CASE("when the backend cannot load, methods stay interpreted and behave the same") {
  auto m = test::assemble(kMixed);
  REQUIRE(m);
  ManualTier tier("/nonexistent/libvvm-jit.so");
  CHECK_FALSE(tier.compile(method(*m, "ping")));
  CHECK(method(*m, "ping")->tier.load() == Method::Tier::Failed);
  Outcome o = call(method(*m, "ping"), {i32(100)});
  REQUIRE(o.status == Status::Ok);
  CHECK(o.result.i32 == 100);
}

TEST_CASE("every instruction is exercised by a golden program (which run with --jit=eager)") {
  std::set<std::string> used;
  for (const auto& e : std::filesystem::directory_iterator(std::string(VVM_SOURCE_DIR) + "/test/programs/vp")) {
    if (e.path().extension() != ".vp") continue;
    std::ifstream in(e.path());
    std::string word;
    while (in >> word) used.insert(word);
  }
  for (size_t i = 0; i < kOpCount; ++i) {
    if (kOpInfo[i].flags & Internal) continue;
    INFO(kOpInfo[i].name);
    CHECK(used.count(std::string(kOpInfo[i].name)));
  }
}
