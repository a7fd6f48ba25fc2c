// libFuzzer target for what a VMlet brings and what its applications are: an input that starts
// with "STK1" is an application of the example VMlet (vmlets/shipped/stack.vml), loaded,
// translated and verified but not run; anything else is a VMlet (.vml) to load: manifest, body
// forms, templates verified with the VP verifier, console definitions compiled in the
// sandbox. Either way: accepted, or a clear error; never a crash, hang or sanitizer report.
#include "vmlets/Vmlet.h"

#include "FuzzRuntime.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#ifndef VVM_SOURCE_DIR
#error "VVM_SOURCE_DIR must name the source tree (for vmlets/shipped/stack.vml)"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vvm::core::Thread* thread = &vvm::fuzz::consoleThread();
  vvm::core::Runtime* rt = &thread->rt;
  static std::unique_ptr<vvm::vmlets::Vmlet> stack = [thread] {
    std::ifstream in(std::string(VVM_SOURCE_DIR) + "/vmlets/shipped/stack.vml");
    std::stringstream text;
    text << in.rdbuf();
    vvm::Diagnostics d;
    auto v = vvm::vmlets::loadVmlet("stack.vml", text.str(), *thread, d);
    if (!v) {
      std::fputs(d.format().c_str(), stderr);
      std::abort();
    }
    return v;
  }();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.starts_with("STK1")) {
    vvm::core::Module app(*rt, "fuzz.stk");
    auto run = vvm::vmlets::runApplication(*stack, "fuzz.stk", bytes, app, *thread, false);
    if (run.stage == vvm::vmlets::AppRun::Stage::LoadFailed && run.message.empty()) std::abort();
    if (run.stage == vvm::vmlets::AppRun::Stage::Raised || run.stage == vvm::vmlets::AppRun::Stage::Exited)
      std::abort();
    return 0;
  }
  vvm::Diagnostics d;
  auto v = vvm::vmlets::loadVmlet("fuzz.vml", bytes, *thread, d);
  if (!v && !d.hasErrors()) {
    std::fputs("FuzzVmlet: refused without a diagnostic\n", stderr);
    std::abort();
  }
  for (const auto& e : d.all())
    if (e.file != "fuzz.vml" || e.message.empty()) std::abort();
  return 0;
}
