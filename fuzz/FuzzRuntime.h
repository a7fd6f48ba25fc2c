// The runtime the console-language fuzz targets share: one collector, one runtime with the base
// primitives and the console installed, one VP thread, all made on first use and kept.
#pragma once

#include "console/Values.h"
#include "core/interp/Thread.h"
#include "gc/Heap.h"
#include "vos/Host.h"

namespace vvm::fuzz {

inline core::Thread& consoleThread() {
  static core::Thread* thread = [] {
    gc::init({});
    auto* rt = new core::Runtime();
    vos::registerBasePrimitives(*rt);
    console::installConsole(*rt);
    return new core::Thread(*rt);
  }();
  return *thread;
}

} // namespace vvm::fuzz
