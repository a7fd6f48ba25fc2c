// Shared set-up for unit tests: one collector and one runtime per test process, and helpers to
// assemble .vp text and call methods.
#pragma once

#include "core/interp/Interpreter.h"
#include "core/interp/Runtime.h"
#include "core/interp/Thread.h"
#include "core/ir/Module.h"
#include "core/text/Assembler.h"
#include "gc/Heap.h"
#include "vos/Host.h"

#include <memory>
#include <string>

namespace vvm::test {

/// The process-wide runtime, with the base primitives registered.
inline core::Runtime& runtime() {
  static core::Runtime* rt = [] {
    gc::init({});
    auto* r = new core::Runtime();
    vos::registerBasePrimitives(*r);
    return r;
  }();
  return *rt;
}

/// Assembles `text`; on failure `errors` holds the formatted diagnostics and the result is null.
inline std::unique_ptr<core::Module> assemble(const std::string& text, std::string* errors = nullptr,
                                              const std::string& file = "test.vp") {
  auto m = std::make_unique<core::Module>(runtime(), file);
  Diagnostics d;
  if (!core::assemble(text, file, *m, d)) {
    if (errors) *errors = d.format();
    return nullptr;
  }
  return m;
}

/// Text of the message field of a VP error object.
inline std::string errorMessage(core::Object* e) { return core::Runtime::stringText(core::slotsOf(e)[0].ref); }

} // namespace vvm::test
