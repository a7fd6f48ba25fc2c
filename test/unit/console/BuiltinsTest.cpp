// The console's builtin procedures (console/builtins/*.cpp). Most are called directly as C++
// functions, with arguments read as data (not evaluated) and results compared in their
// written form; those that call procedures go through the compiler. Limits are tested at the
// edge: the last valid index and one past it, the largest value and one more.
#include "console/Builtins.h"
#include "../TestSupport.h"
#include "console/Compiler.h"
#include "console/Values.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <set>
#include <string>
#include <unistd.h>

using namespace vvm;
using namespace vvm::console;

namespace {

Values& values() {
  static Values& v = installConsole(test::runtime());
  return v;
}

Thread& thread() {
  static Thread* t = new Thread(test::runtime());
  return *t;
}

/// What a raised exception says: an error's message, else the raised value written.
std::string takeException(Thread& t) {
  REQUIRE(t.pending);
  Object* e = t.pending;
  t.pending = nullptr;
  Values& v = values();
  if (v.isError(e)) return "error: " + core::Runtime::stringText(core::slotsOf(e)[0].ref);
  return "raised " + v.write(e);
}

/// Calls builtin `name` with `args` as the table's calling convention asks. The result is
/// its value in `out` and its written form, or "error: MESSAGE" when it raised.
std::string callWith(std::string_view name, std::span<Object* const> args, Object** out = nullptr) {
  Values& v = values();
  const Builtin* b = findBuiltin(name);
  INFO(name);
  REQUIRE(b);
  REQUIRE(static_cast<int32_t>(args.size()) >= b->min);
  REQUIRE((b->max == kAnyCount || static_cast<int32_t>(args.size()) <= b->max));
  Value a[8] = {};
  if (b->fixed()) {
    for (size_t i = 0; i < args.size(); ++i) a[i].ref = args[i];
  } else {
    Array* vec = v.rt.newArray(core::Elem::Ref, static_cast<int64_t>(args.size()));
    REQUIRE(vec);
    std::copy(args.begin(), args.end(), vec->data<Object*>());
    a[0].ref = vec;
  }
  Thread& t = thread();
  if (!b->fn(t, a)) return takeException(t);
  REQUIRE(a[0].ref);
  if (out) *out = a[0].ref;
  return v.write(a[0].ref);
}

/// Reads `text` as data: the values of its datums, in a VP vector (reachable by the collector).
Array* data(std::string_view text) {
  Values& v = values();
  Diagnostics d;
  auto items = readAll(text, "test.vc", d);
  INFO(d.format());
  REQUIRE_FALSE(d.hasErrors());
  Array* vec = v.rt.newArray(core::Elem::Ref, static_cast<int64_t>(items.size()));
  REQUIRE(vec);
  for (size_t i = 0; i < items.size(); ++i) {
    vec->data<Object*>()[i] = v.fromDatum(items[i]);
    REQUIRE(vec->data<Object*>()[i]);
  }
  return vec;
}

Object* datum(std::string_view text) {
  Array* a = data(text);
  REQUIRE(a->length == 1);
  return a->data<Object*>()[0];
}

/// Calls builtin `name` with the data in `argText` as its arguments (quoted: not evaluated).
std::string call(std::string_view name, std::string_view argText) {
  Array* args = data(argText);
  return callWith(name, {args->data<Object*>(), static_cast<size_t>(args->length)});
}

/// Calls builtin `name` with `args`; the result must not be an error.
Object* value(std::string_view name, std::initializer_list<Object*> args) {
  Object* out = nullptr;
  std::string text = callWith(name, {args.begin(), args.size()}, &out);
  INFO(text);
  REQUIRE(out);
  return out;
}

/// Evaluates console code in one environment for the whole test run; the last value written,
/// or "error: MESSAGE".
std::string eval(std::string_view code) {
  static Environment* env = new Environment(values(), "builtins-test");
  Evaluator ev(*env, thread());
  Diagnostics d;
  Object* last = nullptr;
  Outcome o = ev.evalText(code, "test.vc", d, &last);
  if (o == Outcome::CompileError) return "compile error: " + d.format();
  if (o == Outcome::RuntimeError) return takeException(thread());
  REQUIRE(o == Outcome::Ok);
  REQUIRE(last);
  return values().write(last);
}

/// What `fn` writes to stdout (through vos::writeOut).
template <typename Fn> std::string captureStdout(Fn fn) {
  std::fflush(stdout);
  FILE* tmp = std::tmpfile();
  REQUIRE(tmp);
  int saved = dup(1);
  dup2(fileno(tmp), 1);
  fn();
  std::fflush(stdout);
  dup2(saved, 1);
  close(saved);
  std::string text;
  std::rewind(tmp);
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, tmp)) > 0) text.append(buf, n);
  std::fclose(tmp);
  return text;
}

} // namespace

// ---- predicates

TEST_CASE("builtins: equivalence predicates") {
  CHECK(call("eq?", "a a") == "#t");
  CHECK(call("eq?", "(1) (1)") == "#f");
  CHECK(call("eqv?", "100000 100000") == "#t");
  CHECK(call("eqv?", "2.0 2.0") == "#t");
  CHECK(call("eqv?", "0.0 -0.0") == "#f");
  CHECK(call("eqv?", "2 2.0") == "#f");
  CHECK(call("eqv?", "#\\a #\\a") == "#t");
  CHECK(call("eqv?", "\"ab\" \"ab\"") == "#f");
  CHECK(call("equal?", "\"ab\" \"ab\"") == "#t");
  CHECK(call("equal?", "(1 #(2 \"x\") #u8(3)) (1 #(2 \"x\") #u8(3))") == "#t");
  CHECK(call("equal?", "(1 2) (1 3)") == "#f");
  CHECK(call("not", "#f") == "#t");
  CHECK(call("not", "()") == "#f");
  CHECK(call("not", "0") == "#f");
}

TEST_CASE("builtins: type predicates") {
  CHECK(call("boolean?", "#f") == "#t");
  CHECK(call("boolean?", "()") == "#f");
  CHECK(call("symbol?", "a") == "#t");
  CHECK(call("symbol?", "\"a\"") == "#f");
  CHECK(call("string?", "\"a\"") == "#t");
  CHECK(call("char?", "#\\a") == "#t");
  CHECK(call("number?", "1.5") == "#t");
  CHECK(call("number?", "a") == "#f");
  CHECK(call("integer?", "3") == "#t");
  CHECK(call("integer?", "3.0") == "#t");
  CHECK(call("integer?", "3.5") == "#f");
  CHECK(call("integer?", "+inf.0") == "#f");
  CHECK(call("integer?", "+nan.0") == "#f");
  CHECK(call("real?", "3") == "#t");
  CHECK(call("exact?", "3") == "#t");
  CHECK(call("exact?", "3.0") == "#f");
  CHECK(call("inexact?", "3.0") == "#t");
  CHECK(call("exact?", "a") == "error: exact?: expected a number, got a");
  CHECK(call("pair?", "(1)") == "#t");
  CHECK(call("pair?", "()") == "#f");
  CHECK(call("null?", "()") == "#t");
  CHECK(call("null?", "(1)") == "#f");
  CHECK(call("list?", "(1 2)") == "#t");
  CHECK(call("list?", "()") == "#t");
  CHECK(call("list?", "(1 . 2)") == "#f");
  CHECK(call("vector?", "#(1)") == "#t");
  CHECK(call("vector?", "#u8(1)") == "#f");
  CHECK(call("bytevector?", "#u8(1)") == "#t");
  CHECK(call("bytevector?", "\"a\"") == "#f");
  CHECK(call("procedure?", "car") == "#f"); // the symbol, not the procedure
  CHECK(call("hash-table?", "#()") == "#f");
  CHECK(call("eof-object?", "()") == "#f");
  Object* eof = value("eof-object", {});
  CHECK(callWith("eof-object?", {&eof, 1}) == "#t");
}

TEST_CASE("builtins: list? and length find circular lists") {
  Object* l = datum("(1 2 3)");
  Object* last = value("last-pair", {l});
  value("set-cdr!", {last, l});
  CHECK(callWith("list?", {&l, 1}) == "#f");
  CHECK(callWith("length", {&l, 1}).starts_with("error: length: expected a proper list, got (1 2 3 1 2 3"));
  CHECK(callWith("list-copy", {&l, 1}).starts_with("error: list-copy: expected a list that is not circular"));
  Object* one = datum("(1)");
  value("set-cdr!", {one, one});
  CHECK(callWith("list?", {&one, 1}) == "#f");
  CHECK(callWith("reverse", {&one, 1}).starts_with("error: reverse: expected a proper list"));
  Object* args[2] = {datum("5"), l};
  CHECK(callWith("memv", args).starts_with("error: memv: expected a proper list"));
}

// ---- numbers

