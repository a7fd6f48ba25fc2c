// The console reader: every piece of syntax, positions, the printed form, and located errors
// for malformed text.
#include "console/Reader.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

using namespace vvm;
using namespace vvm::console;

namespace {

/// Reads text that must be valid and returns the printed form of each datum, space-separated.
std::string roundTrip(const std::string& text) {
  Diagnostics d;
  auto data = readAll(text, "t.vc", d);
  INFO(d.format());
  REQUIRE_FALSE(d.hasErrors());
  std::string out;
  for (const Datum& x : data) out += (out.empty() ? "" : " ") + x.write();
  return out;
}

/// Reads text that must be rejected; returns the one diagnostic as "line:col: message".
std::string rejected(const std::string& text) {
  Diagnostics d;
  readAll(text, "t.vc", d);
  REQUIRE(d.count() == 1);
  const Diagnostic& e = d.all()[0];
  return std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.message;
}

} // namespace

TEST_CASE("atoms: integers in every base, reals, booleans, characters, strings, symbols") {
  CHECK(roundTrip("42 -7 +3 #x2A #b101 #o17 #d10 -9223372036854775808 9223372036854775807") ==
        "42 -7 3 42 5 15 10 -9223372036854775808 9223372036854775807");
  CHECK(roundTrip("3.5 -0.0 1e10 .5 +inf.0 -inf.0 +nan.0 1e400") == "3.5 -0.0 1e+10 0.5 +inf.0 -inf.0 +nan.0 +inf.0");
  CHECK(roundTrip("#t #f #true #false") == "#t #f #t #f");
  CHECK(roundTrip("#\\x15 #\\x1f #\\x7F") == "#\\x15 #\\x1f #\\delete");
  CHECK(roundTrip("#\\a #\\space #\\newline #\\x41 #\\λ #\\(") == "#\\a #\\space #\\newline #\\A #\\λ #\\(");
  CHECK(roundTrip(R"("a\nb" "tab\there" "\x3bb;" "q\"q" "line \
         continued")") == R"("a\nb" "tab	here" "λ" "q\"q" "line continued")");
  CHECK(roundTrip("foo list->vector + - ... a.b |two words| |42|") == "foo list->vector + - ... a.b |two words| |42|");
}

TEST_CASE("symbols with bars and backslashes print in a form that reads back (found by fuzzing)") {
  CHECK(roundTrip("v|sy") == "|v\\|sy|");
  CHECK(roundTrip(roundTrip("v|sy")) == "|v\\|sy|");
  CHECK(roundTrip("|-nan.0| |+inf.0| |12| ||") == "|-nan.0| |+inf.0| |12| ||");
  CHECK(roundTrip("|,x| |`x| |,@| a,b") == "|,x| |`x| |,@| a,b");
  CHECK(roundTrip("|a\\b|") == "ab");         // \ escapes the next character
  CHECK(roundTrip("|a\\\\b|") == "|a\\\\b|"); // a backslash in the name
}

TEST_CASE("lists, improper lists, vectors, byte vectors and the quote abbreviations") {
  CHECK(roundTrip("(a (b c) [d e] ())") == "(a (b c) (d e) ())");
  CHECK(roundTrip("(a . b) (a b . c)") == "(a . b) (a b . c)");
  CHECK(roundTrip("#(1 \"x\" #(2)) #u8(0 127 255)") == "#(1 \"x\" #(2)) #u8(0 127 255)");
  CHECK(roundTrip("'x `(a ,b ,@c)") == "(quote x) (quasiquote (a (unquote b) (unquote-splicing c)))");
}

TEST_CASE("comments of all three kinds are skipped") {
  CHECK(roundTrip("; line\n1 #| block #| nested |# |# 2 #;(not this) 3 #; 4") == "1 2 3");
}

TEST_CASE("every datum knows where it starts") {
  Diagnostics d;
  auto data = readAll("(define x\n  (+ 1 2))\n  'q", "t.vc", d);
  REQUIRE(data.size() == 2);
  CHECK(data[0].pos.line == 1);
  CHECK(data[0].pos.col == 1);
  CHECK(data[0].items[2].pos.line == 2);
  CHECK(data[0].items[2].pos.col == 3);
  CHECK(data[0].items[2].items[2].pos.col == 8);
  CHECK(data[1].pos.line == 3);
  CHECK(data[1].pos.col == 3);
}

TEST_CASE("malformed text gives one located error") {
  CHECK(rejected("(a b") == "1:1: unterminated list (the text ends before it closes)");
  CHECK(rejected("(a\n  \"str") == "2:3: unterminated string (the text ends before it closes)");
  CHECK(rejected("a )") == "1:3: unexpected ')' (no list is open)");
  CHECK(rejected("(a ]") == "1:4: ']' closes list opened at line 1 with the other kind of bracket");
  CHECK(rejected("(. a)") == "1:2: '.' needs a datum before it (as in (a . b))");
  CHECK(rejected("(a . b c)") == "1:8: exactly one datum may follow '.' before the list closes");
  CHECK(rejected("99999999999999999999") == "1:21: integer '99999999999999999999' does not fit in 64 bits");
  CHECK(rejected("1.2.3") == "1:1: '1.2.3' is not a number (and a symbol may not look like one)");
  CHECK(rejected("#u8(1 256)") == "1:7: a byte vector holds integers 0 to 255, not 256");
  CHECK(rejected("#\\bogus") == "1:1: unknown character #\\bogus");
  CHECK(rejected("\"\\q\"") == "1:3: unknown escape '\\q' in a string");
  CHECK(rejected("\"\\x110000;\"") == "1:3: '\\x' wants a hexadecimal Unicode code point and ';' (as in \\x41;)");
  CHECK(rejected("#zz") == "1:1: unknown '#' syntax '#zz'");
  CHECK(rejected("#| open") == "1:1: unterminated block comment #| (the text ends before it closes)");
  CHECK(rejected("'") == "1:1: unterminated 'quote' form (nothing follows it) (the text ends before it closes)");
}

TEST_CASE("hostile nesting and size are bounded, not a stack overflow") {
  std::string deep(100000, '(');
  Diagnostics d;
  readAll(deep, "deep.vc", d);
  REQUIRE(d.count() == 1);
  CHECK(d.all()[0].message == "nested too deeply (the limit is 1000 levels)");
  std::string comments;
  for (int i = 0; i < 100000; ++i) comments += "#;";
  Diagnostics d1;
  readAll(comments + "x", "comments.vc", d1); // each #; comments out what follows: nesting
  REQUIRE(d1.count() == 1);
  CHECK(d1.all()[0].message == "nested too deeply (the limit is 1000 levels)");
  Diagnostics d2;
  ReadLimits small;
  small.maxDatums = 10;
  readAll("(1 2 3 4 5 6 7 8 9 10 11)", "big.vc", d2, small);
  REQUIRE(d2.count() == 1);
  CHECK(d2.all()[0].message == "too many datums (the limit is 10)");
}

TEST_CASE("the REPL knows when an entry is unfinished") {
  CHECK(needsMoreInput("(define (f x)"));
  CHECK(needsMoreInput("\"abc"));
  CHECK(needsMoreInput("#| comment"));
  CHECK_FALSE(needsMoreInput("(f 1)"));
  CHECK_FALSE(needsMoreInput("(f 1))")); // an error, not more input
  CHECK_FALSE(needsMoreInput(""));
}
