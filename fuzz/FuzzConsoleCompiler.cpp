// libFuzzer target for the console compiler (console/Compiler.h): every form of the input is
// expanded and compiled to VP IR, which must verify (the compiler asserts that it does), but
// nothing runs (input could loop forever). Whatever the bytes: compiled, or one located
// diagnostic; never a crash, a hang or a sanitizer report.
#include "FuzzRuntime.h"
#include "console/Compiler.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vvm::core::Thread* thread = &vvm::fuzz::consoleThread();
  vvm::core::Runtime* rt = &thread->rt;
  const std::string file = "fuzz.vc";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  vvm::console::Environment env(vvm::console::Values::of(*rt), "fuzz");
  vvm::console::Evaluator ev(env, *thread);
  ev.setCompileOnly(true);
  vvm::Diagnostics diags;
  vvm::console::Outcome o = ev.evalText(text, file, diags);
  if (o == vvm::console::Outcome::CompileError) {
    if (diags.count() != 1) {
      std::fputs(diags.format().c_str(), stderr);
      std::abort();
    }
    const auto& d = diags.all()[0];
    if (d.file != file || d.message.empty()) std::abort();
  } else if (o != vvm::console::Outcome::Ok) {
    std::fputs("FuzzConsoleCompiler: compile-only evaluation ran code\n", stderr);
    std::abort();
  }
  return 0;
}