TEST_CASE("builtins: + - * with exact overflow and mixed arguments") {
  CHECK(call("+", "") == "0");
  CHECK(call("+", "1 2 3") == "6");
  CHECK(call("+", "1 2.5") == "3.5");
  CHECK(call("+", "9223372036854775806 1") == "9223372036854775807");
  CHECK(call("+", "9223372036854775807 1") == "error: +: integer overflow");
  CHECK(call("+", "-9223372036854775808 -1") == "error: +: integer overflow");
  CHECK(call("+", "9223372036854775807 1.0") == "9223372036854775808.0");
  CHECK(call("+", "1 a") == "error: +: expected a number, got a");
  CHECK(call("-", "5") == "-5");
  CHECK(call("-", "5.0") == "-5.0");
  CHECK(call("-", "10 1 2") == "7");
  CHECK(call("-", "-9223372036854775808") == "error: -: integer overflow");
  CHECK(call("-", "-9223372036854775807 1") == "-9223372036854775808");
  CHECK(call("-", "-9223372036854775807 2") == "error: -: integer overflow");
  CHECK(call("*", "") == "1");
  CHECK(call("*", "2 3 4") == "24");
  CHECK(call("*", "3037000499 3037000499") == "9223372030926249001");
  CHECK(call("*", "3037000500 3037000500") == "error: *: integer overflow");
  CHECK(call("*", "-4611686018427387904 2") == "-9223372036854775808");
  CHECK(call("*", "4611686018427387904 2") == "error: *: integer overflow");
  CHECK(call("*", "1.5 2") == "3.0");
}

TEST_CASE("builtins: / is exact when it divides, else a real; exact zero raises") {
  CHECK(call("/", "6 3") == "2");
  CHECK(call("/", "7 2") == "3.5");
  CHECK(call("/", "2") == "0.5");
  CHECK(call("/", "-1") == "-1");
  CHECK(call("/", "60 2 3") == "10");
  CHECK(call("/", "1 3") == "0.3333333333333333");
  CHECK(call("/", "1 0") == "error: /: division by zero");
  CHECK(call("/", "0") == "error: /: division by zero");
  CHECK(call("/", "1.0 0") == "error: /: division by zero");
  CHECK(call("/", "1 0.0") == "+inf.0");
  CHECK(call("/", "0.0 0.0") == "+nan.0");
  CHECK(call("/", "-9223372036854775808 -1") == "error: /: integer overflow");
  CHECK(call("/", "-9223372036854775808 2") == "-4611686018427387904");
}

TEST_CASE("builtins: quotient remainder modulo") {
  CHECK(call("quotient", "7 2") == "3");
  CHECK(call("quotient", "-7 2") == "-3");
  CHECK(call("remainder", "-7 2") == "-1");
  CHECK(call("remainder", "7 -2") == "1");
  CHECK(call("modulo", "-7 2") == "1");
  CHECK(call("modulo", "7 -2") == "-1");
  CHECK(call("modulo", "-8 2") == "0");
  CHECK(call("quotient", "-9223372036854775808 -1") == "error: quotient: integer overflow");
  CHECK(call("remainder", "-9223372036854775808 -1") == "0");
  CHECK(call("modulo", "-9223372036854775808 -1") == "0");
  CHECK(call("quotient", "1 0") == "error: quotient: division by zero");
  CHECK(call("modulo", "1 0") == "error: modulo: division by zero");
  CHECK(call("quotient", "7.0 2") == "3.0");
  CHECK(call("modulo", "-7.0 2") == "1.0");
  CHECK(call("remainder", "-7 2.0") == "-1.0");
  CHECK(call("remainder", "1.0 0.0") == "error: remainder: division by zero");
  CHECK(call("quotient", "7.5 2") == "error: quotient: expected an integer, got 7.5");
}

TEST_CASE("builtins: comparisons are exact between integers and reals") {
  CHECK(call("=", "1") == "#t");
  CHECK(call("=", "1 1 1.0") == "#t");
  CHECK(call("<", "1 2 3") == "#t");
  CHECK(call("<", "1 3 2") == "#f");
  CHECK(call(">", "3 2 1") == "#t");
  CHECK(call("<=", "1 1 2") == "#t");
  CHECK(call(">=", "2 2 3") == "#f");
  // 2^53 + 1 has no double: converting it would make these equal.
  CHECK(call("=", "9007199254740993 9007199254740992.0") == "#f");
  CHECK(call("<", "9007199254740992.0 9007199254740993") == "#t");
  CHECK(call("<", "9223372036854775807 9223372036854775808.0") == "#t");
  CHECK(call(">", "-9223372036854775808 -inf.0") == "#t");
  CHECK(call("<", "1 1.5 2") == "#t");
  CHECK(call("=", "+nan.0 +nan.0") == "#f");
  CHECK(call("<", "1 +nan.0") == "#f");
  CHECK(call("<", "2 1 a") == "error: <: expected a number, got a");
}

TEST_CASE("builtins: abs min max and sign tests") {
  CHECK(call("abs", "-5") == "5");
  CHECK(call("abs", "-5.5") == "5.5");
  CHECK(call("abs", "-9223372036854775808") == "error: abs: integer overflow");
  CHECK(call("min", "3 1 2") == "1");
  CHECK(call("max", "1 2.0") == "2.0");
  CHECK(call("max", "3 2.0") == "3.0");
  CHECK(call("min", "1 +nan.0") == "+nan.0");
  CHECK(call("zero?", "0") == "#t");
  CHECK(call("zero?", "-0.0") == "#t");
  CHECK(call("positive?", "1e-300") == "#t");
  CHECK(call("negative?", "0") == "#f");
  CHECK(call("odd?", "-3") == "#t");
  CHECK(call("even?", "4.0") == "#t");
  CHECK(call("even?", "-9223372036854775808") == "#t");
  CHECK(call("odd?", "1.5") == "error: odd?: expected an integer, got 1.5");
}

TEST_CASE("builtins: exactness and rounding (round halves to even)") {
  CHECK(call("exact->inexact", "3") == "3.0");
  CHECK(call("inexact", "-3") == "-3.0");
  CHECK(call("inexact->exact", "2.0") == "2");
  CHECK(call("exact", "-0.0") == "0");
  CHECK(call("exact", "7") == "7");
  CHECK(call("exact", "2.5") == "error: exact: no exact integer for 2.5");
  CHECK(call("exact", "+inf.0") == "error: exact: no exact integer for +inf.0");
  CHECK(call("exact", "9223372036854775808.0") == "error: exact: 9223372036854775808.0 does not fit in 64 bits");
  CHECK(call("exact", "-9223372036854775808.0") == "-9223372036854775808");
  CHECK(call("round", "2.5") == "2.0");
  CHECK(call("round", "3.5") == "4.0");
  CHECK(call("round", "-2.5") == "-2.0");
  CHECK(call("round", "-3.5") == "-4.0");
  CHECK(call("round", "2.6") == "3.0");
  CHECK(call("round", "0.49999999999999994") == "0.0");
  CHECK(call("round", "7") == "7");
  CHECK(call("floor", "-3.5") == "-4.0");
  CHECK(call("ceiling", "-3.5") == "-3.0");
  CHECK(call("truncate", "-3.7") == "-3.0");
  CHECK(call("floor", "5") == "5");
}

TEST_CASE("builtins: sqrt is exact for perfect squares; expt") {
  CHECK(call("sqrt", "16") == "4");
  CHECK(call("sqrt", "0") == "0");
  CHECK(call("sqrt", "2") == "1.4142135623730951");
  CHECK(call("sqrt", "9223372030926249001") == "3037000499");
  CHECK(call("sqrt", "9223372036854775807") == "3037000499.97605");
  CHECK(call("sqrt", "2.25") == "1.5");
  CHECK(call("sqrt", "-4") == "error: sqrt: no real square root of -4");
  CHECK(call("sqrt", "-0.0") == "-0.0");
  CHECK(call("expt", "2 10") == "1024");
  CHECK(call("expt", "2 62") == "4611686018427387904");
  CHECK(call("expt", "2 63") == "error: expt: integer overflow");
  CHECK(call("expt", "-2 63") == "-9223372036854775808");
  CHECK(call("expt", "3 39") == "4052555153018976267");
  CHECK(call("expt", "3 40") == "error: expt: integer overflow");
  CHECK(call("expt", "-1 9223372036854775807") == "-1");
  CHECK(call("expt", "0 0") == "1");
  CHECK(call("expt", "2 -1") == "0.5");
  CHECK(call("expt", "0 -1") == "error: expt: division by zero");
  CHECK(call("expt", "2.0 3") == "8.0");
  CHECK(call("expt", "4 0.5") == "2.0");
}

