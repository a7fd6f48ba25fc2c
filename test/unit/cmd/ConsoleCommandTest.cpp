// `vvm console` as a user meets it: -e, scripts and their exit statuses, the REPL fed from a
// pipe (errors print and the REPL goes on), and the console's own builtins.
#include "RunVvm.h"

#include "test/support/TempDir.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

using vvm::test::runVvm;

namespace {

std::string script(const vvm::test::TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

} // namespace

TEST_CASE("console -e evaluates and prints each expression's value") {
  auto r = runVvm("console -e '(+ 1 2)' -e '(define (sq x) (* x x))' -e '(map sq (list 1 2 3))' -e '\"text\"'");
  CHECK(r.status == 0);
  CHECK(r.out == "3\n(1 4 9)\n\"text\"\n");
}

TEST_CASE("console -e runs before FILE, one expression per -e") {
  vvm::test::TempDir dir;
  auto r = runVvm("console -e '(define x 5)' -e '(define y 6)' " + script(dir, "xy.vc", "(display (* x y))"));
  CHECK(r.status == 0);
  CHECK(r.out == "30");
}

TEST_CASE("console scripts: exit statuses for success, errors, compile errors, exit and missing files") {
  vvm::test::TempDir dir;
  CHECK(runVvm("console " + script(dir, "ok.vc", "(display \"hi\")(newline)")).out == "hi\n");
  auto raised = runVvm("console " + script(dir, "raise.vc", "(define (f x)\n  (car x))\n(f 5)\n"));
  CHECK(raised.status == 1);
  CHECK_THAT(raised.out, Catch::Contains("raise.vc:2: error: car: expected a pair, got 5"));
  CHECK_THAT(raised.out, Catch::Contains("at f (" + dir.path() + "/raise.vc:2)"));
  auto bad = runVvm("console " + script(dir, "bad.vc", "(display 1)\n(if)\n"));
  CHECK(bad.status == 3);
  CHECK_THAT(bad.out, Catch::Contains("bad.vc:2:1: error: bad if: expected (if TEST THEN [ELSE])"));
  CHECK(runVvm("console " + script(dir, "exit.vc", "(exit 42)")).status == 42);
  CHECK(runVvm("console " + dir.path() + "/none.vc").status == 4);
  auto shebang = runVvm("console " + script(dir, "sb.vc", "#!/usr/bin/env vvm console\n(display (car '(1)))\n(car 1)"));
  CHECK_THAT(shebang.out, Catch::Contains("sb.vc:3: error")); // line numbers count the #! line
}

TEST_CASE("the REPL reads forms across lines, prints errors and keeps going") {
  vvm::test::TempDir dir;
  std::string input =
      script(dir, "in.txt", "(define x\n  41)\n(car 5)\n(+ x 1)\n(undefined-fn)\n\"still here\"\n7 8 (* 3 3)\n");
  auto r = runVvm("console < " + input);
  CHECK(r.status == 1); // fed from a pipe: the status of the last failure
  CHECK_THAT(r.out, Catch::Contains("error: car: expected a pair, got 5"));
  CHECK_THAT(r.out, Catch::Contains("42\n"));
  CHECK_THAT(r.out, Catch::Contains("unbound variable: undefined-fn"));
  CHECK_THAT(r.out, Catch::Contains("\"still here\""));
  CHECK_THAT(r.out, Catch::Contains("\n7\n8\n9\n")); // every form's value, not only the line's last
}

TEST_CASE("the console's own builtins: files, arguments, introspection") {
  vvm::test::TempDir dir;
  std::string file = dir.path() + "/data.bin";
  auto r = runVvm("console " +
                  script(dir, "io.vc",
                         "(write-file (car (command-line)) (bytevector 1 2 255))\n"
                         "(display (read-file-bytes (car (command-line))))\n"
                         "(display (file-exists? (car (command-line))))\n"
                         "(define (f x) (+ x 1))\n"
                         "(display (globals))\n"
                         "(display (string? (disassemble f)))\n"
                         "(display (pair? (assq 'collections (gc-stats))))\n") +
                  " " + file);
  CHECK(r.status == 0);
  CHECK(r.out == "#u8(1 2 255)#t(f)#t#t");
  auto sandbox = runVvm("console -e '(replace-method! car cdr)'");
  CHECK(sandbox.status == 1);
  CHECK_THAT(sandbox.out, Catch::Contains("only procedures compiled from console code"));
  auto replaced =
      runVvm("console -e '(define (f x) (* x 2))' -e '(define (g x) (+ x 100))' -e '(replace-method! f g)' -e '(f 1)'");
  CHECK(replaced.out == "101\n");
}

TEST_CASE("vvm run runs console scripts too (the built-in type of .vc files)") {
  vvm::test::TempDir dir;
  std::string path = script(dir, "args.vc", "(display (command-line))(newline)(exit 5)");
  auto r = runVvm("run " + path + " one two");
  CHECK(r.status == 5);
  CHECK(r.out == "(one two)\n");
  auto inspected = runVvm("inspect " + path);
  CHECK_THAT(inspected.out, Catch::Contains("type:    text/x-vvm-console"));
  CHECK_THAT(inspected.out, Catch::Contains("runs on: the console language"));
}

TEST_CASE("the REPL on a terminal: prompts, continuation lines, history kept") {
  // script(1) (util-linux) gives vvm a pseudo-terminal, so libedit reads the lines.
  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    WARN("script(1) is not installed: the terminal REPL is not tested");
    return;
  }
  vvm::test::TempDir dir;
  std::string input = script(dir, "keys.txt", "(define (sq x) (* x x))\n(sq\n 12)\n(car 5)\n");
  std::string command = "cd " + dir.path() + " && HOME=" + dir.path() + " XDG_STATE_HOME=" + dir.path() +
                        "/state script -qec '" + std::string(VVM_BINARY) + " console --quiet' /dev/null < keys.txt";
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  CHECK_THAT(out, Catch::Contains("vvm> "));
  CHECK_THAT(out, Catch::Contains("...> "));
  CHECK_THAT(out, Catch::Contains("144"));
  CHECK_THAT(out, Catch::Contains("error: car: expected a pair, got 5"));
  std::ifstream history(dir.path() + "/state/vvm/console-history");
  std::string saved((std::istreambuf_iterator<char>(history)), std::istreambuf_iterator<char>());
  CHECK_THAT(saved, Catch::Contains("(sq"));
}

TEST_CASE("an arity error names the procedure, where it was defined, and the call's place") {
  auto r = runVvm("console -e '(define (f x) x)' -e '(f)'");
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("<-e>:1: error: f takes 1 argument, given 0 (defined at <-e>:1)"));
  CHECK_THAT(r.out, Catch::Contains("at toplevel (<-e>:1)"));
}
