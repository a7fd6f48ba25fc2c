// The IR verifier, driven through the IR builder: what it accepts, what it rejects, and the
// maximum stack depth it computes.
#include "core/verify/Verifier.h"
#include "../TestSupport.h"
#include "core/ir/Builder.h"

#include <catch2/catch.hpp>

using namespace vvm;
using namespace vvm::core;

namespace {
struct Fixture {
  Module module{test::runtime(), "verifier-test"};
  Method* method(Signature sig) {
    Method* m = module.addMethod("m" + std::to_string(module.methods().size()));
    m->sig = std::move(sig);
    m->locals = m->sig.params;
    return m;
  }
  bool check(Method* m, std::string* out = nullptr) {
    Diagnostics d;
    bool ok = verify(*m, d, "built");
    if (out) *out = d.format();
    return ok;
  }
};
} // namespace

TEST_CASE("a loop with a join verifies and gets its max stack") {
  Fixture f;
  Method* m = f.method({{Kind::I32}, Kind::I32});
  Builder b(*m);
  uint32_t acc = b.addLocal(Kind::I32);
  Label loop = b.newLabel(), done = b.newLabel();
  b.bind(loop);
  b.emit(Op::LoadI32, 0);
  b.branch(Op::IfzLe, done);
  b.emit(Op::LoadI32, acc).emit(Op::LoadI32, 0).emit(Op::AddI32).emit(Op::StoreI32, acc);
  b.emit(Op::IncI32, 0, -1);
  b.branch(Op::Jmp, loop);
  b.bind(done);
  b.emit(Op::LoadI32, acc).emit(Op::RetI32);
  std::string err;
  REQUIRE(b.finish(err));
  REQUIRE(f.check(m));
  CHECK(m->maxStack == 2);
}

TEST_CASE("stack underflow is rejected") {
  Fixture f;
  Method* m = f.method({{}, Kind::Void});
  Builder b(*m);
  b.emit(Op::AddI32).emit(Op::Ret);
  std::string err;
  REQUIRE(b.finish(err));
  std::string out;
  CHECK_FALSE(f.check(m, &out));
  CHECK(out.find("add.i32 needs 2 values on the stack but there are 0") != std::string::npos);
}

TEST_CASE("different stacks at a join are rejected") {
  Fixture f;
  Method* m = f.method({{Kind::I32}, Kind::Void});
  Builder b(*m);
  Label other = b.newLabel(), join = b.newLabel();
  b.emit(Op::LoadI32, 0);
  b.branch(Op::IfzEq, other);
  b.constI32(1);
  b.branch(Op::Jmp, join);
  b.bind(other);
  b.constF64(1.0);
  b.bind(join);
  b.emit(Op::Pop).emit(Op::Ret);
  std::string err;
  REQUIRE(b.finish(err));
  std::string out;
  CHECK_FALSE(f.check(m, &out));
  CHECK(out.find("differs") != std::string::npos);
}

TEST_CASE("falling off the end, bad locals and internal instructions are rejected") {
  Fixture f;
  std::string err, out;
  {
    Method* m = f.method({{}, Kind::Void});
    Builder b(*m);
    b.constI32(1).emit(Op::Pop);
    REQUIRE(b.finish(err));
    CHECK_FALSE(f.check(m, &out));
    CHECK(out.find("falls off the end") != std::string::npos);
  }
  {
    Method* m = f.method({{Kind::F64}, Kind::Void});
    Builder b(*m);
    b.emit(Op::LoadI32, 0).emit(Op::Pop).emit(Op::Ret);
    REQUIRE(b.finish(err));
    CHECK_FALSE(f.check(m, &out));
    CHECK(out.find("needs an i32 local but local 0 is f64") != std::string::npos);
  }
  {
    Method* m = f.method({{}, Kind::Void});
    Builder b(*m);
    b.emit(Op::LinkStub).emit(Op::Ret);
    REQUIRE(b.finish(err));
    CHECK_FALSE(f.check(m, &out));
    CHECK(out.find("interpreter-internal") != std::string::npos);
  }
}

TEST_CASE("shuffles keep the kinds of what they move") {
  Fixture f;
  Method* m = f.method({{}, Kind::F64});
  Builder b(*m);
  // i32 f64 -> swap -> f64 i32 -> pop -> f64
  b.constI32(1).constF64(2.0).emit(Op::Swap).emit(Op::Pop).emit(Op::RetF64);
  std::string err;
  REQUIRE(b.finish(err));
  CHECK(f.check(m));
}

TEST_CASE("a handler starts with the exception on the stack") {
  Fixture f;
  Method* m = f.method({{}, Kind::I32});
  Builder b(*m);
  Label start = b.newLabel(), end = b.newLabel(), handler = b.newLabel();
  b.bind(start);
  b.constI32(1).constI32(0).emit(Op::DivI32);
  b.bind(end);
  b.emit(Op::RetI32);
  b.bind(handler);
  b.emit(Op::Pop).constI32(-1).emit(Op::RetI32);
  b.addHandler(start, end, handler, test::runtime().errorShape(VpError::ArithmeticError));
  std::string err;
  REQUIRE(b.finish(err));
  REQUIRE(f.check(m));
  prepare(*m);
  Thread t(test::runtime());
  Value r{};
  REQUIRE(invoke(t, m, nullptr, &r) == Status::Ok);
  CHECK(r.i32 == -1);
}

TEST_CASE("an unbound label is a builder error") {
  Fixture f;
  Method* m = f.method({{}, Kind::Void});
  Builder b(*m);
  b.branch(Op::Jmp, b.newLabel());
  std::string err;
  CHECK_FALSE(b.finish(err));
  CHECK(err.find("never bound") != std::string::npos);
}