TEST_CASE("builtins: number->string and string->number") {
  CHECK(call("number->string", "255") == "\"255\"");
  CHECK(call("number->string", "255 16") == "\"ff\"");
  CHECK(call("number->string", "-255 2") == "\"-11111111\"");
  CHECK(call("number->string", "8 8") == "\"10\"");
  CHECK(call("number->string", "-9223372036854775808 2") == "\"-1" + std::string(63, '0') + "\"");
  CHECK(call("number->string", "3.5") == "\"3.5\"");
  CHECK(call("number->string", "1e21") == "\"1e+21\"");
  CHECK(call("number->string", "-inf.0") == "\"-inf.0\"");
  CHECK(call("number->string", "1 3") == "error: number->string: radix must be 2, 8, 10 or 16, got 3");
  CHECK(call("number->string", "1.5 16") == "error: number->string: a real is only written in radix 10");
  CHECK(call("string->number", "\"42\"") == "42");
  CHECK(call("string->number", "\"-17\"") == "-17");
  CHECK(call("string->number", "\"+5\"") == "5");
  CHECK(call("string->number", "\"#xff\"") == "255");
  CHECK(call("string->number", "\"#XFF\"") == "255");
  CHECK(call("string->number", "\"#b101\"") == "5");
  CHECK(call("string->number", "\"#o17\"") == "15");
  CHECK(call("string->number", "\"ff\" 16") == "255");
  CHECK(call("string->number", "\"#b11\" 16") == "3");
  CHECK(call("string->number", "\"1e3\"") == "1000.0");
  CHECK(call("string->number", "\"1e3\" 16") == "483");
  CHECK(call("string->number", "\".5\"") == "0.5");
  CHECK(call("string->number", "\"-2.5e-3\"") == "-0.0025");
  CHECK(call("string->number", "\"1e400\"") == "+inf.0");
  CHECK(call("string->number", "\"-inf.0\"") == "-inf.0");
  CHECK(call("string->number", "\"+nan.0\"") == "+nan.0");
  CHECK(call("string->number", "\"-9223372036854775808\"") == "-9223372036854775808");
  CHECK(call("string->number", "\"9223372036854775808\"") ==
        "error: string->number: integer \"9223372036854775808\" does not fit in 64 bits");
  for (const char* notANumber : {"\"\"", "\"abc\"", "\" 42\"", "\"42 \"", "\"1/2\"", "\"#x\"", "\"#xg\"", "\"--1\"",
                                 "\"1e\"", "\".\"", "\"+\"", "\"0x10\"", "\"#d1.5\"", "\"1.5\" 16"})
    CHECK(call("string->number", notANumber) == "#f");
  CHECK(call("string->number", "42") == "error: string->number: expected a string, got 42");
}

TEST_CASE("builtins: bitwise operations and arithmetic-shift") {
  CHECK(call("bitwise-and", "") == "-1");
  CHECK(call("bitwise-and", "12 10") == "8");
  CHECK(call("bitwise-or", "12 10") == "14");
  CHECK(call("bitwise-xor", "12 10 1") == "7");
  CHECK(call("bitwise-not", "0") == "-1");
  CHECK(call("bitwise-not", "-9223372036854775808") == "9223372036854775807");
  CHECK(call("bitwise-and", "1.0") == "error: bitwise-and: expected an exact integer, got 1.0");
  CHECK(call("arithmetic-shift", "1 10") == "1024");
  CHECK(call("arithmetic-shift", "1 62") == "4611686018427387904");
  CHECK(call("arithmetic-shift", "1 63") == "error: arithmetic-shift: integer overflow");
  CHECK(call("arithmetic-shift", "-1 63") == "-9223372036854775808");
  CHECK(call("arithmetic-shift", "-2 63") == "error: arithmetic-shift: integer overflow");
  CHECK(call("arithmetic-shift", "3 62") == "error: arithmetic-shift: integer overflow");
  CHECK(call("arithmetic-shift", "1 64") == "error: arithmetic-shift: integer overflow");
  CHECK(call("arithmetic-shift", "0 1000") == "0");
  CHECK(call("arithmetic-shift", "-8 -1") == "-4");
  CHECK(call("arithmetic-shift", "-7 -1") == "-4");
  CHECK(call("arithmetic-shift", "-1 -100") == "-1");
  CHECK(call("arithmetic-shift", "5 -100") == "0");
  CHECK(call("arithmetic-shift", "-9223372036854775808 -63") == "-1");
}

// ---- lists

TEST_CASE("builtins: pairs and the c[ad]r family") {
  CHECK(call("cons", "1 2") == "(1 . 2)");
  CHECK(call("car", "(1 2)") == "1");
  CHECK(call("cdr", "(1 2)") == "(2)");
  CHECK(call("car", "()") == "error: car: expected a pair, got ()");
  CHECK(call("cdr", "5") == "error: cdr: expected a pair, got 5");
  CHECK(call("caar", "((1) 2)") == "1");
  CHECK(call("cadr", "(1 2 3)") == "2");
  CHECK(call("cdar", "((1 . 5) 2)") == "5");
  CHECK(call("cddr", "(1 2 3)") == "(3)");
  CHECK(call("caddr", "(1 2 3)") == "3");
  CHECK(call("cdddr", "(1 2 3)") == "()");
  CHECK(call("cadddr", "(1 2 3 4)") == "4");
  CHECK(call("cadr", "(1)") == "error: cadr: expected a list of 2 or more elements, got (1)");
  CHECK(call("cadddr", "(1 2 3)") == "error: cadddr: expected a list of 4 or more elements, got (1 2 3)");
  Object* p = datum("(1 . 2)");
  value("set-car!", {p, datum("a")});
  value("set-cdr!", {p, datum("(b)")});
  CHECK(values().write(p) == "(a b)");
  CHECK(call("set-car!", "() 1") == "error: set-car!: expected a pair, got ()");
}

TEST_CASE("builtins: list construction and access") {
  CHECK(call("list", "") == "()");
  CHECK(call("list", "1 (2) \"3\"") == "(1 (2) \"3\")");
  CHECK(call("length", "(1 2 3)") == "3");
  CHECK(call("length", "()") == "0");
  CHECK(call("length", "(1 2 . 3)") == "error: length: expected a proper list, got (1 2 . 3)");
  CHECK(call("append", "") == "()");
  CHECK(call("append", "(1)") == "(1)");
  CHECK(call("append", "(1) (2 3) () (4)") == "(1 2 3 4)");
  CHECK(call("append", "(1) (2) 3") == "(1 2 . 3)");
  CHECK(call("append", "() 5") == "5");
  CHECK(call("append", "(1 . 2) (3)") == "error: append: expected a proper list, got (1 . 2)");
  CHECK(call("reverse", "(1 2 3)") == "(3 2 1)");
  CHECK(call("reverse", "()") == "()");
  CHECK(call("list-tail", "(1 2 3) 0") == "(1 2 3)");
  CHECK(call("list-tail", "(1 2 3) 3") == "()");
  CHECK(call("list-tail", "(1 2 3) 4") == "error: list-tail: index 4 out of range for (1 2 3)");
  CHECK(call("list-tail", "(1 2 3) -1") == "error: list-tail: index -1 out of range for (1 2 3)");
  CHECK(call("list-ref", "(a b c) 2") == "c");
  CHECK(call("list-ref", "(a b c) 3") == "error: list-ref: index 3 out of range for (a b c)");
  CHECK(call("list-ref", "(a b c) -1") == "error: list-ref: index -1 out of range for (a b c)");
  CHECK(call("list-copy", "(1 2 . 3)") == "(1 2 . 3)");
  CHECK(call("list-copy", "5") == "5");
  CHECK(call("last-pair", "(1 2 3)") == "(3)");
  CHECK(call("last-pair", "()") == "error: last-pair: expected a pair, got ()");
  Object* l = datum("(1 2)");
  Object* copy = value("list-copy", {l});
  CHECK(copy != l);
  CHECK(values().equal(copy, l));
}

TEST_CASE("builtins: membership and association") {
  CHECK(call("memq", "c (a b c d)") == "(c d)");
  CHECK(call("memq", "z (a b c d)") == "#f");
  CHECK(call("memv", "2.0 (1.0 2.0 3.0)") == "(2.0 3.0)");
  CHECK(call("memq", "(1) ((1) 2)") == "#f");
  CHECK(call("member", "(1) ((1) 2)") == "((1) 2)");
  CHECK(call("member", "\"b\" (\"a\" \"b\")") == "(\"b\")");
  CHECK(call("assq", "b ((a 1) (b 2))") == "(b 2)");
  CHECK(call("assv", "2 ((1 . one) (2 . two))") == "(2 . two)");
  CHECK(call("assoc", "(k) (((k) . v))") == "((k) . v)");
  CHECK(call("assoc", "x ((a . 1))") == "#f");
  CHECK(call("assq", "x ((a . 1) 5)") ==
        "error: assq: expected an association list (a list of pairs), got ((a . 1) 5)");
  CHECK(call("memq", "a (b . c)") == "error: memq: expected a proper list, got (b . c)");
}

TEST_CASE("builtins: iota and delete") {
  CHECK(call("iota", "5") == "(0 1 2 3 4)");
  CHECK(call("iota", "0") == "()");
  CHECK(call("iota", "3 1") == "(1 2 3)");
  CHECK(call("iota", "3 10 -2") == "(10 8 6)");
  CHECK(call("iota", "3 1.0 0.5") == "(1.0 1.5 2.0)");
  CHECK(call("iota", "3 0 0.1") == "(0.0 0.1 0.2)");
  CHECK(call("iota", "-1") == "error: iota: count -1 is negative");
  CHECK(call("iota", "3 9223372036854775806") == "error: iota: integer overflow");
  CHECK(call("iota", "2 a") == "error: iota: expected a number, got a");
  CHECK(call("delete", "2 (1 2 3 2)") == "(1 3)");
  CHECK(call("delete", "(a) ((a) b (a))") == "(b)");
}

// ---- characters

