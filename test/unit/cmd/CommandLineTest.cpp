// The vvm command as a user meets it: help, exit statuses, bad arguments. Runs the built binary.
#include "RunVvm.h"

#include "test/support/ScopedEnv.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

using Result = vvm::test::VvmRun;
using vvm::test::runVvm;

TEST_CASE("--help lists every sub-command and the exit statuses") {
  Result r = runVvm("--help");
  CHECK(r.status == 0);
  for (const char* sub : {"run", "verify", "sign", "keygen", "console", "inspect", "vmlets", "version"})
    CHECK(r.out.find(std::string("  ") + sub) != std::string::npos);
#define VVM_EXIT(Name, Code, Meaning) CHECK(r.out.find(Meaning) != std::string::npos);
#include "cmd/ExitStatus.def"
}

TEST_CASE("the README's exit-status table matches ExitStatus.def") {
  std::ifstream in(std::string(VVM_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string readme = ss.str();
#define VVM_EXIT(Name, Code, Meaning) CHECK(readme.find("| " #Code " | " Meaning " |") != std::string::npos);
#include "cmd/ExitStatus.def"
}

TEST_CASE("usage errors exit 2, missing files exit 4") {
  CHECK(runVvm("--no-such-flag").status == 2);
  CHECK(runVvm("run --max-heap=banana x.vp").status == 2);
  CHECK(runVvm("run").status == 2);
  Result r = runVvm("run /nonexistent/prog.vp");
  CHECK(r.status == 4);
  CHECK(r.out.find("/nonexistent/prog.vp") != std::string::npos);
}

TEST_CASE("version prints the version") {
  Result r = runVvm("--version");
  CHECK(r.status == 0);
  CHECK(r.out.find("vvm ") == 0);
  CHECK(runVvm("version").status == 0);
}

TEST_CASE("program arguments after FILE go to the program, even ones that look like options") {
  std::string path = std::string(P_tmpdir) + "/vvm-args-test.vp";
  {
    std::ofstream out(path);
    out << ".method main () void\n  .local i32 i\nloop:\n  load.i32 i\n  callprim args.count\n  if.ge.i32 done\n"
           "  load.i32 i\n  callprim args.get\n  callprim println.str\n  inc.i32 i 1\n  jmp loop\ndone:\n  ret\n.end\n";
  }
  Result r = runVvm("run " + path + " one --gc-stats -v two");
  CHECK(r.status == 0);
  CHECK(r.out == "one\n--gc-stats\n-v\ntwo\n");
  std::remove(path.c_str());
}

TEST_CASE("flags before FILE are vvm's and the words after FILE are the program's") {
  std::string path = std::string(P_tmpdir) + "/vvm-flags-test.vp";
  {
    std::ofstream out(path);
    out << ".method main () void\n  callprim args.count\n  callprim println.i32\n  ret\n.end\n";
  }
  for (const char* flags :
       {"--gc-stats", "--jit-stats --jit=on", "--dump-vp --jit eager", "--jit-threshold 5 --jit-stats"}) {
    INFO(flags);
    Result r = runVvm(std::string("run ") + flags + " " + path + " a b");
    CHECK(r.status == 0);
    CHECK(std::regex_search(r.out, std::regex("(^|\n)2\n"))); // stderr may hold a dump or statistics
  }
  std::remove(path.c_str());
}

TEST_CASE("inspect names the type, how it was decided and what runs it") {
  Result r = runVvm("inspect " VVM_SOURCE_DIR "/examples/vp/hello.vp");
  CHECK(r.status == 0);
  CHECK(r.out.find("type:    application/x-vvm-assembly\ndecided: by suffix (suffix .vp)\n") != std::string::npos);
  CHECK(r.out.find("runs on: the VP itself") != std::string::npos);

  std::string script = std::string(P_tmpdir) + "/vvm-typed-by-shebang";
  {
    std::ofstream out(script);
    out << "#!/usr/bin/env -S vvm run --type=application/x-vvm-assembly\n.method main () void\n  ret\n.end\n";
  }
  r = runVvm("inspect " + script);
  CHECK(r.status == 0);
  CHECK(r.out.find("decided: by shebang") != std::string::npos);
  CHECK(runVvm("run " + script).status == 0); // typed by its #! line, which the assembler skips

  r = runVvm("inspect " VVM_SOURCE_DIR "/README.md");
  CHECK(r.status == 4);
  CHECK(r.out.find("no magic bytes, file suffix or #! line tells its type") != std::string::npos);
  CHECK(runVvm("inspect --type application/x-vvm-assembly " VVM_SOURCE_DIR "/README.md").status == 0);
  CHECK(runVvm("inspect --type text/nonsense " VVM_SOURCE_DIR "/README.md").status == 4);
  CHECK(runVvm("inspect /nonexistent/file.vp").status == 4);
  CHECK(runVvm("run " VVM_SOURCE_DIR "/README.md").status == 4);
  std::remove(script.c_str());
}

TEST_CASE("vmlets lists what VVM_VMLET_PATH holds, with signature states and broken files") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(P_tmpdir) / "vvm-vmlets-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) { std::ofstream(dir / name) << text; };
  const std::string manifest =
      "(vmlet stack (version \"0.1.0\") (type \"application/x-vvm-stack\" (suffix \".stk\")))\n";
  write("stack.vml", manifest);
  write("broken.vml", "(vmlet broken (version \"1\")\n");
  write("not-a-vmlet.txt", "ignored");
  vvm::test::ScopedEnv path("VVM_VMLET_PATH", dir.c_str());
  vvm::test::ScopedEnv data("XDG_DATA_HOME", "/nonexistent");
  vvm::test::ScopedEnv config("XDG_CONFIG_HOME", "/nonexistent");
  Result r = runVvm("vmlets");
  CHECK(r.status == 0);
  CHECK(r.out.find("stack            0.1.0      application/x-vvm-stack          VVM_VMLET_PATH   not signed") !=
        std::string::npos);
  CHECK(r.out.find("broken.vml:1:1: error: unterminated list") != std::string::npos);
  CHECK(r.out.find("not-a-vmlet") == std::string::npos);

  // Signed with a key given by --trust: trusted; changed after signing: a bad signature.
  REQUIRE(runVvm("keygen --out " + (dir / "k").string()).status == 0);
  REQUIRE(runVvm("sign " + (dir / "stack.vml").string() + " --key " + (dir / "k.key").string()).status == 0);
  r = runVvm("vmlets --trust " + (dir / "k.pub").string());
  CHECK(r.out.find("signed by trusted key") != std::string::npos);
  {
    std::string text;
    std::ifstream in(dir / "stack.vml");
    std::getline(in, text, '\0');
    text.replace(text.find("0.1.0"), 5, "0.1.1");
    write("stack.vml", text);
  }
  r = runVvm("vmlets --trust " + (dir / "k.pub").string());
  CHECK(r.out.find("0.1.1") != std::string::npos);
  CHECK(r.out.find("does not match the content (changed after signing, or forged)") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a file of a type a VMlet declares is typed to that VMlet, which must pass verification to run it") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(P_tmpdir) / "vvm-vmlet-typing-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Not a type that a VMlet shipped with vvm runs: the build tree's install tree would win.
  std::ofstream(dir / "typing.vml") << "(vmlet typing (version \"0.2\") (type \"application/x-vvm-typing\" (magic 0 "
                                       "#u8(84 89 80 49))))\n";
  std::ofstream(dir / "prog") << "TYP1 payload";
  vvm::test::ScopedEnv path("VVM_VMLET_PATH", dir.c_str());
  vvm::test::ScopedEnv data("XDG_DATA_HOME", "/nonexistent");
  Result r = runVvm("inspect " + (dir / "prog").string());
  CHECK(r.status == 0);
  CHECK(r.out.find("decided: by magic") != std::string::npos);
  CHECK(r.out.find("runs on: VMlet typing 0.2") != std::string::npos);
  CHECK(r.out.find("signed:  not signed") != std::string::npos);
  // Unsigned (and without a body): vvm run refuses it with what vvm verify would say, before
  // compiling any of it.
  r = runVvm("run " + (dir / "prog").string());
  CHECK(r.status == 3);
  CHECK(r.out.find("VMlet typing 0.2 (" + (dir / "typing.vml").string() +
                   ") runs application/x-vvm-typing, but it "
                   "does not pass verification") != std::string::npos);
  CHECK(r.out.find("  signature: not signed") != std::string::npos);
  CHECK(r.out.find("  body: ") == std::string::npos); // nothing of an untrusted VMlet is compiled
  fs::remove_all(dir);
}
