// libFuzzer target for the .vp assembler and the verifier behind it: whatever the bytes, the
// assembler must either build a module whose methods all verified or reject the text with
// located diagnostics, without crashing, hanging or tripping a sanitizer; and what it accepts
// must disassemble to text that assembles back to the same program. The program is never run. scripts/fuzz builds and
// runs it; the test suite replays the corpus through it (fuzz/ReplayMain.cpp) so that gcc builds exercise the same
// entry point.
#include "core/interp/Runtime.h"
#include "core/ir/Module.h"
#include "core/text/Assembler.h"
#include "gc/Heap.h"
#include "vos/Host.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

/// The collector and one runtime with the base primitives, made once and kept for the
/// process: every input gets a fresh Module in it, as `vvm run` would.
vvm::core::Runtime& runtime() {
  static vvm::core::Runtime* rt = [] {
    vvm::gc::init({});
    auto* r = new vvm::core::Runtime();
    vvm::vos::registerBasePrimitives(*r);
    return r;
  }();
  return *rt;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "FuzzVpAssembler: %s\n", what);
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vvm::core::Runtime& rt = runtime();
  const std::string file = "fuzz.vp";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  vvm::core::Module module(rt, file);
  vvm::Diagnostics diags;
  bool ok = vvm::core::assemble(text, file, module, diags);
  // The contract of assemble(): false exactly when there are diagnostics, and then every one
  // is located in the file and prints; true means every method verified.
  if (ok == diags.hasErrors()) fail(ok ? "assemble() succeeded with errors" : "assemble() failed without an error");
  if (ok) {
    for (const auto& m : module.methods())
      if (!m->verified) fail("assemble() succeeded with a method that did not verify");
    // What --dump-vp prints must assemble back to the same program (a fixpoint of the text).
    std::string first = vvm::core::disassemble(module);
    vvm::core::Module again(rt, file);
    vvm::Diagnostics againDiags;
    if (!vvm::core::assemble(first, file, again, againDiags)) {
      std::fputs(againDiags.format().c_str(), stderr);
      fail("the disassembly of an accepted program does not assemble");
    }
    if (vvm::core::disassemble(again) != first) fail("disassembling twice gives different text");
  } else {
    for (const auto& d : diags.all())
      if (d.file != file || d.message.empty()) fail("diagnostic without a file or a message");
    if (diags.format().empty()) fail("diagnostics format to nothing");
  }
  return 0;
}