TEST_CASE("builtins: characters") {
  CHECK(call("char->integer", "#\\A") == "65");
  CHECK(call("char->integer", "#\\x3bb") == "955");
  CHECK(call("integer->char", "97") == "#\\a");
  CHECK(call("integer->char", "1114111") == "#\\\U0010FFFF");
  CHECK(call("integer->char", "1114112") == "error: integer->char: no character has code point 1114112");
  CHECK(call("integer->char", "55296") == "error: integer->char: no character has code point 55296");
  CHECK(call("integer->char", "-1") == "error: integer->char: no character has code point -1");
  CHECK(call("char=?", "#\\a #\\a #\\a") == "#t");
  CHECK(call("char<?", "#\\a #\\b #\\c") == "#t");
  CHECK(call("char<?", "#\\a #\\a") == "#f");
  CHECK(call("char>=?", "#\\b #\\b #\\a") == "#t");
  CHECK(call("char=?", "#\\a 1") == "error: char=?: expected a character, got 1");
  CHECK(call("char-alphabetic?", "#\\z") == "#t");
  CHECK(call("char-alphabetic?", "#\\é") == "#t");
  CHECK(call("char-alphabetic?", "#\\1") == "#f");
  CHECK(call("char-alphabetic?", "#\\x00d7") == "#f"); // multiplication sign
  CHECK(call("char-numeric?", "#\\7") == "#t");
  CHECK(call("char-numeric?", "#\\a") == "#f");
  CHECK(call("char-whitespace?", "#\\space") == "#t");
  CHECK(call("char-whitespace?", "#\\x3000") == "#t");
  CHECK(call("char-whitespace?", "#\\x") == "#f");
  CHECK(call("char-upcase", "#\\a") == "#\\A");
  CHECK(call("char-upcase", "#\\é") == "#\\É");
  CHECK(call("char-upcase", "#\\xff") == "#\\Ÿ");
  CHECK(call("char-upcase", "#\\ß") == "#\\ß");
  CHECK(call("char-upcase", "#\\1") == "#\\1");
  CHECK(call("char-downcase", "#\\Z") == "#\\z");
  CHECK(call("char-downcase", "#\\Ÿ") == "#\\ÿ");
  CHECK(call("char-downcase", "#\\x00d7") == "#\\×");
  CHECK(call("digit-value", "#\\7") == "7");
  CHECK(call("digit-value", "#\\a") == "#f");
}

// ---- strings

TEST_CASE("builtins: string length, indexing and substrings count code points") {
  CHECK(call("string-length", "\"\"") == "0");
  CHECK(call("string-length", "\"héllo\"") == "5");
  CHECK(call("string-ref", "\"héllo\" 1") == "#\\é");
  CHECK(call("string-ref", "\"héllo\" 4") == "#\\o");
  CHECK(call("string-ref", "\"héllo\" 5") == "error: string-ref: index 5 out of range for length 5");
  CHECK(call("string-ref", "\"héllo\" -1") == "error: string-ref: index -1 out of range for length 5");
  CHECK(call("substring", "\"héllo\" 1 3") == "\"él\"");
  CHECK(call("substring", "\"héllo\" 2") == "\"llo\"");
  CHECK(call("substring", "\"héllo\" 5 5") == "\"\"");
  CHECK(call("substring", "\"héllo\" 3 2") == "error: substring: range 3..2 out of range for length 5");
  CHECK(call("substring", "\"héllo\" 0 6") == "error: substring: range 0..6 out of range for length 5");
  CHECK(call("string-copy", "\"abc\"") == "\"abc\"");
  CHECK(call("string-copy", "\"abc\" 1") == "\"bc\"");
  CHECK(call("string-copy", "\"abc\" 1 2") == "\"b\"");
  CHECK(call("string-append", "") == "\"\"");
  CHECK(call("string-append", "\"ab\" \"\" \"ç\"") == "\"abç\"");
  CHECK(call("string-append", "\"ab\" 1") == "error: string-append: expected a string, got 1");
}

TEST_CASE("builtins: string comparison and case") {
  CHECK(call("string=?", "\"a\" \"a\" \"a\"") == "#t");
  CHECK(call("string=?", "\"a\" \"b\"") == "#f");
  CHECK(call("string<?", "\"abc\" \"abd\" \"b\"") == "#t");
  CHECK(call("string<?", "\"ab\" \"abc\"") == "#t");
  CHECK(call("string<?", "\"z\" \"é\"") == "#t"); // code point order
  CHECK(call("string>?", "\"b\" \"a\"") == "#t");
  CHECK(call("string<=?", "\"a\" \"a\"") == "#t");
  CHECK(call("string>=?", "\"a\" \"b\"") == "#f");
  CHECK(call("string-ci=?", "\"HÉllo\" \"héLLO\"") == "#t");
  CHECK(call("string-ci=?", "\"a\" \"b\"") == "#f");
  CHECK(call("string-upcase", "\"héllo, world\"") == "\"HÉLLO, WORLD\"");
  CHECK(call("string-downcase", "\"HÉLLO\"") == "\"héllo\"");
}

TEST_CASE("builtins: strings, characters, symbols and byte vectors") {
  CHECK(call("string->list", "\"aé\"") == "(#\\a #\\é)");
  CHECK(call("list->string", "(#\\a #\\é)") == "\"aé\"");
  CHECK(call("list->string", "(#\\a 1)") == "error: list->string: expected a character, got 1");
  CHECK(call("string", "#\\a #\\b") == "\"ab\"");
  CHECK(call("string", "") == "\"\"");
  CHECK(call("make-string", "3 #\\é") == "\"ééé\"");
  CHECK(call("make-string", "2") == "\"  \"");
  CHECK(call("make-string", "-1") == "error: make-string: length -1 is negative");
  CHECK(call("string->symbol", "\"abc\"") == "abc");
  CHECK(call("symbol->string", "abc") == "\"abc\"");
  CHECK(call("symbol->string", "\"abc\"") == "error: symbol->string: expected a symbol, got \"abc\"");
  CHECK(call("string->utf8", "\"aé\"") == "#u8(97 195 169)");
  CHECK(call("utf8->string", "#u8(97 195 169)") == "\"aé\"");
  CHECK(call("utf8->string", "#u8(97 195)") == "error: utf8->string: malformed UTF-8 at byte 1");
  CHECK(call("utf8->string", "#u8(237 160 128)") == "error: utf8->string: malformed UTF-8 at byte 0"); // surrogate
  CHECK(call("utf8->string", "#u8(192 128)") == "error: utf8->string: malformed UTF-8 at byte 0");     // overlong
  Object* s = datum("\"abc\"");
  Object* sym = value("string->symbol", {s});
  CHECK(sym == datum("abc"));
}

TEST_CASE("builtins: string searching, splitting and joining") {
  CHECK(call("string-index", "\"héllo\" #\\l") == "2");
  CHECK(call("string-index", "\"héllo\" #\\z") == "#f");
  CHECK(call("string-contains", "\"héllo world\" \"wor\"") == "6");
  CHECK(call("string-contains", "\"abc\" \"\"") == "0");
  CHECK(call("string-contains", "\"abc\" \"abcd\"") == "#f");
  CHECK(call("string-split", "\"a,b,,c\" #\\,") == "(\"a\" \"b\" \"\" \"c\")");
  CHECK(call("string-split", "\"abc\" #\\,") == "(\"abc\")");
  CHECK(call("string-split", "\"\" #\\,") == "(\"\")");
  CHECK(call("string-split", "\",\" #\\,") == "(\"\" \"\")");
  CHECK(call("string-split", "\"aébéc\" #\\é") == "(\"a\" \"b\" \"c\")");
  CHECK(call("string-join", "(\"a\" \"b\" \"c\")") == "\"a b c\"");
  CHECK(call("string-join", "(\"a\" \"b\") \", \"") == "\"a, b\"");
  CHECK(call("string-join", "() \",\"") == "\"\"");
  CHECK(call("string-join", "(\"a\" b)") == "error: string-join: expected a string, got b");
  CHECK(call("string-prefix?", "\"ab\" \"abc\"") == "#t");
  CHECK(call("string-prefix?", "\"abc\" \"ab\"") == "#f");
  CHECK(call("string-suffix?", "\"bc\" \"abc\"") == "#t");
  CHECK(call("string-suffix?", "\"\" \"abc\"") == "#t");
}

TEST_CASE("builtins: gensym makes fresh symbols no program can spell bare") {
  Object* a = value("gensym", {});
  Object* b = value("gensym", {});
  CHECK(a != b);
  CHECK(values().isSymbol(a));
  // write puts them between bars, so that what it prints reads back as the same symbol.
  CHECK(values().write(a).starts_with("|#:g"));
  CHECK(values().write(a, true).starts_with("#:g"));
  CHECK(call("gensym", "\"tmp\"").starts_with("|#:tmp"));
  CHECK(call("gensym", "loop").starts_with("|#:loop"));
  CHECK(call("gensym", "1") == "error: gensym: expected a string or a symbol, got 1");
}

// ---- vectors

TEST_CASE("builtins: vectors") {
  CHECK(call("vector", "1 a \"s\"") == "#(1 a \"s\")");
  CHECK(call("vector", "") == "#()");
  CHECK(call("make-vector", "3 x") == "#(x x x)");
  CHECK(call("make-vector", "2") == "#(#f #f)");
  CHECK(call("make-vector", "-1") == "error: make-vector: length -1 is negative");
  CHECK(call("vector-ref", "#(a b c) 2") == "c");
  CHECK(call("vector-ref", "#(a b c) 3") == "error: vector-ref: index 3 out of range for length 3");
  CHECK(call("vector-ref", "#(a b c) -1") == "error: vector-ref: index -1 out of range for length 3");
  CHECK(call("vector-ref", "(a) 0") == "error: vector-ref: expected a vector, got (a)");
  CHECK(call("vector-length", "#(1 2)") == "2");
  CHECK(call("vector->list", "#(1 2 3)") == "(1 2 3)");
  CHECK(call("vector->list", "#(1 2 3) 1") == "(2 3)");
  CHECK(call("vector->list", "#(1 2 3) 1 2") == "(2)");
  CHECK(call("vector->list", "#(1 2 3) 2 4") == "error: vector->list: range 2..4 out of range for length 3");
  CHECK(call("list->vector", "(1 2)") == "#(1 2)");
  CHECK(call("vector-copy", "#(1 2 3) 1") == "#(2 3)");
  CHECK(call("vector-copy", "#(1 2 3) 3") == "#()");
  Object* v = datum("#(1 2 3 4)");
  value("vector-set!", {v, datum("0"), datum("x")});
  CHECK(values().write(v) == "#(x 2 3 4)");
  value("vector-fill!", {v, datum("z"), datum("2")});
  CHECK(values().write(v) == "#(x 2 z z)");
  value("vector-fill!", {v, datum("0"), datum("1"), datum("2")});
  CHECK(values().write(v) == "#(x 0 z z)");
  Object* args[3] = {v, datum("4"), datum("0")};
  CHECK(callWith("vector-set!", args) == "error: vector-set!: index 4 out of range for length 4");
  Object* copy = value("vector-copy", {v});
  CHECK(copy != v);
  CHECK(values().write(copy) == "#(x 0 z z)");
}

// ---- byte vectors

TEST_CASE("builtins: byte vector basics") {
  CHECK(call("bytevector", "1 255 0") == "#u8(1 255 0)");
  CHECK(call("bytevector", "256") == "error: bytevector: expected a byte (an exact integer 0-255), got 256");
  CHECK(call("bytevector", "-1") == "error: bytevector: expected a byte (an exact integer 0-255), got -1");
  CHECK(call("make-bytevector", "3 7") == "#u8(7 7 7)");
  CHECK(call("make-bytevector", "2") == "#u8(0 0)");
  CHECK(call("make-bytevector", "-1") == "error: make-bytevector: length -1 is negative");
  CHECK(call("bytevector-length", "#u8(1 2 3)") == "3");
  CHECK(call("bytevector-length", "\"abc\"") == "error: bytevector-length: expected a byte vector, got \"abc\"");
  CHECK(call("bytevector-u8-ref", "#u8(1 200) 1") == "200");
  CHECK(call("bytevector-u8-ref", "#u8(1 200) 2") == "error: bytevector-u8-ref: index 2 out of range for length 2");
  CHECK(call("bytevector-u8-ref", "#u8(1 200) -1") == "error: bytevector-u8-ref: index -1 out of range for length 2");
  CHECK(call("bytevector-s8-ref", "#u8(1 200) 1") == "-56");
  CHECK(call("bytevector-s8-ref", "#u8(127 128) 0") == "127");
  CHECK(call("bytevector-s8-ref", "#u8(127 128) 1") == "-128");
  CHECK(call("bytevector-copy", "#u8(1 2 3) 1") == "#u8(2 3)");
  CHECK(call("bytevector-copy", "#u8(1 2 3) 1 2") == "#u8(2)");
  CHECK(call("bytevector-copy", "#u8(1 2 3) 0 4") == "error: bytevector-copy: range 0..4 out of range for length 3");
  CHECK(call("bytevector-append", "#u8(1) #u8() #u8(2 3)") == "#u8(1 2 3)");
  CHECK(call("bytevector-append", "") == "#u8()");
}

TEST_CASE("builtins: byte vector u8/s8 stores check their ranges") {
  Object* bv = datum("#u8(0 0)");
  CHECK(callWith("bytevector-u8-set!", std::array{bv, datum("1"), datum("255")}) == "#<unspecified>");
  CHECK(callWith("bytevector-u8-set!", std::array{bv, datum("1"), datum("256")}) ==
        "error: bytevector-u8-set!: value 256 out of range 0..255");
  CHECK(callWith("bytevector-u8-set!", std::array{bv, datum("2"), datum("0")}) ==
        "error: bytevector-u8-set!: index 2 out of range for length 2");
  CHECK(callWith("bytevector-s8-set!", std::array{bv, datum("0"), datum("-128")}) == "#<unspecified>");
  CHECK(callWith("bytevector-s8-set!", std::array{bv, datum("0"), datum("128")}) ==
        "error: bytevector-s8-set!: value 128 out of range -128..127");
  CHECK(callWith("bytevector-s8-set!", std::array{bv, datum("0"), datum("-129")}) ==
        "error: bytevector-s8-set!: value -129 out of range -128..127");
  CHECK(values().write(bv) == "#u8(128 255)");
}

TEST_CASE("builtins: bytevector-copy! copies ranges, overlapping ones too") {
  Object* to = datum("#u8(0 0 0 0 0)");
  value("bytevector-copy!", {to, datum("1"), datum("#u8(1 2 3)")});
  CHECK(values().write(to) == "#u8(0 1 2 3 0)");
  value("bytevector-copy!", {to, datum("0"), to, datum("1"), datum("4")});
  CHECK(values().write(to) == "#u8(1 2 3 3 0)");
  value("bytevector-copy!", {to, datum("2"), to, datum("0"), datum("3")});
  CHECK(values().write(to) == "#u8(1 2 1 2 3)");
  value("bytevector-copy!", {to, datum("5"), datum("#u8()")});
  CHECK(callWith("bytevector-copy!", std::array{to, datum("3"), datum("#u8(9 9 9)")}) ==
        "error: bytevector-copy!: 3 bytes do not fit at index 3 of length 5");
  CHECK(callWith("bytevector-copy!", std::array{to, datum("-1"), datum("#u8(9)")}) ==
        "error: bytevector-copy!: 1 bytes do not fit at index -1 of length 5");
  CHECK(callWith("bytevector-copy!", std::array{to, datum("0"), datum("#u8(9)"), datum("2")}) ==
        "error: bytevector-copy!: range 2..1 out of range for length 1");
}

TEST_CASE("builtins: typed byte vector reads of every width and sign, both byte orders, at the last index") {
  // Bytes 0..8 then 0xFF x 8: each read at the last valid index of an exactly-sized vector.
  struct Case {
    const char* who;
    const char* bytes;
    const char* big;
    const char* little;
  };
  const Case cases[] = {
      {"bytevector-u16-ref", "#u8(0 1 2)", "258", "513"},
      {"bytevector-s16-ref", "#u8(0 128 1)", "-32767", "384"},
      {"bytevector-u32-ref", "#u8(9 1 2 3 4)", "16909060", "67305985"},
      {"bytevector-s32-ref", "#u8(9 255 255 255 254)", "-2", "-16777217"},
      {"bytevector-u64-ref", "#u8(9 1 2 3 4 5 6 7 8)", "72623859790382856", "578437695752307201"},
      {"bytevector-s64-ref", "#u8(9 128 0 0 0 0 0 0 1)", "-9223372036854775807", "72057594037928064"},
  };
  for (const Case& c : cases) {
    INFO(c.who);
    Array* bv = static_cast<Array*>(datum(c.bytes));
    int width = c.who[12] == '1' ? 2 : c.who[12] == '3' ? 4 : 8; // bytevector-?NN-ref
    Object* last = values().makeInt(bv->length - width);
    Object* past = values().makeInt(bv->length - width + 1);
    CHECK(callWith(c.who, std::array<Object*, 3>{bv, last, datum("big")}) == c.big);
    CHECK(callWith(c.who, std::array<Object*, 3>{bv, last, datum("little")}) == c.little);
    std::string message = std::string("error: ") + c.who + ": index " + std::to_string(bv->length - width + 1) +
                          " out of range for length " + std::to_string(bv->length) + " (" + std::to_string(width) +
                          " bytes)";
    CHECK(callWith(c.who, std::array<Object*, 3>{bv, past, datum("big")}) == message);
    CHECK(callWith(c.who, std::array<Object*, 3>{bv, past, datum("little")}) == message);
    CHECK(callWith(c.who, std::array<Object*, 3>{bv, datum("-1"), datum("big")}).starts_with("error: "));
  }
  // The extremes of each kind.
  CHECK(call("bytevector-u16-ref", "#u8(255 255) 0 big") == "65535");
  CHECK(call("bytevector-s16-ref", "#u8(255 255) 0 big") == "-1");
  CHECK(call("bytevector-s16-ref", "#u8(128 0) 0 big") == "-32768");
  CHECK(call("bytevector-s16-ref", "#u8(127 255) 0 big") == "32767");
  CHECK(call("bytevector-u32-ref", "#u8(255 255 255 255) 0 little") == "4294967295");
  CHECK(call("bytevector-s32-ref", "#u8(0 0 0 128) 0 little") == "-2147483648");
  CHECK(call("bytevector-s32-ref", "#u8(255 255 255 127) 0 little") == "2147483647");
  CHECK(call("bytevector-u64-ref", "#u8(127 255 255 255 255 255 255 255) 0 big") == "9223372036854775807");
  // u64 values of 2^63 and above come back as their bit pattern, a negative integer.
  CHECK(call("bytevector-u64-ref", "#u8(255 255 255 255 255 255 255 255) 0 big") == "-1");
  CHECK(call("bytevector-u64-ref", "#u8(0 0 0 0 0 0 0 128) 0 little") == "-9223372036854775808");
  CHECK(call("bytevector-s64-ref", "#u8(0 0 0 0 0 0 0 128) 0 little") == "-9223372036854775808");
  // Too short for the width at all, and bad arguments.
  CHECK(call("bytevector-u32-ref", "#u8(1 2 3) 0 big") ==
        "error: bytevector-u32-ref: index 0 out of range for length 3 (4 bytes)");
  CHECK(call("bytevector-u16-ref", "#u8(1 2) 0 middle") ==
        "error: bytevector-u16-ref: expected the symbol big or little, got middle");
  CHECK(call("bytevector-u16-ref", "#u8(1 2) 0 \"big\"") ==
        "error: bytevector-u16-ref: expected the symbol big or little, got \"big\"");
  CHECK(call("bytevector-u16-ref", "#u8(1 2) 0.0 big") ==
        "error: bytevector-u16-ref: expected an exact integer, got 0.0");
  CHECK(call("bytevector-u16-ref", "#(1 2) 0 big") == "error: bytevector-u16-ref: expected a byte vector, got #(1 2)");
}

TEST_CASE("builtins: typed byte vector writes check index and value range, both byte orders") {
  struct Case {
    const char* who;
    int width;
    const char* lo;
    const char* hi;
    const char* below;
    const char* above;
  };
  const Case cases[] = {
      {"bytevector-u16-set!", 2, "0", "65535", "-1", "65536"},
      {"bytevector-s16-set!", 2, "-32768", "32767", "-32769", "32768"},
      {"bytevector-u32-set!", 4, "0", "4294967295", "-1", "4294967296"},
      {"bytevector-s32-set!", 4, "-2147483648", "2147483647", "-2147483649", "2147483648"},
  };
  for (const Case& c : cases) {
    INFO(c.who);
    Object* bv = value("make-bytevector", {values().makeInt(c.width + 1)});
    Object* last = values().makeInt(1);
    Object* past = values().makeInt(2);
    CHECK(callWith(c.who, std::array{bv, last, datum(c.hi), datum("big")}) == "#<unspecified>");
    CHECK(callWith(c.who, std::array{bv, last, datum(c.lo), datum("little")}) == "#<unspecified>");
    std::string range = std::string(c.lo) + ".." + c.hi;
    CHECK(callWith(c.who, std::array{bv, last, datum(c.above), datum("big")}) ==
          std::string("error: ") + c.who + ": value " + c.above + " out of range " + range);
    CHECK(callWith(c.who, std::array{bv, last, datum(c.below), datum("big")}) ==
          std::string("error: ") + c.who + ": value " + c.below + " out of range " + range);
    CHECK(callWith(c.who, std::array{bv, past, datum("0"), datum("big")}) ==
          std::string("error: ") + c.who + ": index 2 out of range for length " + std::to_string(c.width + 1) + " (" +
              std::to_string(c.width) + " bytes)");
  }
  // Round trips through both byte orders, and the exact bytes written.
  Object* bv = value("make-bytevector", {datum("9"), datum("0")});
  value("bytevector-u16-set!", {bv, datum("7"), datum("258"), datum("big")});
  CHECK(values().write(bv) == "#u8(0 0 0 0 0 0 0 1 2)");
  value("bytevector-u16-set!", {bv, datum("7"), datum("258"), datum("little")});
  CHECK(values().write(bv) == "#u8(0 0 0 0 0 0 0 2 1)");
  value("bytevector-s32-set!", {bv, datum("0"), datum("-2"), datum("big")});
  CHECK(call("bytevector-s32-ref", "#u8(255 255 255 254) 0 big") == "-2");
  CHECK(values().write(bv) == "#u8(255 255 255 254 0 0 0 2 1)");
  value("bytevector-s64-set!", {bv, datum("1"), datum("-9223372036854775808"), datum("little")});
  CHECK(values().write(bv) == "#u8(255 0 0 0 0 0 0 0 128)");
  CHECK(callWith("bytevector-s64-ref", std::array{bv, datum("1"), datum("little")}) == "-9223372036854775808");
  CHECK(callWith("bytevector-s64-set!", std::array{bv, datum("2"), datum("0"), datum("big")}) ==
        "error: bytevector-s64-set!: index 2 out of range for length 9 (8 bytes)");
  // u64-set! takes any exact integer as a bit pattern, so that u64-ref's negative results
  // write back unchanged.
  value("bytevector-u64-set!", {bv, datum("0"), datum("-1"), datum("big")});
  CHECK(values().write(bv) == "#u8(255 255 255 255 255 255 255 255 128)");
  CHECK(callWith("bytevector-u64-ref", std::array{bv, datum("0"), datum("big")}) == "-1");
  value("bytevector-u64-set!", {bv, datum("1"), datum("72623859790382856"), datum("big")});
  CHECK(values().write(bv) == "#u8(255 1 2 3 4 5 6 7 8)");
  CHECK(callWith("bytevector-u64-set!", std::array{bv, datum("1"), datum("1.0"), datum("big")}) ==
        "error: bytevector-u64-set!: expected an exact integer, got 1.0");
  CHECK(callWith("bytevector-u16-set!", std::array{bv, datum("0"), datum("1"), datum("native")}) ==
        "error: bytevector-u16-set!: expected the symbol big or little, got native");
}

TEST_CASE("builtins: IEEE reals in byte vectors") {
  CHECK(call("bytevector-f32-ref", "#u8(63 192 0 0) 0 big") == "1.5");
  CHECK(call("bytevector-f32-ref", "#u8(0 0 192 63) 0 little") == "1.5");
  CHECK(call("bytevector-f64-ref", "#u8(64 9 33 251 84 68 45 24) 0 big") == "3.141592653589793");
  CHECK(call("bytevector-f64-ref", "#u8(24 45 68 84 251 33 9 64) 0 little") == "3.141592653589793");
  CHECK(call("bytevector-f64-ref", "#u8(255 240 0 0 0 0 0 0) 0 big") == "-inf.0");
  CHECK(call("bytevector-f32-ref", "#u8(0 0 192) 0 big") ==
        "error: bytevector-f32-ref: index 0 out of range for length 3 (4 bytes)");
  Object* bv = value("make-bytevector", {datum("8")});
  value("bytevector-f32-set!", {bv, datum("4"), datum("1.5"), datum("big")});
  value("bytevector-f32-set!", {bv, datum("0"), datum("2"), datum("little")});
  CHECK(values().write(bv) == "#u8(0 0 0 64 63 192 0 0)");
  value("bytevector-f64-set!", {bv, datum("0"), datum("-0.0"), datum("big")});
  CHECK(values().write(bv) == "#u8(128 0 0 0 0 0 0 0)");
  CHECK(callWith("bytevector-f64-set!", std::array{bv, datum("1"), datum("1.0"), datum("big")}) ==
        "error: bytevector-f64-set!: index 1 out of range for length 8 (8 bytes)");
  CHECK(callWith("bytevector-f64-set!", std::array{bv, datum("0"), datum("x"), datum("big")}) ==
        "error: bytevector-f64-set!: expected a number, got x");
  value("bytevector-f32-set!", {bv, datum("0"), datum("0.1"), datum("big")});
  CHECK(callWith("bytevector-f32-ref", std::array{bv, datum("0"), datum("big")}) == "0.10000000149011612");
}

// ---- hash tables

TEST_CASE("builtins: equal? hash tables find keys built separately") {
  Object* ht = value("make-hash-table", {});
  CHECK(values().isHashTable(ht));
  value("hash-table-set!", {ht, datum("\"key\""), datum("1")});
  value("hash-table-set!", {ht, datum("(1 #(2 \"x\"))"), datum("2")});
  value("hash-table-set!", {ht, datum("#u8(1 2)"), datum("3")});
  value("hash-table-set!", {ht, datum("2.5"), datum("4")});
  CHECK(callWith("hash-table-ref", std::array{ht, datum("\"key\"")}) == "1");
  CHECK(callWith("hash-table-ref", std::array{ht, datum("(1 #(2 \"x\"))")}) == "2");
  CHECK(callWith("hash-table-ref", std::array{ht, datum("#u8(1 2)")}) == "3");
  CHECK(callWith("hash-table-ref", std::array{ht, datum("2.5")}) == "4");
  CHECK(callWith("hash-table-ref", std::array{ht, datum("\"other\"")}) == "error: hash-table-ref: no key \"other\"");
  CHECK(callWith("hash-table-ref", std::array{ht, datum("\"other\""), datum("0")}) == "0");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("\"key\""), datum("0")}) == "1");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("\"nope\""), datum("0")}) == "0");
  CHECK(callWith("hash-table-contains?", std::array{ht, datum("\"key\"")}) == "#t");
  CHECK(callWith("hash-table-count", std::array{ht}) == "4");
  value("hash-table-set!", {ht, datum("\"key\""), datum("10")});
  CHECK(callWith("hash-table-count", std::array{ht}) == "4");
  CHECK(callWith("hash-table-ref", std::array{ht, datum("\"key\"")}) == "10");
  value("hash-table-delete!", {ht, datum("\"key\"")});
  value("hash-table-delete!", {ht, datum("\"absent\"")});
  CHECK(callWith("hash-table-contains?", std::array{ht, datum("\"key\"")}) == "#f");
  CHECK(callWith("hash-table-count", std::array{ht}) == "3");
  CHECK(callWith("hash-table-ref", std::array{datum("#()"), datum("1")}) ==
        "error: hash-table-ref: expected a hash table, got #()");
}

TEST_CASE("builtins: eqv? hash tables compare numbers and characters by value, the rest by identity") {
  Object* ht = value("make-eqv-hash-table", {});
  Object* s = datum("\"s\"");
  value("hash-table-set!", {ht, s, datum("1")});
  value("hash-table-set!", {ht, datum("12345678901"), datum("2")});
  value("hash-table-set!", {ht, datum("#\\x"), datum("3")});
  value("hash-table-set!", {ht, datum("1.5"), datum("4")});
  value("hash-table-set!", {ht, datum("sym"), datum("5")});
  CHECK(callWith("hash-table-ref/default", std::array{ht, s, datum("none")}) == "1");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("\"s\""), datum("none")}) == "none");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("12345678901"), datum("none")}) == "2");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("#\\x"), datum("none")}) == "3");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("1.5"), datum("none")}) == "4");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("sym"), datum("none")}) == "5");
  // eqv? tells the exact 2 from the real 2.0, and 0.0 from -0.0.
  value("hash-table-set!", {ht, datum("2"), datum("exact")});
  value("hash-table-set!", {ht, datum("2.0"), datum("real")});
  value("hash-table-set!", {ht, datum("0.0"), datum("zero")});
  CHECK(callWith("hash-table-ref", std::array{ht, datum("2")}) == "exact");
  CHECK(callWith("hash-table-ref", std::array{ht, datum("2.0")}) == "real");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("-0.0"), datum("none")}) == "none");
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("+nan.0"), datum("none")}) == "none");
  value("hash-table-set!", {ht, datum("+nan.0"), datum("nan")});
  CHECK(callWith("hash-table-ref/default", std::array{ht, datum("+nan.0"), datum("none")}) == "nan");
}

TEST_CASE("builtins: hash tables grow to 10000 keys and keep every entry") {
  Values& v = values();
  Object* byInt = value("make-eqv-hash-table", {});
  Object* byString = value("make-hash-table", {});
  for (int i = 0; i < 10000; ++i) {
    value("hash-table-set!", {byInt, v.makeInt(i * 7919), v.makeInt(i)});
    value("hash-table-set!", {byString, v.makeString("k" + std::to_string(i)), v.makeInt(i)});
  }
  CHECK(callWith("hash-table-count", std::array{byInt}) == "10000");
  CHECK(callWith("hash-table-count", std::array{byString}) == "10000");
  auto* buckets = static_cast<Array*>(core::slotsOf(byString)[0].ref);
  CHECK(buckets->length == 16384); // the smallest power of two at most 3/4 full
  bool allFound = true;
  for (int i = 0; i < 10000; ++i) {
    Object* k = v.makeString("k" + std::to_string(i));
    Object* got = value("hash-table-ref", {byString, k});
    Object* got2 = value("hash-table-ref", {byInt, v.makeInt(i * 7919)});
    allFound = allFound && v.eqv(got, v.makeInt(i)) && v.eqv(got2, v.makeInt(i));
  }
  CHECK(allFound);
  for (int i = 0; i < 10000; i += 2) value("hash-table-delete!", {byString, v.makeString("k" + std::to_string(i))});
  CHECK(callWith("hash-table-count", std::array{byString}) == "5000");
  CHECK(callWith("hash-table-contains?", std::array{byString, v.makeString("k9998")}) == "#f");
  CHECK(callWith("hash-table-contains?", std::array{byString, v.makeString("k9999")}) == "#t");
  CHECK(callWith("length", std::array{value("hash-table-keys", {byString})}) == "5000");
  gc::collect(); // the tables are on the VP heap, reachable from this frame

  CHECK(callWith("hash-table-ref", std::array{byString, v.makeString("k4321")}) == "4321");
}

TEST_CASE("builtins: hash table listing, copy and clear") {
  Object* ht = value("make-hash-table", {});
  value("hash-table-set!", {ht, datum("a"), datum("1")});
  value("hash-table-set!", {ht, datum("b"), datum("2")});
  Object* keys = value("hash-table-keys", {ht});
  Object* sorted = value("list-copy", {keys});
  CHECK((values().write(sorted) == "(a b)" || values().write(sorted) == "(b a)"));
  std::string vals = callWith("hash-table-values", std::array{ht});
  CHECK((vals == "(1 2)" || vals == "(2 1)"));
  std::string alist = callWith("hash-table->alist", std::array{ht});
  CHECK((alist == "((a . 1) (b . 2))" || alist == "((b . 2) (a . 1))"));
  Object* copy = value("hash-table-copy", {ht});
  value("hash-table-set!", {copy, datum("c"), datum("3")});
  CHECK(callWith("hash-table-count", std::array{ht}) == "2");
  CHECK(callWith("hash-table-count", std::array{copy}) == "3");
  CHECK(callWith("hash-table-ref", std::array{copy, datum("a")}) == "1");
  value("hash-table-clear!", {ht});
  CHECK(callWith("hash-table-count", std::array{ht}) == "0");
  CHECK(callWith("hash-table-keys", std::array{ht}) == "()");
  CHECK(callWith("hash-table-ref", std::array{copy, datum("b")}) == "2");
  value("hash-table-set!", {ht, datum("z"), datum("26")});
  CHECK(callWith("hash-table-ref", std::array{ht, datum("z")}) == "26");
  CHECK(values().write(ht) == "#<hash-table 1>");
}

// ---- output

TEST_CASE("builtins: output goes to stdout through the virtual OS") {
  CHECK(captureStdout([] { call("display", "\"hi\""); }) == "hi");
  CHECK(captureStdout([] { call("write", "\"hi\""); }) == "\"hi\"");
  CHECK(captureStdout([] { call("display", "(1 \"a\" #\\b)"); }) == "(1 a b)");
  CHECK(captureStdout([] { call("write", "(1 \"a\" #\\b)"); }) == "(1 \"a\" #\\b)");
  CHECK(captureStdout([] { call("newline", ""); }) == "\n");
  CHECK(captureStdout([] { call("write-string", "\"a\\nb\""); }) == "a\nb");
  CHECK(captureStdout([] { call("write-char", "#\\é"); }) == "é");
  CHECK(captureStdout([] { call("print", "\"x = \" 42"); }) == "x = 42\n");
  CHECK(captureStdout([] { call("print", ""); }) == "\n");
  CHECK(captureStdout([] { call("flush-output", ""); }).empty());
  CHECK(call("write-string", "5") == "error: write-string: expected a string, got 5");
  std::string result;
  CHECK(captureStdout([&] { result = call("display", "1"); }) == "1");
  CHECK(result == "#<unspecified>");
}

// ---- errors and control

TEST_CASE("builtins: error objects") {
  Values& v = values();
  Thread& t = thread();
  Array* args = data("\"bad thing:\" 42 (a b)");
  Value a[1];
  a[0].ref = args;
  REQUIRE_FALSE(builtins::raiseError(t, a));
  Object* e = t.pending;
  t.pending = nullptr;
  REQUIRE(e);
  CHECK(v.write(e) == "#<error \"bad thing:\" 42 (a b)>");
  CHECK(callWith("error-object?", {&e, 1}) == "#t");
  CHECK(callWith("error-object-message", {&e, 1}) == "\"bad thing:\"");
  CHECK(callWith("error-object-irritants", {&e, 1}) == "(42 (a b))");
  CHECK(call("error", "\"just a message\"") == "error: just a message");
  CHECK(call("error", "parse \"oops\"") == "error: parse");
  CHECK(call("error-object?", "\"no\"") == "#f");
  CHECK(call("error-object-message", "5") == "error: error-object-message: expected an error object, got 5");
  // A VP error (slot 0 message, no irritants).
  core::Runtime& rt = test::runtime();
  rt.raise(t, core::VpMessage::HeapLimit, "a test");
  Object* vp = t.pending;
  t.pending = nullptr;
  REQUIRE(vp);
  CHECK(callWith("error-object?", {&vp, 1}) == "#t");
  CHECK(callWith("error-object-message", {&vp, 1}).starts_with("\""));
  CHECK(callWith("error-object-irritants", {&vp, 1}) == "()");
}

TEST_CASE("builtins: raise throws any value; exit unwinds with the exit token") {
  CHECK(call("raise", "42") == "raised 42");
  CHECK(call("raise", "(some data)") == "raised (some data)");
  Thread& t = thread();
  for (auto [arg, status] : {std::pair{"", 0}, {"3", 3}, {"#t", 0}, {"#f", 1}, {"255", 255}}) {
    INFO(arg);
    Array* args = data(arg);
    Value a[1];
    a[0].ref = args;
    CHECK_FALSE(builtins::exitProgram(t, a));
    CHECK(t.exiting);
    CHECK(t.exitStatus == status);
    CHECK(t.pending == t.rt.exitToken());
    t.pending = nullptr;
    t.exiting = false;
    t.exitStatus = 0;
  }
  CHECK(call("exit", "256") == "error: exit: expected an exit status (0-255, #t or #f), got 256");
  CHECK(call("exit", "\"no\"") == "error: exit: expected an exit status (0-255, #t or #f), got \"no\"");
  CHECK_FALSE(t.exiting);
}

TEST_CASE("builtins: the clock, void and eof-object") {
  Object* a = value("current-milliseconds", {});
  REQUIRE(values().isInt(a));
  CHECK(Values::intValue(a) >= 0);
  Object* b = value("current-milliseconds", {});
  CHECK(Values::intValue(b) >= Values::intValue(a));
  CHECK(call("void", "") == "#<unspecified>");
  CHECK(call("void", "1 2") == "#<unspecified>");
  CHECK(call("eof-object", "") == "#<eof>");
}

TEST_CASE("builtins: every table entry has a function, a doc line and sane counts") {
  std::set<std::string_view> names;
  for (const Builtin& b : allBuiltins()) {
    INFO(b.name);
    CHECK(b.fn);
    CHECK_FALSE(b.doc.empty());
    CHECK(b.min >= 0);
    CHECK((b.max == kAnyCount || b.max >= b.min));
    CHECK(names.insert(b.name).second);
    CHECK(findBuiltin(b.name) == &b);
  }
}

// ---- procedures that call procedures (through the compiler)

TEST_CASE("builtins: map, for-each, filter and the folds call console procedures") {
  CHECK(eval("(map (lambda (x) (* x x)) '(1 2 3))") == "(1 4 9)");
  CHECK(eval("(map + '(1 2 3) '(10 20))") == "(11 22)");
  CHECK(eval("(map car '())") == "()");
  CHECK(eval("(let ((acc '())) (for-each (lambda (x y) (set! acc (cons (+ x y) acc))) '(1 2) '(3 4)) acc)") == "(6 4)");
  CHECK(eval("(filter odd? '(1 2 3 4 5))") == "(1 3 5)");
  CHECK(eval("(reduce + 0 '(1 2 3 4))") == "10");
  CHECK(eval("(reduce + 0 '())") == "0");
  CHECK(eval("(reduce list 0 '(1 2 3))") == "(3 (2 1))");
  CHECK(eval("(fold-left cons '() '(1 2 3))") == "(((() . 1) . 2) . 3)");
  CHECK(eval("(fold-left (lambda (acc a b) (+ acc (* a b))) 0 '(1 2 3) '(4 5 6))") == "32");
  CHECK(eval("(fold-right cons '() '(1 2 3))") == "(1 2 3)");
  CHECK(eval("(fold-right (lambda (a b acc) (cons (list a b) acc)) '() '(1 2 3) '(x y))") == "((1 x) (2 y))");
  CHECK(eval("(list-index even? '(1 3 4 5))") == "2");
  CHECK(eval("(list-index even? '(1 3))") == "#f");
  CHECK(eval("(any (lambda (x) (and (> x 2) (* x 10))) '(1 2 3 4))") == "30");
  CHECK(eval("(any odd? '(2 4))") == "#f");
  CHECK(eval("(every odd? '(1 3 5))") == "#t");
  CHECK(eval("(every (lambda (x) (and (odd? x) x)) '(1 3 5))") == "5");
  CHECK(eval("(every odd? '(1 2 3))") == "#f");
  CHECK(eval("(every odd? '())") == "#t");
  CHECK(eval("(member 2.0 '(1 2 3) =)") == "(2 3)");
  CHECK(eval("(assoc 2.0 '((1 . a) (2 . b)) =)") == "(2 . b)");
  CHECK(eval("(map 5 '(1))") == "error: map: expected a procedure, got 5");
  CHECK(eval("(map car '(1 . 2))") == "error: map: expected a proper list, got (1 . 2)");
  CHECK(eval("(map (lambda (x) (error \"inner\" x)) '(7))") == "error: inner");
}

TEST_CASE("builtins: sort is stable, for lists and vectors, and leaves its input alone") {
  CHECK(eval("(sort '(3 1 2) <)") == "(1 2 3)");
  CHECK(eval("(sort '() <)") == "()");
  CHECK(eval("(sort '(1) <)") == "(1)");
  CHECK(eval("(sort #(5 3 9 1) >)") == "#(9 5 3 1)");
  CHECK(eval("(sort '((1 . a) (0 . b) (1 . c) (0 . d) (1 . e)) (lambda (x y) (< (car x) (car y))))") ==
        "((0 . b) (0 . d) (1 . a) (1 . c) (1 . e))");
  CHECK(eval("(define v #(3 2 1)) (sort v <) v") == "#(3 2 1)");
  CHECK(eval("(sort (iota 1000 999 -1) <)").starts_with("(0 1 2 3 "));
  CHECK(eval("(equal? (sort (map (lambda (i) (modulo (* i 7919) 1009)) (iota 1009)) <) (iota 1009))") == "#t");
  CHECK(eval("(sort '(1 2) 5)") == "error: sort: expected a procedure, got 5");
  CHECK(eval("(sort 5 <)") == "error: sort: expected a proper list or a vector, got 5");
  CHECK(eval("(sort '(1 a) <)") == "error: <: expected a number, got a");
}

TEST_CASE("builtins: apply, vector-map and vector-for-each") {
  CHECK(eval("(apply + 1 2 '(3 4))") == "10");
  CHECK(eval("(apply list '())") == "()");
  CHECK(eval("(apply max '(3 9 2))") == "9");
  CHECK(eval("(apply (lambda args args) 1 2 3 4 5 6 7 '(8 9))") == "(1 2 3 4 5 6 7 8 9)");
  CHECK(eval("(apply + 1 2)") == "error: apply: expected a proper list, got 2");
  CHECK(eval("(apply 5 '())") == "error: apply: expected a procedure, got 5");
  CHECK(eval("(vector-map (lambda (x) (* 2 x)) #(1 2 3))") == "#(2 4 6)");
  CHECK(eval("(vector-map + #(1 2 3) #(10 20))") == "#(11 22)");
  CHECK(eval("(let ((n 0)) (vector-for-each (lambda (x) (set! n (+ n x))) #(1 2 3)) n)") == "6");
}

TEST_CASE("builtins: hash-table-walk and hash-table-update!/default call procedures") {
  CHECK(eval("(define h (make-hash-table))"
             "(for-each (lambda (w) (hash-table-update!/default h w (lambda (n) (+ n 1)) 0))"
             "          '(\"a\" \"b\" \"a\" \"c\" \"a\"))"
             "(list (hash-table-ref h \"a\") (hash-table-ref h \"b\") (hash-table-count h))") == "(3 1 3)");
  CHECK(eval("(define total 0)"
             "(hash-table-walk h (lambda (k v) (set! total (+ total v))))"
             "total") == "5");
  // The walk sees the entries present when it started, even if the procedure changes the table.
  CHECK(eval("(define seen 0)"
             "(hash-table-walk h (lambda (k v) (set! seen (+ seen 1)) (hash-table-delete! h k)"
             "                     (hash-table-set! h (string-append k k) v)))"
             "(list seen (hash-table-count h) (hash-table-ref h \"aa\"))") == "(3 3 3)");
  CHECK(eval("(hash-table-walk h 5)") == "error: hash-table-walk: expected a procedure, got 5");
}

TEST_CASE("builtins: partial results survive collections that run during callbacks") {
  // The procedures make enough garbage (a few hundred MB) for the collector to run many times
  // while map, sort, the folds and the hash table procedures hold what they have built so far.
  uint64_t before = gc::stats().collections;
  CHECK(eval("(define n 20011)"
             "(define r (sort (map (lambda (i) (make-vector 1 (modulo (* i 7919) n))) (iota n))"
             "                (lambda (a b) (make-vector 100) (< (vector-ref a 0) (vector-ref b 0)))))"
             "(equal? (map (lambda (v) (vector-ref v 0)) r) (iota n))") == "#t");
  CHECK(eval("(define e (make-eqv-hash-table))"
             "(for-each (lambda (i) (hash-table-update!/default e (modulo i 1000)"
             "                        (lambda (l) (cons (make-string 100 #\\a) l)) '()))"
             "          (iota 100000))"
             "(define total 0)"
             "(hash-table-walk e (lambda (k v) (make-vector 1000) (set! total (+ total (length v)))))"
             "(list (hash-table-count e) (length (hash-table-ref e 7)) total)") == "(1000 100 100000)");
  CHECK(eval("(fold-right (lambda (a b acc) (make-vector 100) (+ acc a b)) 0 (iota 100000) (iota 100000))") ==
        "9999900000");
  CHECK(eval("(let ((v (vector-map (lambda (x) (make-vector 100) (* x 2)) (list->vector (iota 100000)))))"
             "  (list (vector-ref v 0) (vector-ref v 99999)))") == "(0 199998)");
  CHECK(gc::stats().collections > before);
}
